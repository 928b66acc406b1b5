package qasm_test

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

const std = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n"

func mustParse(t *testing.T, src string) *circuit.Program {
	t.Helper()
	p, err := qasm.Parse([]byte(src))
	require.NoError(t, err, src)
	return p
}

func gate(name string, g circuit.Gate, controls int, qubits []int, params ...float64) circuit.Op {
	o := circuit.Op{Kind: circuit.OpGate, Name: name, Gate: g, Qubits: qubits, Controls: controls}
	for _, v := range params {
		o.Params = append(o.Params, circuit.Const(v))
	}
	return o
}

// sameState checks that src and the hand-built ops give the same state
// (exactly, global phase included) after the same random preparation.
func sameState(t *testing.T, src string, want ...circuit.Op) {
	t.Helper()
	p := mustParse(t, src)
	prep := circuittest.Random(newRand(), p.Qubits, 2)
	exp := &circuit.Program{Qubits: p.Qubits, Ops: append(append([]circuit.Op{}, prep.Ops...), want...)}
	require.NoError(t, exp.Validate())
	got := &circuit.Program{Qubits: p.Qubits, Params: p.Params, Ops: append(append([]circuit.Op{}, prep.Ops...), p.Ops...)}
	a, err := circuittest.State(got, nil)
	require.NoError(t, err)
	b, err := circuittest.State(exp, nil)
	require.NoError(t, err)
	for i := range a {
		require.InDelta(t, 0, cmplx.Abs(a[i]-b[i]), 1e-9, "amplitude %d of %s", i, src)
	}
}

func TestModifiers(t *testing.T) {
	q3 := std + "qubit[3] q;\n"
	neg := gate("x", circuit.X, 1, []int{0, 1})
	neg.NegControls = 1
	negc := gate("x", circuit.X, 2, []int{0, 1, 2})
	negc.NegControls = 0b10
	cases := []struct {
		src  string
		want []circuit.Op
	}{
		{"ctrl @ x q[0], q[1];", []circuit.Op{gate("x", circuit.X, 1, []int{0, 1})}},
		{"negctrl @ x q[0], q[1];", []circuit.Op{neg}},
		{"ctrl(2) @ x q[2], q[0], q[1];", []circuit.Op{gate("x", circuit.X, 2, []int{2, 0, 1})}},
		{"ctrl @ negctrl @ x q[0], q[1], q[2];", []circuit.Op{negc}},
		{"ctrl @ ctrl @ h q[0], q[1], q[2];", []circuit.Op{gate("h", circuit.H, 2, []int{0, 1, 2})}},
		{"inv @ s q[1];", []circuit.Op{gate("sdg", circuit.Sdg, 0, []int{1})}},
		{"inv @ rx(0.3) q[1];", []circuit.Op{gate("rx", circuit.RX, 0, []int{1}, -0.3)}},
		{"inv @ ctrl @ u3(0.1, 0.2, 0.3) q[0], q[2];", []circuit.Op{
			gate("u3", circuit.U3, 1, []int{0, 2}, -0.1, -0.3, -0.2), gate("gphase", circuit.GPhase, 1, []int{0}, 0.25)}},
		{"pow(2) @ s q[0];", []circuit.Op{gate("z", circuit.Z, 0, []int{0})}},
		{"pow(-1) @ t q[0];", []circuit.Op{gate("tdg", circuit.Tdg, 0, []int{0})}},
		{"pow(0) @ h q[0];", nil},
		{"pow(0.5) @ x q[2];", []circuit.Op{gate("sx", circuit.SX, 0, []int{2})}},
		{"pow(0.5) @ cx q[0], q[1];", []circuit.Op{gate("sx", circuit.SX, 1, []int{0, 1})}},
		{"pow(1/2) @ rz(0.8) q[0];", []circuit.Op{gate("rz", circuit.RZ, 0, []int{0}, 0.4)}},
		{"ctrl @ pow(0.25) @ z q[1], q[0];", []circuit.Op{gate("t", circuit.T, 1, []int{1, 0})}},
		{"ctrl @ gphase(π/2) q[1];", []circuit.Op{gate("s", circuit.S, 0, []int{1})}},
		{"gphase(pi);", []circuit.Op{gate("gphase", circuit.GPhase, 0, nil, math.Pi)}},
		{"ctrl @ ctrl @ gphase(-tau/8) q[0], q[2];", []circuit.Op{gate("p", circuit.P, 1, []int{0, 2}, -math.Pi/4)}},
		{"cu(0.1, 0.2, 0.3, 0.4) q[1], q[0];", []circuit.Op{
			gate("p", circuit.P, 0, []int{1}, 0.4), gate("u3", circuit.U3, 1, []int{1, 0}, 0.1, 0.2, 0.3)}},
		{"gate g(a) x, y { ctrl @ rx(2*a) x, y; gphase(a); } inv @ g(0.3) q[2], q[1];", []circuit.Op{
			gate("gphase", circuit.GPhase, 0, nil, -0.3), gate("rx", circuit.RX, 1, []int{2, 1}, -0.6)}},
		{"gate g x { s x; gphase(0.5); } ctrl @ g q[0], q[1];", []circuit.Op{
			gate("s", circuit.S, 1, []int{0, 1}), gate("p", circuit.P, 0, []int{0}, 0.5)}},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) { sameState(t, q3+c.src, c.want...) })
	}
}

func TestModifierNames(t *testing.T) {
	p := mustParse(t, std+"qubit[2] q; ctrl @ x q[0], q[1]; cx q[0], q[1]; ccx q[0], q[1], $2; inv @ t q[0];")
	// $2 made a physical register "$" of 3 qubits first.
	require.Len(t, p.QRegs, 2)
	assert.Equal(t, circuit.Register{Name: "$", Start: 0, Size: 3}, p.QRegs[0])
	names := []string{}
	for _, o := range p.Ops {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"x", "cx", "ccx", "tdg"}, names)
	assert.Equal(t, circuit.X, p.Ops[2].Gate)
	assert.Equal(t, 2, p.Ops[2].Controls)
}

func TestNonIntegerPowUnsupported(t *testing.T) {
	p := mustParse(t, std+"input float a; qubit[2] q; pow(0.5) @ rz(a) q[0]; pow(0.5) @ swap q[0], q[1];")
	require.Len(t, p.Unsupported, 2)
	assert.Contains(t, p.Unsupported[0].Feature, "runtime parameters")
	assert.Contains(t, p.Unsupported[1].Feature, "more than one qubit")
	assert.Equal(t, sokr.Position{Line: 3, Col: 28}, p.Unsupported[0].Pos)
}

func TestBroadcastAndRegisters(t *testing.T) {
	p := mustParse(t, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\nqreg r[3];\ncreg c[3];\nh q;\ncx q, r;\ncx q[0], r;\nbarrier q, r[1];\nreset r;\nmeasure q -> c;\n")
	count := map[string]int{}
	for _, o := range p.Ops {
		count[o.Name]++
	}
	assert.Equal(t, map[string]int{"h": 3, "cx": 6, "barrier": 1, "reset": 3, "measure": 3}, count)
	assert.Equal(t, []int{0, 3}, p.Ops[3].Qubits)
	assert.Equal(t, []int{0, 4}, p.Ops[7].Qubits)
	assert.Equal(t, []int{0, 1, 2, 4}, p.Ops[9].Qubits)
	assert.Equal(t, 2, p.Ops[len(p.Ops)-1].Clbit)
	assert.Equal(t, []circuit.Register{{Name: "c", Start: 0, Size: 3}}, p.CRegs)
}

func TestIndexingAndAliases(t *testing.T) {
	p := mustParse(t, std+"qubit[5] q;\nx q[0:2];\nh q[{1, 4}];\nz q[-1];\ny q[4:-2:0];\nlet a = q[1:2] ++ q[0];\ns a;\nlet b = a[2];\nt b;")
	var got [][]int
	for _, o := range p.Ops {
		got = append(got, o.Qubits)
	}
	assert.Equal(t, [][]int{{0}, {1}, {2}, {1}, {4}, {4}, {4}, {2}, {0}, {1}, {2}, {0}, {0}}, got)
}

func TestLoopsAndConstants(t *testing.T) {
	p := mustParse(t, std+`const int n = 2 ** 2;
const float a = tau / 4 + euler - ℯ;
qubit[n] q;
for int i in [0:n-1] { rx(a * i) q[i]; }
for uint i in [3:-2:0] { if (i % 3 == 0) { continue; } h q[i]; }
for int i in {2, 0} { for int j in [0:3] { if (j == 1) break; x q[i + j]; } }
int k = 0;
while (k < 2) { z q[k]; k += 1; }
rz(sqrt(4) * arcsin(1) + ln(1) + cos(0) - exp(0) + floor(1.7) + mod(5, 3) - popcount(3)) q[0];`)
	var ops []string
	for _, o := range p.Ops {
		ops = append(ops, o.Name+"@"+string(rune('0'+o.Qubits[0])))
	}
	assert.Equal(t, []string{"rx@0", "rx@1", "rx@2", "rx@3", "h@1", "x@2", "x@0", "z@0", "z@1", "rz@0"}, ops)
	assert.InDelta(t, math.Pi, p.Ops[2].Params[0].Eval(nil), 1e-12)
	assert.InDelta(t, math.Pi+1, p.Ops[9].Params[0].Eval(nil), 1e-12)
}

func TestParams(t *testing.T) {
	p := mustParse(t, std+"input float[64] theta;\ninput angle phi;\nqubit q;\nrx(theta) q;\nrz(2 * phi + pi) q;\nu3(theta, -phi, sin(theta)) q;")
	assert.Equal(t, []string{"theta", "phi"}, p.Params)
	require.NoError(t, p.Validate())
	assert.False(t, p.Ops[0].Params[0].IsConst())
	vals := []float64{0.7, -0.2}
	assert.InDelta(t, 2*-0.2+math.Pi, p.Ops[1].Params[0].Eval(vals), 1e-12)
	assert.InDelta(t, math.Sin(0.7), p.Ops[3].Params[2].Eval(vals), 1e-12)
	psi, err := circuittest.State(p, vals)
	require.NoError(t, err)
	assert.Len(t, psi, 2)
	q := mustParse(t, std+"input int n; qubit q;")
	require.Len(t, q.Unsupported, 1)
	assert.Contains(t, q.Unsupported[0].Feature, "input of type int")
}

func TestConditions(t *testing.T) {
	p := mustParse(t, std+`qubit[2] q; bit[3] c; bit d;
c[0] = measure q[0];
d = measure q[1];
if (c == 5) x q[0]; else { y q[0]; }
if (c[1]) x q[0];
if (!c[0]) x q[0];
if (int[3](c) != 0) x q[0];
if (3 < c) x q[0];
if (d == true) x q[0];
if (c[0] == 1 && c[2] == 0) x q[0];
if (c == -1) x q[0];
if (1 + 1 == 2) h q[1];
while (d) { h q[1]; d = measure q[1]; }
measure q -> c[0:1];`)
	var conds []circuit.Cond
	for _, o := range p.Ops {
		if o.Kind == circuit.OpIf || o.Kind == circuit.OpWhile {
			conds = append(conds, o.Cond)
		}
	}
	assert.Equal(t, []circuit.Cond{
		{Clbits: []int{0, 1, 2}, Cmp: circuit.Eq, Value: 5},
		{Clbits: []int{1}, Cmp: circuit.Ne, Value: 0},
		{Clbits: []int{0}, Cmp: circuit.Eq, Value: 0},
		{Clbits: []int{0, 1, 2}, Cmp: circuit.Ne, Value: 0},
		{Clbits: []int{0, 1, 2}, Cmp: circuit.Gt, Value: 3},
		{Clbits: []int{3}, Cmp: circuit.Eq, Value: 1},
		{Clbits: []int{0, 2}, Cmp: circuit.Eq, Value: 1},
		{Clbits: []int{3}, Cmp: circuit.Ne, Value: 0},
	}, conds)
	assert.Equal(t, circuit.OpIf, p.Ops[2].Kind)
	assert.Len(t, p.Ops[2].Else, 1)
	assert.Equal(t, "h", p.Ops[9].Name) // if (c == -1) never holds; 1+1==2 always does
	assert.Equal(t, circuit.OpWhile, p.Ops[10].Kind)
	assert.Len(t, p.Ops[10].Then, 2)
	assert.True(t, p.Dynamic())

	q2 := mustParse(t, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[2];\nmeasure q[0] -> c[1];\nif(c==2) x q[0];\nif(c==1) measure q[0] -> c[0];\n")
	require.Equal(t, circuit.OpIf, q2.Ops[1].Kind)
	assert.Equal(t, circuit.Cond{Clbits: []int{0, 1}, Cmp: circuit.Eq, Value: 2}, q2.Ops[1].Cond)
	assert.Equal(t, circuit.OpMeasure, q2.Ops[2].Then[0].Kind)
}

func TestSubroutines(t *testing.T) {
	p := mustParse(t, std+`def bell(qubit a, qubit b) { h a; cx a, b; }
def mz(qubit x) -> bit { h x; return measure x; }
def twice(int k, qubit[2] r) -> bit[2] { bit[2] out; for int i in [1:k] { x r; } out = measure r; return out; }
qubit[2] q; bit b; bit[2] c;
bell(q[0], q[1]);
bell q[1], q[0];
b = mz(q[0]);
c = twice(3, q);`)
	var names []string
	for _, o := range p.Ops {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"h", "cx", "h", "cx", "h", "measure", "x", "x", "x", "x", "x", "x", "measure", "measure"}, names)
	assert.Equal(t, 0, p.Ops[5].Clbit)
	assert.Equal(t, []int{1, 2}, []int{p.Ops[12].Clbit, p.Ops[13].Clbit})
	assert.Equal(t, 3, p.Clbits) // out was bound to c

	r := mustParse(t, std+"def f(qubit a) { f(a); } qubit q; f(q);")
	require.Len(t, r.Unsupported, 1)
	assert.Equal(t, "recursive subroutines", r.Unsupported[0].Feature)
}

func TestCalibratedGateIsPulseLevel(t *testing.T) {
	// x has a defcal and no gate definition: a pulse-level program, refused
	// by capability, not an invalid one.
	p := mustParse(t, "OPENQASM 3;\ndefcalgrammar \"openpulse\";\ndefcal x $0 { }\nx $0;\n")
	var feats []string
	for _, u := range p.Unsupported {
		feats = append(feats, u.Feature)
	}
	assert.Contains(t, feats, "defcal (pulse-level calibration)")
	assert.NoError(t, p.Validate())
}

func TestUnsupportedFeatures(t *testing.T) {
	p := mustParse(t, std+`defcalgrammar "openpulse";
defcal x $0 { play drive($0), gaussian(...); }
cal { port p; }
qubit[2] q;
delay[100ns] q[0];
box [20ns] { x q[0]; }
duration d = 10dt;
stretch s;
extern f(int[8]) -> bit;
array[int[8], 2] arr = {1, 2};
complex[float[64]] z = 1 + 2im;
opaque foo a;
foo q[1];
switch (1) { case 1 { x q[0]; } default { } }
int[8] counter = 0;
bit m = measure q[1];
while (m) { counter += 1; m = measure q[1]; }`)
	var feats []string
	for _, u := range p.Unsupported {
		feats = append(feats, u.Feature)
	}
	assert.Equal(t, []string{
		"defcalgrammar (pulse-level calibration)", "defcal (pulse-level calibration)", "cal (pulse-level calibration)",
		"delay (timing)", "box (timing)", "duration (timing)", "stretch (timing)", "extern functions", "arrays",
		"complex numbers", "opaque gate foo", "switch", "classical variables assigned at run time",
	}, feats)
	assert.Equal(t, sokr.Position{Line: 3, Col: 1}, p.Unsupported[0].Pos)
	assert.Contains(t, p.Requirements().Features, "unsupported:defcal (pulse-level calibration)")
	assert.Equal(t, 3, p.Qubits) // q and the physical $0
}

// TestErrors pins messages and positions (line:col, 1-based, in
// characters).
func TestErrors(t *testing.T) {
	cases := []struct{ src, msg string }{
		{std + "qubit[2] q;\nhh q[0];", `4:1: unknown gate "hh" (did you mean "h"?)`},
		{"OPENQASM 2.0;\nqreg q[1];\nh q[0];", `3:1: unknown gate "h": it is defined in qelib1.inc; add include "qelib1.inc";`},
		{"OPENQASM 3;\nqubit[1] q;\nh q[0];", `3:1: unknown gate "h": it is defined in stdgates.inc; add include "stdgates.inc";`},
		{std + "qubit[2] q;\ncx q[0];", `4:1: gate cx acts on 2 qubits, got 1`},
		{std + "qubit[2] q;\nctrl @ cx q[0], q[1];", `4:8: gate cx acts on 3 qubits (1 controls and 2 targets), got 2`},
		{std + "qubit[2] q;\nrx q[0];", `4:1: gate rx takes 1 parameters, got 0`},
		{std + "qubit[2] q;\nh q[2];", `4:5: index 2 is out of range for a register of 2`},
		{std + "qubit[2] q;\ncx q[1], q[1];", `4:10: gate cx uses qubit q[1] twice`},
		{std + "qubit[2] q;\nh r;", `4:3: undeclared identifier "r" (did you mean "q"?)`},
		{std + "qubit[2] qq;\nh q;", `4:3: undeclared identifier "q" (did you mean "qq"?)`},
		{std + "qubit[2] q;\nbit[3] c;\nc = measure q;", `5:1: measure: 2 qubits into 3 bits`},
		{std + "qubit[2] q;\ncx q, q[0:2];", `4:9: index 2 is out of range for a register of 2`},
		{std + "qubit[2] q;\nqubit[3] r;\ncx q, r;", `5:7: gate cx: registers of different sizes (2 and 3)`},
		{std + "qubit[80] q;", `3:1: q would make 80 qubits: at most 64 are allowed`},
		{std + "const int n = 3;\nn = 4;", `4:1: n is a constant and cannot be assigned`},
		{std + "qubit q;\nbit q;", `4:1: q is already declared in this scope`},
		{std + "include \"mine.inc\";", `3:1: cannot include "mine.inc": only qelib1.inc and stdgates.inc are built in, and no files are read`},
		{std + "gate g a { g a; }", `3:12: gate g cannot call itself`},
		{std + "qubit q;\ngate g a { h q; }\ng q;", `4:14: q is declared outside this gate or subroutine; pass it as an argument`},
		{std + "qubit q;\nrx(1/0) q;", `4:5: division by zero`},
		{std + "break;", `3:1: break outside a loop`},
		{"OPENQASM 2.0;\nqubit[2] q;", `2:1: "qubit" is OpenQASM 3 syntax, but the program declares OPENQASM 2.0`},
		{"OPENQASM 4.0;", `1:10: unsupported OpenQASM version 4.0: SOKR reads 2.0 and 3`},
		{"qubit q;\n/* never closed", `2:1: unterminated /* comment`},
		{"qubit θ;\nrx(π) θ; ¤", `2:10: unexpected character "¤"`},
		{"OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nmeasure q;", `4:10: expected "->" after the measured qubits (OpenQASM 2 writes measure q -> c;), found ";"`},
	}
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			_, err := qasm.Parse([]byte(c.src))
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe, c.src)
			assert.Equal(t, c.msg, pe.Pos.String()+": "+pe.Msg)
			assert.True(t, pe.Format == qasm.Format2 || pe.Format == qasm.Format3)
		})
	}
}

func TestDeepNesting(t *testing.T) {
	for _, src := range []string{
		std + "qubit q; rx(" + strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000) + ") q;",
		std + "qubit q; rx(" + strings.Repeat("-", 20000) + "1) q;",
		std + strings.Repeat("{", 20000),
		std + "qubit q; rx(" + strings.Repeat("2**", 20000) + "1) q;",
	} {
		_, err := qasm.Parse([]byte(src))
		require.ErrorContains(t, err, "nesting deeper than")
	}
}

func TestVersions(t *testing.T) {
	p := mustParse(t, "qubit q; U(0, 0, 0) q; gphase(1);")
	assert.Equal(t, qasm.Format3, p.Source)
	p = mustParse(t, "OPENQASM 2.0;\nqreg q[2];\nU(0,0,0) q[0];\nCX q[0], q[1];\nU(2^3, -pi, 1e-3) q[1];")
	assert.Equal(t, qasm.Format2, p.Source)
	assert.Equal(t, circuit.U3, p.Ops[0].Gate)
	assert.Equal(t, "CX", p.Ops[1].Name)
	assert.InDelta(t, 8, p.Ops[2].Params[0].Eval(nil), 0)
	_, err := qasm.Parse([]byte("OPENQASM 2.0;\nqreg q[1];\ngphase(1);"))
	assert.ErrorContains(t, err, `unknown gate "gphase"`)
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(3, 5)) }

func TestIR(t *testing.T) {
	ir2, ir3 := qasm.NewIR2(), qasm.NewIR3()
	assert.Equal(t, "openqasm/2", ir2.Format())
	assert.Equal(t, "openqasm/3", ir3.Format())
	src2 := []byte("// comment\nOPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\n")
	src3 := []byte("/* c */ OPENQASM 3;\nqubit q;\n")
	bare3 := []byte("include \"stdgates.inc\";\nqubit[2] q;\nh q;\n")
	native := []byte("sokr.native/1\nparam x: f32[2]\nreturn x\n")
	assert.True(t, ir2.Detect(src2))
	assert.False(t, ir3.Detect(src2))
	assert.True(t, ir3.Detect(src3))
	assert.False(t, ir2.Detect(src3))
	assert.True(t, ir3.Detect(bare3))
	assert.False(t, ir2.Detect(bare3))
	assert.True(t, ir3.Detect([]byte("qubit q;")))
	for _, s := range [][]byte{native, nil, []byte("h q;"), []byte("\x00\x01\x02"), []byte("{\"nodes\": 1}")} {
		assert.False(t, ir3.Detect(s), string(s))
		assert.False(t, ir2.Detect(s), string(s))
	}
	// A malformed header is claimed, so the parser says where it is wrong.
	for src, want := range map[string]string{
		"OPENQASM 3 3;":        "1:12",
		"OPENQASM 4;":          "1:10",
		"OPENQASM;":            "1:9",
		"OPENQASM 2.0 x;":      "1:14",
		"OPENQASM 3\nqubit q;": "2:1",
	} {
		ir := ir3
		if strings.HasPrefix(src, "OPENQASM 2") {
			ir = ir2
		}
		assert.True(t, ir.Detect([]byte(src)), src)
		other := ir2
		if ir == ir2 {
			other = ir3
		}
		assert.False(t, other.Detect([]byte(src)), src)
		_, err := ir.Parse(context.Background(), []byte(src))
		var pe *sokr.ProgramError
		require.ErrorAs(t, err, &pe, src)
		assert.Equal(t, want, fmt.Sprintf("%d:%d", pe.Pos.Line, pe.Pos.Col), src)
	}

	p, err := ir2.Parse(context.Background(), src2)
	require.NoError(t, err)
	assert.Equal(t, circuit.Format, p.Format())
	assert.Equal(t, "openqasm/2", p.(*circuit.Program).Source)
	_, err = ir2.Parse(context.Background(), src3)
	assert.ErrorContains(t, err, "read it as openqasm/3")
	p, err = ir2.Parse(context.Background(), []byte("qreg q[1]; U(0,0,0) q[0];")) // no header: the plugin's version
	require.NoError(t, err)
	assert.Equal(t, "openqasm/2", p.(*circuit.Program).Source)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ir3.Parse(ctx, src3)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
}

// executed lists the gates ops apply when the classical bits are bits,
// following OpIf as the simulator does.
func executed(ops []circuit.Op, bits []bool) []string {
	var out []string
	for _, o := range ops {
		switch o.Kind {
		case circuit.OpIf:
			if o.Cond.Holds(bits) {
				out = append(out, executed(o.Then, bits)...)
			} else {
				out = append(out, executed(o.Else, bits)...)
			}
		case circuit.OpGate:
			out = append(out, o.Name)
		}
	}
	return out
}

func TestBitsAsBooleansInConditions(t *testing.T) {
	p := mustParse(t, std+`qubit[1] q; bit[3] c;
if (c[0] && c[1]) x q[0]; else y q[0];
if (c[0] ^ c[1]) z q[0];
if (c[0] || c[2]) h q[0]; else s q[0];
if (!(c[0] ^ c[1] ^ c[2])) t q[0];
if (c[0] && c == 3) sdg q[0];
if (c[1] == 1 || !c[2]) tdg q[0];
if (c[0] == 1 && c[1] == 1) sx q[0];`)
	require.Empty(t, p.Unsupported)
	for v := range 8 {
		c0, c1, c2 := v&1 == 1, v&2 == 2, v&4 == 4
		var want []string
		if c0 && c1 {
			want = append(want, "x")
		} else {
			want = append(want, "y")
		}
		if c0 != c1 {
			want = append(want, "z")
		}
		if c0 || c2 {
			want = append(want, "h")
		} else {
			want = append(want, "s")
		}
		if c0 == (c1 != c2) { // !(c0 ^ c1 ^ c2)
			want = append(want, "t")
		}
		if c0 && v == 3 {
			want = append(want, "sdg")
		}
		if c1 || !c2 {
			want = append(want, "tdg")
		}
		if c0 && c1 {
			want = append(want, "sx")
		}
		assert.Equal(t, want, executed(p.Ops, []bool{c0, c1, c2}), "c = %03b", v)
	}
	// The comparison form still lowers to one condition.
	last := p.Ops[len(p.Ops)-1]
	assert.Equal(t, circuit.Cond{Clbits: []int{0, 1}, Cmp: circuit.Eq, Value: 3}, last.Cond)
	// ^ on registers is bitwise, not "differ": still refused.
	q := mustParse(t, std+"qubit q; bit[2] a; bit[2] b;\nif (a ^ b) x q;")
	require.Len(t, q.Unsupported, 1)
	assert.Contains(t, q.Unsupported[0].Feature, "classical computation on measured bits")
}
