package snn_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata is the repository's NIR test data (testdata/nir at the root).
var testdata = filepath.Join("..", "..", "..", "testdata", "nir")

func load(t testing.TB, name string) *nir.Program {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testdata, name))
	require.NoError(t, err)
	p, err := nir.Parse(src)
	require.NoError(t, err)
	return p
}

func arr(shape []int, data ...float64) nir.Array { return nir.Array{Shape: shape, Data: data} }

// linearLIF is Input(2) -> Linear(3x2) -> LIF(3) -> Output, built in Go.
func linearLIF(t testing.TB) *nir.Program {
	t.Helper()
	three := func(v float64) nir.Array { return arr([]int{3}, v, v, v) }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{2}}},
			{Name: "lin", Prim: &nir.Linear{Weight: arr([]int{3, 2}, 1, 0, 0, 1, 0.5, 0.5)}},
			{Name: "lif", Prim: &nir.LIF{Tau: three(1e-3), R: three(1), VLeak: three(0), VThreshold: three(0.1), VReset: three(0)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{3}}},
		},
		Edges: []nir.Edge{{From: "input", To: "lin"}, {From: "lin", To: "lif"}, {From: "lif", To: "output"}},
	}
	p, err := nir.New(g)
	require.NoError(t, err)
	return p
}

// ones returns a [T, B, n] f32 tensor of ones.
func ones(steps, batch, n int) sokr.Tensor {
	x := make([]float32, steps*batch*n)
	for i := range x {
		x[i] = 1
	}
	return sokr.FromSlice(x, steps, batch, n)
}

func TestConformance(t *testing.T) {
	norse := load(t, "lif_norse.nir")
	in := make([]float32, 1000)
	for i := 60; i < 1000; i += 50 {
		in[i] = 1
	}
	slow := sokrtest.Case{Name: "slow", Program: linearLIF(t), Inputs: []sokr.Tensor{ones(20000, 64, 2)}}
	sokrtest.Run(t, snn.New(), sokrtest.Suite{
		Cases: []sokrtest.Case{
			{Name: "lif_norse", Program: norse, Inputs: []sokr.Tensor{sokr.FromSlice(in, 1000, 1, 1)}, Check: func(r sokr.Result) error {
				if r.Meta["spikes"] == "" || r.Outputs[0].Tensor.Shape.String() != "[1000,1,1]" {
					return assert.AnError
				}
				return nil
			}},
			// lif: v = 1 − 0.9ⁿ at dt 1e-4, τ 1e-3, input 1 (or 0.5+0.5): it
			// first passes 0.1 at step 1 (0.19), resets, and so every other step.
			{Name: "linear_lif", Program: linearLIF(t), Inputs: []sokr.Tensor{ones(4, 1, 2)},
				Want: []sokr.Tensor{sokr.FromSlice([]float32{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}, 4, 1, 3)}},
		},
		Slow:    &slow,
		Refused: []sokr.Program{&sokrtest.Program{Fmt: "openqasm/2"}},
	})
}

func dispatch(t *testing.T, s *snn.Substrate, p sokr.Program, in []sokr.Tensor, opts ...sokr.DispatchOption) (sokr.Result, error) {
	t.Helper()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return rt.Dispatch(ctx, p, in, opts...).Wait(ctx)
}

// TestLIFNorseFile runs the acceptance case from the .nir file through the
// runtime and checks the recorded semantics.
func TestLIFNorseFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testdata, "lif_norse.csv"))
	require.NoError(t, err)
	var in []float64
	var wantV []float64
	for _, line := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		var x, v, s float64
		_, err := fmtSscan(line, &x, &v, &s)
		require.NoError(t, err)
		in, wantV = append(in, x), append(wantV, v)
	}
	res, err := dispatch(t, snn.New(), load(t, "lif_norse.nir"), []sokr.Tensor{sokr.FromSlice(in, len(in), 1, 1)},
		sokr.Param("reset", "zero"), sokr.Param("record", []string{"1.v"}))
	require.NoError(t, err)
	require.Len(t, res.Outputs, 2)
	assert.Equal(t, "output", res.Outputs[0].Name)
	assert.Equal(t, "probe:1.v", res.Outputs[1].Name)
	var steps []int
	for i, v := range sokr.View[float32](res.Outputs[0].Tensor) {
		if v != 0 {
			steps = append(steps, i)
		}
	}
	assert.Equal(t, []int{460, 510, 710, 760}, steps)
	for i, v := range sokr.View[float32](res.Outputs[1].Tensor) {
		require.InDelta(t, wantV[i], v, 1e-6, "step %d", i)
	}
	for k, v := range map[string]string{"dt": "0.0001", "solver": "euler", "reset": "zero", "recurrent_delay": "1",
		"spike_amplitude": "1", "precision": "f32", "propagation": "event", "spikes": "4", "synaptic_events": "34"} {
		assert.Equal(t, v, res.Meta[k], k)
	}
}

func TestInputErrors(t *testing.T) {
	s, p := snn.New(), linearLIF(t)
	for _, tc := range []struct {
		in  []sokr.Tensor
		msg string
	}{
		{nil, "the graph has 1 inputs [input], got 0 tensors"},
		{[]sokr.Tensor{ones(4, 1, 3)}, "invalid input 0 (input): shape [4,1,3]: want [T, B, 2]"},
		{[]sokr.Tensor{sokr.NewTensor(sokr.C64, 4, 1, 2)}, "dtype c64: want real numbers (f32, f64, i32, i64 or bool)"},
	} {
		_, err := dispatch(t, s, p, tc.in)
		require.ErrorIs(t, err, sokr.ErrInvalidInput)
		assert.ErrorContains(t, err, tc.msg)
	}
	_, err := dispatch(t, s, p, []sokr.Tensor{ones(4, 1, 2)}, sokr.Param("solver", "rk4"))
	assert.ErrorContains(t, err, `option "solver"`)
}

// TestSessions: two chunks in a session give what one long run does; a
// reset starts afresh; the cap on live sessions holds; EndSession frees.
func TestSessions(t *testing.T) {
	s := snn.New(snn.WithMaxSessions(1))
	p := load(t, "lif_norse.nir")
	in := make([]float32, 200)
	for i := 0; i < 200; i += 3 {
		in[i] = 1
	}
	whole, err := dispatch(t, s, p, []sokr.Tensor{sokr.FromSlice(in, 200, 1, 1)}, sokr.Param("record", []string{"1.v"}))
	require.NoError(t, err)
	var got []float32
	for _, part := range [][2]int{{0, 120}, {120, 200}} {
		res, err := dispatch(t, s, p, []sokr.Tensor{sokr.FromSlice(in[part[0]:part[1]], part[1]-part[0], 1, 1)},
			sokr.Param("session", "a"), sokr.Param("record", []string{"1.v"}))
		require.NoError(t, err)
		got = append(got, sokr.View[float32](res.Outputs[1].Tensor)...)
		assert.Equal(t, part[0], atoi(res.Meta["session_step"]))
	}
	assert.Equal(t, sokr.View[float32](whole.Outputs[1].Tensor), got)
	_, err = dispatch(t, s, p, []sokr.Tensor{sokr.FromSlice(in, 200, 1, 1)}, sokr.Param("session", "b"))
	assert.ErrorContains(t, err, "1 sessions are live")
	_, err = dispatch(t, s, p, []sokr.Tensor{sokr.FromSlice(in, 200, 1, 1)}, sokr.Param("session", "a"), sokr.Param("dt", 1e-3))
	assert.ErrorContains(t, err, `session "a" was started with another graph, batch size or semantics`)
	res, err := dispatch(t, s, p, []sokr.Tensor{sokr.FromSlice(in, 200, 1, 1)}, sokr.Param("session", "a"), sokr.Param("session_reset", true))
	require.NoError(t, err)
	assert.Equal(t, "0", res.Meta["session_step"])
	assert.True(t, s.EndSession("a"))
	assert.False(t, s.EndSession("a"))
	assert.Equal(t, 0, s.Sessions())
}

// TestTestdata: every NIR file in the repository either runs or is refused
// with its reason (by the parser or by Capability).
func TestTestdata(t *testing.T) {
	checkNIRFiles(t, testdata)
}

// TestCorpus does the same for the full NIR paper set of the external
// corpus (the N-MNIST CNN and every braille variant).
func TestCorpus(t *testing.T) {
	checkNIRFiles(t, testcorpus.Dir(t, "nir"))
}

func checkNIRFiles(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.nir"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	s := snn.New()
	ran := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := nir.Parse(src)
		if err != nil {
			require.ErrorIs(t, err, sokr.ErrInvalidProgram, filepath.Base(f))
			t.Logf("%s: refused by the parser: %v", filepath.Base(f), err)
			continue
		}
		o := s.Capability(context.Background(), p)
		assert.True(t, o.OK, "%s: %s", filepath.Base(f), o.Reason)
		ran++
	}
	assert.Positive(t, ran, "no file of %s was accepted", dir)
}
