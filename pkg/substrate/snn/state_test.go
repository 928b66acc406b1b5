package snn_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leakyLIF is Input(2) -> Linear(identity, 2 -> 2) -> CubaLIF(2), v_leak
// 0.05 and 0.02 (below the threshold 0.1) -> Output.
func leakyLIF(t testing.TB) *nir.Program {
	t.Helper()
	two := func(a, b float64) nir.Array { return arr([]int{2}, a, b) }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{2}}},
			{Name: "lin", Prim: &nir.Linear{Weight: arr([]int{2, 2}, 1, 0, 0, 1)}},
			{Name: "lif", Prim: &nir.CubaLIF{TauSyn: two(2e-3, 2e-3), TauMem: two(1e-3, 1e-3), R: two(1, 1), VLeak: two(0.05, 0.02),
				VThreshold: two(0.1, 0.1), VReset: two(0, 0), WIn: two(1, 1)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{2}}},
		},
		Edges: []nir.Edge{{From: "input", To: "lin"}, {From: "lin", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	return p
}

func output(t testing.TB, res sokr.Result, name string) []float32 {
	t.Helper()
	for _, o := range res.Outputs {
		if o.Name == name {
			return sokr.View[float32](o.Tensor)
		}
	}
	require.Failf(t, "no output", "%q in %v", name, res.Outputs)
	return nil
}

// TestInitialStateNorse: lif_norse.nir with Norse's conventions (start at
// v_leak, reset to zero) reproduces Norse's recording, and the result says
// which initial state it used. (The file's v_leak is 0, so Norse's start
// and SOKR's default coincide here; TestInitialStateVLeak checks v_leak ≠ 0.)
func TestInitialStateNorse(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testdata, "lif_norse.csv"))
	require.NoError(t, err)
	var in, wantV []float64
	for _, line := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		var x, v, s float64
		_, err := fmtSscan(line, &x, &v, &s)
		require.NoError(t, err)
		in, wantV = append(in, x), append(wantV, v)
	}
	res, err := dispatch(t, snn.New(), load(t, "lif_norse.nir"), []sokr.Tensor{sokr.FromSlice(in, len(in), 1, 1)},
		sokr.Param("initial_state", "v_leak"), sokr.Param("reset", "zero"), sokr.Param("record", []string{"1.v"}))
	require.NoError(t, err)
	assert.Equal(t, "v_leak", res.Meta["initial_state"])
	for i, v := range output(t, res, "probe:1.v") {
		require.InDelta(t, wantV[i], v, 1e-6, "step %d", i)
	}
}

// TestInitialStateVLeak: without input, a population started at v_leak
// stays there (its equilibrium), one started at zero rises towards it;
// the default is zero.
func TestInitialStateVLeak(t *testing.T) {
	p := leakyLIF(t)
	x := sokr.FromSlice(make([]float32, 5*2), 5, 1, 2)
	res, err := dispatch(t, snn.New(), p, []sokr.Tensor{x}, sokr.Param("initial_state", "v_leak"), sokr.Param("record", []string{"lif.v"}))
	require.NoError(t, err)
	v := output(t, res, "probe:lif.v")
	for s := range 5 {
		assert.InDelta(t, 0.05, v[2*s], 1e-7, "step %d", s)
		assert.InDelta(t, 0.02, v[2*s+1], 1e-7, "step %d", s)
	}
	res, err = dispatch(t, snn.New(), p, []sokr.Tensor{x}, sokr.Param("record", []string{"lif.v"}))
	require.NoError(t, err)
	assert.Equal(t, "zero", res.Meta["initial_state"])
	v = output(t, res, "probe:lif.v")
	assert.InDelta(t, 0.1*0.05, v[0], 1e-7) // Euler: dt/τ·v_leak after one step from 0
	assert.Less(t, v[8], float32(0.05))
}

// TestFinalStateResumes: a run split in two, the second started from the
// first's final state, gives what one run does, for every batch row and
// both state variables.
func TestFinalStateResumes(t *testing.T) {
	p := leakyLIF(t)
	const steps, batch = 40, 3
	in := make([]float32, steps*batch*2)
	for i := range in {
		if i%7 == 0 || i%5 == 1 {
			in[i] = 0.7
		}
	}
	rec := sokr.Param("record", []string{"lif.v", "lif.i"})
	whole, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in, steps, batch, 2)}, rec, sokr.Param("final_state", true))
	require.NoError(t, err)
	const cut = 17
	first, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in[:cut*batch*2], cut, batch, 2)}, rec, sokr.Param("final_state", true))
	require.NoError(t, err)
	fv, fi := output(t, first, "state:lif.v"), output(t, first, "state:lif.i")
	require.Len(t, fv, batch*2)
	assert.Equal(t, output(t, first, "probe:lif.v")[(cut-1)*batch*2:], fv)
	init := map[string]any{"lif": map[string]any{"v": anyOf(fv), "i": anyOf(fi)}}
	second, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in[cut*batch*2:], steps-cut, batch, 2)}, rec,
		sokr.Param("initial_state", init), sokr.Param("final_state", true))
	require.NoError(t, err)
	assert.Equal(t, "given", second.Meta["initial_state"])
	assert.Equal(t, output(t, whole, "probe:lif.v")[cut*batch*2:], output(t, second, "probe:lif.v"))
	assert.Equal(t, output(t, whole, "output")[cut*batch*2:], output(t, second, "output"))
	assert.Equal(t, output(t, whole, "state:lif.v"), output(t, second, "state:lif.v"))
	assert.Equal(t, output(t, whole, "state:lif.i"), output(t, second, "state:lif.i"))

	// One value per neuron is repeated over the batch.
	res, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(make([]float32, batch*2), 1, batch, 2)},
		sokr.Param("initial_state", map[string]any{"lif": map[string]any{"v": []float64{0.5, 0.01}}}), sokr.Param("record", []string{"lif.v"}))
	require.NoError(t, err)
	out := output(t, res, "output")
	for b := range batch {
		assert.Equal(t, []float32{1, 0}, out[2*b:2*b+2], "batch %d: 0.5 is over the threshold, 0.01 not", b)
	}
}

// delayedRecurrent is Input(3) -> Delay(0, 2, 3 steps of dt 1) -> Linear
// -> LIF(4), which a recurrent Affine feeds back onto itself -> Output.
func delayedRecurrent(t testing.TB) *nir.Program {
	t.Helper()
	four := func(v float64) nir.Array { return arr([]int{4}, v, v, v, v) }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{3}}},
			{Name: "delay", Prim: &nir.Delay{Delay: arr([]int{3}, 0, 2, 3)}},
			{Name: "lin", Prim: &nir.Linear{Weight: arr([]int{4, 3}, 0.9, 0.2, 0.1, 0.3, 0.8, 0.2, 0.1, 0.4, 0.7, 0.5, 0.5, 0.5)}},
			{Name: "lif", Prim: &nir.LIF{Tau: four(4), R: four(1), VLeak: four(0), VThreshold: four(1), VReset: four(0)}},
			{Name: "rec", Prim: &nir.Affine{Weight: arr([]int{4, 4}, 0, 0.6, -0.3, 0.2, 0.4, 0, 0.5, -0.2, -0.1, 0.3, 0, 0.6, 0.5, -0.4, 0.3, 0),
				Bias: four(0.3)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{4}}},
		},
		Edges: []nir.Edge{{From: "input", To: "delay"}, {From: "delay", To: "lin"}, {From: "lin", To: "lif"},
			{From: "lif", To: "rec"}, {From: "rec", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	return p
}

// TestFinalStateCarriesWhatIsInFlight: with a Delay node, a synaptic delay
// and a recurrent edge of recurrent_delay 2, a run cut in two, the second
// part started from the first's final state (v, the delay lines and the
// recurrent history), gives exactly the uninterrupted run's spikes,
// voltages and final state; without the delay lines and history it does
// not.
func TestFinalStateCarriesWhatIsInFlight(t *testing.T) {
	p := delayedRecurrent(t)
	const steps, batch, n = 50, 2, 3
	in := make([]float32, steps*batch*n)
	for i := range in {
		if i%5 == 0 || i%7 == 3 {
			in[i] = 3
		}
	}
	opts := []sokr.DispatchOption{sokr.Param("dt", 1.0), sokr.Param("record", []string{"lif.v", "rec"}), sokr.Param("final_state", true),
		sokr.Param("synaptic_delay", 2), sokr.Param("recurrent_delay", 2)}
	run := func(x []float32, more ...sokr.DispatchOption) sokr.Result {
		res, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(x, len(x)/(batch*n), batch, n)}, append(opts, more...)...)
		require.NoError(t, err)
		return res
	}
	whole := run(in)
	spikes := output(t, whole, "output")
	fired := 0
	for _, v := range spikes {
		if v != 0 {
			fired++
		}
	}
	require.Greater(t, fired, len(spikes)/10, "the network must spike for the comparison to mean much")
	const cut = 23
	first := run(in[:cut*batch*n])
	names := map[string]bool{}
	init := map[string]any{}
	for _, o := range first.Outputs {
		name, ok := strings.CutPrefix(o.Name, "state:")
		if !ok {
			continue
		}
		names[name] = true
		k := strings.LastIndex(name, ".")
		node, v := name[:k], name[k+1:]
		if init[node] == nil {
			init[node] = map[string]any{}
		}
		init[node].(map[string]any)[v] = anyOf(sokr.View[float32](o.Tensor))
	}
	assert.Equal(t, map[string]bool{"lif.v": true, "rec.recurrent": true, "delay.delay_line": true, "lif.synapse.delay_line": true}, names)
	// The delay line holds the last 3 inputs, oldest first: steps cut-3 .. cut-1.
	assert.Equal(t, in[(cut-3)*batch*n:cut*batch*n], output(t, first, "state:delay.delay_line"))
	// The recurrent history holds the last 2 outputs of rec, which the
	// recurrent edge rec -> lif reads.
	assert.Equal(t, output(t, first, "probe:rec")[(cut-2)*batch*4:], output(t, first, "state:rec.recurrent"))

	second := run(in[cut*batch*n:], sokr.Param("initial_state", init))
	for _, name := range []string{"output", "probe:lif.v", "probe:rec", "state:lif.v", "state:rec.recurrent", "state:delay.delay_line", "state:lif.synapse.delay_line"} {
		w := output(t, whole, name)
		if strings.HasPrefix(name, "state:") {
			assert.Equal(t, w, output(t, second, name), name)
		} else {
			assert.Equal(t, w[cut*batch*len(w)/(steps*batch):], output(t, second, name), name)
		}
	}
	// Without what was in flight, the continuation differs.
	vOnly := map[string]any{"lif": map[string]any{"v": init["lif"].(map[string]any)["v"]}}
	cold := run(in[cut*batch*n:], sokr.Param("initial_state", vOnly))
	assert.NotEqual(t, output(t, whole, "output")[cut*batch*4:], output(t, cold, "output"))

	// Sizes are checked: 2 rows of history, not 1.
	bad := map[string]any{"rec": map[string]any{"recurrent": anyOf(make([]float32, 4))}}
	_, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in[:batch*n], 1, batch, n)}, append(opts, sokr.Param("initial_state", bad))...)
	assert.ErrorContains(t, err, `node "rec", variable "recurrent": 4 values, want 8 (2 steps × 4 elements) or 16 (2 steps × batch 2 × 4 elements)`)
	_, err = dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in[:batch*n], 1, batch, n)},
		append(opts, sokr.Param("initial_state", map[string]any{"lin": map[string]any{"recurrent": anyOf(make([]float32, 4))}}))...)
	assert.ErrorContains(t, err, `node "lin" (Linear) has no state variables`)
	_, err = dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in[:batch*n], 1, batch, n)},
		append(opts, sokr.Param("initial_state", map[string]any{"delay": map[string]any{"v": anyOf(make([]float32, 3))}}))...)
	assert.ErrorContains(t, err, `node "delay" (Delay) has no state variable "v" (it has delay_line)`)
}

func anyOf(x []float32) []any {
	out := make([]any, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestInitialStateErrors: a bad initial state is refused with an
// *sokr.InputError naming the option and what is wrong.
func TestInitialStateErrors(t *testing.T) {
	p := leakyLIF(t)
	x := []sokr.Tensor{ones(2, 2, 2)}
	for _, tc := range []struct {
		v   any
		msg string
	}{
		{"rest", `must be one of "zero", "v_leak", not rest`},
		{42, "must be \"zero\", \"v_leak\" or a map"},
		{map[string]any{"nope": map[string]any{"v": []any{0.0, 0.0}}}, `the graph has no node "nope"`},
		{map[string]any{"lin": map[string]any{"v": []any{0.0, 0.0}}}, `node "lin" (Linear) has no state variables`},
		{map[string]any{"lif": map[string]any{"u": []any{0.0, 0.0}}}, `has no state variable "u"`},
		{map[string]any{"lif": map[string]any{"v": []any{0.0, 0.0, 0.0}}}, "3 values, want 2 (one per neuron) or 4 (batch 2 × 2 neurons)"},
		{map[string]any{"lif": map[string]any{"v": []any{0.0, "x"}}}, "element 1 is x"},
		{map[string]any{"lif": "v"}, "want a map from variable"},
	} {
		_, err := dispatch(t, snn.New(), p, x, sokr.Param("initial_state", tc.v))
		require.ErrorIs(t, err, sokr.ErrInvalidInput, "%v", tc.v)
		assert.ErrorContains(t, err, `option "initial_state"`)
		assert.ErrorContains(t, err, tc.msg)
	}
	_, err := dispatch(t, snn.New(), p, x, sokr.Param("final_state", "yes"))
	assert.ErrorContains(t, err, `option "final_state": must be true or false`)
}

// TestEulerWarning: forward Euler with dt > 2τ is reported in Meta's
// "warnings", naming the node; the exact solver and a small dt are not.
func TestEulerWarning(t *testing.T) {
	p := leakyLIF(t) // τ_mem 1 ms
	x := []sokr.Tensor{ones(3, 1, 2)}
	res, err := dispatch(t, snn.New(), p, x, sokr.Param("dt", 3e-3))
	require.NoError(t, err)
	assert.Contains(t, res.Meta["warnings"], `node "lif" (CubaLIF): dt = 0.003 s is more than 2τ (τ = 0.001 s)`)
	for _, opts := range [][]sokr.DispatchOption{{sokr.Param("dt", 3e-3), sokr.Param("solver", "exact")}, {sokr.Param("dt", 2e-3)}} {
		res, err = dispatch(t, snn.New(), p, x, opts...)
		require.NoError(t, err)
		assert.NotContains(t, res.Meta, "warnings")
	}
}

// TestProbesOnAnyNode: the output of every kind of node is recorded by
// name ("NODE" or "NODE.out"): Conv2d, SumPool2d, Flatten, Affine, and a
// neuron's (its spikes), each [T, B, *its output shape] and equal to what
// the node computes.
func TestProbesOnAnyNode(t *testing.T) {
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{1, 3, 3}}},
			{Name: "conv", Prim: &nir.Conv2d{Weight: arr([]int{1, 1, 2, 2}, 1, 1, 1, 1), Stride: []int{1, 1}, Padding: nir.Padding{Size: []int{0, 0}},
				Dilation: []int{1, 1}, Groups: 1, Bias: arr([]int{1}, 0)}},
			{Name: "pool", Prim: &nir.SumPool2d{KernelSize: []int{2, 2}, Stride: []int{2, 2}, Padding: []int{0, 0}}},
			{Name: "flat", Prim: &nir.Flatten{StartDim: 0, EndDim: -1}},
			{Name: "aff", Prim: &nir.Affine{Weight: arr([]int{1, 1}, 2), Bias: arr([]int{1}, 0.5)}},
			{Name: "lif", Prim: &nir.LIF{Tau: arr([]int{1}, 1e-3), R: arr([]int{1}, 1), VLeak: arr([]int{1}, 0), VThreshold: arr([]int{1}, 1), VReset: arr([]int{1}, 0)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{1}}},
		},
		Edges: []nir.Edge{{From: "input", To: "conv"}, {From: "conv", To: "pool"}, {From: "pool", To: "flat"},
			{From: "flat", To: "aff"}, {From: "aff", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	const steps, batch = 6, 2
	in := make([]float32, steps*batch*9)
	for i := range in {
		in[i] = float32((i/9)%5) * 0.25 // each sample's 9 pixels equal, varying over time and batch
	}
	res, err := dispatch(t, snn.New(), p, []sokr.Tensor{sokr.FromSlice(in, steps, batch, 1, 3, 3)},
		sokr.Param("record", []string{"conv", "pool.out", "flat", "aff", "lif.out", "lif.spikes"}))
	require.NoError(t, err)
	shapes := map[string]string{"probe:conv": "[6,2,1,2,2]", "probe:pool.out": "[6,2,1,1,1]", "probe:flat": "[6,2,1]", "probe:aff": "[6,2,1]", "probe:lif.out": "[6,2,1]"}
	for _, o := range res.Outputs {
		if want, ok := shapes[o.Name]; ok {
			assert.Equal(t, want, o.Tensor.Shape.String(), o.Name)
		}
	}
	conv, pool, flat, aff := output(t, res, "probe:conv"), output(t, res, "probe:pool.out"), output(t, res, "probe:flat"), output(t, res, "probe:aff")
	for r := range steps * batch {
		x := in[r*9]
		for e := range 4 {
			assert.InDelta(t, 4*x, conv[r*4+e], 1e-6, "conv row %d", r)
		}
		assert.InDelta(t, 16*x, pool[r], 1e-6, "pool row %d", r)
		assert.InDelta(t, 16*x, flat[r], 1e-6, "flatten row %d", r)
		assert.InDelta(t, 32*x+0.5, aff[r], 1e-5, "affine row %d", r)
	}
	assert.Equal(t, output(t, res, "output"), output(t, res, "probe:lif.out"))
	assert.Equal(t, output(t, res, "output"), output(t, res, "probe:lif.spikes"))
	assert.NotZero(t, res.Meta["spikes"])
}

// TestInputDTypes: one rule for every input dtype: f32, f64, i32, i64 and
// bool inputs carrying the same values give the same result, computed in
// the "precision" option's dtype whatever the input's.
func TestInputDTypes(t *testing.T) {
	p := linearLIF(t)
	const steps = 12
	vals := make([]float64, steps*2)
	for i := range vals {
		vals[i] = float64(i % 2)
	}
	f32, i32, i64, bools := make([]float32, len(vals)), make([]int32, len(vals)), make([]int64, len(vals)), make([]bool, len(vals))
	for i, v := range vals {
		f32[i], i32[i], i64[i], bools[i] = float32(v), int32(v), int64(v), v != 0
	}
	for _, precision := range []string{"f32", "f64"} {
		var want sokr.Tensor
		for k, x := range []sokr.Tensor{sokr.FromSlice(vals, steps, 1, 2), sokr.FromSlice(f32, steps, 1, 2), sokr.FromSlice(i32, steps, 1, 2),
			sokr.FromSlice(i64, steps, 1, 2), sokr.FromSlice(bools, steps, 1, 2)} {
			res, err := dispatch(t, snn.New(), p, []sokr.Tensor{x}, sokr.Param("precision", precision))
			require.NoError(t, err, "%v", x.DType)
			assert.Equal(t, precision, res.Meta["precision"])
			assert.Equal(t, precision, res.Outputs[0].Tensor.DType.String())
			if k == 0 {
				want = res.Outputs[0].Tensor
				continue
			}
			assert.Equal(t, want.Data, res.Outputs[0].Tensor.Data, "%v input, %s", x.DType, precision)
		}
	}
}
