package snn

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recurrentNet is input -> lif <-> linear (lif's spikes come back through
// linear), lif -> output.
func recurrentNet(t *testing.T, n int, w []float64) *network {
	lif := &neuronParams{model: modelLIF, tau: fill(n, 5e-3), r: fill(n, 1), vLeak: fill(n, 0), vThresh: fill(n, 0.3), vReset: fill(n, 0)}
	units := []*unit{
		{name: "input", op: opInput, inShape: []int{n}, outShape: []int{n}},
		{name: "lif", op: opNeuron, inShape: []int{n}, outShape: []int{n}, neuron: lif, inputs: []source{{unit: 0}, {unit: 2}}},
		{name: "rec", op: opAffine, inShape: []int{n}, outShape: []int{n}, weight: w, inputs: []source{{unit: 1}}},
		{name: "output", op: opOutput, inShape: []int{n}, outShape: []int{n}, inputs: []source{{unit: 1}}},
	}
	net, err := order(units)
	require.NoError(t, err)
	net.inputs, net.outputs = []int{net.unitNamed("input")}, []int{net.unitNamed("output")}
	return net
}

// TestRecurrent checks a recurrent edge against a step-by-step reference
// for delays of 1 and 3 steps, and that the edge was found.
func TestRecurrent(t *testing.T) {
	const n, steps, dt = 6, 60, 1e-3
	rng := rand.New(rand.NewPCG(8, 8))
	w := randSlice(rng, n*n, -0.5, 0.8)
	net := recurrentNet(t, n, w)
	require.True(t, net.recurrent)
	x := randSlice(rng, steps*n, 0, 3)
	for _, delay := range []int{1, 3} {
		out, _ := runNet(t, net, map[string]any{"dt": dt, "precision": "f64", "recurrent_delay": delay}, sokr.FromSlice(x, steps, 1, n))
		got := viewF64(out[0].Tensor)
		v := make([]float64, n)
		spikes := make([][]float64, steps)
		for s := range steps {
			spikes[s] = make([]float64, n)
			for k := range n {
				in := x[s*n+k]
				if s >= delay {
					for j := range n {
						in += w[k*n+j] * spikes[s-delay][j]
					}
				}
				v[k] += dt / 5e-3 * (-v[k] + in)
				spikes[s][k] = spikeRef(&v[k], 0.3, 0, false)
				require.Equal(t, spikes[s][k], got[s*n+k], "delay %d step %d neuron %d", delay, s, k)
			}
		}
	}
}

// TestEventDenseAgree runs the benchmark network, small, with both
// propagations and with batches split apart: all agree.
func TestEventDenseAgree(t *testing.T) {
	const n, batch, steps = 300, 4, 50
	net, x := workload(n, batch, steps, 0.1)
	run := func(prop string, in sokr.Tensor) ([]float64, counters) {
		out, cnt := runNet(t, net, map[string]any{"dt": 1e-3, "precision": "f32", "propagation": prop, "record": []string{"lif.v"}}, in)
		return viewF64(out[1].Tensor), cnt
	}
	ev, ce := run("event", x)
	de, cd := run("dense", x)
	au, ca := run("auto", x)
	assert.Equal(t, "event", ce.propagation())
	assert.Equal(t, "dense", cd.propagation())
	assert.Equal(t, "event", ca.propagation(), "10% activity is below eventMaxDensity")
	assert.Equal(t, ce.events, cd.events)
	assert.Equal(t, ce.spikes, cd.spikes)
	assert.Positive(t, ce.spikes)
	for i := range ev {
		require.InDelta(t, ev[i], de[i], 1e-4, "element %d", i)
	}
	assert.Equal(t, ev, au)
	// Batch entry 2 alone gives the same as within the batch.
	xs := sokr.View[float32](x)
	one := make([]float32, steps*n)
	for s := range steps {
		copy(one[s*n:(s+1)*n], xs[(s*batch+2)*n:(s*batch+3)*n])
	}
	alone, _ := run("event", sokr.FromSlice(one, steps, 1, n))
	for s := range steps {
		assert.Equal(t, ev[(s*batch+2)*n:(s*batch+3)*n], alone[s*n:(s+1)*n], "step %d", s)
	}
}

// TestChunksEqualOneRun checks the state a session carries: two runs of 30
// and 20 steps from one state give what one run of 50 does, recurrent
// edges and delay lines included.
func TestChunksEqualOneRun(t *testing.T) {
	const n, steps = 6, 50
	rng := rand.New(rand.NewPCG(9, 9))
	net := recurrentNet(t, n, randSlice(rng, n*n, -0.5, 0.8))
	x := make([]float32, steps*2*n)
	for i := range x {
		x[i] = float32(3 * rng.Float64())
	}
	sem, err := parseSemantics(map[string]any{"dt": 1e-3, "recurrent_delay": 2, "synaptic_delay": 3})
	require.NoError(t, err)
	c, err := compile[float32](net, sem)
	require.NoError(t, err)
	lib, _ := blas.Load()
	sim := func(st *state[float32], from, to int) []float32 {
		in := sokr.FromSlice(x[from*2*n:to*2*n], to-from, 2, n)
		out, _, err := simulate(context.Background(), c, st, []sokr.Tensor{in}, to-from, runtime.GOMAXPROCS(0), lib)
		require.NoError(t, err)
		return sokr.View[float32](out[0].Tensor)
	}
	whole := sim(newState(c, 2), 0, steps)
	st := newState(c, 2)
	parts := append(sim(st, 0, 30), sim(st, 30, steps)...)
	assert.Equal(t, whole, parts)
	assert.Equal(t, steps, st.steps)
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		err    string
	}{
		{map[string]any{"dt": -1.0}, `option "dt": must be a positive number`},
		{map[string]any{"solver": "rk4"}, `option "solver": must be one of "euler", "exact", "impulse"`},
		{map[string]any{"reset": 1}, `option "reset": must be one of`},
		{map[string]any{"recurrent_delay": 0}, `option "recurrent_delay": must be a whole number of steps ≥ 1`},
		{map[string]any{"precision": "f16"}, `option "precision"`},
		{map[string]any{"propagation": "sparse"}, `option "propagation"`},
		{map[string]any{"record": 3}, `option "record"`},
		{map[string]any{"session_reset": true}, `option "session_reset": needs the "session" option`},
		{map[string]any{"solvr": "euler"}, `option "solvr": unknown option`},
	} {
		_, err := parseSemantics(tc.params)
		require.ErrorIs(t, err, sokr.ErrInvalidInput)
		assert.ErrorContains(t, err, tc.err)
	}
	s, err := parseSemantics(map[string]any{"record": "a.v, b.spikes", "dt": 2e-4, "precision": "f64"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.v", "b.spikes"}, s.record)
	assert.Equal(t, "0.0002", s.meta()["dt"])
}

func TestProbeErrors(t *testing.T) {
	net := lifNorse(t)
	for probe, msg := range map[string]string{
		"1.i":      `node "1" (LIF) has no "i" to record`,
		"nope.v":   `the graph has no node "nope"`,
		"nope":     `the graph has no node "nope" (want NODE, NODE.out, NODE.v, NODE.i or NODE.spikes)`,
		"1.x":      `the graph has no node "1.x"`,
		"0.spikes": `node "0" (Affine) has no "spikes"`,
	} {
		sem, err := parseSemantics(map[string]any{"record": []string{probe}})
		require.NoError(t, err)
		c, err := compile[float32](net, sem)
		require.NoError(t, err)
		r := newRunner(c, newState(c, 1), 1, 1, nil)
		assert.ErrorContains(t, r.addProbes(sem.record, 1), msg)
	}
}

// TestOutputsInPlace checks the outputs a neuron population computes
// straight into a graph output: with two Outputs on one population (the
// first written in place, the second copied) and a probe of its spikes,
// all equal the single-output run; and in a recurrent network, whose
// chunks are recurrent_delay steps, so that every chunk but the first
// writes at an offset.
func TestOutputsInPlace(t *testing.T) {
	withSecond := func(net *network, src string) *network {
		units := append([]*unit(nil), net.units...)
		n := net.units[net.unitNamed(src)].outShape
		units = append(units, &unit{name: "output2", op: opOutput, inShape: n, outShape: n, inputs: []source{{unit: net.unitNamed(src)}}})
		two, err := order(units)
		require.NoError(t, err)
		two.inputs, two.outputs = []int{two.unitNamed("input")}, []int{two.unitNamed("output"), two.unitNamed("output2")}
		return two
	}
	const n, batch, steps = 40, 3, 70
	net, x := workload(n, batch, steps, 0.3)
	opts := map[string]any{"dt": 1e-3, "record": []string{"lif.spikes"}}
	want, _ := runNet(t, net, opts, x)
	got, cnt := runNet(t, withSecond(net, "lif"), opts, x)
	require.Len(t, got, 3)
	assert.Positive(t, cnt.spikes)
	assert.Equal(t, want[0].Tensor, got[0].Tensor)
	assert.Equal(t, want[0].Tensor, got[1].Tensor)
	assert.Equal(t, want[0].Tensor, got[2].Tensor, "the probe records what the output holds")

	rng := rand.New(rand.NewPCG(10, 10))
	rec := recurrentNet(t, 6, randSlice(rng, 36, -0.5, 0.8))
	xr := sokr.FromSlice(randSlice(rng, 50*2*6, 0, 3), 50, 2, 6)
	ropts := map[string]any{"dt": 1e-3, "precision": "f64", "recurrent_delay": 3}
	want, _ = runNet(t, rec, ropts, xr)
	got, cnt = runNet(t, withSecond(rec, "lif"), ropts, xr)
	assert.Positive(t, cnt.spikes)
	assert.Equal(t, want[0].Tensor, got[0].Tensor)
	assert.Equal(t, want[0].Tensor, got[1].Tensor)
}
