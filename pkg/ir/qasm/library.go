package qasm

import (
	"sync"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// qelib1 is OpenQASM 2's standard library as Qiskit ships it
// (qiskit/qasm/libs/qelib1.inc, Apache-2.0): the original file of the
// OpenQASM 2 paper (arXiv:1707.03429) plus p, cp, sx, sxdg, csx, cu,
// rxx, rzz, rccx, rc3x, c3x, c3sqrtx and c4x.
const qelib1 = `
gate u3(theta,phi,lambda) q { U(theta,phi,lambda) q; }
gate u2(phi,lambda) q { U(pi/2,phi,lambda) q; }
gate u1(lambda) q { U(0,0,lambda) q; }
gate cx c,t { CX c,t; }
gate id a { U(0,0,0) a; }
gate u0(gamma) q { U(0,0,0) q; }
gate u(theta,phi,lambda) q { U(theta,phi,lambda) q; }
gate p(lambda) q { U(0,0,lambda) q; }
gate x a { u3(pi,0,pi) a; }
gate y a { u3(pi,pi/2,pi/2) a; }
gate z a { u1(pi) a; }
gate h a { u2(0,pi) a; }
gate s a { u1(pi/2) a; }
gate sdg a { u1(-pi/2) a; }
gate t a { u1(pi/4) a; }
gate tdg a { u1(-pi/4) a; }
gate rx(theta) a { u3(theta, -pi/2,pi/2) a; }
gate ry(theta) a { u3(theta,0,0) a; }
gate rz(phi) a { u1(phi) a; }
gate sx a { sdg a; h a; sdg a; }
gate sxdg a { s a; h a; s a; }
gate cz a,b { h b; cx a,b; h b; }
gate cy a,b { sdg b; cx a,b; s b; }
gate swap a,b { cx a,b; cx b,a; cx a,b; }
gate ch a,b { h b; sdg b; cx a,b; h b; t b; cx a,b; t b; h b; s b; x b; s a; }
gate ccx a,b,c
{
  h c; cx b,c; tdg c; cx a,c; t c; cx b,c; tdg c; cx a,c; t b; t c; h c;
  cx a,b; t a; tdg b; cx a,b;
}
gate cswap a,b,c { cx c,b; ccx a,b,c; cx c,b; }
gate crx(lambda) a,b { u1(pi/2) b; cx a,b; u3(-lambda/2,0,0) b; cx a,b; u3(lambda/2,-pi/2,0) b; }
gate cry(lambda) a,b { ry(lambda/2) b; cx a,b; ry(-lambda/2) b; cx a,b; }
gate crz(lambda) a,b { rz(lambda/2) b; cx a,b; rz(-lambda/2) b; cx a,b; }
gate cu1(lambda) a,b { u1(lambda/2) a; cx a,b; u1(-lambda/2) b; cx a,b; u1(lambda/2) b; }
gate cp(lambda) a,b { p(lambda/2) a; cx a,b; p(-lambda/2) b; cx a,b; p(lambda/2) b; }
gate cu3(theta,phi,lambda) c, t
{
  u1((lambda+phi)/2) c; u1((lambda-phi)/2) t; cx c,t;
  u3(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u3(theta/2,phi,0) t;
}
gate csx a,b { h b; cu1(pi/2) a,b; h b; }
gate cu(theta,phi,lambda,gamma) c, t
{
  p(gamma) c; p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c,t;
  u(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u(theta/2,phi,0) t;
}
gate rxx(theta) a,b { u3(pi/2, theta, 0) a; h b; cx a,b; u1(-theta) b; cx a,b; h b; u2(-pi, pi-theta) a; }
gate rzz(theta) a,b { cx a,b; u1(theta) b; cx a,b; }
gate rccx a,b,c
{
  u2(0,pi) c; u1(pi/4) c; cx b, c; u1(-pi/4) c; cx a, c; u1(pi/4) c; cx b, c; u1(-pi/4) c; u2(0,pi) c;
}
gate rc3x a,b,c,d
{
  u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d;
  u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d;
  u1(-pi/4) d; u2(0,pi) d;
}
gate c3x a,b,c,d
{
  h d; p(pi/8) a; p(pi/8) b; p(pi/8) c; p(pi/8) d; cx a, b; p(-pi/8) b; cx a, b; cx b, c;
  p(-pi/8) c; cx a, c; p(pi/8) c; cx b, c; p(-pi/8) c; cx a, c; cx c, d; p(-pi/8) d;
  cx b, d; p(pi/8) d; cx c, d; p(-pi/8) d; cx a, d; p(pi/8) d; cx c, d; p(-pi/8) d;
  cx b, d; p(pi/8) d; cx c, d; p(-pi/8) d; cx a, d; h d;
}
gate c3sqrtx a,b,c,d
{
  h d; cu1(pi/8) a,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d; cx a,b; h d; cu1(pi/8) b,d; h d;
  cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; cx b,c; h d;
  cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d;
}
gate c4x a,b,c,d,e
{
  h e; cu1(pi/2) d,e; h e; c3x a,b,c,d; h e; cu1(-pi/2) d,e; h e; c3x a,b,c,d; c3sqrtx a,b,c,e;
}
`

// stdgates is OpenQASM 3's standard library, stdgates.inc of
// openqasm/openqasm (examples/stdgates.inc, Apache-2.0), with two fixes:
// pow(1/2) is written pow(0.5), and CX's body names its second qubit b
// (upstream has a typo, "v").
const stdgates = `
gate p(λ) a { ctrl @ gphase(λ) a; }
gate x a { U(π, 0, π) a; }
gate y a { U(π, π/2, π/2) a; }
gate z a { p(π) a; }
gate h a { U(π/2, 0, π) a; }
gate s a { pow(0.5) @ z a; }
gate sdg a { inv @ pow(0.5) @ z a; }
gate t a { pow(0.5) @ s a; }
gate tdg a { inv @ pow(0.5) @ s a; }
gate sx a { pow(0.5) @ x a; }
gate rx(θ) a { U(θ, -π/2, π/2) a; }
gate ry(θ) a { U(θ, 0, 0) a; }
gate rz(λ) a { gphase(-λ/2); U(0, 0, λ) a; }
gate cx a, b { ctrl @ x a, b; }
gate cy a, b { ctrl @ y a, b; }
gate cz a, b { ctrl @ z a, b; }
gate cp(λ) a, b { ctrl @ p(λ) a, b; }
gate crx(θ) a, b { ctrl @ rx(θ) a, b; }
gate cry(θ) a, b { ctrl @ ry(θ) a, b; }
gate crz(θ) a, b { ctrl @ rz(θ) a, b; }
gate ch a, b { ctrl @ h a, b; }
gate swap a, b { cx a, b; cx b, a; cx a, b; }
gate ccx a, b, c { ctrl @ ctrl @ x a, b, c; }
gate cswap a, b, c { ctrl @ swap a, b, c; }
gate cu(θ, φ, λ, γ) a, b { p(γ) a; ctrl @ U(θ, φ, λ) a, b; }
gate CX a, b { ctrl @ U(π, 0, π) a, b; }
gate phase(λ) q { U(0, 0, λ) q; }
gate cphase(λ) a, b { ctrl @ phase(λ) a, b; }
gate id a { U(0, 0, 0) a; }
gate u1(λ) q { U(0, 0, λ) q; }
gate u2(φ, λ) q { gphase(-(φ+λ)/2); U(π/2, φ, λ) q; }
gate u3(θ, φ, λ) q { gphase(-(φ+λ)/2); U(θ, φ, λ) q; }
`

// direct maps a library gate to a gate of the circuit table with
// controls, so that simulators see "cx" as X with one control rather
// than its definition's gates. phase, when set, adds a global phase (on
// the gate's own controls, if any) that the definition has and the
// table gate lacks.
type direct struct {
	gate     circuit.Gate
	controls int
	nparams  int
	keep     int // parameters passed to the table gate: the first keep
	phase    func(a []circuit.Expr) circuit.Expr
}

func d(g circuit.Gate, controls, nparams int) direct {
	return direct{gate: g, controls: controls, nparams: nparams, keep: nparams}
}

// halfSum is -(a[i]+a[j])/2, the phase stdgates.inc gives u2 and u3.
func halfSum(i, j int) func(a []circuit.Expr) circuit.Expr {
	return func(a []circuit.Expr) circuit.Expr {
		return circuit.Neg(circuit.Binary(circuit.ExprDiv, circuit.Binary(circuit.ExprAdd, a[i], a[j]), circuit.Const(2)))
	}
}

func gammaPhase(a []circuit.Expr) circuit.Expr { return a[3] }

// The direct maps. qelib1's equal their definitions up to a global phase
// (OpenQASM 2 has no controlled user gates, so a gate's global phase is
// unobservable there; U is read as U3, whose phase differs from the
// paper's Rz Ry Rz by e^{i(φ+λ)/2}). stdgates' equal their definitions
// exactly. gates_test.go checks both.
var (
	directQelib1 = map[string]direct{
		"u3": d(circuit.U3, 0, 3), "u2": d(circuit.U2, 0, 2), "u1": d(circuit.P, 0, 1),
		"cx": d(circuit.X, 1, 0), "id": d(circuit.I, 0, 0), "u0": {gate: circuit.I, nparams: 1},
		"u": d(circuit.U3, 0, 3), "p": d(circuit.P, 0, 1), "x": d(circuit.X, 0, 0),
		"y": d(circuit.Y, 0, 0), "z": d(circuit.Z, 0, 0), "h": d(circuit.H, 0, 0),
		"s": d(circuit.S, 0, 0), "sdg": d(circuit.Sdg, 0, 0), "t": d(circuit.T, 0, 0),
		"tdg": d(circuit.Tdg, 0, 0), "rx": d(circuit.RX, 0, 1), "ry": d(circuit.RY, 0, 1),
		"rz": d(circuit.RZ, 0, 1), "sx": d(circuit.SX, 0, 0), "sxdg": d(circuit.SXdg, 0, 0),
		"cz": d(circuit.Z, 1, 0), "cy": d(circuit.Y, 1, 0), "swap": d(circuit.Swap, 0, 0),
		"ch": d(circuit.H, 1, 0), "ccx": d(circuit.X, 2, 0), "cswap": d(circuit.Swap, 1, 0),
		"crx": d(circuit.RX, 1, 1), "cry": d(circuit.RY, 1, 1), "crz": d(circuit.RZ, 1, 1),
		"cu1": d(circuit.P, 1, 1), "cp": d(circuit.P, 1, 1), "cu3": d(circuit.U3, 1, 3),
		"csx": d(circuit.SX, 1, 0), "rxx": d(circuit.RXX, 0, 1), "rzz": d(circuit.RZZ, 0, 1),
		"c3x": d(circuit.X, 3, 0), "c4x": d(circuit.X, 4, 0),
		"cu": {gate: circuit.U3, controls: 1, nparams: 4, keep: 3, phase: gammaPhase},
	}
	directStdgates = map[string]direct{
		"p": d(circuit.P, 0, 1), "x": d(circuit.X, 0, 0), "y": d(circuit.Y, 0, 0),
		"z": d(circuit.Z, 0, 0), "h": d(circuit.H, 0, 0), "s": d(circuit.S, 0, 0),
		"sdg": d(circuit.Sdg, 0, 0), "t": d(circuit.T, 0, 0), "tdg": d(circuit.Tdg, 0, 0),
		"sx": d(circuit.SX, 0, 0), "rx": d(circuit.RX, 0, 1), "ry": d(circuit.RY, 0, 1),
		"rz": d(circuit.RZ, 0, 1), "cx": d(circuit.X, 1, 0), "cy": d(circuit.Y, 1, 0),
		"cz": d(circuit.Z, 1, 0), "cp": d(circuit.P, 1, 1), "crx": d(circuit.RX, 1, 1),
		"cry": d(circuit.RY, 1, 1), "crz": d(circuit.RZ, 1, 1), "ch": d(circuit.H, 1, 0),
		"swap": d(circuit.Swap, 0, 0), "ccx": d(circuit.X, 2, 0), "cswap": d(circuit.Swap, 1, 0),
		"CX": d(circuit.X, 1, 0), "phase": d(circuit.P, 0, 1), "cphase": d(circuit.P, 1, 1),
		"id": d(circuit.I, 0, 0), "u1": d(circuit.P, 0, 1),
		"cu": {gate: circuit.U3, controls: 1, nparams: 4, keep: 3, phase: gammaPhase},
		"u2": {gate: circuit.U2, nparams: 2, keep: 2, phase: halfSum(0, 1)},
		"u3": {gate: circuit.U3, nparams: 3, keep: 3, phase: halfSum(1, 2)},
	}
)

// library is a built-in include file: its gate definitions, in order,
// and the direct maps of those gates that have one.
type library struct {
	file    string
	version int // the OpenQASM version its bodies are written in
	gates   map[string]*gateDef
	order   []string
	direct  map[string]direct
}

var (
	libOnce           sync.Once
	libQelib1, libStd *library
)

// libraryFor returns the built-in library of an include file name.
func libraryFor(file string) *library {
	libOnce.Do(func() {
		libQelib1 = buildLibrary("qelib1.inc", 2, qelib1, directQelib1)
		libStd = buildLibrary("stdgates.inc", 3, stdgates, directStdgates)
	})
	switch file {
	case "qelib1.inc":
		return libQelib1
	case "stdgates.inc":
		return libStd
	}
	return nil
}

func buildLibrary(file string, version int, src string, dir map[string]direct) *library {
	p := &parser{toks: lex([]byte(src)), version: version}
	stmts, err := p.parseProgram()
	if err != nil {
		panic("qasm: built-in " + file + " does not parse: " + err.Error())
	}
	lib := &library{file: file, version: version, gates: map[string]*gateDef{}, direct: dir}
	for _, s := range stmts {
		g := s.(*gateDef)
		g.lib = lib
		lib.gates[g.name] = g
		lib.order = append(lib.order, g.name)
	}
	return lib
}
