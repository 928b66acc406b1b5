package statevec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func observeOpts(paulis ...string) map[string]any {
	terms := make([]PauliTerm, len(paulis))
	for i, p := range paulis {
		terms[i] = PauliTerm{Coef: 1, Paulis: p}
	}
	return map[string]any{"mode": "observe", "observable": terms}
}

// Single-qubit channels against their closed forms, exactly, in both
// precisions: the density matrix is chosen for these noisy circuits.
func TestDensityAnalytic(t *testing.T) {
	s := New(Config{})
	const p, g = 0.3, 0.2
	cases := []struct {
		name  string
		c     *circuit.Program
		terms []string
		want  []float64
	}{
		// Depolarizing on |0>: X and Y (each p/3) flip Z: <Z> = 1 - 4p/3.
		{"depolarizing on |0>", newCircuit(1, 0).channel(circuit.Channel{Kind: circuit.Depolarizing, P: p}, 0).build(t),
			[]string{"Z", "X"}, []float64{1 - 4*p/3, 0}},
		// Amplitude damping of |1>: it decays with probability g.
		{"amplitude damping on |1>", newCircuit(1, 0).x(0).channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: g}, 0).build(t),
			[]string{"Z"}, []float64{2*g - 1}},
		// On |+>: rho11 = (1-g)/2, coherence sqrt(1-g)/2.
		{"amplitude damping on |+>", newCircuit(1, 0).h(0).channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: g}, 0).build(t),
			[]string{"Z", "X", "Y"}, []float64{g, math.Sqrt(1 - g), 0}},
		// S H |0> = |+i>, phase damping shrinks <Y> to sqrt(1-g).
		{"phase damping on |+i>", newCircuit(1, 0).h(0).gate(circuit.S, 0, []int{0}).
			channel(circuit.Channel{Kind: circuit.PhaseDamping, P: g}, 0).build(t),
			[]string{"Y", "X", "Z"}, []float64{math.Sqrt(1 - g), 0, 0}},
		{"Y sign", newCircuit(1, 0).h(0).gate(circuit.Sdg, 0, []int{0}).channel(circuit.Channel{Kind: circuit.BitFlip, P: g}, 0).build(t),
			[]string{"Y"}, []float64{-(1 - 2*g)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, prec := range []string{"complex128", "complex64"} {
				opts := observeOpts(c.terms...)
				opts["precision"] = prec
				res := mustRun(t, s, c.c, opts)
				assert.Equal(t, "density_matrix", res.Meta["method"])
				tol := 1e-12
				if prec == "complex64" {
					tol = 1e-6
				}
				assert.InDeltaSlice(t, c.want, expectationsOf(t, res), tol, prec)
			}
		})
	}
}

// A Bell pair with depolarizing noise on one qubit: X, Y, Z each with
// probability p/3; ZZ and XX flip under two of them, YY's -1 likewise.
func TestDensityNoisyBell(t *testing.T) {
	s := New(Config{})
	const p = 0.24
	b := newCircuit(2, 2).h(0).cx(0, 1).channel(circuit.Channel{Kind: circuit.Depolarizing, P: p}, 1)
	c := b.build(t)
	res := mustRun(t, s, c, observeOpts("ZZ", "XX", "YY", "ZI", "XY"))
	assert.Equal(t, "density_matrix", res.Meta["method"])
	f := 1 - 4*p/3
	assert.InDeltaSlice(t, []float64{f, f, -f, 0, 0}, expectationsOf(t, res), 1e-12)

	// Sampled from diag(rho): P(00) = P(11) = (1 - 2p/3)/2, P(01) = P(10) = p/3.
	m := newCircuit(2, 2).h(0).cx(0, 1).channel(circuit.Channel{Kind: circuit.Depolarizing, P: p}, 1).measure(0, 0).measure(1, 1).build(t)
	const shots = 20000
	res = mustRun(t, s, m, map[string]any{"shots": shots}, 11)
	assert.Equal(t, "density_matrix", res.Meta["method"])
	counts := countsOf(t, res)
	stat, df := chiSquare(counts, map[string]float64{"00": (1 - 2*p/3) / 2, "11": (1 - 2*p/3) / 2, "01": p / 3, "10": p / 3}, shots)
	assert.Less(t, stat, chiSquareCritical(df), "counts %v", counts)
	// The same seed gives the same counts.
	assert.Equal(t, counts, countsOf(t, mustRun(t, s, m, map[string]any{"shots": shots}, 11)))
}

// noisyRandom is a random circuit with every kind of channel, a reset
// and (in observe) an unrecorded mid-circuit measurement.
func noisyRandom(t *testing.T, seed uint64, n int) *circuit.Program {
	p := circuittest.Random(rand.New(rand.NewPCG(seed, 5)), n, 5)
	b := &builder{p: p}
	b.channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.3}, 0)
	b.channel(circuit.Channel{Kind: circuit.Depolarizing, P: 0.2}, 1, 2)
	b.channel(circuit.Channel{Kind: circuit.PhaseDamping, P: 0.4}, 3)
	b.cx(0, 3).h(1).measure(2, 0).gate(circuit.RY, 0, []int{2}, 0.7).reset(1).h(1)
	b.channel(circuit.Channel{Kind: circuit.BitFlip, P: 0.1}, 4)
	r := complex(math.Sqrt(0.5), 0)
	b.channel(circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{
		{r, 0, 0, 0, 0, r, 0, 0, 0, 0, r, 0, 0, 0, 0, r}, {r, 0, 0, 0, 0, 0, r, 0, 0, r, 0, 0, 0, 0, 0, r}}}, 4, 0)
	p.Clbits = 1
	return b.build(t)
}

// The exact expectations equal the average of many trajectories, within
// their statistical error (each trajectory's value is in [-1, 1]), with
// fusion on and off and with parallel passes.
func TestDensityMatchesTrajectories(t *testing.T) {
	c := noisyRandom(t, 3, 5)
	terms := []string{"ZZIII", "XIIYI", "IIXXZ", "YYIIZ", "ZIIIX", "IZIII"}
	const n = 20000
	traj := observeOpts(terms...)
	traj["method"], traj["trajectories"] = "trajectories", n
	want := expectationsOf(t, mustRun(t, New(Config{}), c, traj, 4))
	for _, s := range []*Substrate{New(Config{}), New(Config{Workers: 3, MinParallel: 1})} {
		for _, fusion := range []int{0, 3, 5} {
			opts := observeOpts(terms...)
			opts["fusion"] = fusion
			res := mustRun(t, s, c, opts)
			require.Equal(t, "density_matrix", res.Meta["method"])
			assert.InDeltaSlice(t, want, expectationsOf(t, res), 5/math.Sqrt(n), "fusion %d", fusion)
		}
	}
}

// An unrecorded measurement dephases (H M H leaves <Z> = 0, not 1) and a
// reset sends the qubit to |0> (from |+>), exactly.
func TestDensityMeasureAndResetInObserve(t *testing.T) {
	s := New(Config{})
	c := newCircuit(2, 1).h(0).measure(0, 0).h(0).h(1).reset(1).
		channel(circuit.Channel{Kind: circuit.BitFlip, P: 0}, 1).build(t)
	opts := observeOpts("ZI", "IZ", "XI")
	opts["method"] = "density_matrix"
	res := mustRun(t, s, c, opts)
	assert.InDeltaSlice(t, []float64{0, 1, 0}, expectationsOf(t, res), 1e-12)
}

// The method option: what "auto" picks and why "density_matrix" refuses.
func TestDensityMethodChoice(t *testing.T) {
	s := New(Config{})
	dep := circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}
	noisy := newCircuit(3, 1).h(0).channel(dep, 0).measure(0, 0).build(t)
	method := func(c *circuit.Program, opts map[string]any) string {
		t.Helper()
		return mustRun(t, s, c, opts, 1).Meta["method"]
	}
	assert.Equal(t, "density_matrix", method(noisy, map[string]any{}))
	assert.Equal(t, "trajectories", method(noisy, map[string]any{"method": "trajectories"}))
	assert.Equal(t, "trajectories", method(noisy, map[string]any{"method": "statevector"}))
	assert.Equal(t, "sampled", method(newCircuit(3, 1).h(0).measure(0, 0).build(t), map[string]any{"method": "auto"}))
	big := newCircuit(15, 0).h(0).channel(dep, 0).build(t)
	assert.Equal(t, "trajectories", method(big, map[string]any{"shots": 10}), "over 14 qubits")
	// 14 qubits take the density matrix (4 GiB: chosen, not run here).
	o, err := parseOptions(newCircuit(14, 0).p, sokr.Options{})
	require.NoError(t, err)
	require.NoError(t, New(Config{MemoryBudget: 8 << 30}).chooseMethod(newCircuit(14, 0).h(0).channel(dep, 0).build(t), o))
	assert.True(t, o.density, "14 qubits")
	o.density = false
	require.NoError(t, New(Config{MemoryBudget: 2 << 30}).chooseMethod(newCircuit(14, 0).h(0).channel(dep, 0).build(t), o))
	assert.False(t, o.density, "14 qubits over a 2 GiB budget")
	obs := observeOpts("ZII")
	obs["shots"] = 100
	assert.Equal(t, "trajectories", method(noisy, obs), "observe with shots estimates")
	// A density matrix does not record outcomes: branching, or acting on a
	// measured qubit in sample mode, keeps trajectories.
	branch := newCircuit(2, 1).h(0).channel(dep, 0).measure(0, 0).ifBits([]int{0}, 1, func(b *builder) { b.x(1) }).build(t)
	again := newCircuit(2, 2).h(0).channel(dep, 0).measure(0, 0).h(0).measure(0, 1).build(t)
	assert.Equal(t, "trajectories", method(branch, map[string]any{}))
	assert.Equal(t, "trajectories", method(again, map[string]any{}))
	assert.Equal(t, "density_matrix", method(again, observeOpts("ZI")), "observe: the measurement only dephases")
	id := make([]complex128, 64)
	for i := range 8 {
		id[i*9] = 1
	}
	three := newCircuit(3, 0).channel(circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{id}}, 0, 1, 2).build(t)
	assert.Equal(t, "trajectories", method(three, map[string]any{}))

	for _, c := range []struct {
		name string
		p    *circuit.Program
		opts map[string]any
		want string
	}{
		{"if", branch, map[string]any{}, "the if branches on measured bits"},
		{"measured qubit", again, map[string]any{}, "acts on qubit 0 after its measurement"},
		{"three-qubit channel", three, map[string]any{}, "acts on 3 qubits"},
		{"state", noisy, map[string]any{"mode": "state"}, "returns a state vector"},
		{"observe shots", noisy, obs, `drop "shots"`},
		{"bad value", noisy, map[string]any{"method": "dm"}, `want "auto", "density_matrix"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := c.opts["method"]; !ok {
				c.opts["method"] = "density_matrix"
			}
			_, err := s.EstimateRun(c.p, nil, sokr.Options{Params: c.opts})
			require.ErrorIs(t, err, sokr.ErrInvalidInput)
			assert.ErrorContains(t, err, `statevec option "method"`)
			assert.ErrorContains(t, err, c.want)
			_, err = dispatch(t, s, c.p, nil, c.opts)
			require.ErrorIs(t, err, sokr.ErrInvalidInput)
		})
	}
}

// Auto takes trajectories when the density matrix does not fit the
// budget, and an explicit density_matrix over it is refused.
func TestDensityOverBudget(t *testing.T) {
	s := New(Config{MemoryBudget: 4 << 20}) // 10 qubits: a 16 MiB density matrix
	c := newCircuit(10, 0).h(0).channel(circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}, 0).build(t)
	assert.Equal(t, "trajectories", mustRun(t, s, c, map[string]any{"shots": 10}, 1).Meta["method"])
	_, err := s.EstimateRun(c, nil, sokr.Options{Params: map[string]any{"method": "density_matrix"}})
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, "16.0 MiB")
}
