package circuit_test

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func mul(a, b []complex128, d int) []complex128 {
	out := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			for k := range d {
				out[r*d+c] += a[r*d+k] * b[k*d+c]
			}
		}
	}
	return out
}

func dagger(a []complex128, d int) []complex128 {
	out := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			out[c*d+r] = cmplx.Conj(a[r*d+c])
		}
	}
	return out
}

func isIdentity(t *testing.T, m []complex128, d int, msg string) {
	t.Helper()
	for r := range d {
		for c := range d {
			want := complex128(0)
			if r == c {
				want = 1
			}
			require.InDeltaf(t, 0, cmplx.Abs(m[r*d+c]-want), 1e-12, "%s at (%d,%d): %v", msg, r, c, m)
		}
	}
}

func TestGatesAreUnitaryAndInverted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for g := circuit.Gate(1); g.Valid(); g++ {
		params := make([]float64, g.NumParams())
		exprs := make([]circuit.Expr, len(params))
		for i := range params {
			params[i] = rng.Float64()*8 - 4
			exprs[i] = circuit.Const(params[i])
		}
		m := g.Matrix(params)
		d := 1 << g.Targets()
		require.Len(t, m, d*d, g.String())
		isIdentity(t, mul(m, dagger(m, d), d), d, g.String()+" unitary")
		inv, ip := g.Inverse(exprs)
		vals := make([]float64, len(ip))
		for i, e := range ip {
			vals[i] = e.Eval(nil)
		}
		isIdentity(t, mul(m, inv.Matrix(vals), d), d, g.String()+" inverse")
		if g.Class() == circuit.Diagonal {
			for r := range d {
				for c := range d {
					if r != c {
						require.Zero(t, m[r*d+c], g.String())
					}
				}
			}
		}
		got, ok := circuit.GateNamed(g.String())
		require.True(t, ok)
		require.Equal(t, g, got)
	}
	_, ok := circuit.GateNamed("nope")
	require.False(t, ok)
}

func TestGateDefinitions(t *testing.T) {
	m := func(g circuit.Gate, p ...float64) []complex128 { return g.Matrix(p) }
	near := func(a, b []complex128) {
		t.Helper()
		for i := range a {
			require.InDelta(t, 0, cmplx.Abs(a[i]-b[i]), 1e-12, "%v vs %v", a, b)
		}
	}
	near(m(circuit.SX), mul(m(circuit.SX), []complex128{1, 0, 0, 1}, 2))
	near(mul(m(circuit.SX), m(circuit.SX), 2), m(circuit.X))
	near(mul(m(circuit.S), m(circuit.S), 2), m(circuit.Z))
	near(mul(m(circuit.T), m(circuit.T), 2), m(circuit.S))
	near(m(circuit.U3, math.Pi, 0, math.Pi), m(circuit.X))
	near(m(circuit.U2, 0, math.Pi), m(circuit.H))
	near(m(circuit.P, 0.3), m(circuit.U3, 0, 0, 0.3))
	near(m(circuit.RX, math.Pi), []complex128{0, -1i, -1i, 0})
	// RZZ(θ) = exp(-iθ/2 Z⊗Z): |01> picks up e^{iθ/2}.
	require.InDelta(t, 0, cmplx.Abs(m(circuit.RZZ, 0.8)[5]-cmplx.Exp(0.4i)), 1e-12)
}

func TestReferenceBellAndControls(t *testing.T) {
	p := &circuit.Program{Qubits: 2, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{0}},
		{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{0, 1}},
	}}
	require.NoError(t, p.Validate())
	psi, err := circuittest.State(p, nil)
	require.NoError(t, err)
	r := 1 / math.Sqrt2
	assert.InDeltaSlice(t, []float64{r, 0, 0, r}, []float64{real(psi[0]), real(psi[1]), real(psi[2]), real(psi[3])}, 1e-12)

	// A negative control fires on |0>: X on qubit 1 when qubit 0 is 0.
	p.Ops = []circuit.Op{{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, NegControls: 1, Qubits: []int{0, 1}}}
	psi, err = circuittest.State(p, nil)
	require.NoError(t, err)
	assert.Equal(t, complex128(1), psi[2])

	// A controlled global phase is a phase on the control.
	p.Ops = []circuit.Op{
		{Kind: circuit.OpGate, Name: "x", Gate: circuit.X, Qubits: []int{0}},
		{Kind: circuit.OpGate, Name: "cgphase", Gate: circuit.GPhase, Controls: 1, Qubits: []int{0}, Params: []circuit.Expr{circuit.Const(math.Pi / 2)}},
	}
	psi, err = circuittest.State(p, nil)
	require.NoError(t, err)
	assert.InDelta(t, 0, cmplx.Abs(psi[1]-1i), 1e-12)
}

func TestRandomIsNormalised(t *testing.T) {
	p := circuittest.Random(rand.New(rand.NewPCG(3, 4)), 6, 10)
	psi, err := circuittest.State(p, nil)
	require.NoError(t, err)
	norm := 0.0
	for _, a := range psi {
		norm += real(a)*real(a) + imag(a)*imag(a)
	}
	assert.InDelta(t, 1, norm, 1e-12)
}

func TestExpr(t *testing.T) {
	e := circuit.Binary(circuit.ExprMul, circuit.Const(2), circuit.ParamRef(0))
	e = circuit.Binary(circuit.ExprAdd, e, circuit.Unary(circuit.ExprSin, circuit.Const(math.Pi/2)))
	assert.False(t, e.IsConst())
	assert.InDelta(t, 7, e.Eval([]float64{3}), 1e-15)
	assert.Equal(t, "((2 * $0) + 1)", e.String())
	c := circuit.Binary(circuit.ExprPow, circuit.Const(2), circuit.Const(10))
	assert.True(t, c.IsConst())
	assert.Equal(t, circuit.Const(1024), c)
	assert.Equal(t, "-($0)", circuit.Neg(circuit.ParamRef(0)).String())
	assert.Equal(t, circuit.ExprLog, circuit.Funcs["ln"])
}

func TestCond(t *testing.T) {
	bits := []bool{true, false, true} // value 0b101 = 5 over bits 0..2
	c := circuit.Cond{Clbits: []int{0, 1, 2}, Cmp: circuit.Eq, Value: 5}
	assert.True(t, c.Holds(bits))
	for _, c := range []struct {
		cmp   circuit.CmpOp
		value uint64
		want  bool
	}{{circuit.Ne, 5, false}, {circuit.Ne, 4, true}, {circuit.Lt, 5, false}, {circuit.Lt, 6, true},
		{circuit.Le, 5, true}, {circuit.Gt, 4, true}, {circuit.Gt, 5, false}, {circuit.Ge, 5, true}, {circuit.Ge, 6, false}} {
		assert.Equal(t, c.want, circuit.Cond{Clbits: []int{0, 1, 2}, Cmp: c.cmp, Value: c.value}.Holds(bits), "5 %s %d", c.cmp, c.value)
	}
	assert.False(t, circuit.Cond{Clbits: []int{1}, Cmp: circuit.Eq, Value: 1}.Holds(bits))
	assert.True(t, circuit.Cond{Clbits: []int{2, 0}, Cmp: circuit.Eq, Value: 3}.Holds(bits))
}

func TestValidateErrors(t *testing.T) {
	pos := sokr.Position{Line: 3, Col: 5}
	g := func(o circuit.Op) circuit.Op { o.Kind, o.Pos = circuit.OpGate, pos; return o }
	cases := map[string]struct {
		p    *circuit.Program
		want string
	}{
		"qubit range":  {&circuit.Program{Qubits: 1, Ops: []circuit.Op{g(circuit.Op{Name: "h", Gate: circuit.H, Qubits: []int{1}})}}, "h: qubit 1 out of range: the program has 1 qubits"},
		"dup qubit":    {&circuit.Program{Qubits: 2, Ops: []circuit.Op{g(circuit.Op{Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{1, 1}})}}, "cx: qubit 1 appears twice"},
		"arity":        {&circuit.Program{Qubits: 2, Ops: []circuit.Op{g(circuit.Op{Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{1}})}}, "cx acts on 2 qubits, got 1"},
		"params":       {&circuit.Program{Qubits: 1, Ops: []circuit.Op{g(circuit.Op{Name: "rx", Gate: circuit.RX, Qubits: []int{0}})}}, "rx takes 1 parameters, got 0"},
		"param ref":    {&circuit.Program{Qubits: 1, Ops: []circuit.Op{g(circuit.Op{Name: "rx", Gate: circuit.RX, Qubits: []int{0}, Params: []circuit.Expr{circuit.ParamRef(0)}})}}, "rx uses runtime parameter 0 of 0"},
		"bad gate":     {&circuit.Program{Qubits: 1, Ops: []circuit.Op{g(circuit.Op{Name: "zz", Qubits: []int{0}})}}, "zz: unknown gate"},
		"measure bit":  {&circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 2, Pos: pos}}}, "measure into bit 2: the program has 1 classical bits"},
		"cond bit":     {&circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{{Kind: circuit.OpIf, Cond: circuit.Cond{Clbits: []int{4}}, Pos: pos}}}, "if condition reads bit 4"},
		"nested":       {&circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{{Kind: circuit.OpIf, Cond: circuit.Cond{Clbits: []int{0}}, Then: []circuit.Op{g(circuit.Op{Name: "x", Gate: circuit.X, Qubits: []int{3}})}}}}, "x: qubit 3 out of range"},
		"bad channel":  {&circuit.Program{Qubits: 1, Ops: []circuit.Op{{Kind: circuit.OpChannel, Channel: &circuit.Channel{Kind: circuit.BitFlip, P: 2}, Qubits: []int{0}, Pos: pos}}}, "bit_flip channel probability 2 is not in [0, 1]"},
		"creg outside": {&circuit.Program{Qubits: 1, Clbits: 1, CRegs: []circuit.Register{{Name: "c", Start: 0, Size: 2}}}, "classical register c [0, 2) lies outside the 1 bits"},
		"too many":     {&circuit.Program{Qubits: 65}, "65 qubits: at most 64 are allowed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.p.Validate()
			require.ErrorIs(t, err, sokr.ErrInvalidProgram)
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, pe.Msg, c.want)
			assert.Equal(t, circuit.Format, pe.Format)
		})
	}
}

func TestRequirements(t *testing.T) {
	p := &circuit.Program{Qubits: 2, Clbits: 2, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{0}},
		{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 0},
		{Kind: circuit.OpMeasure, Qubits: []int{1}, Clbit: 1},
	}, Unsupported: []circuit.Unsupported{{Feature: "defcal"}}}
	require.NoError(t, p.Validate())
	r := p.Requirements()
	assert.Equal(t, []string{"gate:h", "op:measure", "unsupported:defcal"}, r.Features)
	assert.Equal(t, int64(2), r.Quantities["qubits"])
	assert.False(t, p.Dynamic())
	assert.True(t, p.Measured())

	q := &circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{
		{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 0},
		{Kind: circuit.OpGate, Name: "x", Gate: circuit.X, Qubits: []int{0}},
	}}
	assert.True(t, q.Dynamic())
	assert.Contains(t, q.Requirements().Features, "op:mid-circuit-measure")
}

func TestChannelsAreTracePreserving(t *testing.T) {
	for k := circuit.Depolarizing; k < circuit.Kraus; k++ {
		for n := 1; n <= 2; n++ {
			ch := circuit.Channel{Kind: k, P: 0.3}
			if ch.Validate(n) != nil {
				require.Equal(t, 2, n, k.String())
				continue
			}
			kr := circuit.Channel{Kind: circuit.Kraus, Ops: ch.KrausOps(n)}
			require.NoError(t, kr.Validate(n), "%s on %d", k, n)
			assert.Equal(t, n, kr.Arity())
		}
		name, ok := circuit.ChannelNamed(k.String())
		require.True(t, ok)
		assert.Equal(t, k, name)
	}
	bad := circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{{1, 0, 0, 0.5}}}
	assert.ErrorContains(t, bad.Validate(1), "not trace preserving")
	assert.ErrorContains(t, bad.Validate(2), "kraus operator 0 has 4 entries; on 2 qubits it needs 16")
}

func TestWithNoise(t *testing.T) {
	p := &circuit.Program{Qubits: 3, Clbits: 1, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{0}},
		{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{0, 1}},
		{Kind: circuit.OpIf, Cond: circuit.Cond{Clbits: []int{0}, Value: 1}, Then: []circuit.Op{
			{Kind: circuit.OpGate, Name: "x", Gate: circuit.X, Qubits: []int{2}},
		}},
	}}
	require.NoError(t, p.Validate())
	n, err := circuit.WithNoise(p, []circuit.NoiseRule{
		{Gate: "cx", Channel: circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}},
		{Gate: "*", Qubits: []int{2}, Channel: circuit.Channel{Kind: circuit.BitFlip, P: 0.2}},
		{Gate: "cx", Channel: circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.05}},
	})
	require.NoError(t, err)
	kinds := []string{}
	circuit.Walk(n.Ops, func(o *circuit.Op) { kinds = append(kinds, o.Kind.String()+":"+o.Name) })
	assert.Equal(t, []string{"gate:h", "gate:cx", "channel:depolarizing", "channel:amplitude_damping", "channel:amplitude_damping", "if:", "gate:x", "channel:bit_flip"}, kinds)
	assert.Len(t, p.Ops, 3, "the original is unchanged")
	assert.True(t, n.Dynamic())

	_, err = circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "x", Channel: circuit.Channel{Kind: circuit.BitFlip, P: 1.5}}})
	assert.ErrorContains(t, err, "noise rule 0 bit_flip channel probability 1.5 is not in [0, 1]")
	_, err = circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "x", Qubits: []int{7}, Channel: circuit.Channel{Kind: circuit.BitFlip}}})
	assert.ErrorContains(t, err, "qubit 7 out of range")
	two := circuit.Channel{Kind: circuit.Kraus, Ops: circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}.KrausOps(2)}
	_, err = circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "h", Channel: two}})
	assert.ErrorContains(t, err, "2-qubit channel, which cannot follow the 1-qubit gate h")
	_, err = circuit.WithNoise(p, []circuit.NoiseRule{{Channel: two}})
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
}

// WithNoise counts the ops its rules add before it builds them: rules
// that match every gate multiply a program, and one that would pass the
// limits fails at once. The channel ops it adds share their rule's
// channel and their gate's qubits.
func TestWithNoiseIsBounded(t *testing.T) {
	p := &circuit.Program{Qubits: 2}
	for range 1000 {
		p.Ops = append(p.Ops, circuit.Op{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{0, 1}})
	}
	require.NoError(t, p.Validate())
	rules := func(n int, ch circuit.Channel) []circuit.NoiseRule {
		r := make([]circuit.NoiseRule, n)
		for i := range r {
			r[i] = circuit.NoiseRule{Gate: "*", Channel: ch}
		}
		return r
	}
	// A one-qubit channel after a gate on 64 qubits is 64 ops.
	wide := &circuit.Program{Qubits: 64}
	all := make([]int, 64)
	for q := range all {
		all[q] = q
	}
	for range 1000 {
		wide.Ops = append(wide.Ops, circuit.Op{Kind: circuit.OpGate, Name: "mcx", Gate: circuit.X, Controls: 63, Qubits: all})
	}
	require.NoError(t, wide.Validate())
	flip := circuit.Channel{Kind: circuit.BitFlip, P: 0.01}
	for _, c := range []struct {
		rules []circuit.NoiseRule
		msg   string
	}{
		{rules(300, flip), "more than 16777216 operations"},               // 1000 · 300 · 64
		{rules(40, flip), "2561000 operations: more than fit in 512 MiB"}, // 1000 · (40 · 64 + 1)
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		n, err := circuit.WithNoise(wide, c.rules)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, sokr.ErrInvalidProgram)
		assert.ErrorContains(t, err, c.msg)
		assert.Nil(t, n)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "built ops before failing")
	}

	// One allocation for the ops, none for each channel or its qubits.
	damp := rules(1, circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.01})
	n, err := circuit.WithNoise(p, damp)
	require.NoError(t, err)
	require.Len(t, n.Ops, 3000)
	assert.Same(t, n.Ops[1].Channel, n.Ops[2].Channel)
	assert.Same(t, n.Ops[1].Channel, n.Ops[2999].Channel)
	assert.Equal(t, []int{0}, n.Ops[1].Qubits)
	assert.Equal(t, []int{1}, n.Ops[2].Qubits)
	allocs := testing.AllocsPerRun(5, func() { _, _ = circuit.WithNoise(p, damp) })
	assert.Less(t, allocs, 10.0)
}
