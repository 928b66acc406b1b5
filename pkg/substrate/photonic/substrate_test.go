package photonic_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/photonic"
)

func mustParse(t testing.TB, src string) *ir.Program {
	t.Helper()
	p, err := ir.Parse([]byte(src))
	require.NoError(t, err)
	return p
}

const homSrc = "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"

// boson returns n photons in the first n of m modes through a chain of
// beam splitters that spreads them over every mode: a boson-sampling
// program whose cost grows as 2^n.
func boson(t testing.TB, n, m int) *ir.Program {
	t.Helper()
	in := make([]int, m)
	for i := range n {
		in[i] = 1
	}
	b := ir.NewBuilder(m).Input(in...)
	for layer := range 4 {
		for i := layer % 2; i+1 < m; i += 2 {
			b.BeamSplitter(i, i+1, ir.BeamSplitter{Theta: 1 + 0.1*float64(i), PhiTL: 0.3 * float64(layer)})
		}
	}
	p, err := b.Build()
	require.NoError(t, err)
	return p
}

func probabilitiesOf(r sokr.Result) (ir.Probabilities, error) {
	o, ok := r.Get("probabilities")
	if !ok {
		return nil, errors.New("no probabilities output")
	}
	p, ok := o.Value.(ir.Probabilities)
	if !ok {
		return nil, fmt.Errorf("probabilities are a %T", o.Value)
	}
	return p, nil
}

func countsOf(r sokr.Result) (ir.Counts, error) {
	o, ok := r.Get("counts")
	if !ok {
		return nil, errors.New("no counts output")
	}
	c, ok := o.Value.(ir.Counts)
	if !ok {
		return nil, fmt.Errorf("counts are a %T", o.Value)
	}
	return c, nil
}

func TestConformance(t *testing.T) {
	hom := mustParse(t, homSrc)
	slow := sokrtest.Case{Name: "boson-sampling", Program: boson(t, 10, 30), Options: []sokr.DispatchOption{sokr.Param("shots", 3000)},
		Check: func(r sokr.Result) error {
			c, err := countsOf(r)
			if err == nil && c.Shots() != 3000 {
				err = fmt.Errorf("%d shots, want 3000", c.Shots())
			}
			return err
		}}
	many := make([]int, 61)
	many[0] = 61
	tooMany, err := ir.NewBuilder(61).Input(many...).Build()
	require.NoError(t, err)
	sokrtest.Run(t, photonic.New(photonic.Config{}), sokrtest.Suite{
		Cases: []sokrtest.Case{
			{Name: "hom-probabilities", Program: hom, Options: []sokr.DispatchOption{sokr.Param("mode", "probabilities")},
				Check: func(r sokr.Result) error {
					p, err := probabilitiesOf(r)
					if err != nil {
						return err
					}
					if math.Abs(p.Get(ir.FockState{2, 0})-0.5) > 1e-12 || p.Get(ir.FockState{1, 1}) > 1e-12 {
						return fmt.Errorf("HOM probabilities %v", p)
					}
					return nil
				}},
			{Name: "hom-sample", Program: hom, Options: []sokr.DispatchOption{sokr.Seed(3), sokr.Param("shots", 500)},
				Check: func(r sokr.Result) error {
					c, err := countsOf(r)
					if err != nil {
						return err
					}
					if c.Shots() != 500 || c.Get(ir.FockState{1, 1}) != 0 || r.Meta["seed"] != "3" {
						return fmt.Errorf("HOM counts %v, meta %v", c, r.Meta)
					}
					return nil
				}},
		},
		Slow:    &slow,
		Refused: []sokr.Program{tooMany},
	})
}

// TestEstimates checks that a run allocates no more than its estimate:
// sampling, full distributions (lossless, lossy with threshold
// detectors), chosen outcomes, and a parallel permanent.
func TestEstimates(t *testing.T) {
	s := photonic.New(photonic.Config{Workers: 2})
	lossy := mustParse(t, "sokr.photonic/1\nmodes 6\ninput |1,1,0,1,0,0>\nbs 0, 1\nbs 1, 2\nbs 3, 4\nbs 2, 3\nloss 2, eta=0.5\nbs 4, 5\ndetect threshold 0, 5\n")
	for _, c := range []struct {
		name   string
		p      *ir.Program
		params map[string]any
	}{
		{"sample", boson(t, 6, 12), map[string]any{"shots": 5000}},
		{"sample-lossy", lossy, map[string]any{"shots": 2000}},
		{"slos", boson(t, 5, 12), map[string]any{"mode": "probabilities"}},
		{"slos-lossy", lossy, map[string]any{"mode": "probabilities"}},
		{"outputs", lossy, map[string]any{"mode": "probabilities", "outputs": []string{"|1,1,0,0,0,0>", "|0,0,0,1,0,1>", "|1,0,0,0,0,1>"}}},
		{"outputs-parallel", boson(t, 17, 20), map[string]any{"mode": "probabilities", "outputs": []string{"|1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0>"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := sokrtest.CheckEstimate(t, s, c.p, nil, sokr.Options{Seed: 1, HasSeed: true, Params: c.params})
			assert.Greater(t, m.Allocated, int64(0))
		})
	}
}

func TestOptionErrors(t *testing.T) {
	s := photonic.New(photonic.Config{})
	hom := mustParse(t, homSrc)
	thr := mustParse(t, homSrc+"detect threshold 1\n")
	for _, c := range []struct {
		p      *ir.Program
		params map[string]any
		msg    string
	}{
		{hom, map[string]any{"shot": 5}, `photonic option "shot": unknown option; the options are mode, shots, outputs`},
		{hom, map[string]any{"mode": "state"}, `want "sample" or "probabilities"`},
		{hom, map[string]any{"shots": 0}, "0 is out of range [1, 1073741824]"},
		{hom, map[string]any{"shots": 2.5}, "got 2.5; want an integer"},
		{hom, map[string]any{"shots": "10"}, "want an integer"},
		{hom, map[string]any{"mode": "probabilities", "shots": 10}, "only a sample run takes shots"},
		{hom, map[string]any{"outputs": []string{"|1,1>"}}, "only a probabilities run takes outputs"},
		{hom, map[string]any{"mode": "probabilities", "outputs": []string{}}, "0 outcomes"},
		{hom, map[string]any{"mode": "probabilities", "outputs": 5}, "want a list of Fock states"},
		{hom, map[string]any{"mode": "probabilities", "outputs": []string{"|1,1,0>"}}, "outcome 0, |1,1,0>, has 3 modes; the program has 2"},
		{hom, map[string]any{"mode": "probabilities", "outputs": []string{"1,1"}}, "want the form |n0,n1,...>"},
		{hom, map[string]any{"mode": "probabilities", "outputs": []any{[]any{1, "x"}}}, "outcome 0: occupation 1"},
		{hom, map[string]any{"mode": "probabilities", "outputs": [][]int{{1, -1}}}, "occupation 1 is -1"},
		{thr, map[string]any{"mode": "probabilities", "outputs": []string{"|0,2>"}}, "mode 1 has a threshold detector, which reads 0 or 1"},
	} {
		j := sokr.NewJob(context.Background(), c.p, nil, sokr.Options{Params: c.params})
		s.Dispatch(j, j)
		_, err := j.Future().Wait(context.Background())
		assert.ErrorIs(t, err, sokr.ErrInvalidInput, "%v", c.params)
		assert.ErrorContains(t, err, c.msg)
		_, err = s.EstimateRun(c.p, nil, sokr.Options{Params: c.params})
		assert.ErrorContains(t, err, c.msg, "EstimateRun gives Dispatch's error")
	}
	j := sokr.NewJob(context.Background(), hom, []sokr.Tensor{sokr.Scalar(1.0)}, sokr.Options{})
	s.Dispatch(j, j)
	_, err := j.Future().Wait(context.Background())
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)

	// Outcomes in every accepted form.
	for _, outputs := range []any{
		[]string{"|2,0>", "|1,1>"}, []ir.FockState{{2, 0}, {1, 1}}, [][]int{{2, 0}, {1, 1}},
		[]any{"|2,0>", []any{1, 1}}, []any{[]int{2, 0}, ir.FockState{1, 1}}, []any{[]any{2.0, int64(0)}, "|1,1>"},
	} {
		j := sokr.NewJob(context.Background(), hom, nil, sokr.Options{Params: map[string]any{"mode": "probabilities", "outputs": outputs}})
		s.Dispatch(j, j)
		res, err := j.Future().Wait(context.Background())
		require.NoError(t, err, "%#v", outputs)
		p, err := probabilitiesOf(res)
		require.NoError(t, err)
		assert.InDelta(t, 0.5, p.Get(ir.FockState{2, 0}), 1e-12)
		assert.Len(t, p, 2)
	}
}

// TestRefusals checks that what cannot finish is refused with numbers:
// by Capability when even one permanent is too long, by Dispatch (and
// EstimateRun) when the options ask too much.
func TestRefusals(t *testing.T) {
	s := photonic.New(photonic.Config{MaxTime: time.Second, Workers: 2})
	o := s.Capability(context.Background(), boson(t, 40, 40))
	assert.False(t, o.OK)
	assert.Contains(t, o.Reason, "40 photons in 40 modes: one permanent evaluation of size 40 takes about")
	assert.Contains(t, o.Reason, "over this substrate's limit of 1s per run")

	many := make([]int, 2)
	many[0] = 61
	p, err := ir.NewBuilder(2).Input(many...).Build()
	require.NoError(t, err)
	o = s.Capability(context.Background(), p)
	assert.False(t, o.OK)
	assert.Contains(t, o.Reason, "more than the 60 photons")

	o = s.Capability(context.Background(), sokrtest.Program{Fmt: "openqasm/2"})
	assert.Equal(t, "runs sokr.photonic/1 programs only, not openqasm/2", o.Reason)

	p = boson(t, 20, 24)
	o = s.Capability(context.Background(), p)
	require.True(t, o.OK, o.Reason)
	_, err = s.EstimateRun(p, nil, sokr.Options{Params: map[string]any{"shots": 100000}})
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "20 photons in 24 modes: about")
	assert.ErrorContains(t, err, "permanent evaluations of size 20 (100000 samples by Clifford & Clifford's algorithm B)")
	j := sokr.NewJob(context.Background(), p, nil, sokr.Options{Params: map[string]any{"shots": 100000}})
	s.Dispatch(j, j)
	_, err = j.Future().Wait(context.Background())
	assert.ErrorContains(t, err, "over this substrate's limit of 1s per run")

	small := photonic.New(photonic.Config{MemoryBudget: 64 << 20})
	p = boson(t, 12, 40) // C(51, 12) ≈ 1.6e11 outcomes
	_, err = small.EstimateRun(p, nil, sokr.Options{Params: map[string]any{"mode": "probabilities"}})
	assert.ErrorContains(t, err, "the full distribution by SLOS over")
	assert.ErrorContains(t, err, "about 8h")
	assert.ErrorContains(t, err, "over this substrate's limit of 1h0m0s per run and its memory budget of 64.0 MiB")
	_, err = small.EstimateRun(boson(t, 8, 30), nil, sokr.Options{Params: map[string]any{"mode": "probabilities"}})
	assert.ErrorContains(t, err, "8 photons in 30 modes: the full distribution by SLOS over 38608020 amplitudes (3.9e+07 outcomes)")
	assert.ErrorContains(t, err, ": over this substrate's memory budget of 64.0 MiB")
	c, err := small.Cost(p, sokr.Options{Params: map[string]any{"mode": "probabilities", "outputs": []string{"|1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0>"}}})
	require.NoError(t, err, "one outcome of the same program is cheap")
	assert.Equal(t, "permanents", c.Method)
	assert.Equal(t, 1.0, c.Permanents)
	assert.True(t, strings.HasPrefix(c.String(), "12 photons in 40 modes: about 1 permanent evaluations of size 12 (1 chosen outcomes)"), c.String())
}

// TestDeterminism: a seed gives the same counts on any number of workers;
// another seed gives other counts.
func TestDeterminism(t *testing.T) {
	p := boson(t, 5, 10)
	run := func(workers int, seed uint64) ir.Counts {
		s := photonic.New(photonic.Config{Workers: workers})
		j := sokr.NewJob(context.Background(), p, nil, sokr.Options{Seed: seed, HasSeed: true, Params: map[string]any{"shots": 700}})
		s.Dispatch(j, j)
		res, err := j.Future().Wait(context.Background())
		require.NoError(t, err)
		c, err := countsOf(res)
		require.NoError(t, err)
		return c
	}
	a := run(1, 11)
	assert.Equal(t, a, run(3, 11))
	assert.Equal(t, a, run(8, 11))
	assert.NotEqual(t, a, run(1, 12))
}

// TestCancel: a long run stops when its future is cancelled, in sampling
// and in a parallel permanent (TestDistributionCancelled covers SLOS,
// whose full map would be too large for a test at a size that runs long).
func TestCancel(t *testing.T) {
	s := photonic.New(photonic.Config{Workers: 2})
	for name, c := range map[string]struct {
		p      *ir.Program
		params map[string]any
	}{
		"sample":    {boson(t, 14, 28), map[string]any{"shots": 1000000}},
		"permanent": {boson(t, 28, 28), map[string]any{"mode": "probabilities", "outputs": []string{"|" + strings.Repeat("1,", 27) + "1>"}}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			j := sokr.NewJob(ctx, c.p, nil, sokr.Options{Params: c.params})
			start := time.Now()
			s.Dispatch(j, j)
			time.Sleep(20 * time.Millisecond)
			require.NoError(t, j.Future().Cancel())
			_, err := j.Future().Wait(context.Background())
			assert.ErrorIs(t, err, sokr.ErrCancelled)
			select {
			case <-j.Future().Settled():
			case <-time.After(30 * time.Second):
				t.Fatal("the run did not stop after cancellation")
			}
			t.Logf("stopped %v after the dispatch", time.Since(start))
			cancel()
		})
	}
}

// TestBadProgram: a Program filled in by hand that does not verify is
// refused, not run.
func TestBadProgram(t *testing.T) {
	s := photonic.New(photonic.Config{})
	bad := &ir.Program{Modes: 2, Input: ir.FockState{1}, Detectors: []ir.Detector{ir.PNR, ir.PNR}}
	o := s.Capability(context.Background(), bad)
	assert.False(t, o.OK)
	assert.Contains(t, o.Reason, "the program does not verify")
	j := sokr.NewJob(context.Background(), bad, nil, sokr.Options{})
	s.Dispatch(j, j)
	_, err := j.Future().Wait(context.Background())
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
}

func TestDescribe(t *testing.T) {
	s := photonic.New(photonic.Config{Name: "optics", Workers: 3, MaxTime: time.Minute})
	assert.Equal(t, "optics", s.Name())
	assert.Equal(t, sokr.KindPhotonic, s.Kind())
	d := s.Describe()
	assert.Equal(t, "3", d["workers"])
	assert.Equal(t, "1m0s", d["max_time"])
	assert.Equal(t, ir.Format, d["formats"])
	assert.NotEmpty(t, d["max_photons"])
	assert.Equal(t, "sample,probabilities", d["modes"])
}

// TestRuntime runs through a runtime that parses the text and picks the
// substrate by capability.
func TestRuntime(t *testing.T) {
	rt := sokr.New()
	require.NoError(t, rt.RegisterIR(ir.NewIR()))
	require.NoError(t, rt.RegisterSubstrate(photonic.New(photonic.Config{})))
	prog, err := rt.Parse(context.Background(), "", []byte(homSrc))
	require.NoError(t, err)
	f := rt.Dispatch(context.Background(), prog, nil, sokr.Param("mode", "probabilities"))
	res, err := f.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "photonic", f.Substrate())
	p, err := probabilitiesOf(res)
	require.NoError(t, err)
	assert.InDelta(t, 0.5, p.Get(ir.FockState{0, 2}), 1e-12)
	assert.Equal(t, "slos", res.Meta["method"])
	assert.Equal(t, "none", res.Meta["loss"])
	assert.Contains(t, res.Meta["cost"], "2 photons in 2 modes: the full distribution by SLOS over 3 amplitudes")
}
