package snn_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
)

var _ sokrtest.RunEstimator = (*snn.Substrate)(nil)

// filled returns an array of shape holding v everywhere.
func filled(v float64, shape ...int) nir.Array {
	n := 1
	for _, d := range shape {
		n *= d
	}
	a := nir.Array{Shape: shape, Data: make([]float64, n)}
	for i := range a.Data {
		a.Data[i] = v
	}
	return a
}

// graph makes a program of nodes chained in the order given, the first an
// Input and the last an Output.
func graph(t testing.TB, nodes ...*nir.Node) *nir.Program {
	t.Helper()
	g := &nir.Graph{Nodes: nodes}
	for i := 1; i < len(nodes); i++ {
		g.Edges = append(g.Edges, nir.Edge{From: nodes[i-1].Name, To: nodes[i].Name})
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	return p
}

// allocated returns the bytes f allocates.
func allocated(f func()) int64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// A delay line holds maxDelay steps of every element of every batch row:
// issue 15 item 3's graph, a million elements delayed by 16 s (160000
// steps of the default dt), would take 640 GB. Capability cannot know dt,
// so it accepts the graph with the least any run needs; Dispatch (and
// EstimateRun) refuse this run, naming the delay line, before allocating
// it, and a larger dt makes it fit.
func TestDelayLineCounted(t *testing.T) {
	const n = 1_000_000
	p := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{n}}},
		&nir.Node{Name: "d", Prim: &nir.Delay{Delay: filled(16, n)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
	)
	s := snn.New()
	o := s.Capability(context.Background(), p)
	require.True(t, o.OK, o.Reason)
	assert.Less(t, o.Estimate.MemoryBytes, int64(256<<20), "the least run has no delay line")

	in := []sokr.Tensor{sokr.NewTensor(sokr.F32, 1, 1, n)}
	_, err := s.EstimateRun(p, in, sokr.Options{})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, `the largest part, the delay line of node "d", takes 596.0 GiB`)
	assert.ErrorContains(t, err, "the budget is 4.0 GiB")

	var runErr error
	got := allocated(func() { _, runErr = dispatch(t, s, p, in) })
	require.ErrorIs(t, runErr, sokr.ErrInvalidInput)
	assert.ErrorContains(t, runErr, `delay line of node "d"`)
	assert.Less(t, got, int64(128<<20), "refused before the delay line is made")

	// With dt = 0.1 s the line is 160 steps: 640 MB, under a 1 GiB budget.
	est, err := snn.New(snn.WithMemoryBudget(1<<30)).EstimateRun(p, in, sokr.Options{Params: map[string]any{"dt": 0.1}})
	require.NoError(t, err)
	assert.Greater(t, est.MemoryBytes, int64(640e6))
	assert.Less(t, est.MemoryBytes, int64(700e6))

	// A delay longer than a delay line holds is said to be so, not "not a
	// whole number of steps".
	_, err = s.EstimateRun(p, in, sokr.Options{Params: map[string]any{"dt": 1e-7}})
	assert.ErrorContains(t, err, "more than the 16777216 steps a delay line holds")
}

// Recordings hold every step of every batch row: a probe of 100000
// neurons over a million steps is 400 GB, refused before it is made; the
// synaptic delay option's lines count too.
func TestRecordingsAndStateCounted(t *testing.T) {
	const n = 100_000
	p := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{1}}},
		&nir.Node{Name: "lin", Prim: &nir.Linear{Weight: filled(1, n, 1)}},
		&nir.Node{Name: "lif", Prim: &nir.LIF{Tau: filled(1e-3, n), R: filled(1, n), VLeak: filled(0, n), VThreshold: filled(1, n), VReset: filled(0, n)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
	)
	s := snn.New()
	for _, c := range []struct {
		name  string
		in    sokr.Tensor
		opts  map[string]any
		least int64
		part  string
	}{
		{"outputs", sokr.NewTensor(sokr.F32, 1_000_000, 1, 1), nil, 400e9, "recorded outputs and probes"},
		{"probe", sokr.NewTensor(sokr.F32, 10_000, 1, 1), map[string]any{"record": []string{"lif.v"}}, 8e9, "recorded outputs and probes"},
		{"batch", sokr.NewTensor(sokr.F32, 1, 1_000_000, 1), map[string]any{"synaptic_delay": 1000}, 400e12, `delay line of node "lif"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.EstimateRun(p, []sokr.Tensor{c.in}, sokr.Options{Params: c.opts})
			require.ErrorIs(t, err, sokr.ErrInvalidInput)
			assert.ErrorContains(t, err, c.part)
			big := snn.New(snn.WithMemoryBudget(1 << 62))
			est, err := big.EstimateRun(p, []sokr.Tensor{c.in}, sokr.Options{Params: c.opts})
			require.NoError(t, err)
			assert.Greater(t, est.MemoryBytes, c.least)
		})
	}
}

// Sizes multiply past int64 without wrapping: a delay line of 2^24 steps
// over 2^20 batch rows of 2^20 elements is 2^66 bytes.
func TestEstimateSaturates(t *testing.T) {
	const n = 1 << 20
	p := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{1}}},
		&nir.Node{Name: "lin", Prim: &nir.Linear{Weight: filled(1, n, 1)}},
		&nir.Node{Name: "d", Prim: &nir.Delay{Delay: filled(1<<24, n)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
	)
	_, err := snn.New(snn.WithMemoryBudget(1<<62)).EstimateRun(p, []sokr.Tensor{sokr.NewTensor(sokr.F32, 1, n, 1)}, sokr.Options{Params: map[string]any{"dt": 1.0}})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "the run needs about more than 8 EiB")
}

// Every estimate is checked against reality: for graphs that exercise
// each kind of allocation a run makes (weights compiled, neuron state,
// delay lines, recurrent history, chunk activations, recordings, input
// conversion, event-driven scratch, the Go matrix kernel), what the run
// allocates stays within EstimateRun's figure. Not parallel:
// CheckEstimate measures the whole process.
func TestEstimateCoversTheRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	random := func(steps, batch, n int, density float64, dt sokr.DType) sokr.Tensor {
		x := make([]float64, steps*batch*n)
		for i := range x {
			if rng.Float64() < density {
				x[i] = 1
			}
		}
		t := sokr.FromSlice(x, steps, batch, n)
		if dt == sokr.F32 {
			y := make([]float32, len(x))
			for i, v := range x {
				y[i] = float32(v)
			}
			t = sokr.FromSlice(y, steps, batch, n)
		}
		return t
	}
	const n = 256
	lif := func(name string) *nir.Node {
		return &nir.Node{Name: name, Prim: &nir.LIF{Tau: filled(1e-3, n), R: filled(1, n), VLeak: filled(0, n), VThreshold: filled(0.5, n), VReset: filled(0, n)}}
	}
	weights := func() nir.Array {
		w := filled(0, n, n)
		for i := range w.Data {
			w.Data[i] = rng.Float64() - 0.4
		}
		return w
	}
	mlp := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{n}}},
		&nir.Node{Name: "l1", Prim: &nir.Affine{Weight: weights(), Bias: filled(0.1, n)}},
		lif("n1"),
		&nir.Node{Name: "l2", Prim: &nir.Linear{Weight: weights()}},
		&nir.Node{Name: "n2", Prim: &nir.CubaLIF{TauSyn: filled(2e-3, n), TauMem: filled(1e-3, n), R: filled(1, n), VLeak: filled(0, n), VThreshold: filled(0.5, n), VReset: filled(0, n), WIn: filled(1, n)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
	)
	delays := filled(0, n)
	for i := range delays.Data {
		delays.Data[i] = float64(i%100) * 1e-4
	}
	delayNet := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{n}}},
		&nir.Node{Name: "d", Prim: &nir.Delay{Delay: delays}},
		&nir.Node{Name: "s", Prim: &nir.Scale{Scale: filled(2, n)}},
		&nir.Node{Name: "th", Prim: &nir.Threshold{Threshold: filled(0.5, n)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
	)
	recurrent, err := nir.New(&nir.Graph{
		Nodes: []*nir.Node{
			{Name: "in", Prim: &nir.Input{Shape: []int{n}}},
			{Name: "lin", Prim: &nir.Linear{Weight: weights()}},
			lif("lif"),
			{Name: "out", Prim: &nir.Output{Shape: []int{n}}},
		},
		Edges: []nir.Edge{{From: "in", To: "lif"}, {From: "lif", To: "lin"}, {From: "lin", To: "lif"}, {From: "lif", To: "out"}},
	})
	require.NoError(t, err)
	conv := graph(t,
		&nir.Node{Name: "in", Prim: &nir.Input{Shape: []int{2, 16, 16}}},
		&nir.Node{Name: "c", Prim: &nir.Conv2d{InputShape: []int{16, 16}, Weight: filled(0.1, 4, 2, 3, 3), Bias: filled(0, 4), Stride: []int{1, 1}, Dilation: []int{1, 1}, Padding: nir.Padding{Size: []int{1, 1}}, Groups: 1}},
		&nir.Node{Name: "p", Prim: &nir.SumPool2d{KernelSize: []int{2, 2}, Stride: []int{2, 2}, Padding: []int{0, 0}}},
		&nir.Node{Name: "f", Prim: &nir.Flatten{StartDim: 0, EndDim: -1}},
		&nir.Node{Name: "if", Prim: &nir.IF{R: filled(1, 256), VThreshold: filled(1, 256), VReset: filled(0, 256)}},
		&nir.Node{Name: "out", Prim: &nir.Output{Shape: []int{256}}},
	)
	cases := []struct {
		name string
		p    *nir.Program
		in   sokr.Tensor
		opts map[string]any
	}{
		{"tiny", linearLIF(t), ones(4, 1, 2), nil},
		{"mlp sparse", mlp, random(200, 4, n, 0.05, sokr.F32), nil},
		{"mlp dense", mlp, random(200, 4, n, 0.6, sokr.F32), nil},
		{"mlp event", mlp, random(100, 4, n, 0.6, sokr.F32), map[string]any{"propagation": "event"}},
		{"mlp f64 from f32", mlp, random(100, 4, n, 0.1, sokr.F32), map[string]any{"precision": "f64", "record": []string{"n1.v", "n2.i", "n1.spikes"}}},
		{"mlp f32 from f64", mlp, random(100, 4, n, 0.1, sokr.F64), map[string]any{"record": "n2.v"}},
		{"mlp synaptic delay", mlp, random(100, 2, n, 0.1, sokr.F32), map[string]any{"synaptic_delay": 7}},
		{"delay lines", delayNet, random(300, 4, n, 0.3, sokr.F32), map[string]any{"record": []string{"th.spikes"}}},
		{"recurrent", recurrent, random(100, 2, n, 0.1, sokr.F32), map[string]any{"recurrent_delay": 50}},
		{"conv", conv, random(50, 4, 512, 0.2, sokr.F32), nil},
		{"final state, node probes", mlp, random(100, 4, n, 0.1, sokr.F32), map[string]any{"final_state": true, "initial_state": "v_leak", "record": []string{"l1", "n2.out", "in"}}},
		{"conv probes", conv, random(50, 4, 512, 0.2, sokr.F32), map[string]any{"record": []string{"c", "p.out", "f"}}},
	}
	lib := []*snn.Substrate{snn.New(), snn.New(snn.WithoutBLAS()), snn.New(snn.WithWorkers(1)), snn.New(snn.WithWorkers(8))}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.HasPrefix(c.name, "conv") {
				c.in = sokr.Tensor{DType: c.in.DType, Shape: sokr.Shape{50, 4, 2, 16, 16}, Data: c.in.Data}
			}
			for _, s := range lib {
				m := sokrtest.CheckEstimate(t, s, c.p, []sokr.Tensor{c.in}, sokr.Options{Params: c.opts})
				if c.name != "tiny" {
					assert.Less(t, m.Estimate, 4*m.Allocated+(1<<20), "the estimate is far above the run")
				}
			}
		})
	}
}
