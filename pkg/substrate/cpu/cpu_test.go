package cpu_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

func parse(t testing.TB, src string) *native.Program {
	t.Helper()
	p, err := native.Parse([]byte("sokr.native/1\n" + src))
	require.NoError(t, err, src)
	return p
}

func run(t testing.TB, s *cpu.Substrate, p *native.Program, inputs ...sokr.Tensor) sokr.Result {
	t.Helper()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	res, err := rt.Run(context.Background(), p, inputs)
	require.NoError(t, err)
	return res
}

func TestConformance(t *testing.T) {
	axpy := parse(t, `param x: f32[5]
param y: f32[5]
a: f32[] = const 2
ax: f32[5] = mul a, x
out: f32[5] = add ax, y
return out`)
	mm := parse(t, `param a: f64[2,3]
param b: f64[3,2]
c: f64[2,2] = matmul a, b
s: f64[2] = reduce_sum c, axes=[1]
return c, s`)
	big := parse(t, `param x: f32[4000000]
e: f32[4000000] = exp x
s: f32[4000000] = sin e
out: f32[] = reduce_sum s, axes=[0]
return out`)
	cases := []sokrtest.Case{
		{
			Name: "axpy", Program: axpy,
			Inputs: []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4, 5}), sokr.FromSlice([]float32{1, 1, 1, 1, 1})},
			Want:   []sokr.Tensor{sokr.FromSlice([]float32{3, 5, 7, 9, 11})},
		},
		{
			Name: "matmul+reduce", Program: mm,
			Inputs: []sokr.Tensor{
				sokr.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
				sokr.FromSlice([]float64{7, 8, 9, 10, 11, 12}, 3, 2),
			},
			Want: []sokr.Tensor{sokr.FromSlice([]float64{58, 64, 139, 154}, 2, 2), sokr.FromSlice([]float64{122, 293})},
			Tol:  1e-12,
		},
	}
	slow := sokrtest.Case{Name: "big", Program: big, Inputs: []sokr.Tensor{sokr.FromSlice(make([]float32, 4000000))}}
	sokrtest.Run(t, cpu.New(), sokrtest.Suite{Cases: cases, Slow: &slow})
}

// TestOps checks every op and dtype against a naive reference evaluator on
// random data, for shapes below and above the fusion block and the parallel
// grain.
func TestOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{7}, {3, 5}, {2, 3, 1100}, {70000}}
	floatUnary := []string{"neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"}
	intUnary := []string{"neg", "abs", "relu"}
	binary := []string{"add", "sub", "mul", "div", "pow", "max", "min"}
	compare := []string{"eq", "ne", "lt", "le", "gt", "ge"}
	for _, dt := range []string{"f32", "f64", "i32", "i64"} {
		unary := floatUnary
		if dt[0] == 'i' {
			unary = intUnary
		}
		for _, shape := range shapes {
			ty := dt + shapeText(shape)
			for _, op := range unary {
				check(t, rng, fmt.Sprintf("param x: %s\ny: %s = %s x\nreturn y", ty, ty, op))
			}
			for _, op := range binary {
				check(t, rng, fmt.Sprintf("param x: %s\nparam y: %s\nz: %s = %s x, y\nreturn z", ty, ty, ty, op))
				check(t, rng, fmt.Sprintf("param x: %s\nparam y: %s[]\nz: %s = %s x, y\nreturn z", ty, dt, ty, op))
			}
			bty := "bool" + shapeText(shape)
			for _, op := range compare {
				check(t, rng, fmt.Sprintf("param x: %s\nparam y: %s\nz: %s = %s x, y\nreturn z", ty, ty, bty, op))
			}
			check(t, rng, fmt.Sprintf("param x: %s\nparam y: %s\nc: %s = lt x, y\nz: %s = select c, x, y\nreturn z", ty, ty, bty, ty))
			for _, to := range []string{"f32", "f64", "i32", "i64", "bool"} {
				check(t, rng, fmt.Sprintf("param x: %s\ny: %s = cast x\nreturn y", ty, to+shapeText(shape)))
			}
		}
	}
}

func TestLayoutAndReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range []string{"f32", "f64", "i32", "i64"} {
		progs := []string{
			"param x: T[2,3,4]\ny: T[4,2,3] = transpose x, perm=[2,0,1]\nreturn y",
			"param x: T[3,1]\ny: T[2,3,5] = broadcast x\nreturn y",
			"param x: T[]\ny: T[4,4] = broadcast x\nreturn y",
			"param x: T[2,3,4]\ny: T[6,4] = reshape x\nz: T[4,6] = transpose y, perm=[1,0]\nreturn z",
			"param x: T[2,3,4]\ny: T[2,4] = reduce_sum x, axes=[1]\nreturn y",
			"param x: T[2,3,4]\ny: T[3] = reduce_max x, axes=[0,2]\nreturn y",
			"param x: T[2,3,4]\ny: T[2,3] = reduce_min x, axes=[2]\nreturn y",
			"param x: T[2,3,4]\ny: T[] = reduce_sum x, axes=[0,1,2]\nreturn y",
			"param a: T[3,4,5]\nparam b: T[3,5,2]\nc: T[3,4,2] = matmul a, b\nreturn c",
			"param a: T[33,17]\nparam b: T[17,65]\nc: T[33,65] = matmul a, b\nreturn c",
		}
		if dt[0] == 'f' {
			progs = append(progs, "param x: T[2,3,4]\ny: T[2,4] = reduce_mean x, axes=[1]\nreturn y")
		}
		for _, p := range progs {
			check(t, rng, strings.ReplaceAll(p, "T[", dt+"["))
		}
	}
}

func TestConstantsAndOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check(t, rng, "c: f32[3] = const [1,2,3]\nd: f32[3] = const 2\ne: f32[3] = mul c, d\nreturn e, c, d")
	check(t, rng, "param x: f32[4]\nreturn x, x")
	check(t, rng, "param x: i32[2,2]\nz: i32[2,2] = const 0\nc: i32[2,2] = matmul x, z\nreturn c")
	check(t, rng, "param x: f64[4]\ny: f64[2,2] = reshape x\nreturn y")
	// An output used again inside a fused chain is stored, not fused.
	check(t, rng, "param x: f32[9]\ne: f32[9] = exp x\nn: f32[9] = neg e\nf: f32[9] = mul n, e\nreturn f, e")
}

func TestOutputsDoNotAliasInputs(t *testing.T) {
	p := parse(t, "param x: f32[3]\ny: f32[3] = reshape x\nreturn x, y")
	in := []float32{1, 2, 3}
	res := run(t, cpu.New(), p, sokr.FromSlice(in))
	in[0] = 99
	assert.Equal(t, []float32{1, 2, 3}, sokr.View[float32](res.Outputs[0].Tensor))
	assert.Equal(t, []float32{1, 2, 3}, sokr.View[float32](res.Outputs[1].Tensor))
}

func TestIntegerEdgeCases(t *testing.T) {
	p := parse(t, "param x: i32[4]\nparam y: i32[4]\nq: i32[4] = div x, y\np: i32[4] = pow x, y\nreturn q, p")
	res := run(t, cpu.New(), p,
		sokr.FromSlice([]int32{7, math.MinInt32, -7, 2}),
		sokr.FromSlice([]int32{0, -1, 2, -1}))
	assert.Equal(t, []int32{0, math.MinInt32, -3, -2}, sokr.View[int32](res.Outputs[0].Tensor))
	assert.Equal(t, []int32{1, 0, 49, 0}, sokr.View[int32](res.Outputs[1].Tensor))
}

func TestMatmulGoKernelMatchesBLAS(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := parse(t, "param a: f32[2,70,90]\nparam b: f32[2,90,50]\nc: f32[2,70,50] = matmul a, b\nreturn c")
	a, b := randTensor(rng, "f32", []int{2, 70, 90}), randTensor(rng, "f32", []int{2, 90, 50})
	goRes := run(t, cpu.New(cpu.WithoutBLAS()), p, a, b)
	res := run(t, cpu.New(), p, a, b)
	require.NoError(t, sokrtest.Equal(res.Outputs[0].Tensor, goRes.Outputs[0].Tensor, 1e-4))
	want := reference(t, p, []sokr.Tensor{a, b})
	require.NoError(t, sokrtest.Equal(goRes.Outputs[0].Tensor, want[0], 1e-4))
}

func TestCapabilityRefusals(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "param x: f64[1000,1000]\ny: f64[1000,1000] = exp x\nreturn y")
	// One worker: the per-worker scratch would make the figure depend on
	// the machine.
	o := cpu.New(cpu.WithMemoryBudget(1<<20), cpu.WithWorkers(1)).Capability(ctx, p)
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "needs 7.7 MiB of memory")
	assert.Contains(t, o.Reason, "budget is 1.0 MiB")
	assert.Contains(t, o.Reason, "the largest value, y: f64[1000,1000], takes 7.6 MiB")

	o = cpu.New().Capability(ctx, &sokrtest.Program{Fmt: "openqasm/2"})
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "openqasm/2")

	o = cpu.New().Capability(ctx, p)
	require.True(t, o.OK, o.Reason)
	assert.Positive(t, o.Estimate.Time)
	// The result, and a little scratch and bookkeeping (TestEstimateCoversTheRun
	// checks the figure against a run).
	assert.GreaterOrEqual(t, o.Estimate.MemoryBytes, int64(8_000_000))
	assert.Less(t, o.Estimate.MemoryBytes, int64(8_500_000))
}

func TestBadInputs(t *testing.T) {
	p := parse(t, "param x: f32[3]\ny: f32[3] = neg x\nreturn y")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(cpu.New()))
	ctx := context.Background()
	for name, in := range map[string][]sokr.Tensor{
		"count": {},
		"dtype": {sokr.FromSlice([]float64{1, 2, 3})},
		"shape": {sokr.FromSlice([]float32{1, 2, 3, 4})},
		"data":  {{DType: sokr.F32, Shape: sokr.Shape{3}, Data: make([]byte, 5)}},
	} {
		_, err := rt.Run(ctx, p, in)
		var ie *sokr.InputError
		require.ErrorAs(t, err, &ie, name)
		assert.True(t, errors.Is(err, sokr.ErrInvalidInput), name)
	}
	// Called directly, bypassing the runtime's check, the substrate checks too.
	j := sokr.NewJob(ctx, p, nil, sokr.Options{})
	cpu.New().Dispatch(j, j)
	_, err := j.Future().Wait(ctx)
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
}

func TestDescribe(t *testing.T) {
	d := cpu.New(cpu.WithWorkers(3)).Describe()
	assert.Equal(t, "3", d["workers"])
	assert.NotEmpty(t, d["blas"])
	assert.Equal(t, "go", cpu.New(cpu.WithoutBLAS()).Describe()["blas"])
}

// check runs src on random inputs on the cpu substrate (with BLAS, and with
// one worker and the Go kernel) and compares with the reference evaluator.
func check(t *testing.T, rng *rand.Rand, src string) {
	t.Helper()
	p := parse(t, src)
	inputs := make([]sokr.Tensor, len(p.Params))
	for i, idx := range p.Params {
		n := p.Nodes[idx]
		inputs[i] = randTensor(rng, n.Type.DType.String(), n.Type.Shape)
	}
	want := reference(t, p, inputs)
	for _, s := range []*cpu.Substrate{cpu.New(), cpu.New(cpu.WithWorkers(1), cpu.WithoutBLAS())} {
		res := run(t, s, p, inputs...)
		require.Len(t, res.Outputs, len(want))
		for i := range want {
			tol := 1e-5
			if want[i].DType == sokr.F64 {
				tol = 1e-12
			}
			require.NoError(t, sokrtest.Equal(res.Outputs[i].Tensor, want[i], tol), "%s\noutput %d", src, i)
		}
	}
}

func shapeText(s []int) string { return sokr.Shape(s).String() }

// Large fused results are written with streaming stores, from a staging
// block; odd sizes split the work at unaligned offsets. The values must be
// the same as everywhere else.
func TestLargeFusedResults(t *testing.T) {
	for _, n := range []int{1_500_001, 2_097_152} {
		p := parse(t, fmt.Sprintf("param x: f32[%[1]d]\nparam y: f32[%[1]d]\na: f32[] = const 2\nax: f32[%[1]d] = mul a, x\nout: f32[%[1]d] = add ax, y\nreturn out", n))
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(i%1000), float32(i%7)
		}
		for _, s := range []*cpu.Substrate{cpu.New(), cpu.New(cpu.WithWorkers(1)), cpu.New(cpu.WithWorkers(3))} {
			out := sokr.View[float32](run(t, s, p, sokr.FromSlice(x), sokr.FromSlice(y)).Outputs[0].Tensor)
			for i := range out {
				if want := 2*x[i] + y[i]; out[i] != want {
					t.Fatalf("n=%d workers=%s: out[%d] = %v, want %v", n, s.Describe()["workers"], i, out[i], want)
				}
			}
		}
	}
}
