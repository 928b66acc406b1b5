package statevec

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

var _ sokrtest.RunEstimator = (*Substrate)(nil)

// Shots are an option Capability cannot see: a billion shots of a
// 20-qubit circuit draw 8 GB of uniforms and may count a million distinct
// outcomes. EstimateRun and Dispatch count them and refuse over the
// budget, before anything is allocated; the message gives the parts.
func TestShotsCounted(t *testing.T) {
	b := newCircuit(20, 0)
	for q := range 20 {
		b.h(q)
	}
	p := b.build(t)
	s := New(Config{MemoryBudget: 1 << 30})
	o := s.Capability(context.Background(), p)
	require.True(t, o.OK, o.Reason)
	assert.Less(t, o.Estimate.MemoryBytes, int64(64<<20), "the default 1000 shots")
	opts := sokr.Options{Params: map[string]any{"shots": 1 << 30}}
	_, err := s.EstimateRun(p, nil, opts)
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "a sample run of 20 qubits in complex128 needs about")
	assert.ErrorContains(t, err, "samples and results")
	_, err = dispatch(t, s, p, nil, opts.Params)
	require.ErrorIs(t, err, sokr.ErrInvalidInput)

	big := New(Config{MemoryBudget: 1 << 50})
	est, err := big.EstimateRun(p, nil, opts)
	require.NoError(t, err)
	assert.Greater(t, est.MemoryBytes, int64(8<<30), "the uniforms alone")
}

// A reset of a qubit already used makes a circuit per-shot, though it
// has no mid-circuit measurement: the run keeps the prefix state and a
// shot's copy, which the estimate counts (it counted one state before).
func TestPerShotStatesCounted(t *testing.T) {
	p := newCircuit(12, 1).h(0).reset(0).h(0).measure(0, 0).build(t)
	require.False(t, p.Dynamic(), "no mid-circuit measurement")
	s := New(Config{Workers: 1})
	est, err := s.EstimateRun(p, nil, sokr.Options{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, est.MemoryBytes, 2*stateBytes(12, 16))
}

// The states of a run that does not fit: the messages keep their advice.
func TestStatesOverBudget(t *testing.T) {
	s := New(Config{MemoryBudget: 24 << 30})
	_, err := s.EstimateRun(&circuit.Program{Qubits: 31}, nil, sokr.Options{Params: map[string]any{"mode": "state"}})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, `pass precision "complex64"`)
	// Observing an X term of 30 qubits rotates a copy of the state: 16 GiB
	// in complex64, over a 12 GiB budget that holds the state itself.
	s = New(Config{MemoryBudget: 12 << 30})
	p := newCircuit(30, 0).h(0).build(t)
	_, err = s.EstimateRun(p, nil, sokr.Options{Params: map[string]any{"precision": "complex64", "mode": "observe",
		"observable": []PauliTerm{{Coef: 1, Paulis: "X" + strings.Repeat("I", 29)}}}})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "an observe run of 30 qubits keeps 16.0 GiB of state vectors")
}

// Every estimate is checked against reality: circuits that exercise each
// kind of allocation a run makes (the state, fused and unfused passes,
// sampling small and large states, per-shot copies and keys, observe's
// rotated copies and trajectories, noise channels), in both precisions,
// stay within EstimateRun's figure. Not parallel: CheckEstimate measures
// the whole process.
func TestEstimateCoversTheRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	random16 := circuittest.Random(rng, 16, 8)
	random10 := circuittest.Random(rng, 10, 30)
	ghz := func(n int) *circuit.Program {
		b := newCircuit(n, n).h(0)
		for q := 1; q < n; q++ {
			b.cx(q-1, q)
		}
		for q := range n {
			b.measure(q, q)
		}
		return b.build(t)
	}
	midMeasure := newCircuit(12, 2).h(0).cx(0, 1).measure(0, 0).h(0).measure(1, 1).build(t)
	noisy := newCircuit(12, 0).h(0).cx(0, 1).channel(circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}, 1).h(2).build(t)
	noisy10 := newCircuit(10, 10).h(0).cx(0, 1).channel(circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}, 0, 1).
		channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.2}, 2).reset(0).h(0).h(5).cx(5, 9).measure(0, 0).measure(9, 9).build(t)
	for _, op := range circuittest.Random(rand.New(rand.NewPCG(15, 5)), 10, 6).Ops {
		noisy10.Ops = append(noisy10.Ops[:len(noisy10.Ops)-2:len(noisy10.Ops)-2], op, noisy10.Ops[len(noisy10.Ops)-2], noisy10.Ops[len(noisy10.Ops)-1])
	}
	noisyIf := newCircuit(12, 2).h(0).channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.2}, 0).measure(0, 0).
		ifBits([]int{0}, 1, func(b *builder) { b.x(1) }).measure(1, 1).build(t)
	zz10 := []PauliTerm{{Coef: 1, Paulis: "ZZIIIIIIII"}, {Coef: 1, Paulis: "XYIIIZIIIX"}}
	zz := []PauliTerm{{Coef: 1, Paulis: "ZZIIIIIIIIIIIIII"}, {Coef: 1, Paulis: "XXIIIIIIIIIIIIII"}, {Coef: 1, Paulis: "IYZIIIIIIIIIIIII"}}
	cases := []struct {
		name string
		p    *circuit.Program
		opts map[string]any
	}{
		{"bell", bell(t), nil},
		{"state 16", random16, map[string]any{"mode": "state"}},
		{"state 16 c64 unfused", random16, map[string]any{"mode": "state", "precision": "complex64", "fusion": 0}},
		{"sample 16", random16, map[string]any{"shots": 5000}},
		{"sample ghz 18", ghz(18), map[string]any{"shots": 20000}},
		{"sample small", random10, map[string]any{"shots": 3000, "fusion": 3}},
		{"observe 16", random16, map[string]any{"mode": "observe", "observable": zz}},
		{"observe 16 shots", random16, map[string]any{"mode": "observe", "observable": zz, "shots": 100}},
		// Few shots and trajectories: each allocates in passing (a
		// measurement's pass, a parallel loop per pass), which the estimate
		// counts once, as a run holds one shot's at a time, while the
		// measure counts every shot's.
		{"mid-circuit", midMeasure, map[string]any{"shots": 8}},
		{"noisy observe", noisy, map[string]any{"mode": "observe", "observable": zz[:1:1], "trajectories": 8, "method": "trajectories"}},
		// The density matrix: 4^n amplitudes, every gate twice, channels
		// (one- and two-qubit, a reset, a measurement) as superoperators.
		{"density sample", noisy10, map[string]any{"shots": 3000}},
		{"density sample c64 unfused", noisy10, map[string]any{"shots": 3000, "precision": "complex64", "fusion": 0}},
		{"density observe", noisy10, map[string]any{"mode": "observe", "observable": zz10}},
		// Noisy but branching: "auto" looks at it, then runs trajectories.
		{"noisy branching", noisyIf, map[string]any{"shots": 8}},
	}
	for _, c := range cases {
		if c.name == "noisy observe" {
			c.opts["observable"] = []PauliTerm{{Coef: 1, Paulis: "ZZIIIIIIIIII"}}
		}
	}
	subs := []*Substrate{New(Config{}), New(Config{Workers: 1}), New(Config{Workers: 4, MinParallel: 1})}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range subs {
				m := sokrtest.CheckEstimate(t, s, c.p, nil, sokr.Options{Params: c.opts, Seed: 1, HasSeed: true})
				if c.p.Qubits >= 16 || c.p == noisy10 {
					assert.Less(t, m.Estimate, 4*m.Allocated+(1<<20), "the estimate is far above the run")
				}
			}
		})
	}
}
