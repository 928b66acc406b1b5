//go:build cgo

package vulkan

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
)

// The snn substrate is the reference the NIR lowering is compared with: a
// test-only import (imports_test.go checks the packages' own imports, and a
// substrate never imports another).

func nirArr(shape []int, data ...float64) nir.Array { return nir.Array{Shape: shape, Data: data} }

func nirRand(rng *rand.Rand, n int, lo, hi float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*rng.Float64()
	}
	return out
}

// twoLayerLIF is Input(nin) -> Affine -> LIF -> Linear -> LIF -> Output,
// with per-neuron parameters drawn from rng.
func twoLayerLIF(t testing.TB, rng *rand.Rand, nin, nh, nout int) *nir.Program {
	t.Helper()
	p, err := nir.New(twoLayerGraph(rng, nin, nh, nout))
	require.NoError(t, err)
	return p
}

// twoLayerGraph is twoLayerLIF's graph.
func twoLayerGraph(rng *rand.Rand, nin, nh, nout int) *nir.Graph {
	lif := func(n int) *nir.LIF {
		return &nir.LIF{Tau: nirArr([]int{n}, nirRand(rng, n, 5e-4, 2e-3)...), R: nirArr([]int{n}, nirRand(rng, n, 0.8, 1.2)...),
			VLeak: nirArr([]int{n}, nirRand(rng, n, -0.1, 0.1)...), VThreshold: nirArr([]int{n}, nirRand(rng, n, 0.3, 0.8)...),
			VReset: nirArr([]int{n}, nirRand(rng, n, -0.1, 0)...)}
	}
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{nin}}},
			{Name: "fc1", Prim: &nir.Affine{Weight: nirArr([]int{nh, nin}, nirRand(rng, nh*nin, -0.3, 0.6)...), Bias: nirArr([]int{nh}, nirRand(rng, nh, 0, 0.2)...)}},
			{Name: "lif1", Prim: lif(nh)},
			{Name: "fc2", Prim: &nir.Linear{Weight: nirArr([]int{nout, nh}, nirRand(rng, nout*nh, -0.5, 1.5)...)}},
			{Name: "lif2", Prim: lif(nout)},
			{Name: "output", Prim: &nir.Output{Shape: []int{nout}}},
		},
		Edges: []nir.Edge{{From: "input", To: "fc1"}, {From: "fc1", To: "lif1"}, {From: "lif1", To: "fc2"},
			{From: "fc2", To: "lif2"}, {From: "lif2", To: "output"}},
	}
	return g
}

func outputNamed(t *testing.T, r sokr.Result, name string) []float32 {
	t.Helper()
	for _, o := range r.Outputs {
		if o.Name == name {
			return sokr.View[float32](o.Tensor)
		}
	}
	require.Failf(t, "no output", "%q", name)
	return nil
}

// A two-layer LIF network gives the same spike trains and membrane traces
// on vulkan as on snn, for a batch of 3 over 60 steps, under the default
// semantics and under exact integration, subtractive reset, spikes read
// before the update and a start at v_leak.
func TestNIRLIFMatchesSNN(t *testing.T) {
	s := gpu(t)
	ref := snn.New()
	rng := rand.New(rand.NewPCG(19, 5))
	const steps, batch, nin, nh, nout = 60, 3, 8, 16, 4
	p := twoLayerLIF(t, rng, nin, nh, nout)
	x := make([]float32, steps*batch*nin)
	for i := range x {
		x[i] = float32(rng.Float64() * 2)
	}
	in := []sokr.Tensor{sokr.FromSlice(x, steps, batch, nin)}
	for _, c := range []struct {
		name string
		opts map[string]any
	}{
		{"defaults", nil},
		{"exact_subtract_before_vleak", map[string]any{"solver": "exact", "reset": "subtract", "spike_timing": "before_update",
			"initial_state": "v_leak", "dt": 2e-4, "spike_amplitude": 2.0}},
		{"impulse_zero", map[string]any{"solver": "impulse", "reset": "zero"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []sokr.DispatchOption{sokr.Param("record", []string{"lif1.v", "lif1.spikes", "lif2.v"})}
			for k, v := range c.opts {
				opts = append(opts, sokr.Param(k, v))
			}
			want, err := run(t, ref, p, in, opts...)
			require.NoError(t, err)
			got, err := run(t, s, p, in, opts...)
			require.NoError(t, err)
			noValidationMessages(t, s)
			for _, name := range []string{"output", "probe:lif1.spikes"} {
				w, g := outputNamed(t, want, name), outputNamed(t, got, name)
				require.Len(t, g, len(w), name)
				spikes := 0
				for i := range w {
					if w[i] != 0 {
						spikes++
					}
				}
				assert.Greater(t, spikes, len(w)/20, "%s: too few spikes for the test to mean much", name)
				assert.Less(t, spikes, len(w)*19/20, "%s: too many spikes for the test to mean much", name)
				require.Equal(t, w, g, "%s: the spike trains differ", name)
			}
			for _, name := range []string{"probe:lif1.v", "probe:lif2.v"} {
				w, g := outputNamed(t, want, name), outputNamed(t, got, name)
				require.Len(t, g, len(w), name)
				for i := range w {
					require.InDelta(t, w[i], g[i], 1e-5, "%s element %d", name, i)
				}
			}
			for _, k := range []string{"dt", "solver", "reset", "spike_timing", "initial_state", "spike_amplitude"} {
				assert.Equal(t, want.Meta[k], got.Meta[k], "meta %s", k)
			}
		})
	}
}

// Scale, Threshold, LI and IF, summed inputs, two graph inputs, an input
// returned as it is and probes of a node's output match snn too.
func TestNIRPrimitivesMatchSNN(t *testing.T) {
	s := gpu(t)
	ref := snn.New()
	rng := rand.New(rand.NewPCG(7, 11))
	const steps, batch, n = 25, 2, 5
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "a", Prim: &nir.Input{Shape: []int{n}}},
			{Name: "b", Prim: &nir.Input{Shape: []int{n}}},
			{Name: "scale", Prim: &nir.Scale{Scale: nirArr([]int{n}, nirRand(rng, n, 0.5, 2)...)}},
			{Name: "if", Prim: &nir.IF{R: nirArr([]int{n}, nirRand(rng, n, 800, 1000)...), VThreshold: nirArr([]int{n}, nirRand(rng, n, 0.1, 0.3)...), VReset: nirArr([]int{n}, nirRand(rng, n, -0.05, 0)...)}},
			{Name: "li", Prim: &nir.LI{Tau: nirArr([]int{n}, nirRand(rng, n, 5e-4, 1e-3)...), R: nirArr([]int{n}, nirRand(rng, n, 1, 2)...), VLeak: nirArr([]int{n}, nirRand(rng, n, 0, 0.1)...)}},
			{Name: "th", Prim: &nir.Threshold{Threshold: nirArr([]int{n}, nirRand(rng, n, 0.1, 0.3)...)}},
			{Name: "spikes", Prim: &nir.Output{Shape: []int{n}}},
			{Name: "trace", Prim: &nir.Output{Shape: []int{n}}},
			{Name: "raw", Prim: &nir.Output{Shape: []int{n}}},
		},
		Edges: []nir.Edge{{From: "a", To: "scale"}, {From: "b", To: "scale"}, {From: "scale", To: "if"}, {From: "if", To: "spikes"},
			{From: "scale", To: "li"}, {From: "li", To: "th"}, {From: "th", To: "trace"}, {From: "li", To: "trace"},
			{From: "a", To: "raw"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	mk := func() sokr.Tensor {
		return sokr.FromSlice(nirRand(rng, steps*batch*n, 0, 1), steps, batch, n)
	}
	in := []sokr.Tensor{mk(), mk()}
	opts := []sokr.DispatchOption{sokr.Param("record", []string{"if.v", "li.v", "scale", "if.spikes"}), sokr.Param("initial_state", "v_leak")}
	want, err := run(t, ref, p, in, opts...)
	require.NoError(t, err)
	got, err := run(t, s, p, in, opts...)
	require.NoError(t, err)
	require.Len(t, got.Outputs, len(want.Outputs))
	for k, w := range want.Outputs {
		require.Equal(t, w.Name, got.Outputs[k].Name)
		require.Equal(t, w.Tensor.Shape, got.Outputs[k].Tensor.Shape, w.Name)
		wv, gv := sokr.View[float32](w.Tensor), sokr.View[float32](got.Outputs[k].Tensor)
		for i := range wv {
			require.InDelta(t, wv[i], gv[i], 1e-5, "%s element %d", w.Name, i)
		}
	}
}

// Capability refuses a graph with a convolution whose dense matrix would
// exceed the limit, naming the node and the primitive, and so does a
// dispatch on it (snn takes it); an option vulkan does not run, or a bad
// value, is an input error naming it.
func TestNIRRefusals(t *testing.T) {
	s := gpu(t)
	// A 3×3 convolution over a 200×200 image: as a dense matrix 40000 ×
	// 40000 floats, 6 GB, over the limit.
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{1, 200, 200}}},
			{Name: "conv", Prim: &nir.Conv2d{InputShape: []int{200, 200}, Weight: nirArr([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1),
				Bias: nirArr([]int{1}, 0), Stride: []int{1, 1}, Dilation: []int{1, 1}, Padding: nir.Padding{Size: []int{1, 1}}, Groups: 1}},
			{Name: "output", Prim: &nir.Output{Shape: []int{1, 200, 200}}},
		},
		Edges: []nir.Edge{{From: "input", To: "conv"}, {From: "conv", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	o := s.Capability(t.Context(), p)
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, `node "conv" (Conv2d)`)
	assert.Contains(t, o.Reason, "256 MiB")
	_, err = run(t, s, p, []sokr.Tensor{sokr.NewTensor(sokr.F32, 1, 1, 1, 200, 200)})
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Contains(t, err.Error(), `node "conv" (Conv2d)`)
	require.True(t, snn.New().Capability(t.Context(), p).OK, "snn runs what vulkan leaves to it")

	lif := twoLayerLIF(t, rand.New(rand.NewPCG(1, 2)), 2, 3, 2)
	require.True(t, s.Capability(t.Context(), lif).OK)
	in := []sokr.Tensor{sokr.NewTensor(sokr.F32, 3, 1, 2)}
	for name, v := range map[string]any{"session": "", "session_reset": 1, "precision": "f64", "recurrent_delay": 0, "synaptic_delay": 1.5, "solver": "rk4", "record": []string{"nope.v"},
		"initial_state": map[string]any{"fc1": map[string]any{"v": []float64{1}}}} {
		_, err = run(t, s, lif, in, sokr.Param(name, v))
		var ie *sokr.InputError
		require.ErrorAs(t, err, &ie, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err = run(t, s, lif, []sokr.Tensor{sokr.NewTensor(sokr.F32, 3, 1, 5)})
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)

	// A delay of 1.5 steps of the default dt: Capability takes it (a run's
	// dt may make it whole), the run at the default dt refuses it, naming
	// the node, and a run at dt = 5e-5 s runs it as snn does.
	g = &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{2}}},
			{Name: "d", Prim: &nir.Delay{Delay: nirArr([]int{2}, 1.5e-4, 0)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{2}}},
		},
		Edges: []nir.Edge{{From: "input", To: "d"}, {From: "d", To: "output"}},
	}
	p, err = nir.New(g)
	require.NoError(t, err)
	require.True(t, s.Capability(t.Context(), p).OK)
	in = []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 4, 1, 2)}
	_, err = run(t, s, p, in)
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), `node "d": delay 0.00015 s is not a whole number of steps`)
	matchSNN(t, s, p, in, sokr.Param("dt", 5e-5))
}

// A NIR run allocates within its estimate: a feed-forward LIF network, a
// CNN (its dense matrices) and a recurrent network (lowered step by
// step).
func TestNIREstimateCoversTheRun(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(3, 4))
	data := func(steps, batch int, shape ...int) []sokr.Tensor {
		x := make([]float32, steps*batch*prod(shape))
		for i := range x {
			x[i] = float32(rng.Float64())
		}
		return []sokr.Tensor{sokr.FromSlice(x, append([]int{steps, batch}, shape...)...)}
	}
	t.Run("lif", func(t *testing.T) {
		sokrtest.CheckEstimate(t, s, twoLayerLIF(t, rng, 32, 64, 8), data(50, 4, 32),
			sokr.Options{Params: map[string]any{"record": []string{"lif1.v"}}})
	})
	t.Run("lif_event", func(t *testing.T) { // the event kernels' masks in the arena
		sokrtest.CheckEstimate(t, s, twoLayerLIF(t, rng, 32, 64, 8), data(50, 4, 32),
			sokr.Options{Params: map[string]any{"propagation": "event"}})
	})
	t.Run("cnn", func(t *testing.T) {
		sokrtest.CheckEstimate(t, s, cnn(t, rng), data(20, 3, 2, 7, 9),
			sokr.Options{Params: map[string]any{"record": []string{"conv", "if.v"}}})
	})
	t.Run("recurrent", func(t *testing.T) {
		g := &nir.Graph{
			Nodes: []*nir.Node{
				{Name: "input", Prim: &nir.Input{Shape: []int{8}}},
				{Name: "fc", Prim: &nir.Linear{Weight: nirArr([]int{16, 8}, nirRand(rng, 128, -0.2, 0.8)...)}},
				{Name: "cuba", Prim: &nir.CubaLIF{TauSyn: nirArr([]int{16}, nirRand(rng, 16, 1e-3, 2e-3)...), TauMem: nirArr([]int{16}, nirRand(rng, 16, 1e-3, 2e-3)...),
					R: nirArr([]int{16}, nirRand(rng, 16, 1, 1)...), VLeak: nirArr([]int{16}, nirRand(rng, 16, 0, 0)...),
					VThreshold: nirArr([]int{16}, nirRand(rng, 16, 0.5, 0.5)...), VReset: nirArr([]int{16}, nirRand(rng, 16, 0, 0)...), WIn: nirArr([]int{16}, nirRand(rng, 16, 1, 1)...)}},
				{Name: "rec", Prim: &nir.Linear{Weight: nirArr([]int{16, 16}, nirRand(rng, 256, -0.5, 0.5)...)}},
				{Name: "output", Prim: &nir.Output{Shape: []int{16}}},
			},
			Edges: []nir.Edge{{From: "input", To: "fc"}, {From: "fc", To: "cuba"}, {From: "cuba", To: "rec"}, {From: "rec", To: "cuba"},
				{From: "cuba", To: "output"}},
		}
		p, err := nir.New(g)
		require.NoError(t, err)
		sokrtest.CheckEstimate(t, s, p, data(40, 2, 8), sokr.Options{Params: map[string]any{"record": []string{"cuba.i"}}})
	})
}

// The per-step products of a layer become one matmul: one GEMM over every
// step's rows where the steps' inputs lie end to end in the arena (rows of
// B·n a multiple of the arena's 64-element alignment), else one batched
// matmul; and the results still equal snn's.
func TestNIRMatmulsMerged(t *testing.T) {
	s := gpu(t)
	for _, c := range []struct {
		name                 string
		batch, nin, nh, nout int
		gemm                 bool // the first layer's product is one GEMM
	}{
		{"gemm", 4, 16, 32, 16, true},
		{"batched", 3, 8, 16, 4, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.batch), 8))
			const steps = 40
			p := twoLayerLIF(t, rng, c.nin, c.nh, c.nout)
			mm, _ := propagationOf(t, s, p, "auto", steps, c.batch)
			t.Logf("%d products", len(mm))
			assert.Less(t, len(mm), 2*steps, "no product was merged")
			first := mm[0]
			if c.gemm {
				assert.Equal(t, uint32(steps*c.batch), first.push[0], "rows of the first layer's GEMM")
				assert.Equal(t, uint32(1), first.groups[2])
			} else {
				assert.Equal(t, uint32(c.batch), first.push[0])
				assert.Equal(t, uint32(steps), first.groups[2], "batches of the first layer's matmul")
				assert.Equal(t, uint32(0), first.push[7], "the weight's batch stride")
			}
			x := make([]float32, steps*c.batch*c.nin)
			for i := range x {
				x[i] = float32(rng.Float64() * 2)
			}
			in := []sokr.Tensor{sokr.FromSlice(x, steps, c.batch, c.nin)}
			opt := sokr.Param("record", []string{"lif1.v", "lif2.v"})
			want, err := run(t, snn.New(), p, in, opt)
			require.NoError(t, err)
			got, err := run(t, s, p, in, opt)
			require.NoError(t, err)
			require.Equal(t, outputNamed(t, want, "output"), outputNamed(t, got, "output"))
			for _, name := range []string{"probe:lif1.v", "probe:lif2.v"} {
				w, g := outputNamed(t, want, name), outputNamed(t, got, name)
				for i := range w {
					require.InDelta(t, w[i], g[i], 1e-5, "%s element %d", name, i)
				}
			}
		})
	}
}

// matchSNN runs p on snn and on vulkan and requires the same outputs, in
// the same order and shapes, each element within 1e-5 (relative, for
// values above 1) of snn's; spikes, which are 0 or the amplitude, so
// equal. It returns snn's result.
func matchSNN(t *testing.T, s *Substrate, p *nir.Program, in []sokr.Tensor, opts ...sokr.DispatchOption) sokr.Result {
	t.Helper()
	want, err := run(t, snn.New(), p, in, opts...)
	require.NoError(t, err)
	got, err := run(t, s, p, in, opts...)
	require.NoError(t, err)
	noValidationMessages(t, s)
	require.Len(t, got.Outputs, len(want.Outputs))
	for k, w := range want.Outputs {
		require.Equal(t, w.Name, got.Outputs[k].Name)
		require.Equal(t, w.Tensor.Shape, got.Outputs[k].Tensor.Shape, w.Name)
		wv, gv := sokr.View[float32](w.Tensor), sokr.View[float32](got.Outputs[k].Tensor)
		for i := range wv {
			require.InDelta(t, wv[i], gv[i], 1e-5*max(1, math.Abs(float64(wv[i]))), "%s element %d", w.Name, i)
		}
	}
	for _, k := range []string{"dt", "solver", "reset", "spike_timing", "initial_state", "spike_amplitude", "synaptic_delay", "recurrent_delay", "warnings"} {
		assert.Equal(t, want.Meta[k], got.Meta[k], "meta %s", k)
	}
	return want
}

// spiking requires that between 5% and 95% of a spike output's elements
// are spikes, so that comparing them means something.
func spiking(t *testing.T, r sokr.Result, name string) {
	t.Helper()
	v := outputNamed(t, r, name)
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	assert.Greater(t, n, len(v)/20, "%s: too few spikes for the test to mean much", name)
	assert.Less(t, n, len(v)*19/20, "%s: too many spikes for the test to mean much", name)
}

func nirData(rng *rand.Rand, steps, batch int, shape ...int) sokr.Tensor {
	n := prod(shape)
	return sokr.FromSlice(nirRand(rng, steps*batch*n, 0, 2), append([]int{steps, batch}, shape...)...)
}

// CubaLIF and CubaLI (per-neuron parameters, one with τ_syn = τ_mem)
// give snn's spikes, voltages and currents under every solver, both
// resets and spike timings, starting at zero, at v_leak or at given
// values of v and i, with a synaptic delay.
func TestNIRCubaMatchesSNN(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(23, 9))
	const steps, batch, nin, nh, nout = 50, 3, 6, 12, 4
	arr := func(n int, lo, hi float64) nir.Array { return nirArr([]int{n}, nirRand(rng, n, lo, hi)...) }
	tauSyn := arr(nh, 5e-4, 2e-3)
	tauMem := arr(nh, 5e-4, 2e-3)
	tauSyn.Data[0] = tauMem.Data[0]
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{nin}}},
			{Name: "fc1", Prim: &nir.Affine{Weight: arr(nh*nin, -0.3, 0.8), Bias: arr(nh, 0, 0.2)}},
			{Name: "cuba", Prim: &nir.CubaLIF{TauSyn: tauSyn, TauMem: tauMem, R: arr(nh, 0.8, 1.5), VLeak: arr(nh, -0.1, 0.1),
				VThreshold: arr(nh, 0.2, 0.5), VReset: arr(nh, -0.1, 0), WIn: arr(nh, 0.8, 1.5)}},
			{Name: "fc2", Prim: &nir.Linear{Weight: arr(nout*nh, -0.5, 1)}},
			{Name: "li", Prim: &nir.CubaLI{TauSyn: arr(nout, 5e-4, 2e-3), TauMem: arr(nout, 5e-4, 2e-3), R: arr(nout, 0.5, 1.5),
				VLeak: arr(nout, 0, 0.1), WIn: nirArr([]int{nout}, 1.2, 1.2, 1.2, 1.2)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{nout}}},
		},
		Edges: []nir.Edge{{From: "input", To: "fc1"}, {From: "fc1", To: "cuba"}, {From: "cuba", To: "fc2"},
			{From: "fc2", To: "li"}, {From: "li", To: "output"}},
	}
	g.Nodes[1].Prim.(*nir.Affine).Weight.Shape = []int{nh, nin}
	g.Nodes[3].Prim.(*nir.Linear).Weight.Shape = []int{nout, nh}
	p, err := nir.New(g)
	require.NoError(t, err)
	in := []sokr.Tensor{nirData(rng, steps, batch, nin)}
	given := map[string]any{"cuba": map[string]any{"v": nirRand(rng, nh, 0, 0.3), "i": nirRand(rng, batch*nh, -0.5, 0.5)},
		"li": map[string]any{"i": nirRand(rng, nout, 0, 1)}}
	for _, c := range []struct {
		name string
		opts map[string]any
	}{
		{"defaults", nil},
		{"exact_subtract_before_vleak", map[string]any{"solver": "exact", "reset": "subtract", "spike_timing": "before_update",
			"initial_state": "v_leak", "dt": 2e-4, "spike_amplitude": 2.0}},
		{"impulse_zero_given_delay_final", map[string]any{"solver": "impulse", "reset": "zero", "initial_state": given, "synaptic_delay": 2,
			"final_state": true}},
		{"euler_unstable", map[string]any{"dt": 5e-3, "final_state": true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []sokr.DispatchOption{sokr.Param("record", []string{"cuba.v", "cuba.i", "cuba.spikes", "li.v", "li.i", "fc2"})}
			for k, v := range c.opts {
				opts = append(opts, sokr.Param(k, v))
			}
			want := matchSNN(t, s, p, in, opts...)
			if c.name == "euler_unstable" {
				assert.Contains(t, want.Meta["warnings"], `node "cuba" (CubaLIF): dt = 0.005 s is more than 2τ`)
				return
			}
			spiking(t, want, "probe:cuba.spikes")
			if c.opts["final_state"] == true {
				assert.Equal(t, "state:li.i", want.Outputs[len(want.Outputs)-1].Name)
			}
		})
	}
}

// cnn is Input(2, 7, 9) -> Conv2d (grouped, strided, padded, dilated)
// -> IF -> SumPool2d -> AvgPool2d -> Flatten -> Affine -> LIF -> Output.
func cnn(t *testing.T, rng *rand.Rand) *nir.Program {
	t.Helper()
	arr := func(shape []int, lo, hi float64) nir.Array {
		return nirArr(shape, nirRand(rng, prod(shape), lo, hi)...)
	}
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{2, 7, 9}}},
			{Name: "conv", Prim: &nir.Conv2d{InputShape: []int{7, 9}, Weight: arr([]int{4, 1, 3, 3}, -0.2, 0.5), Bias: arr([]int{4}, 0, 0.1),
				Stride: []int{1, 2}, Padding: nir.Padding{Size: []int{1, 0}}, Dilation: []int{2, 1}, Groups: 2}},
			{Name: "if", Prim: &nir.IF{R: arr([]int{4, 5, 4}, 0.8, 1.2), VThreshold: arr([]int{4, 5, 4}, 1, 2), VReset: arr([]int{4, 5, 4}, -0.1, 0)}},
			{Name: "sum", Prim: &nir.SumPool2d{KernelSize: []int{2, 2}, Stride: []int{2, 1}, Padding: []int{0, 1}}},
			{Name: "avg", Prim: &nir.AvgPool2d{KernelSize: []int{1, 2}, Stride: []int{1, 2}, Padding: []int{0, 1}}},
			{Name: "flat", Prim: &nir.Flatten{StartDim: 0, EndDim: -1}},
			{Name: "fc", Prim: &nir.Affine{Weight: arr([]int{10, 24}, -1, 0.8), Bias: arr([]int{10}, 0, 0.2)}},
			{Name: "lif", Prim: &nir.LIF{Tau: arr([]int{10}, 2, 5), R: arr([]int{10}, 0.8, 1.2), VLeak: arr([]int{10}, 0, 0.1),
				VThreshold: arr([]int{10}, 0.5, 1), VReset: arr([]int{10}, -0.1, 0)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{10}}},
		},
		Edges: []nir.Edge{{From: "input", To: "conv"}, {From: "conv", To: "if"}, {From: "if", To: "sum"}, {From: "sum", To: "avg"},
			{From: "avg", To: "flat"}, {From: "flat", To: "fc"}, {From: "fc", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	return p
}

// A CNN of grouped, strided, padded, dilated Conv2d, IF, SumPool2d and
// AvgPool2d (padded, strided: windows that hang over the edge), Flatten,
// Affine and LIF, and a chain of Conv1d ("same" padding, groups, then
// stride and dilation) and LI, give snn's outputs, spikes and every
// intermediate value (probes of each node's output).
func TestNIRConvMatchesSNN(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(31, 4))
	arr := func(shape []int, lo, hi float64) nir.Array {
		return nirArr(shape, nirRand(rng, prod(shape), lo, hi)...)
	}
	const steps, batch = 30, 2
	t.Run("conv2d", func(t *testing.T) {
		p := cnn(t, rng)
		require.Equal(t, []int{4, 2, 3}, p.Graph.Node("avg").OutShape)
		in := []sokr.Tensor{nirData(rng, steps, batch, 2, 7, 9)}
		want := matchSNN(t, s, p, in, sokr.Param("dt", 1.0),
			sokr.Param("record", []string{"conv", "if.spikes", "if.v", "sum", "avg", "flat.out", "fc", "lif.v"}))
		spiking(t, want, "probe:if.spikes")
		spiking(t, want, "output")
	})
	t.Run("pools_tiling", func(t *testing.T) {
		// Windows that tile the image: a reshape and a sum, no matrix.
		g := &nir.Graph{
			Nodes: []*nir.Node{
				{Name: "input", Prim: &nir.Input{Shape: []int{3, 8, 6}}},
				{Name: "sum", Prim: &nir.SumPool2d{KernelSize: []int{2, 2}, Stride: []int{2, 2}, Padding: []int{0, 0}}},
				{Name: "avg", Prim: &nir.AvgPool2d{KernelSize: []int{2, 3}, Stride: []int{2, 3}, Padding: []int{0, 0}}},
				{Name: "li", Prim: &nir.LI{Tau: arr([]int{3, 2, 1}, 2e-4, 1e-3), R: arr([]int{3, 2, 1}, 1, 2), VLeak: arr([]int{3, 2, 1}, 0, 0.1)}},
				{Name: "output", Prim: &nir.Output{Shape: []int{3, 2, 1}}},
			},
			Edges: []nir.Edge{{From: "input", To: "sum"}, {From: "sum", To: "avg"}, {From: "avg", To: "li"}, {From: "li", To: "output"}},
		}
		p, err := nir.New(g)
		require.NoError(t, err)
		net, err := nirNetOf(p)
		require.NoError(t, err)
		for _, u := range net.nodes[1:3] {
			assert.Equal(t, nirPool, u.op, u.name)
			assert.Nil(t, u.wt, u.name)
		}
		in := []sokr.Tensor{nirData(rng, steps, batch, 3, 8, 6)}
		matchSNN(t, s, p, in, sokr.Param("record", []string{"sum", "avg"}))
	})
	t.Run("conv1d", func(t *testing.T) {
		g := &nir.Graph{
			Nodes: []*nir.Node{
				{Name: "input", Prim: &nir.Input{Shape: []int{3, 10}}},
				{Name: "c1", Prim: &nir.Conv1d{InputShape: 10, Weight: arr([]int{3, 1, 3}, -0.5, 1), Bias: arr([]int{3}, 0, 0.1),
					Stride: 1, Padding: nir.Padding{Mode: "same"}, Dilation: 2, Groups: 3}},
				{Name: "c2", Prim: &nir.Conv1d{InputShape: 10, Weight: arr([]int{4, 3, 3}, -0.5, 1), Bias: arr([]int{4}, -0.1, 0.1),
					Stride: 2, Padding: nir.Padding{Size: []int{1}}, Dilation: 2, Groups: 1}},
				{Name: "li", Prim: &nir.LI{Tau: arr([]int{4, 4}, 2e-4, 1e-3), R: arr([]int{4, 4}, 1, 2), VLeak: arr([]int{4, 4}, 0, 0.1)}},
				{Name: "output", Prim: &nir.Output{Shape: []int{4, 4}}},
			},
			Edges: []nir.Edge{{From: "input", To: "c1"}, {From: "c1", To: "c2"}, {From: "c2", To: "li"}, {From: "li", To: "output"}},
		}
		p, err := nir.New(g)
		require.NoError(t, err)
		require.Equal(t, []int{4, 4}, p.Graph.Node("c2").OutShape)
		in := []sokr.Tensor{nirData(rng, steps, batch, 3, 10)}
		matchSNN(t, s, p, in, sokr.Param("record", []string{"c1", "c2"}), sokr.Param("solver", "exact"))
	})
}

// Delay nodes (a different delay per element, some longer than the run's
// start) feed-forward and in a recurrent network; recurrent edges with a
// delay of one and of three steps; and the NIR paper's recurrent CubaLIF
// network (testdata/nir, braille_noDelay_bias_zero.nir) give snn's
// results.
func TestNIRDelayAndRecurrenceMatchSNN(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(41, 2))
	arr := func(shape []int, lo, hi float64) nir.Array {
		return nirArr(shape, nirRand(rng, prod(shape), lo, hi)...)
	}
	const steps, batch = 40, 3
	lif := func(n int) *nir.LIF {
		return &nir.LIF{Tau: arr([]int{n}, 2, 5), R: arr([]int{n}, 0.8, 1.2), VLeak: arr([]int{n}, 0, 0.1),
			VThreshold: arr([]int{n}, 0.5, 1), VReset: arr([]int{n}, -0.1, 0)}
	}
	for _, c := range []struct {
		name      string
		recurrent bool
		opts      []sokr.DispatchOption
	}{
		{"feed_forward", false, nil},
		{"recurrent", true, nil},
		{"recurrent_delay_3", true, []sokr.DispatchOption{sokr.Param("recurrent_delay", 3), sokr.Param("synaptic_delay", 1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &nir.Graph{
				Nodes: []*nir.Node{
					{Name: "input", Prim: &nir.Input{Shape: []int{4}}},
					{Name: "delay", Prim: &nir.Delay{Delay: nirArr([]int{4}, 0, 1, 3, 1)}},
					{Name: "fc", Prim: &nir.Linear{Weight: arr([]int{6, 4}, -0.2, 0.8)}},
					{Name: "lif", Prim: lif(6)},
					{Name: "output", Prim: &nir.Output{Shape: []int{6}}},
				},
				Edges: []nir.Edge{{From: "input", To: "delay"}, {From: "delay", To: "fc"}, {From: "fc", To: "lif"}, {From: "lif", To: "output"}},
			}
			if c.recurrent {
				g.Nodes = append(g.Nodes, &nir.Node{Name: "rec", Prim: &nir.Affine{Weight: arr([]int{6, 6}, -0.6, 0.4), Bias: arr([]int{6}, 0, 0.1)}})
				g.Edges = append(g.Edges, nir.Edge{From: "lif", To: "rec"}, nir.Edge{From: "rec", To: "lif"})
			}
			p, err := nir.New(g)
			require.NoError(t, err)
			net, err := nirNetOf(p)
			require.NoError(t, err)
			require.Equal(t, c.recurrent, net.recurrent)
			// The delay line and the input layer are lowered node by node
			// (the layer's products one matmul), the cycle step by step,
			// the Output after it.
			phase := map[string]int{}
			for i, ph := range net.phases() {
				phase[net.nodes[i].name] = ph
			}
			phases := map[string]int{"input": nirBefore, "delay": nirBefore, "fc": nirBefore, "lif": nirBefore, "output": nirBefore}
			if c.recurrent {
				phases = map[string]int{"input": nirBefore, "delay": nirBefore, "fc": nirBefore, "lif": nirAmid, "rec": nirAmid, "output": nirAfter}
			}
			require.Equal(t, phases, phase)
			in := []sokr.Tensor{nirData(rng, steps, batch, 4)}
			opts := append([]sokr.DispatchOption{sokr.Param("dt", 1.0), sokr.Param("record", []string{"delay", "lif.v"})}, c.opts...)
			want := matchSNN(t, s, p, in, opts...)
			spiking(t, want, "output")
			d := outputNamed(t, want, "probe:delay")
			x := sokr.View[float64](in[0]) // f64, which the run converts
			assert.Equal(t, float32(x[(5-3)*batch*4+2]), d[5*batch*4+2], "element 2 is 3 steps late")
			assert.Equal(t, float32(0), d[2*batch*4+2], "and 0 before")
		})
	}
	t.Run("braille", func(t *testing.T) {
		src, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "nir", "braille_noDelay_bias_zero.nir"))
		require.NoError(t, err)
		p, err := nir.Parse(src)
		require.NoError(t, err)
		f := p.Flat()
		shape := f.Nodes[f.Inputs[0]].OutShape
		rec := []string{}
		for _, n := range f.Nodes {
			if _, ok := n.Prim.(*nir.CubaLIF); ok {
				rec = append(rec, n.Name+".v", n.Name+".i", n.Name+".spikes")
			}
		}
		require.NotEmpty(t, rec)
		in := []sokr.Tensor{nirData(rng, 60, 2, shape...)}
		matchSNN(t, s, p, in, sokr.Param("record", rec))
	})
}

// TestNIRFilesMatchSNN runs every NIR file of the repository's testdata
// that snn runs on vulkan too, with the same results.
func TestNIRFilesMatchSNN(t *testing.T) {
	checkNIRFiles(t, filepath.Join("..", "..", "..", "testdata", "nir"))
}

// TestNIRCorpusMatchesSNN does the same for the full NIR paper set of the
// external corpus, which adds the N-MNIST CNN (cnn_sinabs.nir: Conv2d,
// SumPool2d, Flatten, IF) and the other braille variant.
func TestNIRCorpusMatchesSNN(t *testing.T) {
	checkNIRFiles(t, testcorpus.Dir(t, "nir"))
}

// checkNIRFiles runs each .nir file of dir that the parser and snn accept
// on snn and vulkan, 4 steps of 8 rows of random input, recording every
// neuron's v and spikes, and requires the same results. A graph with IF
// nodes runs at dt = 1 (the convention of Sinabs, whose IF nodes have r =
// 1 and would not spike at the default dt), the others at the default.
func checkNIRFiles(t *testing.T, dir string) {
	s := gpu(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.nir"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	rng := rand.New(rand.NewPCG(5, 17))
	ran := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := nir.Parse(src)
		if err != nil {
			t.Logf("%s: refused by the parser: %v", filepath.Base(f), err)
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			if o := snn.New().Capability(t.Context(), p); !o.OK {
				t.Logf("refused by snn too: %s", o.Reason)
				return
			}
			o := s.Capability(t.Context(), p)
			require.True(t, o.OK, o.Reason)
			fl := p.Flat()
			var in []sokr.Tensor
			for _, i := range fl.Inputs {
				// 8 rows: B·n is then a multiple of 64 for every
				// layer of the CNN, so that each layer's products merge
				// into one GEMM (with 2, lavapipe takes 80 s on the
				// batched products' 64-row tiles, 2 rows used in each).
				// 4 steps: the CNN's dense matrices take 102 MiB of
				// the 128 MiB buffer lavapipe allows, the values of 4
				// steps of 8 rows 7 more (lavapipe takes 10 s for them).
				in = append(in, nirData(rng, 4, 8, fl.Nodes[i].OutShape...))
			}

			opts := []sokr.DispatchOption{}
			var rec []string
			for _, n := range fl.Nodes {
				switch n.Prim.(type) {
				case *nir.IF:
					opts = append(opts, sokr.Param("dt", 1.0))
					rec = append(rec, n.Name+".v", n.Name+".spikes")
				case *nir.LIF, *nir.CubaLIF:
					rec = append(rec, n.Name+".v", n.Name+".spikes")
				case *nir.LI, *nir.CubaLI, *nir.I:
					rec = append(rec, n.Name+".v")
				}
			}
			if len(opts) > 1 {
				opts = opts[:1]
			}
			opts = append(opts, sokr.Param("record", rec))
			matchSNN(t, s, p, in, opts...)
			ran++
		})
	}
	assert.Positive(t, ran, "no file of %s ran", dir)
}

// A program's lowered graph (its transposed weights) is read once and
// shared by later dispatches, and dropped with the program.
func TestNIRNetCached(t *testing.T) {
	p := twoLayerLIF(t, rand.New(rand.NewPCG(8, 8)), 4, 5, 3)
	a, err := nirNetCached(p)
	require.NoError(t, err)
	b, err := nirNetCached(p)
	require.NoError(t, err)
	assert.Same(t, a, b)
	q := twoLayerLIF(t, rand.New(rand.NewPCG(8, 8)), 4, 5, 3)
	c, err := nirNetCached(q)
	require.NoError(t, err)
	assert.NotSame(t, a, c, "another program, even an equal one, has its own")
	assert.Equal(t, a.nodes[1].wt, c.nodes[1].wt)
	assert.Equal(t, float32(p.Graph.Node("fc1").Prim.(*nir.Affine).Weight.Data[1*4+2]), a.nodes[1].wt[2*5+1], "Wᵀ[2][1] = W[1][2]")
	keys := []weak.Pointer[nir.Program]{weak.Make(p), weak.Make(q)}
	cached := func() int {
		n := 0
		for _, k := range keys {
			if _, ok := nirNets.Load(k); ok {
				n++
			}
		}
		return n
	}
	require.Equal(t, 2, cached())
	runtime.KeepAlive(p)
	runtime.KeepAlive(q)
	for range 100 {
		if cached() == 0 {
			break
		}
		runtime.GC()
		runtime.Gosched()
	}
	assert.Zero(t, cached(), "the entries went with their programs")
}

// A run of 2T steps equals a run of T steps with final_state followed by
// one of T steps that starts from that state (initial_state given, per
// batch row), CubaLIF's current included.
func TestNIRFinalStateContinues(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(2, 9))
	const steps, batch, n = 30, 2, 6
	arr := func(lo, hi float64) nir.Array { return nirArr([]int{n}, nirRand(rng, n, lo, hi)...) }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{n}}},
			{Name: "cuba", Prim: &nir.CubaLIF{TauSyn: arr(1e-3, 2e-3), TauMem: arr(1e-3, 2e-3), R: arr(1, 2), VLeak: arr(0, 0.1),
				VThreshold: arr(0.2, 0.4), VReset: arr(-0.1, 0), WIn: arr(1, 2)}},
			{Name: "li", Prim: &nir.LI{Tau: arr(1e-3, 2e-3), R: arr(1, 2), VLeak: arr(0, 0.1)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{n}}},
		},
		Edges: []nir.Edge{{From: "input", To: "cuba"}, {From: "cuba", To: "li"}, {From: "li", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	whole := nirData(rng, 2*steps, batch, n)
	x := sokr.View[float64](whole)
	half := func(k int) []sokr.Tensor {
		return []sokr.Tensor{sokr.FromSlice(x[k*steps*batch*n:(k+1)*steps*batch*n], steps, batch, n)}
	}
	all, err := run(t, s, p, []sokr.Tensor{whole})
	require.NoError(t, err)
	first, err := run(t, s, p, half(0), sokr.Param("final_state", true))
	require.NoError(t, err)
	init := map[string]any{}
	for _, o := range first.Outputs[1:] {
		node, variable, _ := strings.Cut(strings.TrimPrefix(o.Name, "state:"), ".")
		m, _ := init[node].(map[string]any)
		if m == nil {
			m = map[string]any{}
			init[node] = m
		}
		require.Equal(t, []int{batch, n}, []int(o.Tensor.Shape), o.Name)
		m[variable] = sokr.View[float32](o.Tensor)
	}
	require.Len(t, first.Outputs, 4, "output, state:cuba.v, state:cuba.i, state:li.v")
	second, err := run(t, s, p, half(1), sokr.Param("initial_state", init))
	require.NoError(t, err)
	w := outputNamed(t, all, "output")
	g1, g2 := outputNamed(t, first, "output"), outputNamed(t, second, "output")
	got := append(append([]float32{}, g1...), g2...)
	require.Len(t, got, len(w))
	for i := range w {
		require.InDelta(t, w[i], got[i], 1e-5, "element %d", i)
	}
}

// Nodes between two cycles are lowered step by step with them; nodes
// that feed no cycle after one, node by node after them.
func TestNIRPhases(t *testing.T) {
	lif := func() *nir.LIF {
		one := nirArr([]int{2}, 1e-3, 1e-3)
		return &nir.LIF{Tau: one, R: one, VLeak: one, VThreshold: one, VReset: one}
	}
	lin := func() *nir.Linear { return &nir.Linear{Weight: nirArr([]int{2, 2}, 1, 0, 0, 1)} }
	// input -> a <-> ra -> mid -> b <-> rb -> out, and a -> side -> out2
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{2}}},
			{Name: "a", Prim: lif()}, {Name: "ra", Prim: lin()}, {Name: "mid", Prim: lin()},
			{Name: "b", Prim: lif()}, {Name: "rb", Prim: lin()}, {Name: "side", Prim: lin()},
			{Name: "out", Prim: &nir.Output{Shape: []int{2}}}, {Name: "out2", Prim: &nir.Output{Shape: []int{2}}},
		},
		Edges: []nir.Edge{{From: "input", To: "a"}, {From: "a", To: "ra"}, {From: "ra", To: "a"}, {From: "a", To: "mid"},
			{From: "mid", To: "b"}, {From: "b", To: "rb"}, {From: "rb", To: "b"}, {From: "b", To: "out"},
			{From: "a", To: "side"}, {From: "side", To: "out2"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	net, err := nirNetOf(p)
	require.NoError(t, err)
	phase := map[string]int{}
	for i, ph := range net.phases() {
		phase[net.nodes[i].name] = ph
	}
	assert.Equal(t, map[string]int{"input": nirBefore, "a": nirAmid, "ra": nirAmid, "mid": nirAmid, "b": nirAmid, "rb": nirAmid,
		"out": nirAfter, "side": nirAfter, "out2": nirAfter}, phase)
	x := nirData(rand.New(rand.NewPCG(1, 1)), 10, 2, 2)
	matchSNN(t, gpu(t), p, []sokr.Tensor{x}, sokr.Param("dt", 5e-4))
}

// propagationOf lowers a run and returns its products' steps after
// eventMatmuls, and Meta "propagation".
func propagationOf(t *testing.T, s *Substrate, p *nir.Program, prop string, steps, batch int) ([]kstep, string) {
	t.Helper()
	net, err := nirNetOf(p)
	require.NoError(t, err)
	sem := nirDefaults()
	sem.propagation = prop
	low, err := net.lower(sem, steps, batch)
	require.NoError(t, err)
	pl, err := s.nirPlan(low)
	require.NoError(t, err)
	var mm []kstep
	for _, st := range pl.steps {
		if st.k == kEventMM || st.k == kMatmul {
			mm = append(mm, st)
		}
	}
	require.NotEmpty(t, mm)
	return mm, low.meta["propagation"]
}

// The event-driven kernel (kernels/eventmm.comp) gives the matmul
// kernel's products, within rounding, on sparse inputs whose sizes are no
// multiple of its tiles (28 rows: a full and a partial group of 16; 80
// inputs: a full and a partial slice of 64; 144 outputs), with inputs
// zero in every row of a group (skipped), negative and non-binary inputs,
// and a slice of zeros but for one row. "auto" keeps this 28-row product
// (one GEMM) dense, and runs a recurrent layer's per-step products (4
// rows) event-driven; Meta "propagation" says which ran, and the results
// equal snn's under each.
func TestNIREventPropagation(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(19, 5))
	const steps, batch, nin, nout = 7, 4, 80, 144
	w := nirRand(rng, nout*nin, -1, 1)
	p, err := nir.New(&nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{nin}}},
			{Name: "fc", Prim: &nir.Linear{Weight: nirArr([]int{nout, nin}, w...)}},
			{Name: "li", Prim: &nir.LI{Tau: nirArr([]int{nout}, nirRand(rng, nout, 1e-3, 1e-3)...), R: nirArr([]int{nout}, nirRand(rng, nout, 1, 1)...),
				VLeak: nirArr([]int{nout}, make([]float64, nout)...)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{nout}}},
		},
		Edges: []nir.Edge{{From: "input", To: "fc"}, {From: "fc", To: "li"}, {From: "li", To: "output"}},
	})
	require.NoError(t, err)
	x := make([]float32, steps*batch*nin)
	for r := range steps * batch {
		for k := range nin {
			switch {
			case k >= 64, r >= 16 && k%2 == 0: // silent: the last slice, and half the first in the second group
			case rng.Float64() < 0.1:
				x[r*nin+k] = float32(rng.Float64()*4 - 2)
			}
		}
	}
	x[3*nin+66] = 1 // one spike in the last slice, in the first group
	in := []sokr.Tensor{sokr.FromSlice(x, steps, batch, nin)}
	want := make([]float64, steps*batch*nout) // x · Wᵀ in float64
	for r := range steps * batch {
		for j := range nout {
			for k := range nin {
				want[r*nout+j] += float64(x[r*nin+k]) * float64(float32(w[j*nin+k]))
			}
		}
	}
	outs := map[string][]float32{}
	for _, c := range []struct {
		prop string
		k    kernel
	}{{"event", kEventMM}, {"dense", kMatmul}, {"auto", kMatmul}} {
		r, err := run(t, s, p, in, sokr.Param("propagation", c.prop), sokr.Param("record", []string{"fc"}))
		require.NoError(t, err)
		noValidationMessages(t, s)
		got := outputNamed(t, r, "probe:fc")
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-5*max(1, math.Abs(want[i])), "%s: element %d", c.prop, i)
		}
		outs[c.prop] = got
		mm, meta := propagationOf(t, s, p, c.prop, steps, batch)
		require.Len(t, mm, 1, "one GEMM")
		assert.Equal(t, uint32(steps*batch), mm[0].push[0], "its rows")
		assert.Equal(t, c.k, mm[0].k, c.prop)
		assert.Equal(t, map[kernel]string{kEventMM: "event", kMatmul: "dense"}[c.k], meta)
		assert.Equal(t, meta, r.Meta["propagation"])
	}
	for i := range outs["event"] {
		require.InDelta(t, outs["dense"][i], outs["event"][i], 1e-6*max(1, math.Abs(float64(outs["dense"][i]))), "element %d", i)
	}

	// A recurrent layer.
	g := twoLayerGraph(rng, 16, 48, 6)
	g.Nodes = append(g.Nodes, &nir.Node{Name: "rec", Prim: &nir.Linear{Weight: nirArr([]int{48, 48}, nirRand(rng, 48*48, -0.4, 0.5)...)}})
	g.Edges = append(g.Edges, nir.Edge{From: "lif1", To: "rec"}, nir.Edge{From: "rec", To: "lif1"})
	rp, err := nir.New(g)
	require.NoError(t, err)
	const rsteps, rbatch = 50, 4
	rin := []sokr.Tensor{nirData(rng, rsteps, rbatch, 16)}
	for _, c := range []struct{ prop, meta string }{{"auto", "mixed"}, {"event", "event"}, {"dense", "dense"}} {
		mm, meta := propagationOf(t, s, rp, c.prop, rsteps, rbatch)
		assert.Equal(t, c.meta, meta, c.prop)
		if c.prop == "auto" {
			for _, st := range mm {
				assert.Equal(t, st.push[0] <= eventMaxRows, st.k == kEventMM, "a product of %d rows", st.push[0])
			}
			assert.Greater(t, len(mm), rsteps, "the recurrent products are one per step")
		}
		r := matchSNN(t, s, rp, rin, sokr.Param("propagation", c.prop), sokr.Param("record", []string{"lif1.v"}))
		spiking(t, r, "output")
	}
}

// A run with a Delay node, a synaptic delay and a recurrent edge of
// recurrent_delay 2, cut in two and continued from its final state (v,
// the delay lines, the recurrent history) on vulkan, equals the
// uninterrupted run; the final states equal snn's, and a continuation
// from snn's final state on vulkan equals one on snn.
func TestNIRFinalStateCarriesWhatIsInFlight(t *testing.T) {
	s := gpu(t)
	const steps, batch, nin, n, cut = 40, 2, 3, 5, 17
	p, x, opts := delayedRecurrent(t, steps, batch)
	part := func(a, b int) []sokr.Tensor {
		return []sokr.Tensor{sokr.FromSlice(x[a*batch*nin:b*batch*nin], b-a, batch, nin)}
	}
	whole := matchSNN(t, s, p, part(0, steps), opts...)
	spiking(t, whole, "output")
	first := matchSNN(t, s, p, part(0, cut), opts...) // the final states equal snn's
	init := map[string]any{}
	var names []string
	for _, o := range first.Outputs {
		name, ok := strings.CutPrefix(o.Name, "state:")
		if !ok {
			continue
		}
		names = append(names, name)
		k := strings.LastIndex(name, ".")
		if init[name[:k]] == nil {
			init[name[:k]] = map[string]any{}
		}
		init[name[:k]].(map[string]any)[name[k+1:]] = sokr.View[float32](o.Tensor)
	}
	assert.Equal(t, []string{"delay.delay_line", "lif.synapse.delay_line", "lif.v", "rec.recurrent"}, names)
	second := matchSNN(t, s, p, part(cut, steps), append(opts, sokr.Param("initial_state", init))...)
	for _, name := range []string{"output", "probe:lif.v", "probe:rec"} {
		w := outputNamed(t, whole, name)
		assert.Equal(t, w[len(w)*cut/steps:], outputNamed(t, second, name), name)
	}
	for _, name := range names {
		assert.Equal(t, outputNamed(t, whole, "state:"+name), outputNamed(t, second, "state:"+name), name)
	}
	// Sizes are checked as snn checks them.
	_, err := run(t, s, p, part(0, 1), append(opts, sokr.Param("initial_state", map[string]any{"rec": map[string]any{"recurrent": make([]float32, n)}}))...)
	assert.ErrorContains(t, err, `node "rec", variable "recurrent": 5 values, want 10 (2 steps × 5 elements) or 20 (2 steps × batch 2 × 5 elements)`)
	_, err = run(t, s, p, part(0, 1), append(opts, sokr.Param("initial_state", map[string]any{"fc": map[string]any{"v": make([]float32, n)}}))...)
	assert.ErrorContains(t, err, `node "fc" (Linear) has no state variables`)
}

// delayedRecurrent is Input(3) -> Delay(0, 2, 3 steps) -> Linear -> LIF(5),
// fed back through a recurrent Affine -> Output, with input spikes for
// steps steps of batch rows, and the options that exercise its state:
// dt 1, synaptic_delay 2, recurrent_delay 2, final_state, probes of lif.v
// and rec.
func delayedRecurrent(t *testing.T, steps, batch int) (*nir.Program, []float32, []sokr.DispatchOption) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 3))
	const nin, n = 3, 5
	arr := func(m int, lo, hi float64) nir.Array { return nirArr([]int{m}, nirRand(rng, m, lo, hi)...) }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{nin}}},
			{Name: "delay", Prim: &nir.Delay{Delay: nirArr([]int{nin}, 0, 2, 3)}},
			{Name: "fc", Prim: &nir.Linear{Weight: nirArr([]int{n, nin}, nirRand(rng, n*nin, 0, 0.8)...)}},
			{Name: "lif", Prim: &nir.LIF{Tau: arr(n, 3, 5), R: arr(n, 1, 1), VLeak: arr(n, 0, 0), VThreshold: arr(n, 0.8, 1), VReset: arr(n, 0, 0)}},
			{Name: "rec", Prim: &nir.Affine{Weight: nirArr([]int{n, n}, nirRand(rng, n*n, -0.4, 0.6)...), Bias: arr(n, 0.2, 0.3)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{n}}},
		},
		Edges: []nir.Edge{{From: "input", To: "delay"}, {From: "delay", To: "fc"}, {From: "fc", To: "lif"},
			{From: "lif", To: "rec"}, {From: "rec", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	x := make([]float32, steps*batch*nin)
	for i := range x {
		if rng.Float64() < 0.4 {
			x[i] = 2
		}
	}
	return p, x, []sokr.DispatchOption{sokr.Param("dt", 1.0), sokr.Param("synaptic_delay", 2), sokr.Param("recurrent_delay", 2),
		sokr.Param("final_state", true), sokr.Param("record", []string{"lif.v", "rec"})}
}

// A run too long for one submission (NIRArenaBytes set for about 7 steps)
// runs in several, each continuing from the last one's final state: the
// same outputs, probes and final state as snn's, Meta "submits" says how
// many, the memory estimate covers it (every submission's lowering
// counted), and a run whose context is cancelled fails with it.
func TestNIRRunInSeveralSubmissions(t *testing.T) {
	ref := gpu(t)
	const steps, batch, nin = 40, 2, 3
	p, x, opts := delayedRecurrent(t, steps, batch)
	net, err := nirNetOf(p)
	require.NoError(t, err)
	sem := nirDefaults()
	sem.finalState, sem.synapticDelay, sem.recurrentDelay, sem.dt = true, 2, 2, 1
	arena := func(t0 int) int64 {
		low, err := net.lower(sem, t0, batch)
		require.NoError(t, err)
		pl, err := ref.nirPlan(low)
		require.NoError(t, err)
		return pl.arenaBytes
	}
	s := openFirst(t, Config{CPU: true, Validation: true, CacheDir: "-", NIRArenaBytes: arena(7)})
	defer func() { require.NoError(t, s.Close()) }()
	per, _, err := s.nirChunkSteps(net, sem, steps, batch, false)
	require.NoError(t, err)
	assert.Equal(t, 7, per)
	in := []sokr.Tensor{sokr.FromSlice(x, steps, batch, nin)}
	want := matchSNN(t, s, p, in, opts...)
	spiking(t, want, "output")
	got, err := run(t, s, p, in, opts...)
	require.NoError(t, err)
	assert.Equal(t, "6", got.Meta["submits"], "40 steps in submissions of 7")
	single, err := run(t, ref, p, in, opts...)
	require.NoError(t, err)
	assert.Empty(t, single.Meta["submits"], "one submission where it fits")
	sokrtest.CheckEstimate(t, s, p, in, sokr.Options{Params: map[string]any{"dt": 1.0, "synaptic_delay": 2, "recurrent_delay": 2, "final_state": true}})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	_, err = rt.Run(ctx, p, in, opts...)
	assert.ErrorIs(t, err, context.Canceled)
}

// A session carries the state from dispatch to dispatch: three dispatches
// of one session give the uninterrupted run's outputs, each saying where
// it started; another batch size is refused, naming session_reset, which
// starts the session afresh; EndSession forgets it.
func TestNIRSession(t *testing.T) {
	s := gpu(t)
	const steps, batch, nin = 40, 2, 3
	p, x, opts := delayedRecurrent(t, steps, batch)
	opts = opts[:len(opts)-2] // no final_state, no probes
	part := func(a, b, rows int) []sokr.Tensor {
		return []sokr.Tensor{sokr.FromSlice(x[a*rows*nin:b*rows*nin], b-a, rows, nin)}
	}
	whole, err := run(t, s, p, part(0, steps, batch), opts...)
	require.NoError(t, err)
	spiking(t, whole, "output")
	w := outputNamed(t, whole, "output")
	const id = "TestNIRSession"
	defer s.EndSession(id)
	var got []float32
	for _, c := range [][2]int{{0, 17}, {17, 30}, {30, 40}} {
		r, err := run(t, s, p, part(c[0], c[1], batch), append(opts, sokr.Param("session", id))...)
		require.NoError(t, err)
		assert.Equal(t, id, r.Meta["session"])
		assert.Equal(t, strconv.Itoa(c[0]), r.Meta["session_step"])
		got = append(got, outputNamed(t, r, "output")...)
	}
	assert.Equal(t, w, got)
	noValidationMessages(t, s)
	sokrtest.CheckEstimate(t, s, p, part(0, 5, batch), sokr.Options{Params: map[string]any{"dt": 1.0, "synaptic_delay": 2,
		"recurrent_delay": 2, "session": id + "-estimate"}})
	s.EndSession(id + "-estimate")

	_, err = run(t, s, p, part(0, 5, 1), append(opts, sokr.Param("session", id))...)
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, `session "TestNIRSession" was started with another graph, batch size or semantics (batch 2`)
	assert.ErrorContains(t, err, `"session_reset": true`)
	fresh, err := run(t, s, p, part(0, 5, 1), append(opts, sokr.Param("session", id), sokr.Param("session_reset", true))...)
	require.NoError(t, err)
	assert.Equal(t, "0", fresh.Meta["session_step"])
	alone, err := run(t, s, p, part(0, 5, 1), opts...)
	require.NoError(t, err)
	assert.Equal(t, outputNamed(t, alone, "output"), outputNamed(t, fresh, "output"))

	_, err = run(t, s, p, part(0, 5, batch), append(opts, sokr.Param("session_reset", true))...)
	assert.ErrorContains(t, err, `option "session_reset": needs the "session" option`)
	live := s.Sessions()
	assert.Positive(t, live)
	assert.True(t, s.EndSession(id))
	assert.False(t, s.EndSession(id))
	assert.Equal(t, live-1, s.Sessions())
}
