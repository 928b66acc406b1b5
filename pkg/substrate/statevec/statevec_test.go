package statevec

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

func bell(t testing.TB) *circuit.Program {
	return newCircuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build(t)
}

func TestConformance(t *testing.T) {
	p := bell(t)
	r := 1 / math.Sqrt2
	unmeasured := newCircuit(2, 0).h(0).cx(0, 1).build(t)
	slow := circuittest.Random(rand.New(rand.NewPCG(1, 1)), 18, 60)
	tooBig := &circuit.Program{Qubits: 40}
	unsupported := newCircuit(1, 0).h(0).build(t)
	unsupported.Unsupported = []circuit.Unsupported{{Feature: "defcal (pulse-level calibration)", Pos: sokr.Position{Line: 3, Col: 1}}}
	badNoise := newCircuit(1, 0).h(0).channel(circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{{1, 0, 0, 0.5}}}, 0).p
	sokrtest.Run(t, New(Config{}), sokrtest.Suite{
		Cases: []sokrtest.Case{
			{Name: "bell-sample", Program: p, Options: []sokr.DispatchOption{sokr.Seed(1), sokr.Param("shots", 100)},
				Check: func(res sokr.Result) error {
					c := res.Outputs[0].Value.(map[string]int64)
					if c["00"]+c["11"] != 100 || len(c) != 2 {
						return errors.New("bell counts are not 00 and 11 only")
					}
					return nil
				}},
			{Name: "bell-state", Program: unmeasured, Options: []sokr.DispatchOption{sokr.Param("mode", "state")},
				Want: []sokr.Tensor{sokr.FromSlice([]complex128{complex(r, 0), 0, 0, complex(r, 0)})}, Tol: 1e-12},
			{Name: "bell-observe", Program: unmeasured, Options: []sokr.DispatchOption{sokr.Param("mode", "observe"),
				sokr.Param("observable", []PauliTerm{{Coef: 1, Paulis: "ZZ"}, {Coef: 1, Paulis: "XX"}, {Coef: 1, Paulis: "YY"}, {Coef: 1, Paulis: "ZI"}})},
				Want: []sokr.Tensor{sokr.FromSlice([]float64{1, 1, -1, 0})}, Tol: 1e-12},
		},
		Slow:    &sokrtest.Case{Name: "slow", Program: slow, Options: []sokr.DispatchOption{sokr.Param("mode", "state")}},
		Refused: []sokr.Program{tooBig, unsupported, badNoise},
	})
}

func TestBitOrderAndRegisters(t *testing.T) {
	s := New(Config{})
	// x on qubit 0 only: classical bit 0 is the rightmost character.
	p := newCircuit(3, 3).x(0).measure(0, 0).measure(1, 1).measure(2, 2).build(t)
	res := mustRun(t, s, p, map[string]any{"shots": 10.0})
	assert.Equal(t, map[string]int64{"001": 10}, countsOf(t, res))
	assert.Equal(t, `[{"name":"c","start":0,"size":3}]`, res.Meta["registers"])
	assert.Equal(t, "sampled", res.Meta["method"])
	assert.Equal(t, "10", res.Meta["shots"])
	// Qubit 2 measured into bit 0; bits not written stay 0.
	p = newCircuit(3, 4).x(2).measure(2, 0).build(t)
	assert.Equal(t, map[string]int64{"0001": 5}, countsOf(t, mustRun(t, s, p, map[string]any{"shots": 5})))
	// No measurement at all: every qubit, qubit i into bit i.
	p = newCircuit(3, 0).x(1).build(t)
	res = mustRun(t, s, p, map[string]any{"shots": 4})
	assert.Equal(t, map[string]int64{"010": 4}, countsOf(t, res))
	assert.Equal(t, `[{"name":"m","start":0,"size":3}]`, res.Meta["registers"])
	// The state's index bit q is qubit q.
	st := stateOf(t, s, p, nil)
	assert.Equal(t, complex(1, 0), st[2])
}

func TestKnownAnswers(t *testing.T) {
	s := New(Config{})
	t.Run("GHZ", func(t *testing.T) {
		b := newCircuit(5, 5).h(0)
		for q := 1; q < 5; q++ {
			b.cx(q-1, q)
		}
		for q := range 5 {
			b.measure(q, q)
		}
		c := countsOf(t, mustRun(t, s, b.build(t), map[string]any{"shots": 2000}, 5))
		assert.Len(t, c, 2)
		assert.Equal(t, int64(2000), c["00000"]+c["11111"])
		assert.InDelta(t, 1000, c["00000"], 150) // 7 sigma of Binomial(2000, 1/2)
	})
	t.Run("Bernstein-Vazirani", func(t *testing.T) {
		const secret = 0b101101
		n := 6
		b := newCircuit(n+1, n).x(n).h(n)
		for q := range n {
			b.h(q)
		}
		for q := range n {
			if secret>>q&1 == 1 {
				b.cx(q, n)
			}
		}
		for q := range n {
			b.h(q).measure(q, q)
		}
		c := countsOf(t, mustRun(t, s, b.build(t), map[string]any{"shots": 100}))
		assert.Equal(t, map[string]int64{"101101": 100}, c)
	})
	t.Run("Deutsch", func(t *testing.T) {
		// Oracle f(x) = x (balanced: cx) measures 1; f(x) = 1 (constant: x on the ancilla) measures 0.
		for _, tc := range []struct {
			oracle func(*builder)
			want   string
		}{{func(b *builder) { b.cx(0, 1) }, "1"}, {func(b *builder) { b.x(1) }, "0"}} {
			b := newCircuit(2, 1).x(1).h(0).h(1)
			tc.oracle(b)
			b.h(0).measure(0, 0)
			assert.Equal(t, map[string]int64{tc.want: 50}, countsOf(t, mustRun(t, s, b.build(t), map[string]any{"shots": 50})))
		}
	})
	t.Run("teleportation", func(t *testing.T) {
		const theta, phi = 1.1, 0.7
		b := newCircuit(3, 2).gate(circuit.U3, 0, []int{0}, theta, phi, 0)
		b.h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1)
		b.ifBits([]int{1}, 1, func(b *builder) { b.x(2) })
		b.ifBits([]int{0}, 1, func(b *builder) { b.z(2) })
		p := b.build(t)
		res := mustRun(t, s, p, map[string]any{"mode": "observe", "trajectories": 64,
			"observable": []any{map[string]any{"coef": []any{1.0, 0.0}, "paulis": "IIZ"}, map[string]any{"coef": []any{1.0, 0.0}, "paulis": "IIX"},
				map[string]any{"coef": []any{1.0, 0.0}, "paulis": "IIY"}}}, 3)
		assert.Equal(t, "trajectories", res.Meta["method"])
		e := expectationsOf(t, res)
		// Every branch teleports exactly: the averages are the input's Bloch vector.
		assert.InDelta(t, math.Cos(theta), e[0], 1e-12)
		assert.InDelta(t, math.Sin(theta)*math.Cos(phi), e[1], 1e-12)
		assert.InDelta(t, math.Sin(theta)*math.Sin(phi), e[2], 1e-12)
		// Both measurement outcomes occur, each about a quarter of the time.
		c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": 400}, 3))
		assert.Len(t, c, 4)
	})
}

func TestMidCircuitMeasurementCollapses(t *testing.T) {
	s := New(Config{})
	b := newCircuit(2, 3).h(0).cx(0, 1).measure(0, 0)
	b.h(0).h(0) // gates on the measured qubit: per-shot simulation
	p := b.measure(0, 1).measure(1, 2).build(t)
	res := mustRun(t, s, p, map[string]any{"shots": 1000}, 9)
	assert.Equal(t, "trajectories", res.Meta["method"])
	c := countsOf(t, res)
	assert.Equal(t, int64(1000), c["000"]+c["111"], "%v", c)
	assert.InDelta(t, 500, c["000"], 110) // 7 sigma
}

func TestReset(t *testing.T) {
	s := New(Config{})
	p := newCircuit(1, 2).h(0).measure(0, 0).reset(0).measure(0, 1).build(t)
	c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": 500}, 2))
	assert.Equal(t, int64(500), c["00"]+c["01"], "%v", c)
	assert.Positive(t, c["01"])
	// A reset of an untouched qubit is dropped: the circuit stays static.
	p = newCircuit(2, 0).reset(0).reset(1).x(1).build(t)
	res := mustRun(t, s, p, map[string]any{"shots": 3})
	assert.Equal(t, "sampled", res.Meta["method"])
	assert.Equal(t, map[string]int64{"10": 3}, countsOf(t, res))
	// A reset of |1> gives |0>.
	p = newCircuit(1, 1).x(0).reset(0).measure(0, 0).build(t)
	assert.Equal(t, map[string]int64{"0": 20}, countsOf(t, mustRun(t, s, p, map[string]any{"shots": 20})))
}

func TestWhileLoop(t *testing.T) {
	s := New(Config{})
	// Repeat until success: measure |+> until it gives 1.
	b := newCircuit(1, 1).h(0).measure(0, 0)
	b.whileBits([]int{0}, 0, func(b *builder) { b.h(0).measure(0, 0) })
	c := countsOf(t, mustRun(t, s, b.build(t), map[string]any{"shots": 200}, 4))
	assert.Equal(t, map[string]int64{"1": 200}, c)
	// A loop that cannot end faults instead of hanging.
	b = newCircuit(1, 1).measure(0, 0).x(0).x(0)
	b.whileBits([]int{0}, 0, func(b *builder) { b.measure(0, 0) })
	_, err := dispatch(t, s, b.build(t), nil, map[string]any{"shots": 1})
	require.ErrorIs(t, err, sokr.ErrSubstrateFault)
	assert.Contains(t, err.Error(), "iterations")
}

func TestGlobalPhase(t *testing.T) {
	s := New(Config{})
	for _, fusion := range []int{0, 5} {
		p := newCircuit(2, 0).h(0).gate(circuit.GPhase, 0, []int{}, 0.3).build(t)
		st := stateOf(t, s, p, map[string]any{"fusion": fusion})
		ph := complex(math.Cos(0.3), math.Sin(0.3)) / complex(math.Sqrt2, 0)
		requireStatesClose(t, []complex128{ph, ph, 0, 0}, st, 1e-12, "gphase")
		// Controlled on qubit 0: a phase on the |1> half of qubit 0.
		p = newCircuit(2, 0).h(0).gate(circuit.GPhase, 1, []int{0}, 0.3).build(t)
		want, err := circuittest.State(p, nil)
		require.NoError(t, err)
		requireStatesClose(t, want, stateOf(t, s, p, map[string]any{"fusion": fusion}), 1e-12, "controlled gphase")
	}
}

func TestSameSeedSameCounts(t *testing.T) {
	p := circuittest.Random(rand.New(rand.NewPCG(2, 2)), 6, 8)
	one, three := New(Config{Workers: 1}), New(Config{Workers: 3, MinParallel: 1})
	opts := map[string]any{"shots": 500}
	a := countsOf(t, mustRun(t, one, p, opts, 42))
	assert.Equal(t, a, countsOf(t, mustRun(t, one, p, opts, 42)))
	assert.Equal(t, a, countsOf(t, mustRun(t, three, p, opts, 42)), "counts depend on the thread count")
	assert.NotEqual(t, a, countsOf(t, mustRun(t, one, p, opts, 43)))
	// Trajectories too.
	noisy, err := circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "*", Channel: circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.05}}})
	require.NoError(t, err)
	a = countsOf(t, mustRun(t, one, noisy, opts, 42))
	assert.Equal(t, a, countsOf(t, mustRun(t, three, noisy, opts, 42)), "trajectory counts depend on the thread count")
}

func TestCapabilityRefusals(t *testing.T) {
	s := New(Config{MemoryBudget: 24 << 30})
	ctx := context.Background()
	o := s.Capability(ctx, &circuit.Program{Qubits: 34})
	require.False(t, o.OK)
	assert.Equal(t, "needs 34 qubits (256 GiB as complex128, 128 GiB as complex64); this substrate holds at most 30 qubits in 24 GiB (31 as complex64)", o.Reason)
	o = s.Capability(ctx, &circuit.Program{Qubits: 31})
	assert.True(t, o.OK, "31 qubits fit as complex64: %s", o.Reason)
	_, err := dispatch(t, s, &circuit.Program{Qubits: 31}, nil, map[string]any{"mode": "state"})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "complex64")

	p := newCircuit(1, 0).h(0).build(t)
	p.Unsupported = []circuit.Unsupported{{Feature: "defcal (pulse-level calibration)", Pos: sokr.Position{Line: 4, Col: 2}}}
	o = s.Capability(ctx, p)
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "defcal (pulse-level calibration) at 4:2")

	o = s.Capability(ctx, sokrtest.Program{Fmt: "openqasm/9"})
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "openqasm/9")

	bad := newCircuit(1, 0).channel(circuit.Channel{Kind: circuit.BitFlip, P: 1.5}, 0).p
	o = s.Capability(ctx, bad)
	require.False(t, o.OK)
	assert.Contains(t, o.Reason, "bit_flip")

	o = s.Capability(ctx, bell(t))
	require.True(t, o.OK)
	// The state (64 B), and sampling's and the run's bookkeeping
	// (TestEstimateCoversTheRun checks the figure against runs).
	assert.GreaterOrEqual(t, o.Estimate.MemoryBytes, int64(64))
	assert.Less(t, o.Estimate.MemoryBytes, int64(64<<10))
	assert.Positive(t, o.Estimate.Time)
}

func TestBadInputsAndOptions(t *testing.T) {
	s := New(Config{})
	p := &circuit.Program{Qubits: 1, Params: []string{"theta"}, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "rx", Gate: circuit.RX, Params: []circuit.Expr{circuit.ParamRef(0)}, Qubits: []int{0}}}}
	require.NoError(t, p.Validate())
	good := []sokr.Tensor{sokr.Scalar(math.Pi)}
	st := stateOf(t, s, newCircuit(1, 0).gate(circuit.RX, 0, []int{0}, math.Pi).build(t), nil)
	res, err := dispatch(t, s, p, good, map[string]any{"mode": "state"})
	require.NoError(t, err)
	requireStatesClose(t, st, sokr.View[complex128](res.Outputs[0].Tensor), 1e-12, "runtime parameter")
	res, err = dispatch(t, s, p, []sokr.Tensor{sokr.Scalar(float32(math.Pi))}, map[string]any{"mode": "state"})
	require.NoError(t, err)
	requireStatesClose(t, st, sokr.View[complex128](res.Outputs[0].Tensor), 1e-6, "f32 parameter")

	for name, tc := range map[string]struct {
		in   []sokr.Tensor
		opts map[string]any
		want string
	}{
		"no input":        {nil, nil, "1 runtime parameters (theta), got 0"},
		"vector":          {[]sokr.Tensor{sokr.FromSlice([]float64{1})}, nil, "input 0 (theta)"},
		"int":             {[]sokr.Tensor{sokr.Scalar(int64(1))}, nil, "input 0 (theta)"},
		"nan":             {[]sokr.Tensor{sokr.Scalar(math.NaN())}, nil, "not finite"},
		"mode":            {good, map[string]any{"mode": "sampel"}, `"mode"`},
		"shots zero":      {good, map[string]any{"shots": 0.0}, `"shots": 0 is out of range`},
		"shots fraction":  {good, map[string]any{"shots": 1.5}, `"shots": got 1.5`},
		"shots string":    {good, map[string]any{"shots": "10"}, `"shots"`},
		"precision":       {good, map[string]any{"precision": "complex32"}, `"precision"`},
		"fusion":          {good, map[string]any{"fusion": 9}, `"fusion": 9 is out of range [0, 5]`},
		"trajectories":    {good, map[string]any{"trajectories": -1}, `"trajectories"`},
		"unknown":         {good, map[string]any{"shotz": 3}, `"shotz": unknown option`},
		"no observable":   {good, map[string]any{"mode": "observe"}, "needs an observable"},
		"stray obs":       {good, map[string]any{"observable": []PauliTerm{{Coef: 1, Paulis: "Z"}}}, "is for observe mode"},
		"term length":     {good, map[string]any{"mode": "observe", "observable": []PauliTerm{{Coef: 1, Paulis: "ZZ"}}}, "has 2 letters; the circuit has 1 qubits"},
		"term letter":     {good, map[string]any{"mode": "observe", "observable": []any{map[string]any{"coef": []any{1.0, 0.0}, "paulis": "Q"}}}, `'Q'`},
		"term coef":       {good, map[string]any{"mode": "observe", "observable": []any{map[string]any{"coef": "one", "paulis": "Z"}}}, `"coef" must be [re, im]`},
		"observable type": {good, map[string]any{"mode": "observe", "observable": "Z"}, "want a list of terms"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dispatch(t, s, p, tc.in, tc.opts)
			require.ErrorIs(t, err, sokr.ErrInvalidInput)
			var ie *sokr.InputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// get_state of a dynamic circuit.
	dyn := newCircuit(1, 1).h(0).measure(0, 0).x(0).build(t)
	_, err = dispatch(t, s, dyn, nil, map[string]any{"mode": "state"})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "get_state needs a unitary circuit")
	noisy := newCircuit(1, 0).h(0).channel(circuit.Channel{Kind: circuit.BitFlip, P: 0.1}, 0).build(t)
	_, err = dispatch(t, s, noisy, nil, map[string]any{"mode": "state"})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "bit_flip noise channel")
	// Terminal measurements are ignored by get_state.
	st = stateOf(t, s, bell(t), nil)
	assert.InDelta(t, 1/math.Sqrt2, real(st[3]), 1e-12)
}

func TestCancelledRunStops(t *testing.T) {
	s := New(Config{})
	p := circuittest.Random(rand.New(rand.NewPCG(5, 5)), 20, 200)
	ctx, cancel := context.WithCancel(context.Background())
	j := sokr.NewJob(ctx, p, nil, sokr.Options{Params: map[string]any{"mode": "state", "fusion": 0}})
	s.Dispatch(j, j)
	require.NoError(t, j.Future().Cancel())
	_, err := j.Future().Wait(context.Background())
	require.ErrorIs(t, err, sokr.ErrCancelled)
	<-j.Future().Settled() // the substrate handed the job back
	cancel()
	assert.True(t, strings.Contains(err.Error(), "cancel"))
}

// TestEstimateIsMeasured: the time estimate's constants are measured on
// this substrate (qcost.Lazy), the per-gate cost only once a circuit of
// qcost.CalQubits is asked about.
func TestEstimateIsMeasured(t *testing.T) {
	ctx := context.Background()
	s := New(Config{})
	small := circuittest.Layers(4, 2, 1)
	o := s.Capability(ctx, small)
	require.True(t, o.OK)
	m := s.cost.Model()
	assert.Positive(t, m.Latency, "measured on a two-qubit circuit")
	assert.Equal(t, s.cost.Fallback.PerGateAmp, m.PerGateAmp, "not measured for a small circuit")
	assert.Equal(t, m.Time(4, len(small.Ops)), o.Estimate.Time)

	big := circuittest.Layers(qcost.CalQubits+2, 2, 1)
	o = s.Capability(ctx, big)
	require.True(t, o.OK)
	m = s.cost.Model()
	assert.NotEqual(t, s.cost.Fallback.PerGateAmp, m.PerGateAmp, "measured on the calibration circuit")
	assert.Positive(t, m.PerGateAmp)
	assert.Equal(t, m.Time(qcost.CalQubits+2, len(big.Ops)), o.Estimate.Time)
	assert.Greater(t, o.Estimate.Time, s.Capability(ctx, small).Estimate.Time)
}
