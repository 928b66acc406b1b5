package cpu_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

// A splat constant is one element in the program and the whole value once
// a kernel or an output needs it: the estimate counts the whole value, so
// that a program that would expand 400 GB is refused with the numbers
// (issue 15 item 2), and Dispatch, called directly, fails the same way
// instead of dying of a fatal out of memory.
func TestSplatConstantsCounted(t *testing.T) {
	ctx := context.Background()
	budget := int64(64 << 30)
	s := cpu.New(cpu.WithMemoryBudget(budget))
	for _, c := range []struct {
		name, src string
		least     int64
		largest   string
	}{
		{"returned", "c: f32[100000000000] = const 1\nreturn c", 400e9, "the largest constant, c: f32[100000000000]"},
		{"reduced", "c: f32[1048576,1048576] = const 1\ns: f32[] = reduce_sum c, axes=[0,1]\nreturn s", 4 << 40, "the largest constant, c: f32[1048576,1048576]"},
		{"broadcast", "c: f64[] = const 1\nb: f64[1048576,65536] = broadcast c\nreturn b", 8 << 36, "the largest value, b: f64[1048576,65536]"},
		{"matmul", "param x: f32[4,262144]\nc: f32[262144,65536] = const 1\ny: f32[4,65536] = matmul x, c\nreturn y", 64 << 30, "c: f32[262144,65536]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := parse(t, c.src)
			o := s.Capability(ctx, p)
			require.False(t, o.OK, "estimate %d", o.Estimate.MemoryBytes)
			assert.Contains(t, o.Reason, "needs ")
			assert.Contains(t, o.Reason, "its budget is 64.0 GiB")
			assert.Contains(t, o.Reason, c.largest)

			// The estimate itself, under a budget that admits it.
			o = cpu.New(cpu.WithMemoryBudget(footprint.Max)).Capability(ctx, p)
			require.True(t, o.OK)
			assert.GreaterOrEqual(t, o.Estimate.MemoryBytes, c.least)

			var inputs []sokr.Tensor
			if len(p.Params) > 0 {
				inputs = []sokr.Tensor{sokr.NewTensor(sokr.F32, 4, 262144)}
			}
			j := sokr.NewJob(ctx, p, inputs, sokr.Options{})
			s.Dispatch(ctx, j)
			_, err := j.Future().Wait(ctx)
			require.ErrorIs(t, err, sokr.ErrInvalidProgram)
			assert.ErrorContains(t, err, "cannot run this program: needs ")
		})
	}
}

// A parameter returned as it is, or a value returned twice, is copied
// into the result: the estimate counts the copy.
func TestOutputCopiesCounted(t *testing.T) {
	ctx := context.Background()
	one := parse(t, "param x: f32[1000000]\nreturn x")
	o := cpu.New().Capability(ctx, one)
	require.True(t, o.OK)
	assert.GreaterOrEqual(t, o.Estimate.MemoryBytes, int64(4e6))

	twice := parse(t, "param x: f32[1000000]\ny: f32[1000000] = neg x\nreturn y, y")
	o2 := cpu.New().Capability(ctx, twice)
	require.True(t, o2.OK)
	assert.GreaterOrEqual(t, o2.Estimate.MemoryBytes, int64(8e6))
}

// Sums of huge values saturate rather than wrap: 2^21 outputs of an
// f64[2^40] splat would add up to 2^64 bytes, which wrapped to 0 fits
// every budget.
func TestEstimateSaturates(t *testing.T) {
	p := &native.Program{
		Nodes: []native.Node{{
			Name: "c", Op: native.OpConst,
			Type:  native.Type{DType: sokr.F64, Shape: sokr.Shape{1 << 20, 1 << 20}},
			Const: sokr.FromSlice([]float64{1}),
		}},
		Outputs: make([]int, 1<<21),
	}
	o := cpu.New(cpu.WithMemoryBudget(footprint.Max-1)).Capability(context.Background(), p)
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "needs more than 8 EiB of memory")
}

// Every estimate is checked against reality: for a set of programs that
// exercise each kind of allocation a run makes (results, splat
// expansions, output copies, transposed copies, accumulators, fused
// scratch, matrix packing), the bytes a run allocates stay within the
// estimate. Not parallel: CheckEstimate measures the whole process.
func TestEstimateCoversTheRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2))
	cases := []struct{ name, src string }{
		{"tiny", "param x: f32[3]\ny: f32[3] = neg x\nreturn y"},
		{"fused chain", "param x: f32[262144]\na: f32[262144] = exp x\nb: f32[262144] = mul a, x\nc: f32[262144] = tanh b\nreturn c"},
		{"splat output", "c: f32[262144] = const 1\nreturn c"},
		{"splat reduced", "c: f32[512,512] = const 1\ns: f32[] = reduce_sum c, axes=[0,1]\nreturn s"},
		{"splat in a group", "param x: f32[262144]\nc: f32[262144] = const 2\ny: f32[262144] = mul x, c\nreturn y"},
		{"param returned", "param x: f32[262144]\nreturn x"},
		{"returned twice", "param x: f32[262144]\ny: f32[262144] = neg x\nreturn y, y"},
		{"reshape returned", "param x: f32[512,512]\ny: f32[512,512] = neg x\nr: f32[262144] = reshape y\nreturn r, y"},
		{"reshape of a splat", "c: f32[512,512] = const 3\nr: f32[262144] = reshape c\nreturn r"},
		{"broadcast", "param x: f32[512]\nb: f32[512,512] = broadcast x\nreturn b"},
		{"transpose", "param x: f32[512,512]\ny: f32[512,512] = transpose x, perm=[1,0]\nreturn y"},
		{"reduce inner", "param x: f32[64,64,64]\ns: f32[64] = reduce_sum x, axes=[1,2]\nreturn s"},
		{"reduce outer", "param x: f32[64,64,64]\ns: f32[64,64] = reduce_max x, axes=[0]\nreturn s"},
		{"reduce strided", "param x: f32[64,64,64]\ns: f32[64] = reduce_mean x, axes=[0,2]\nreturn s"},
		{"matmul", "param a: f32[300,500]\nparam b: f32[500,700]\nc: f32[300,700] = matmul a, b\nreturn c"},
		{"matmul batched f64", "param a: f64[4,100,200]\nparam b: f64[4,200,100]\nc: f64[4,100,100] = matmul a, b\nreturn c"},
		{"matmul int", "param a: i32[200,300]\nparam b: i32[300,200]\nc: i32[200,200] = matmul a, b\nreturn c"},
		{"mixed", "param x: f32[512,512]\nparam w: f32[512,512]\nh: f32[512,512] = matmul x, w\nr: f32[512,512] = relu h\ns: f32[512] = reduce_sum r, axes=[1]\nt: f32[512,512] = transpose r, perm=[1,0]\nreturn s, t"},
	}
	subs := []*cpu.Substrate{cpu.New(), cpu.New(cpu.WithoutBLAS()), cpu.New(cpu.WithWorkers(1)), cpu.New(cpu.WithWorkers(8))}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parse(t, c.src)
			inputs := make([]sokr.Tensor, len(p.Params))
			for i, idx := range p.Params {
				ty := p.Nodes[idx].Type
				inputs[i] = randTensor(rng, ty.DType.String(), ty.Shape)
			}
			for _, s := range subs {
				m := sokrtest.CheckEstimate(t, s, p, inputs, sokr.Options{})
				if c.name != "tiny" {
					// Not a blanket over-estimate either: the data
					// dominates, and the estimate stays near it.
					assert.Less(t, m.Estimate, 4*m.Allocated+(1<<20), "the estimate is far above the run")
				}
			}
		})
	}
}
