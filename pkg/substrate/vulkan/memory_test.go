//go:build cgo

package vulkan

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// Every estimate is checked against reality (issue 15): for SPIR-V modules
// and native programs that exercise each kind of allocation a run makes on
// the host (staging both ways, the arena on a device whose memory is the
// host's, results, splats expanded into staging, bool results, two-pass
// reductions, pipelines), what a run allocates (the Go heap's growth and
// AllocatedOutsideHeap, which counts pooled buffers as a cold pool
// allocates them) stays within the estimate. Not parallel: CheckEstimate
// measures the whole process.
func TestEstimateCoversTheRun(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(15, 3))
	f32 := func(shape ...int) sokr.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return sokr.FromSlice(randF32(rng, n, -1, 1), shape...)
	}
	check := func(t *testing.T, p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) {
		t.Helper()
		m := sokrtest.CheckEstimate(t, s, p, inputs, opts)
		// Not a blanket over-estimate either: the data dominates, and the
		// estimate stays near it.
		assert.Less(t, m.Estimate, 2*m.Allocated+(256<<10), "the estimate is far above the run")
	}

	t.Run("spirv", func(t *testing.T) {
		const n = 1 << 18
		saxpy := module(t, "saxpy.spv")
		t.Run("saxpy", func(t *testing.T) {
			check(t, saxpy, []sokr.Tensor{f32(n), f32(n)},
				sokr.Options{Params: map[string]any{"push_constants": []float32{2, math.Float32frombits(n)}}})
		})
		t.Run("matmul", func(t *testing.T) {
			const M, N, K = 256, 256, 256
			dims := make([]int32, 24)
			dims[0], dims[1], dims[2] = M, N, K
			check(t, module(t, "matmul.spv"), []sokr.Tensor{f32(M, K), f32(K, N), sokr.NewTensor(sokr.F32, M, N), sokr.FromSlice(dims)},
				sokr.Options{Params: map[string]any{"groups": []int{N / 16, M / 16}}})
		})
		if s.info.features["Float64"] {
			t.Run("dscale", func(t *testing.T) {
				buf := make([]float64, 5+n)
				check(t, module(t, "dscale.spv"), []sokr.Tensor{sokr.FromSlice(buf)},
					sokr.Options{Params: map[string]any{"spec_constants": map[string]any{"WG": 64}}})
			})
		}
	})

	cases := []struct{ name, src string }{
		{"tiny", "param x: f32[3]\ny: f32[3] = neg x\nreturn y"},
		{"fused chain", "param x: f32[262144]\na: f32[262144] = exp x\nb: f32[262144] = mul a, x\nc: f32[262144] = tanh b\nreturn c"},
		{"bool result", "param x: f32[262144]\nparam y: f32[262144]\nb: bool[262144] = lt x, y\nreturn b"},
		{"param returned", "param x: f32[262144]\nreturn x"},
		{"returned twice", "param x: f32[262144]\ny: f32[262144] = neg x\nreturn y, y"},
		{"large splat", "c: f32[4194304] = const 1\nreturn c"},
		{"splat reduced", "c: f32[2048,2048] = const 1\ns: f32[] = reduce_sum c, axes=[0,1]\nreturn s"},
		{"splat in a chain", "param x: f32[262144]\nc: f32[262144] = const 2\ny: f32[262144] = mul x, c\nreturn y"},
		{"broadcast", "param x: f32[512]\nb: f32[512,512] = broadcast x\nreturn b"},
		{"transpose", "param x: f32[512,512]\ny: f32[512,512] = transpose x, perm=[1,0]\nreturn y"},
		{"reduce inner", "param x: f32[64,64,64]\ns: f32[64] = reduce_sum x, axes=[1,2]\nreturn s"},
		{"reduce long", "param x: f32[1048576]\ns: f32[] = reduce_mean x, axes=[0]\nreturn s"},
		{"reduce strided", "param x: f32[64,64,64]\ns: f32[64] = reduce_max x, axes=[0,2]\nreturn s"},
		{"matmul", "param a: f32[300,500]\nparam b: f32[500,700]\nc: f32[300,700] = matmul a, b\nreturn c"},
		{"mixed", "param x: f32[512,512]\nparam w: f32[512,512]\nh: f32[512,512] = matmul x, w\nr: f32[512,512] = relu h\ns: f32[512] = reduce_sum r, axes=[1]\nt: f32[512,512] = transpose r, perm=[1,0]\nreturn s, t"},
	}
	if s.info.features["Float64"] {
		cases = append(cases, struct{ name, src string }{"f64", "param a: f64[4,100,200]\nparam b: f64[4,200,100]\nc: f64[4,100,100] = matmul a, b\nd: f64[4,100,100] = sqrt c\nreturn d"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parse(t, c.src)
			inputs := make([]sokr.Tensor, len(p.Params))
			for i, idx := range p.Params {
				ty := p.Nodes[idx].Type
				switch ty.DType {
				case sokr.F64:
					v := make([]float64, ty.Shape.NumElements())
					for k := range v {
						v[k] = rng.Float64()
					}
					inputs[i] = sokr.FromSlice(v, ty.Shape...)
				default:
					inputs[i] = f32(ty.Shape...)
				}
			}
			m := sokrtest.CheckEstimate(t, s, p, inputs, sokr.Options{})
			if c.name != "tiny" {
				assert.Less(t, m.Estimate, 2*m.Allocated+(256<<10), "the estimate is far above the run")
			}
		})
	}
}

// A splat constant is written into the staging buffer at each run, never
// expanded into the plan: asking about a 1 GiB splat allocates next to
// nothing on the Go heap, and the estimate counts the staging it takes.
func TestSplatNotExpandedInThePlan(t *testing.T) {
	s := gpu(t)
	p := parse(t, "c: f32[268435456] = const 1\nreturn c")
	o := s.Capability(context.Background(), p)
	if !o.OK {
		// A device whose largest storage buffer is under 1 GiB refuses it,
		// and must say so.
		assert.Contains(t, o.Reason, "largest storage buffer")
		return
	}
	pl, err := s.plan(p)
	require.NoError(t, err)
	assert.Empty(t, pl.code)
	assert.Equal(t, []int{0}, pl.consts)
	// Staging in and out, and the result.
	assert.GreaterOrEqual(t, o.Estimate.MemoryBytes, int64(3<<30))
}

// Results say how much device memory their run held; a run whose buffers
// exceed the device's memory is refused before it allocates any.
func TestDeviceMemory(t *testing.T) {
	s := gpu(t)
	p := parse(t, "param x: f32[262144]\ny: f32[262144] = neg x\nreturn y")
	res, err := run(t, s, p, []sokr.Tensor{sokr.NewTensor(sokr.F32, 262144)})
	require.NoError(t, err)
	pl, err := s.plan(p)
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatInt(sizeClass(pl.arenaBytes), 10), res.Meta["device_memory_bytes"])

	small := s.info
	small.DeviceLocalBytes = 1 << 20
	u := nativeUsage(p, pl, small)
	assert.Contains(t, deviceRefusal(u, small), "the run needs "+sokr.FormatBytes(sizeClass(pl.arenaBytes))+" of device memory")
	assert.Empty(t, deviceRefusal(u, s.info))

	// A module's buffers are its inputs: EstimateRun sees them.
	big := &Substrate{name: "vulkan:test", info: small}
	_, err = big.EstimateRun(module(t, "saxpy.spv"), []sokr.Tensor{sokr.NewTensor(sokr.F32, 1<<18), sokr.NewTensor(sokr.F32, 1<<18)}, sokr.Options{})
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.ErrorContains(t, err, "of device memory")
}

// Push constants given as a long slice of words are refused by their
// length before they are converted: a mistaken million-element slice costs
// no megabytes to refuse.
func TestLongPushConstantsRefusedFirst(t *testing.T) {
	long := make([]float32, 1<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := pushConstants(long, 8)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "push-constant block is 8 bytes; 4194304 were given")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "the slice was converted before it was refused")
	for _, v := range []any{[]uint32{1, 2, 3}, []int32{1}} {
		_, err := pushConstants(v, 8)
		assert.ErrorContains(t, err, "were given")
	}
	b, err := pushConstants([]int32{1, -1}, 8)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, b)
}
