package qasm

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

type gateKind uint8

const (
	gBuiltinU   gateKind = iota // U(θ, φ, λ): U3
	gBuiltinCX                  // OpenQASM 2's CX
	gGPhase                     // OpenQASM 3's gphase(γ)
	gDirect                     // a library gate mapped to the table
	gDefined                    // a gate definition, inlined
	gOpaque                     // OpenQASM 2 opaque: no definition
	gSub                        // a subroutine called with gate syntax
	gExtern                     // an extern function
	gCalibrated                 // a gate only a defcal defines
)

// gateRef is a resolved gate name.
type gateRef struct {
	name             string
	kind             gateKind
	def              *gateDef
	dir              direct
	opaque           *opaqueDef
	sub              *defStmt
	nparams, nqubits int
}

// findGate resolves a gate name: inside a library gate's body, among that
// library; elsewhere among the built-ins, the program's gates and the
// included libraries.
func (l *lowerer) findGate(name string) (gateRef, bool) {
	if l.lib != nil {
		return l.lib.find(name, l.version, l.inlineLibrary)
	}
	switch {
	case name == "U":
		return gateRef{name: name, kind: gBuiltinU, nparams: 3, nqubits: 1}, true
	case name == "CX" && l.version == 2:
		return gateRef{name: name, kind: gBuiltinCX, nqubits: 2}, true
	case name == "gphase" && l.version == 3:
		return gateRef{name: name, kind: gGPhase, nparams: 1}, true
	}
	if g := l.gates[name]; g != nil {
		return gateRef{name: name, kind: gDefined, def: g, nparams: len(g.params), nqubits: len(g.qubits)}, true
	}
	if o := l.opaques[name]; o != nil {
		return gateRef{name: name, kind: gOpaque, opaque: o, nparams: o.nparams, nqubits: o.nqubits}, true
	}
	if s := l.defs[name]; s != nil {
		return gateRef{name: name, kind: gSub, sub: s}, true
	}
	if l.externs[name] {
		return gateRef{name: name, kind: gExtern}, true
	}
	for _, lib := range l.libs {
		if r, ok := lib.find(name, l.version, l.inlineLibrary); ok && r.kind != gBuiltinU && r.kind != gBuiltinCX && r.kind != gGPhase {
			return r, true
		}
	}
	if l.calibrated[name] {
		return gateRef{name: name, kind: gCalibrated}, true
	}
	return gateRef{}, false
}

// find resolves a name inside a library: its built-ins, then its gates.
func (lib *library) find(name string, version int, inline bool) (gateRef, bool) {
	switch {
	case name == "U":
		return gateRef{name: name, kind: gBuiltinU, nparams: 3, nqubits: 1}, true
	case name == "CX" && lib.version == 2:
		return gateRef{name: name, kind: gBuiltinCX, nqubits: 2}, true
	case name == "gphase" && lib.version == 3:
		return gateRef{name: name, kind: gGPhase, nparams: 1}, true
	}
	g := lib.gates[name]
	if g == nil {
		return gateRef{}, false
	}
	if dir, ok := lib.direct[name]; ok && !inline {
		return gateRef{name: name, kind: gDirect, dir: dir, nparams: dir.nparams, nqubits: len(g.qubits)}, true
	}
	return gateRef{name: name, kind: gDefined, def: g, nparams: len(g.params), nqubits: len(g.qubits)}, true
}

// gateNames lists every gate name in reach, for suggestions.
func (l *lowerer) gateNames() []string {
	names := []string{"U"}
	if l.version == 2 {
		names = append(names, "CX")
	} else {
		names = append(names, "gphase")
	}
	for _, m := range []map[string]*gateDef{l.gates} {
		for n := range m {
			names = append(names, n)
		}
	}
	for n := range l.opaques {
		names = append(names, n)
	}
	for n := range l.defs {
		names = append(names, n)
	}
	for _, lib := range l.libs {
		names = append(names, lib.order...)
	}
	return names
}

func (l *lowerer) unknownGate(name string, p pos) error {
	file := map[int]string{2: "qelib1.inc", 3: "stdgates.inc"}[l.version]
	if lib := libraryFor(file); lib.gates[name] != nil && !slices.Contains(l.libs, lib) {
		return errorAt(p, "unknown gate %q: it is defined in %s; add include %q;", name, file, file)
	}
	if m := closest(name, l.gateNames()); m != "" {
		return errorAt(p, "unknown gate %q (did you mean %q?)", name, m)
	}
	return errorAt(p, "unknown gate %q", name)
}

// checkNewGate refuses a gate or subroutine name that is taken.
func (l *lowerer) checkNewGate(name string, p pos, sc *scope) error {
	if sc != l.global {
		return errorAt(p, "gates and subroutines can be defined only at the top level")
	}
	if _, ok := l.findGate(name); ok {
		return errorAt(p, "gate or subroutine %s is already defined", name)
	}
	if _, ok := l.global.get(name); ok {
		return errorAt(p, "%s is already declared as a variable", name)
	}
	return nil
}

// gateDef records a gate definition after checking its names and that
// every gate its body calls is defined already (so none can recurse).
func (l *lowerer) gateDef(g *gateDef, sc *scope) error {
	if err := l.checkNewGate(g.name, g.p, sc); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, n := range append(slices.Clone(g.params), g.qubits...) {
		if seen[n] {
			return errorAt(g.p, "gate %s: argument %s appears twice", g.name, n)
		}
		seen[n] = true
	}
	var check func(stmts []stmt) error
	check = func(stmts []stmt) error {
		for _, s := range stmts {
			switch s := s.(type) {
			case *gateCall:
				if s.name == g.name {
					return errorAt(s.namePos, "gate %s cannot call itself", g.name)
				}
				if _, ok := l.findGate(s.name); !ok {
					return l.unknownGate(s.name, s.namePos)
				}
			case *forStmt:
				if err := check(s.body); err != nil {
					return err
				}
			case *blockStmt:
				if err := check(s.body); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := check(g.body); err != nil {
		return err
	}
	l.gates[g.name] = g
	return nil
}

// mod is an evaluated gate modifier.
type mod struct {
	name string
	n    int   // controls of ctrl and negctrl
	k    value // exponent of pow
	p    pos
}

// gateCall lowers a gate application, broadcasting over registers.
func (l *lowerer) gateCall(c *gateCall, sc *scope) error {
	ref, ok := l.findGate(c.name)
	if !ok {
		return l.unknownGate(c.name, c.namePos)
	}
	switch ref.kind {
	case gExtern:
		return unsupportedAt(c.p, "extern functions")
	case gCalibrated:
		return unsupportedAt(c.p, "defcal (pulse-level calibration)")
	case gSub:
		if len(c.mods) > 0 {
			return unsupportedAt(c.p, "gate modifiers on subroutine calls")
		}
		return l.callDef(ref.sub, c.p, c.args, c.operands, sc, nil)
	}
	var mods []mod
	nctrl := 0
	for _, m := range c.mods {
		md := mod{name: m.name, n: 1, p: m.p}
		if m.arg != nil {
			v, err := l.eval(m.arg, sc)
			if err != nil {
				return err
			}
			if m.name == "pow" {
				if v.kind == vExpr {
					return unsupportedAt(m.p, "pow with an exponent that depends on runtime parameters")
				}
				md.k = v
			} else {
				n, isInt := v.asInt()
				if !isInt || n < 1 || n > 63 {
					return errorAt(m.arg.at(), "%s needs a positive integer count of controls, got %s", m.name, v)
				}
				md.n = int(n)
			}
		}
		if m.name == "ctrl" || m.name == "negctrl" {
			nctrl += md.n
		}
		mods = append(mods, md)
	}
	if len(c.args) != ref.nparams {
		return errorAt(c.namePos, "gate %s takes %d parameters, got %d", c.name, ref.nparams, len(c.args))
	}
	params := make([]circuit.Expr, len(c.args))
	for i, a := range c.args {
		v, err := l.eval(a, sc)
		if err != nil {
			return err
		}
		if v.kind == vBool {
			return errorAt(a.at(), "a gate parameter must be a number, not a bool")
		}
		params[i] = v.real()
	}
	if want := nctrl + ref.nqubits; len(c.operands) != want {
		extra := ""
		if nctrl > 0 {
			extra = fmt.Sprintf(" (%d controls and %d targets)", nctrl, ref.nqubits)
		}
		return errorAt(c.namePos, "gate %s acts on %d qubits%s, got %d", c.name, want, extra, len(c.operands))
	}
	lists := make([][]int, len(c.operands))
	scalars := make([]bool, len(c.operands))
	width := -1
	for i, o := range c.operands {
		qs, scalar, err := l.qubits(o, sc)
		if err != nil {
			return err
		}
		lists[i], scalars[i] = qs, scalar
		if !scalar {
			if width >= 0 && len(qs) != width {
				return errorAt(start(o), "gate %s: registers of different sizes (%d and %d)", c.name, width, len(qs))
			}
			width = len(qs)
		}
	}
	if width < 0 {
		width = 1
	}
	if ref.kind == gOpaque {
		return unsupportedAt(c.p, "opaque gate "+c.name)
	}
	if err := l.admitCall(ref, params, mods, width); err != nil {
		return err
	}
	for inst := range width {
		qs := make([]int, len(lists))
		for i, list := range lists {
			if scalars[i] {
				qs[i] = list[0]
			} else {
				qs[i] = list[inst]
			}
			if slices.Contains(qs[:i], qs[i]) {
				return errorAt(start(c.operands[i]), "gate %s uses qubit %s twice", c.name, l.qubitName(qs[i]))
			}
		}
		if len(mods) == 0 {
			// Nothing to change: the ops go straight to the circuit,
			// never held in a list of their own.
			if err := l.emitGate(ref, params, qs); err != nil {
				return err
			}
			continue
		}
		markOps, markBytes := l.tmpOps, l.tmpBytes
		ops, err := l.applyGate(ref, params, qs, mods, nctrl)
		if err != nil {
			return err
		}
		// The captured ops are counted again as they are emitted, into
		// the circuit or into the capture around this call.
		l.tmpOps, l.tmpBytes = markOps, markBytes
		for i := range ops {
			if err := l.emit(&ops[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitGate emits the ops of a gate without modifiers.
func (l *lowerer) emitGate(ref gateRef, params []circuit.Expr, qs []int) error {
	if ref.kind == gDefined {
		return l.inline(ref.def, params, qs)
	}
	var ops [2]circuit.Op
	n := tableOps(&ops, ref, params, qs)
	for i := range n {
		if err := l.emit(&ops[i]); err != nil {
			return err
		}
	}
	return nil
}

// admitCall counts the ops a gate call will unroll to, before any is
// built, and fails when they would pass a limit: gates that double at
// each of 40 levels of nesting fail at once rather than after unrolling
// millions of ops.
func (l *lowerer) admitCall(ref gateRef, params []circuit.Expr, mods []mod, width int) error {
	hasPow := slices.ContainsFunc(mods, func(m mod) bool { return m.name == "pow" })
	if ref.kind != gDefined && !hasPow {
		return nil // one or two ops an instance
	}
	n, ok, err := l.gateCount(ref, params)
	if err != nil || !ok {
		return err
	}
	for _, m := range mods {
		if m.name != "pow" {
			continue
		}
		if k, isInt := m.k.asInt(); isInt {
			n = satMul(n, max(k, -k))
		} else {
			n = min(n, 2)
		}
	}
	n = satMul(n, int64(width))
	if n > int64(maxOps-l.nops-l.tmpOps) {
		return limitAt(l.at, "the program unrolls to more than %d operations", maxOps)
	}
	if n > (maxBytes-l.bytes-l.tmpBytes)/(2*opSize) {
		return limitAt(l.at, "the program unrolls to more operations than fit in %d MiB", maxBytes>>20)
	}
	return nil
}

// applyGate expands one gate application and applies its modifiers,
// innermost first.
func (l *lowerer) applyGate(ref gateRef, params []circuit.Expr, qs []int, mods []mod, nctrl int) ([]circuit.Op, error) {
	if len(mods) > 0 {
		l.scratch++ // the ops change before they join the circuit
	}
	ops, err := l.expand(ref, params, qs[nctrl:])
	if len(mods) > 0 {
		l.scratch--
	}
	if err != nil {
		return nil, err
	}
	offset := nctrl
	for i := len(mods) - 1; i >= 0; i-- {
		m := mods[i]
		switch m.name {
		case "ctrl", "negctrl":
			offset -= m.n
			if ops, err = addControls(ops, qs[offset:offset+m.n], m.name == "negctrl", m.p); err != nil {
				return nil, err
			}
		case "inv":
			ops = invert(ops)
		case "pow":
			if ops, err = l.power(ops, m.k, m.p); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// expand returns the ops of a gate on qubits, without modifiers.
func (l *lowerer) expand(ref gateRef, params []circuit.Expr, qs []int) ([]circuit.Op, error) {
	if ref.kind == gDefined {
		return l.capture(func() error { return l.inline(ref.def, params, qs) })
	}
	var ops [2]circuit.Op
	n := tableOps(&ops, ref, params, qs)
	return slices.Clone(ops[:n]), nil
}

// tableOps writes the ops of a gate of the circuit table (a built-in or
// a library gate mapped to the table) into ops and returns how many: a
// phase, when the map has one, and the gate.
func tableOps(ops *[2]circuit.Op, ref gateRef, params []circuit.Expr, qs []int) int {
	gate := func(o *circuit.Op, name string, g circuit.Gate, controls int, ps []circuit.Expr, qs []int) {
		if len(ps) == 0 {
			ps = nil
		}
		*o = circuit.Op{Kind: circuit.OpGate, Name: name, Gate: g, Params: ps, Qubits: qs, Controls: controls}
	}
	switch ref.kind {
	case gBuiltinU:
		gate(&ops[0], "U", circuit.U3, 0, params, qs)
	case gBuiltinCX:
		gate(&ops[0], "CX", circuit.X, 1, nil, qs)
	case gGPhase:
		gate(&ops[0], "gphase", circuit.GPhase, 0, params, nil)
	case gDirect:
		dir := ref.dir
		if dir.phase == nil {
			gate(&ops[0], ref.name, dir.gate, dir.controls, params[:dir.keep], qs)
			return 1
		}
		gate(&ops[0], "gphase", circuit.GPhase, dir.controls, []circuit.Expr{dir.phase(params)}, slices.Clone(qs[:dir.controls]))
		gate(&ops[1], ref.name, dir.gate, dir.controls, params[:dir.keep], qs)
		return 2
	default:
		panic("qasm: tableOps on a gate that is not in the table")
	}
	return 1
}

// inline runs a gate definition's body on qubits, its ops going where
// ops go.
func (l *lowerer) inline(g *gateDef, params []circuit.Expr, qs []int) error {
	if l.inlining >= maxInline {
		return errorAt(l.at, "gates nest deeper than %d levels", maxInline)
	}
	body := newScope(l.globalFor(g), true)
	for i, name := range g.params {
		body.set(name, &symbol{kind: symValue, typ: "angle", isConst: true, val: paramValue(params[i])})
	}
	for i, name := range g.qubits {
		body.set(name, &symbol{kind: symQubits, idx: []int{qs[i]}, scalar: true, isConst: true})
	}
	savedLib := l.lib
	l.lib = g.lib
	l.inlining++
	err := l.execStmts(g.body, body, true)
	l.inlining--
	l.lib = savedLib
	return err
}

// globalFor is the scope a gate body sees around it: the program's
// constants, or nothing for a library gate.
func (l *lowerer) globalFor(g *gateDef) *scope {
	if g.lib == nil {
		return l.global
	}
	return nil
}

// paramValue is a gate parameter as a value: a constant folded, or an
// expression over runtime parameters.
func paramValue(e circuit.Expr) value {
	if e.IsConst() {
		return floatVal(e.Eval(nil))
	}
	return value{kind: vExpr, e: e}
}

// addControls puts controls (on |0> when neg) in front of every op.
func addControls(ops []circuit.Op, ctrls []int, neg bool, p pos) ([]circuit.Op, error) {
	n := len(ctrls)
	out := make([]circuit.Op, len(ops))
	for i, o := range ops {
		o.Qubits = append(slices.Clone(ctrls), o.Qubits...)
		if o.Kind == circuit.OpGate {
			if o.Controls+n > 63 {
				return nil, errorAt(p, "a gate with more than 63 controls")
			}
			o.NegControls <<= n
			if neg {
				o.NegControls |= 1<<n - 1
			}
			o.Controls += n
		}
		out[i] = o
	}
	return out, nil
}

// invert returns the inverse sequence: reversed, each gate inverted.
func invert(ops []circuit.Op) []circuit.Op {
	out := make([]circuit.Op, len(ops))
	for i, o := range ops {
		if o.Kind == circuit.OpGate {
			g, ps := o.Gate.Inverse(o.Params)
			if g != o.Gate {
				o.Name = g.String()
			}
			o.Gate, o.Params = g, ps
		}
		out[len(ops)-1-i] = o
	}
	return out
}

// power applies pow(k): an integer repeats (a negative one inverts); a
// real exponent is exact for gates that reduce to one qubit (plus common
// controls) with constant parameters, using the principal branch as the
// OpenQASM 3 specification does.
func (l *lowerer) power(ops []circuit.Op, k value, p pos) ([]circuit.Op, error) {
	if n, ok := k.asInt(); ok {
		if n < 0 {
			ops, n = invert(ops), -n
		}
		if n > 0 && int64(len(ops)) > int64(maxOps)/n {
			return nil, errorAt(p, "pow(%d) unrolls to more than %d operations", n, maxOps)
		}
		out := make([]circuit.Op, 0, len(ops)*int(n))
		for range n {
			out = append(out, ops...)
		}
		return out, nil
	}
	return powReal(ops, k.float(), p)
}

// powReal raises a one-qubit (after common controls) constant gate
// sequence to a real power.
func powReal(ops []circuit.Op, r float64, p pos) ([]circuit.Op, error) {
	fail := func(why string) ([]circuit.Op, error) {
		return nil, unsupportedAt(p, "pow with a non-integer exponent on "+why)
	}
	if len(ops) == 0 {
		return nil, nil
	}
	for _, o := range ops {
		if o.Kind != circuit.OpGate {
			return fail("a gate that contains a barrier")
		}
		for _, e := range o.Params {
			if !e.IsConst() {
				return fail("a gate with runtime parameters")
			}
		}
	}
	// Controls every op shares (same qubit, same polarity) stay controls.
	type ctl struct {
		q   int
		neg bool
	}
	controlsOf := func(o circuit.Op) []ctl {
		cs := make([]ctl, o.Controls)
		for j := range cs {
			cs[j] = ctl{o.Qubits[j], o.NegControls>>j&1 == 1}
		}
		return cs
	}
	common := controlsOf(ops[0])
	for _, o := range ops[1:] {
		cs := controlsOf(o)
		common = slices.DeleteFunc(common, func(c ctl) bool { return !slices.Contains(cs, c) })
	}
	// The rest must touch at most one qubit.
	target := -1
	m := [4]complex128{1, 0, 0, 1}
	for _, o := range ops {
		var rest []ctl
		for _, c := range controlsOf(o) {
			if !slices.Contains(common, c) {
				rest = append(rest, c)
			}
		}
		touched := o.Targets()
		for _, c := range rest {
			touched = append(touched, c.q)
		}
		for _, q := range touched {
			if target >= 0 && q != target {
				return fail("a gate that acts on more than one qubit")
			}
			target = q
		}
		vals := make([]float64, len(o.Params))
		for j, e := range o.Params {
			vals[j] = e.Eval(nil)
		}
		var g [4]complex128
		switch {
		case len(o.Targets()) == 1 && len(rest) == 0:
			copy(g[:], o.Gate.Matrix(vals))
		case len(o.Targets()) == 0 && len(rest) == 0: // a global phase
			ph := o.Gate.Matrix(vals)[0]
			g = [4]complex128{ph, 0, 0, ph}
		case len(o.Targets()) == 0 && len(rest) == 1: // a phase on one control
			ph := o.Gate.Matrix(vals)[0]
			g = [4]complex128{1, 0, 0, ph}
			if rest[0].neg {
				g = [4]complex128{ph, 0, 0, 1}
			}
		default:
			return fail("a gate that acts on more than one qubit")
		}
		m = mul2(g, m)
	}
	v := pow2(m, r)
	var out []circuit.Op
	cq := make([]int, len(common))
	var neg uint64
	for j, c := range common {
		cq[j] = c.q
		if c.neg {
			neg |= 1 << j
		}
	}
	gphase := func(a float64) circuit.Op {
		return circuit.Op{Kind: circuit.OpGate, Name: "gphase", Gate: circuit.GPhase, Params: []circuit.Expr{circuit.Const(a)},
			Qubits: slices.Clone(cq), Controls: len(cq), NegControls: neg}
	}
	if target < 0 {
		return []circuit.Op{gphase(cmplx.Phase(v[0]))}, nil
	}
	alpha, theta, phi, lambda := zyz(v)
	if alpha != 0 {
		out = append(out, gphase(alpha))
	}
	return append(out, circuit.Op{Kind: circuit.OpGate, Name: "u3", Gate: circuit.U3,
		Params: []circuit.Expr{circuit.Const(theta), circuit.Const(phi), circuit.Const(lambda)},
		Qubits: append(slices.Clone(cq), target), Controls: len(cq), NegControls: neg}), nil
}

func mul2(a, b [4]complex128) [4]complex128 {
	return [4]complex128{
		a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3],
		a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3],
	}
}

// pow2 raises a 2x2 unitary to the power r on the principal branch:
// M = λ1 P1 + λ2 P2 gives M^r = λ1^r P1 + λ2^r P2.
func pow2(m [4]complex128, r float64) [4]complex128 {
	tr, det := m[0]+m[3], m[0]*m[3]-m[1]*m[2]
	disc := cmplx.Sqrt(tr*tr - 4*det)
	l1, l2 := (tr+disc)/2, (tr-disc)/2
	powc := func(z complex128) complex128 { return cmplx.Rect(math.Pow(cmplx.Abs(z), r), r*cmplx.Phase(z)) }
	if cmplx.Abs(l1-l2) < 1e-9 { // a unitary with one eigenvalue is a multiple of I
		z := powc((m[0] + m[3]) / 2)
		return [4]complex128{z, 0, 0, z}
	}
	p1 := [4]complex128{(m[0] - l2) / (l1 - l2), m[1] / (l1 - l2), m[2] / (l1 - l2), (m[3] - l2) / (l1 - l2)}
	a, b := powc(l1), powc(l2)
	var out [4]complex128
	for i := range out {
		id := complex128(0)
		if i == 0 || i == 3 {
			id = 1
		}
		out[i] = a*p1[i] + b*(id-p1[i])
	}
	return out
}

// zyz writes a 2x2 unitary as e^{iα} U3(θ, φ, λ).
func zyz(v [4]complex128) (alpha, theta, phi, lambda float64) {
	theta = 2 * math.Atan2(cmplx.Abs(v[2]), cmplx.Abs(v[0]))
	switch {
	case cmplx.Abs(v[0]) > 1e-12:
		alpha = cmplx.Phase(v[0])
		if cmplx.Abs(v[2]) > 1e-12 {
			phi = cmplx.Phase(v[2]) - alpha
			lambda = cmplx.Phase(-v[1]) - alpha
		} else {
			lambda = cmplx.Phase(v[3]) - alpha
		}
	default: // θ = π: v = e^{iα} [[0, -e^{iλ}], [e^{iφ}, 0]]
		phi = cmplx.Phase(v[2])
		lambda = cmplx.Phase(-v[1])
	}
	return alpha, theta, phi, lambda
}

// callDef inlines a subroutine call. args are the parenthesised
// arguments, operands those of the gate-call form; dest receives the
// returned bits.
func (l *lowerer) callDef(d *defStmt, p pos, args, operands []expr, sc *scope, dest []int) error {
	for _, f := range l.frames {
		if f.def == d {
			return unsupportedAt(p, "recursive subroutines")
		}
	}
	if l.inlining >= maxInline {
		return errorAt(p, "subroutine calls nest deeper than %d levels", maxInline)
	}
	all := args
	if len(operands) > 0 {
		all = append(slices.Clone(args), operands...)
	}
	if len(all) != len(d.args) {
		return errorAt(p, "subroutine %s takes %d arguments, got %d", d.name, len(d.args), len(all))
	}
	body := newScope(l.global, true)
	for i, a := range d.args {
		sym := &symbol{}
		switch a.typ.name {
		case "qubit", "bit":
			kind := symBits
			if a.typ.name == "qubit" {
				kind = symQubits
			}
			idx, _, err := l.operand(all[i], sc, kind)
			if err != nil {
				return err
			}
			n := 1
			if a.typ.size != nil {
				if n, err = l.size(a.typ.size, body, a.name); err != nil {
					return err
				}
			}
			if len(idx) != n {
				return errorAt(all[i].at(), "argument %s of %s takes %d %ss, got %d", a.name, d.name, n, a.typ.name, len(idx))
			}
			*sym = symbol{kind: kind, idx: idx, scalar: a.typ.size == nil}
		case "int", "uint", "float", "angle", "bool":
			v, err := l.eval(all[i], sc)
			if err != nil {
				return err
			}
			if v, err = convert(v, a.typ.name, all[i].at()); err != nil {
				return err
			}
			*sym = symbol{kind: symValue, typ: a.typ.name, val: v, runtime: l.runtime}
		default:
			return unsupportedAt(a.p, "subroutine arguments of type "+a.typ.name)
		}
		if _, dup := body.get(a.name); dup {
			return errorAt(a.p, "subroutine %s: argument %s appears twice", d.name, a.name)
		}
		body.set(a.name, sym)
	}
	f := &frame{def: d, dest: dest, runtime: l.runtime}
	if dest != nil {
		f.retVar = returnedBits(d.body)
	}
	l.frames = append(l.frames, f)
	l.inlining++
	savedLoops, savedRT := l.loops, l.loopRT
	l.loops, l.loopRT = 0, l.runtime
	err := l.execStmts(d.body, body, false)
	l.loops, l.loopRT = savedLoops, savedRT
	l.inlining--
	l.frames = l.frames[:len(l.frames)-1]
	switch {
	case errors.Is(err, errReturn):
		return nil
	case errors.Is(err, errBreak), errors.Is(err, errContinue):
		return errorAt(p, "break or continue outside a loop in %s", d.name)
	}
	return err
}

// returnedBits finds the local bit variable a subroutine body returns
// (return b; with b declared in the body), so that the caller's bits can
// stand in for it.
func returnedBits(body []stmt) string {
	declared := map[string]bool{}
	for _, s := range body {
		switch s := s.(type) {
		case *classicalDecl:
			if s.typ.name == "bit" && !s.isConst {
				declared[s.name] = true
			}
		case *returnStmt:
			if id, ok := s.value.(*ident); ok && declared[id.name] {
				return id.name
			}
		}
	}
	return ""
}

// start is where an operand begins (an index's position is its "[").
func start(e expr) pos {
	for {
		ix, ok := e.(*indexExpr)
		if !ok {
			return e.at()
		}
		e = ix.x
	}
}
