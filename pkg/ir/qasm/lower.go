package qasm

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/edit"
	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// unsupportedError is a construct that is read but cannot become a
// circuit; the lowering records it as a circuit.Unsupported and goes on.
type unsupportedError struct {
	p       pos
	feature string
}

func (e *unsupportedError) Error() string { return "unsupported: " + e.feature }

func unsupportedAt(p pos, feature string) error { return &unsupportedError{p: p, feature: feature} }

// Control flow inside loops and subroutines.
var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
	errReturn   = errors.New("return")
)

type symKind uint8

const (
	symQubits symKind = iota // a qubit register, a qubit or an alias
	symBits                  // a bit register or a bit
	symValue                 // a classical value known while lowering
	symOpaque                // a value that cannot be known (an unsupported feature made it)
)

type symbol struct {
	kind    symKind
	idx     []int // qubits or clbits
	scalar  bool  // qubit q / bit c rather than a register
	val     value
	typ     string // value type: int, uint, float, angle, bool
	isConst bool
	feature string // symOpaque: why it is unknown
	runtime int    // the lowerer's runtime depth where it was declared
}

// scope maps names to symbols. A boundary scope (a gate or subroutine
// body) sees only the constants of the scopes around it.
type scope struct {
	parent   *scope
	boundary bool
	// The first name lives outside the map: most scopes (a loop's body,
	// a branch) hold one name or none, and a map for each would cost an
	// empty loop's iteration an allocation.
	name string
	sym  *symbol
	syms map[string]*symbol // the other names; nil until needed
}

func newScope(parent *scope, boundary bool) *scope {
	return &scope{parent: parent, boundary: boundary}
}

// get finds a name declared in this scope itself.
func (s *scope) get(name string) (*symbol, bool) {
	if s.sym != nil && s.name == name {
		return s.sym, true
	}
	v, ok := s.syms[name]
	return v, ok
}

// set declares or replaces a name in this scope.
func (s *scope) set(name string, sym *symbol) {
	switch {
	case s.sym == nil || s.name == name:
		s.name, s.sym = name, sym
	default:
		if s.syms == nil {
			s.syms = map[string]*symbol{}
		}
		s.syms[name] = sym
	}
}

// reset empties the scope, for the next iteration of a loop.
func (s *scope) reset() {
	s.name, s.sym = "", nil
	clear(s.syms)
}

// names lists the names declared in this scope itself.
func (s *scope) names() []string {
	var out []string
	if s.sym != nil {
		out = append(out, s.name)
	}
	for n := range s.syms {
		out = append(out, n)
	}
	return out
}

// lookup finds name; hidden reports a symbol that exists outside a
// boundary but may not be used inside it.
func (s *scope) lookup(name string) (sym *symbol, hidden bool) {
	crossed := false
	for sc := s; sc != nil; sc = sc.parent {
		if v, ok := sc.get(name); ok {
			if crossed && !v.isConst {
				return nil, true
			}
			return v, false
		}
		if sc.boundary {
			crossed = true
		}
	}
	return nil, false
}

// frame is a subroutine call being inlined.
type frame struct {
	def  *defStmt
	dest []int // the caller's bits that receive the return value
	// retVar names the local bit variable the body returns, bound to dest.
	retVar  string
	runtime int // the lowerer's runtime depth at the call
}

// lowerer turns a syntax tree into a circuit.Program.
type lowerer struct {
	version int
	format  string
	prog    *circuit.Program
	global  *scope
	gates   map[string]*gateDef
	opaques map[string]*opaqueDef
	defs    map[string]*defStmt
	externs map[string]bool
	// calibrated holds the gates a defcal defines, so that calls to them
	// are refused as pulse-level rather than unknown.
	calibrated map[string]bool
	libs       []*library
	lib        *library // set while expanding a library gate's body
	// inlineLibrary expands every library gate from its definition
	// instead of mapping it to the circuit gate table (a test hook).
	inlineLibrary bool

	poll  *irparse.Poll // the context, looked at every so many steps
	top   opList        // the circuit's ops
	out   *opList       // where ops go: top, or a list being captured
	nops  int           // ops emitted into the circuit
	bytes int64         // memory they and the aliases hold (opCost)
	// scratch > 0 while a gate's ops are captured to be changed by
	// modifiers before they join the circuit; tmpOps and tmpBytes count
	// them, beside nops and bytes, until they do.
	scratch    int
	tmpOps     int
	tmpBytes   int64
	aliasElems int // qubits and bits held by let aliases
	work       int
	counting   int                         // nested gateCount calls
	counts     map[countKey]int64          // gateCount's memo: -1 for unknown
	free       map[*gateDef]bool           // paramFree's memo
	qubitLists map[qubitKey][]int          // internQubits' table
	paramLists map[paramKey][]circuit.Expr // internParams' table
	runtime    int                         // > 0 inside a branch or loop decided at run time
	loops      int                         // enclosing loops being unrolled, for break and continue
	loopRT     int                         // the runtime depth of the innermost loop
	inlining   int
	frames     []*frame
	at         pos // the statement being lowered, for op positions
	hwStart    int // first qubit of the physical register $, -1 without
	discard    int // the bit that takes discarded measurements, -1 until needed
	unsupSeen  map[circuit.Unsupported]bool
}

func newLowerer(version int, format string) *lowerer {
	l := &lowerer{
		version: version, format: format,
		prog:   &circuit.Program{Source: format},
		global: newScope(nil, false),
		gates:  map[string]*gateDef{}, opaques: map[string]*opaqueDef{}, defs: map[string]*defStmt{},
		externs: map[string]bool{}, calibrated: map[string]bool{}, hwStart: -1, discard: -1, unsupSeen: map[circuit.Unsupported]bool{},
		counts: map[countKey]int64{}, free: map[*gateDef]bool{},
		qubitLists: map[qubitKey][]int{}, paramLists: map[paramKey][]circuit.Expr{},
	}
	l.out = &l.top
	return l
}

func (l *lowerer) position(p pos) sokr.Position { return sokr.Position{Line: p.line, Col: p.col} }

func (l *lowerer) recordUnsupported(e *unsupportedError) {
	u := circuit.Unsupported{Feature: e.feature, Pos: l.position(e.p)}
	if !l.unsupSeen[u] && len(l.prog.Unsupported) < 1000 {
		l.unsupSeen[u] = true
		l.prog.Unsupported = append(l.prog.Unsupported, u)
	}
}

// lowerProgram lowers the top-level statements.
func (l *lowerer) lowerProgram(stmts []stmt, hwMax int) error {
	if hwMax >= 0 {
		if hwMax >= circuit.MaxQubits {
			return errorAt(pos{1, 1}, "physical qubit $%d: at most %d qubits are allowed", hwMax, circuit.MaxQubits)
		}
		l.hwStart = 0
		l.prog.Qubits = hwMax + 1
		l.prog.QRegs = append(l.prog.QRegs, circuit.Register{Name: "$", Start: 0, Size: hwMax + 1})
	}
	if err := l.execStmts(stmts, l.global, false); err != nil {
		return err
	}
	l.prog.Ops = l.top.ops()
	return nil
}

// execStmts runs statements in order. Unsupported constructs are recorded
// and skipped, except in gate bodies (inGate), where they fail the call.
func (l *lowerer) execStmts(stmts []stmt, sc *scope, inGate bool) error {
	for _, s := range stmts {
		if err := l.step(s.at(), "the program takes"); err != nil {
			return err
		}
		err := l.exec(s, sc, inGate)
		var u *unsupportedError
		if errors.As(err, &u) && !inGate {
			l.recordUnsupported(u)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *lowerer) exec(s stmt, sc *scope, inGate bool) error {
	saved := l.at
	if l.inlining == 0 {
		l.at = s.at()
	}
	defer func() { l.at = saved }()
	if inGate {
		switch s.(type) {
		case *gateCall, *barrierStmt, *forStmt, *blockStmt:
		default:
			return errorAt(s.at(), "a gate body may hold only gate calls, gphase, barrier and for loops")
		}
	}
	switch s := s.(type) {
	case *includeStmt:
		return l.include(s, sc)
	case *qubitDecl:
		return l.qubitDecl(s, sc)
	case *classicalDecl:
		return l.classicalDecl(s, sc)
	case *gateDef:
		return l.gateDef(s, sc)
	case *opaqueDef:
		if err := l.checkNewGate(s.name, s.p, sc); err != nil {
			return err
		}
		l.opaques[s.name] = s
		return nil
	case *defStmt:
		if sc != l.global {
			return errorAt(s.p, "subroutines can be defined only at the top level")
		}
		if err := l.checkNewGate(s.name, s.p, sc); err != nil {
			return err
		}
		l.defs[s.name] = s
		return nil
	case *gateCall:
		return l.gateCall(s, sc)
	case *measureStmt:
		return l.measure(s, sc)
	case *resetStmt:
		for _, o := range s.operands {
			qs, _, err := l.qubits(o, sc)
			if err != nil {
				return err
			}
			for _, q := range qs {
				if err := l.emit(&circuit.Op{Kind: circuit.OpReset, Name: "reset", Qubits: []int{q}}); err != nil {
					return err
				}
			}
		}
		return nil
	case *barrierStmt:
		var qs []int
		if len(s.operands) == 0 {
			for q := range l.prog.Qubits {
				qs = append(qs, q)
			}
		}
		for _, o := range s.operands {
			q, _, err := l.qubits(o, sc)
			if err != nil {
				return err
			}
			qs = append(qs, q...)
		}
		return l.emit(&circuit.Op{Kind: circuit.OpBarrier, Name: "barrier", Qubits: qs})
	case *ifStmt:
		return l.ifStmt(s, sc)
	case *forStmt:
		return l.forStmt(s, sc, inGate)
	case *whileStmt:
		return l.whileStmt(s, sc)
	case *blockStmt:
		return l.execStmts(s.body, newScope(sc, false), inGate)
	case *assignStmt:
		return l.assign(s, sc)
	case *exprStmt:
		if c, ok := s.x.(*callExpr); ok {
			if d := l.defs[c.name]; d != nil {
				return l.callDef(d, c.p, c.args, nil, sc, nil)
			}
			if l.externs[c.name] {
				return unsupportedAt(c.p, "extern functions")
			}
		}
		_, err := l.eval(s.x, sc)
		return err
	case *letStmt:
		return l.let(s, sc)
	case *returnStmt:
		return l.returnStmt(s, sc)
	case *loopCtlStmt:
		if l.loops == 0 {
			return errorAt(s.p, "%s outside a loop", s.word)
		}
		if l.runtime > l.loopRT {
			return unsupportedAt(s.p, s.word+" inside a branch decided at run time")
		}
		if s.word == "break" {
			return errBreak
		}
		return errContinue
	case *unsupportedStmt:
		for _, n := range s.names {
			l.externs[n] = true
		}
		if s.gate != "" {
			l.calibrated[s.gate] = true
		}
		return unsupportedAt(s.p, s.feature)
	}
	return errorAt(s.at(), "unexpected statement")
}

// emit appends an op at the current statement's position, after
// counting it and its memory against the limits. Short qubit and
// constant parameter lists are shared between ops.
func (l *lowerer) emit(o *circuit.Op) error {
	o.Pos = l.position(l.at)
	var sharedQ, sharedP bool
	o.Qubits, sharedQ = l.internQubits(o.Qubits)
	o.Params, sharedP = l.internParams(o.Params)
	cost := opCost(o, sharedQ, sharedP)
	if l.scratch > 0 {
		l.tmpOps++
		l.tmpBytes += cost
	} else {
		l.nops++
		l.bytes += cost
	}
	if l.nops+l.tmpOps > maxOps {
		return limitAt(l.at, "the program unrolls to more than %d operations", maxOps)
	}
	if l.bytes+l.tmpBytes > maxBytes {
		return limitAt(l.at, "the program unrolls to more operations than fit in %d MiB", maxBytes>>20)
	}
	if err := l.poll.Tick(); err != nil {
		return err
	}
	l.out.add(o)
	return nil
}

// capture runs f with ops going to a fresh list, and returns it.
func (l *lowerer) capture(f func() error) ([]circuit.Op, error) {
	saved := l.out
	var ops opList
	l.out = &ops
	err := f()
	l.out = saved
	return ops.ops(), err
}

func (l *lowerer) include(s *includeStmt, sc *scope) error {
	if sc != l.global {
		return errorAt(s.p, "include is allowed only at the top level")
	}
	lib := libraryFor(s.file)
	if lib == nil {
		return errorAt(s.p, "cannot include %q: only qelib1.inc and stdgates.inc are built in, and no files are read", s.file)
	}
	if slices.Contains(l.libs, lib) {
		return nil
	}
	for _, name := range lib.order {
		if l.gates[name] != nil || l.defs[name] != nil || l.opaques[name] != nil {
			return errorAt(s.p, "%s defines gate %s, which the program defined before", s.file, name)
		}
	}
	l.libs = append(l.libs, lib)
	return nil
}

// declare adds a name to a scope, refusing duplicates.
func (l *lowerer) declare(sc *scope, name string, p pos, sym *symbol) error {
	if _, ok := constants[name]; ok {
		return errorAt(p, "%s is a built-in constant and cannot be redeclared", name)
	}
	if _, ok := sc.get(name); ok {
		return errorAt(p, "%s is already declared in this scope", name)
	}
	if sc == l.global {
		if _, ok := l.findGate(name); ok {
			return errorAt(p, "%s is already the name of a gate or subroutine", name)
		}
	}
	sc.set(name, sym)
	return nil
}

// size evaluates a register size.
func (l *lowerer) size(e expr, sc *scope, what string) (int, error) {
	v, err := l.eval(e, sc)
	if err != nil {
		return 0, err
	}
	n, ok := v.asInt()
	if !ok || v.kind == vExpr {
		return 0, errorAt(e.at(), "the size of %s must be a constant integer, not %s", what, v)
	}
	if n <= 0 {
		return 0, errorAt(e.at(), "the size of %s must be positive, not %d", what, n)
	}
	return int(min(n, math.MaxInt32)), nil
}

func (l *lowerer) qubitDecl(s *qubitDecl, sc *scope) error {
	if sc != l.global || l.inlining > 0 {
		return errorAt(s.p, "qubits can be declared only at the top level")
	}
	n := 1
	if s.size != nil {
		var err error
		if n, err = l.size(s.size, sc, s.name); err != nil {
			return err
		}
	}
	if l.prog.Qubits+n > circuit.MaxQubits {
		return errorAt(s.p, "%s would make %d qubits: at most %d are allowed", s.name, l.prog.Qubits+n, circuit.MaxQubits)
	}
	sym := &symbol{kind: symQubits, scalar: s.size == nil}
	for i := range n {
		sym.idx = append(sym.idx, l.prog.Qubits+i)
	}
	if err := l.declare(sc, s.name, s.p, sym); err != nil {
		return err
	}
	l.prog.QRegs = append(l.prog.QRegs, circuit.Register{Name: s.name, Start: l.prog.Qubits, Size: n})
	l.prog.Qubits += n
	return nil
}

// newBits allocates a classical register.
func (l *lowerer) newBits(name string, n int, p pos) ([]int, error) {
	if l.prog.Clbits+n > circuit.MaxClbits {
		return nil, errorAt(p, "%s would make %d classical bits: at most %d are allowed", name, l.prog.Clbits+n, circuit.MaxClbits)
	}
	regName := name
	for k := 1; slices.ContainsFunc(l.prog.CRegs, func(r circuit.Register) bool { return r.Name == regName }); k++ {
		regName = name + "#" + strconv.Itoa(k)
	}
	bits := make([]int, n)
	for i := range bits {
		bits[i] = l.prog.Clbits + i
	}
	l.prog.CRegs = append(l.prog.CRegs, circuit.Register{Name: regName, Start: l.prog.Clbits, Size: n})
	l.prog.Clbits += n
	return bits, nil
}

func (l *lowerer) classicalDecl(s *classicalDecl, sc *scope) error {
	err := l.classicalDecl1(s, sc)
	var u *unsupportedError
	if errors.As(err, &u) {
		if _, exists := sc.get(s.name); !exists {
			_ = l.declare(sc, s.name, s.p, &symbol{kind: symOpaque, feature: u.feature})
		}
	}
	return err
}

func (l *lowerer) classicalDecl1(s *classicalDecl, sc *scope) error {
	t := s.typ
	switch t.name {
	case "bit":
		if s.isInput {
			return unsupportedAt(s.p, "input bits (only float and angle inputs are parameters)")
		}
		n := 1
		if t.size != nil {
			var err error
			if n, err = l.size(t.size, sc, s.name); err != nil {
				return err
			}
		}
		var bits []int
		if f := l.frame(); f != nil && f.retVar == s.name && len(f.dest) == n && sc.boundary {
			bits = f.dest // the value the subroutine returns: write the caller's bits
		} else {
			var err error
			if bits, err = l.newBits(s.name, n, s.p); err != nil {
				return err
			}
		}
		if err := l.declare(sc, s.name, s.p, &symbol{kind: symBits, idx: bits, scalar: t.size == nil}); err != nil {
			return err
		}
		if s.init == nil {
			return nil
		}
		return l.assignBits(bits, s.init, sc, s.p)
	case "int", "uint", "float", "angle", "bool":
	case "duration", "stretch":
		return unsupportedAt(s.p, t.name+" (timing)")
	case "complex":
		return unsupportedAt(s.p, "complex numbers")
	case "array":
		return unsupportedAt(s.p, "arrays")
	default:
		return errorAt(s.p, "%s is not a classical type", t.name)
	}
	if t.size != nil {
		if _, err := l.size(t.size, sc, t.name); err != nil {
			return err
		}
	}
	if s.isOutput {
		return unsupportedAt(s.p, "output variables of type "+t.name)
	}
	if s.isInput {
		if t.name != "float" && t.name != "angle" {
			return unsupportedAt(s.p, "input of type "+t.name+" (only float and angle inputs are parameters)")
		}
		if sc != l.global {
			return errorAt(s.p, "inputs can be declared only at the top level")
		}
		idx := len(l.prog.Params)
		if err := l.declare(sc, s.name, s.p, &symbol{kind: symValue, typ: t.name, isConst: true, val: value{kind: vExpr, e: circuit.ParamRef(idx)}}); err != nil {
			return err
		}
		l.prog.Params = append(l.prog.Params, s.name)
		return nil
	}
	v := zeroOf(t.name)
	if s.init != nil {
		if _, ok := s.init.(*measureExpr); ok {
			return unsupportedAt(s.p, "measuring into a "+t.name+" variable")
		}
		var err error
		if v, err = l.eval(s.init, sc); err != nil {
			return err
		}
		if v, err = convert(v, t.name, s.init.at()); err != nil {
			return err
		}
	}
	if s.isConst && v.kind == vExpr {
		return errorAt(s.p, "const %s depends on a runtime input", s.name)
	}
	return l.declare(sc, s.name, s.p, &symbol{kind: symValue, typ: t.name, isConst: s.isConst, val: v, runtime: l.runtime})
}

func zeroOf(typ string) value {
	switch typ {
	case "float", "angle":
		return floatVal(0)
	case "bool":
		return boolVal(false)
	}
	return intVal(0)
}

// convert casts a value to a classical type.
func convert(v value, typ string, p pos) (value, error) {
	if v.kind == vExpr {
		if typ == "float" || typ == "angle" {
			return v, nil
		}
		return value{}, unsupportedAt(p, "casting a runtime parameter to "+typ)
	}
	switch typ {
	case "float", "angle":
		return floatVal(v.float()), nil
	case "bool":
		return boolVal(v.truth()), nil
	case "int", "uint", "bit":
		if v.kind == vFloat {
			if math.IsNaN(v.f) || math.Abs(v.f) >= 1<<63 {
				return value{}, errorAt(p, "%v does not fit in an integer", v.f)
			}
			return intVal(int64(v.f)), nil
		}
		i, _ := v.asInt()
		return intVal(i), nil
	}
	return value{}, unsupportedAt(p, "casts to "+typ)
}

// assignBits writes a value to classical bits: a measurement or the
// result of a subroutine. Constants other than zero (the bits' initial
// value) cannot be written.
func (l *lowerer) assignBits(bits []int, e expr, sc *scope, p pos) error {
	switch x := e.(type) {
	case *measureExpr:
		return l.measure(&measureStmt{p: p, src: x.operand}, sc, bits...)
	case *callExpr:
		if d := l.defs[x.name]; d != nil {
			return l.callDef(d, x.p, x.args, nil, sc, bits)
		}
		if l.externs[x.name] {
			return unsupportedAt(x.p, "extern functions")
		}
	case *strLit:
		if strings.Trim(x.text, "0_") == "" && l.runtime == 0 {
			return nil
		}
		return unsupportedAt(p, "writing constant bits other than zero")
	}
	v, err := l.eval(e, sc)
	if err != nil {
		return err
	}
	if i, ok := v.asInt(); ok && i == 0 && l.runtime == 0 && v.kind != vExpr {
		return nil
	}
	return unsupportedAt(p, "writing computed values to bits at run time")
}

// measure lowers measure q -> c. With explicit target bits (from
// assignBits) they replace s.target.
func (l *lowerer) measure(s *measureStmt, sc *scope, target ...int) error {
	qs, _, err := l.qubits(s.src, sc)
	if err != nil {
		return err
	}
	bits := target
	switch {
	case bits != nil:
	case s.target != nil:
		if bits, _, err = l.bits(s.target, sc); err != nil {
			var u *unsupportedError
			if errors.As(err, &u) {
				// Measuring into a classical variable: from now on unknown.
				base := s.target
				if ix, ok := base.(*indexExpr); ok {
					base = ix.x
				}
				if id, ok := base.(*ident); ok {
					if sym, _ := sc.lookup(id.name); sym != nil && sym.kind == symValue {
						*sym = symbol{kind: symOpaque, feature: u.feature}
					}
				}
			}
			return err
		}
	default:
		if l.discard < 0 {
			b, err := l.newBits("_discarded", 1, s.p)
			if err != nil {
				return err
			}
			l.discard = b[0]
		}
		bits = make([]int, len(qs))
		for i := range bits {
			bits[i] = l.discard
		}
	}
	if len(qs) != len(bits) {
		return errorAt(s.p, "measure: %d qubits into %d bits", len(qs), len(bits))
	}
	for i, q := range qs {
		if err := l.emit(&circuit.Op{Kind: circuit.OpMeasure, Name: "measure", Qubits: []int{q}, Clbit: bits[i]}); err != nil {
			return err
		}
	}
	return nil
}

func (l *lowerer) frame() *frame {
	if len(l.frames) == 0 {
		return nil
	}
	return l.frames[len(l.frames)-1]
}

func (l *lowerer) assign(s *assignStmt, sc *scope) error {
	var name string
	switch t := s.target.(type) {
	case *ident:
		name = t.name
	case *indexExpr:
		if id, ok := t.x.(*ident); ok {
			name = id.name
		}
	}
	sym, hidden := sc.lookup(name)
	if name == "" || sym == nil {
		if hidden {
			return errorAt(s.p, "%s is declared outside this gate or subroutine and is not a constant", name)
		}
		return l.undeclared(name, s.p, sc)
	}
	switch sym.kind {
	case symBits:
		bits, _, err := l.bits(s.target, sc)
		if err != nil {
			return err
		}
		if s.op != "=" {
			return unsupportedAt(s.p, "classical computation on bits at run time ("+s.op+")")
		}
		return l.assignBits(bits, s.value, sc, s.p)
	case symQubits:
		return errorAt(s.p, "%s is a qubit register and cannot be assigned", name)
	case symOpaque:
		return unsupportedAt(s.p, sym.feature)
	}
	if sym.isConst {
		return errorAt(s.p, "%s is a constant and cannot be assigned", name)
	}
	if _, ok := s.target.(*ident); !ok {
		return unsupportedAt(s.p, "assigning to single bits of an integer")
	}
	v, err := l.eval(s.value, sc)
	if err == nil && l.runtime > sym.runtime {
		err = unsupportedAt(s.p, "classical variables assigned at run time")
	}
	if err == nil && s.op != "=" {
		op := strings.TrimSuffix(s.op, "=")
		switch op {
		case "+", "-", "*", "/", "%", "**":
			v, err = arith(op, sym.val, v, s.p)
		case "&", "|", "^", "<<", ">>":
			v, err = bitwise(op, sym.val, v, s.p)
		default:
			err = errorAt(s.p, "unknown assignment %s", s.op)
		}
	}
	if err == nil {
		v, err = convert(v, sym.typ, s.p)
	}
	var u *unsupportedError
	if errors.As(err, &u) {
		*sym = symbol{kind: symOpaque, feature: u.feature}
	}
	if err != nil {
		return err
	}
	sym.val = v
	return nil
}

// let declares an alias. Its qubits or bits count against
// maxAliasElems, all aliases together: an alias joined to itself
// (let a1 = a0 ++ a0;) doubles with every line.
func (l *lowerer) let(s *letStmt, sc *scope) error {
	kind := symQubits
	idx, scalar, err := l.qubits(s.value, sc)
	if err != nil && !isAbort(err) {
		kind = symBits
		idx, scalar, err = l.bits(s.value, sc)
		if err != nil && !isAbort(err) {
			return errorAt(s.p, "let %s: the value must be qubits or bits", s.name)
		}
	}
	if err != nil {
		return err
	}
	if err := l.chargeAlias(s.p, len(idx)); err != nil {
		var le *limitError
		if errors.As(err, &le) {
			le.msg = "let " + s.name + ": " + le.msg
		}
		return err
	}
	return l.declare(sc, s.name, s.p, &symbol{kind: kind, idx: idx, scalar: scalar})
}

func (l *lowerer) returnStmt(s *returnStmt, sc *scope) error {
	f := l.frame()
	if f == nil {
		return errorAt(s.p, "return outside a subroutine")
	}
	if l.runtime > f.runtime {
		return unsupportedAt(s.p, "return inside a branch decided at run time")
	}
	if s.value == nil {
		return errReturn
	}
	if f.def.ret == nil {
		return errorAt(s.p, "subroutine %s returns no value", f.def.name)
	}
	dest := f.dest
	switch v := s.value.(type) {
	case *measureExpr:
		if dest == nil {
			return l.measure(&measureStmt{p: s.p, src: v.operand}, sc)
		}
		return l.measure(&measureStmt{p: s.p, src: v.operand}, sc, dest...)
	case *ident:
		if sym, _ := sc.lookup(v.name); sym != nil && sym.kind == symBits && (dest == nil || slices.Equal(sym.idx, dest)) {
			return errReturn
		}
	}
	if dest == nil {
		if _, err := l.eval(s.value, sc); err != nil {
			return err
		}
		return errReturn
	}
	return unsupportedAt(s.p, "subroutines returning computed values")
}

// ifStmt lowers if/else: a condition known now picks a branch; one on
// measured bits becomes an OpIf.
func (l *lowerer) ifStmt(s *ifStmt, sc *scope) error {
	known, cond, err := l.condition(s.cond, sc, s.qasm2Style)
	var unsupported *unsupportedError
	if err != nil && errors.As(err, &unsupported) && !s.qasm2Style && compound(s.cond) {
		return l.compoundIf(s, sc)
	}
	if err != nil {
		return err
	}
	if known != nil {
		if *known {
			return l.execStmts(s.then, newScope(sc, false), false)
		}
		return l.execStmts(s.els, newScope(sc, false), false)
	}
	l.runtime++
	defer func() { l.runtime-- }()
	then, err := l.capture(func() error { return l.execStmts(s.then, newScope(sc, false), false) })
	if err != nil {
		return err
	}
	els, err := l.capture(func() error { return l.execStmts(s.els, newScope(sc, false), false) })
	if err != nil {
		return err
	}
	return l.emit(&circuit.Op{Kind: circuit.OpIf, Name: "if", Cond: cond, Then: then, Else: els})
}

// compound reports whether e combines conditions with &&, ||, ^ or !.
func compound(e expr) bool {
	switch x := e.(type) {
	case *unaryExpr:
		return x.op == "!"
	case *binaryExpr:
		return x.op == "&&" || x.op == "||" || x.op == "^"
	}
	return false
}

// compoundIf lowers an if whose condition combines conditions on measured
// bits in a way no single comparison of a bit string states (c[0] && c[1]
// with bits read as booleans, c[0] ^ c[1], c[0] || c[1]): nested OpIfs
// that each test one comparison. The branches are lowered once and shared
// by the OpIfs that lead to them: ops are not changed once emitted (their
// qubit lists are interned too), and only one path runs.
func (l *lowerer) compoundIf(s *ifStmt, sc *scope) error {
	l.runtime++
	defer func() { l.runtime-- }()
	then, err := l.capture(func() error { return l.execStmts(s.then, newScope(sc, false), false) })
	if err != nil {
		return err
	}
	els, err := l.capture(func() error { return l.execStmts(s.els, newScope(sc, false), false) })
	if err != nil {
		return err
	}
	return l.branch(s.cond, then, els, sc)
}

// branch emits "if (e) then else els", splitting &&, ||, ^ and ! into
// nested ifs.
func (l *lowerer) branch(e expr, then, els []circuit.Op, sc *scope) error {
	sub := func(e expr, then, els []circuit.Op) ([]circuit.Op, error) {
		return l.capture(func() error { return l.branch(e, then, els, sc) })
	}
	switch x := e.(type) {
	case *unaryExpr:
		if x.op == "!" {
			return l.branch(x.x, els, then, sc)
		}
	case *binaryExpr:
		switch {
		case x.op == "&&": // x.y is tested only when x.x holds
			inner, err := sub(x.y, then, els)
			if err != nil {
				return err
			}
			return l.branch(x.x, inner, els, sc)
		case x.op == "||":
			inner, err := sub(x.y, then, els)
			if err != nil {
				return err
			}
			return l.branch(x.x, then, inner, sc)
		case x.op == "^" && l.boolean(x.x, sc) && l.boolean(x.y, sc):
			// On booleans ^ is "differ": when x.x holds, x.y picks else.
			flip, err := sub(x.y, els, then)
			if err != nil {
				return err
			}
			same, err := sub(x.y, then, els)
			if err != nil {
				return err
			}
			return l.branch(x.x, flip, same, sc)
		}
	}
	known, cond, err := l.condition(e, sc, false)
	if err != nil {
		return err
	}
	if known != nil {
		ops := els
		if *known {
			ops = then
		}
		for i := range ops {
			l.out.add(&ops[i])
		}
		return nil
	}
	return l.emit(&circuit.Op{Kind: circuit.OpIf, Name: "if", Cond: cond, Then: then, Else: els})
}

// boolean reports whether e has a boolean value, so that ^ on it is a
// logical "differ" rather than a bitwise one: a single measured bit, a
// comparison, or a logical combination of those.
func (l *lowerer) boolean(e expr, sc *scope) bool {
	switch x := e.(type) {
	case *unaryExpr:
		return x.op == "!"
	case *binaryExpr:
		if _, isCmp := cmpOps[x.op]; isCmp || x.op == "&&" || x.op == "||" {
			return true
		}
		return x.op == "^" && l.boolean(x.x, sc) && l.boolean(x.y, sc)
	}
	bits, ok := l.bitSource(e, sc)
	return ok && len(bits) == 1
}

func (l *lowerer) whileStmt(s *whileStmt, sc *scope) error {
	body := newScope(sc, false)
	for {
		known, cond, err := l.condition(s.cond, sc, false)
		if err != nil {
			return err
		}
		if known == nil {
			l.runtime++
			defer func() { l.runtime-- }()
			body, err := l.capture(func() error { return l.execStmts(s.body, newScope(sc, false), false) })
			if err != nil {
				return err
			}
			return l.emit(&circuit.Op{Kind: circuit.OpWhile, Name: "while", Cond: cond, Then: body})
		}
		if !*known {
			return nil
		}
		if err := l.step(s.p, "the while loop runs"); err != nil {
			return err
		}
		savedRT := l.loopRT
		l.loops++
		l.loopRT = l.runtime
		before := len(l.prog.Unsupported)
		body.reset()
		err = l.execStmts(s.body, body, false)
		l.loops--
		l.loopRT = savedRT
		switch {
		case len(l.prog.Unsupported) > before && err == nil:
			return nil // refused anyway; see forStmt
		case errors.Is(err, errBreak):
			return nil
		case err != nil && !errors.Is(err, errContinue):
			return err
		}
	}
}

// forStmt unrolls a for loop. One scope and one symbol serve every
// iteration, so that an iteration of an empty loop allocates nothing.
func (l *lowerer) forStmt(s *forStmt, sc *scope, inGate bool) error {
	body := newScope(sc, false)
	loopVar := &symbol{}
	return l.iterate(s, sc, func(v value) (stop bool, err error) {
		if err := l.step(s.p, "the for loop runs"); err != nil {
			return true, err
		}
		if v, err = convert(v, s.typ.name, s.p); err != nil {
			return true, err
		}
		body.reset()
		*loopVar = symbol{kind: symValue, typ: s.typ.name, val: v, runtime: l.runtime}
		body.set(s.name, loopVar)
		savedRT := l.loopRT
		l.loops++
		l.loopRT = l.runtime
		before := len(l.prog.Unsupported)
		err = l.execStmts(s.body, body, inGate)
		l.loops--
		l.loopRT = savedRT
		switch {
		case len(l.prog.Unsupported) > before && err == nil:
			// The program will be refused anyway: unrolling further
			// would only repeat the reason.
			return true, nil
		case errors.Is(err, errBreak):
			return true, nil
		case errors.Is(err, errContinue):
			return false, nil
		}
		return err != nil, err
	})
}

// iterate calls f with each value a for loop takes, in order, until f
// stops or fails. The values of a set are computed before the first
// iteration; a range counts as it goes.
func (l *lowerer) iterate(s *forStmt, sc *scope, f func(value) (stop bool, err error)) error {
	switch it := s.iter.(type) {
	case *rangeExpr:
		if it.start == nil || it.end == nil {
			return errorAt(it.p, "a loop range needs a start and an end")
		}
		start, err := l.intExpr(it.start, sc)
		if err != nil {
			return err
		}
		end, err := l.intExpr(it.end, sc)
		if err != nil {
			return err
		}
		step := int64(1)
		if it.step != nil {
			if step, err = l.intExpr(it.step, sc); err != nil {
				return err
			}
			if step == 0 {
				return errorAt(it.step.at(), "a loop step cannot be zero")
			}
		}
		for i := start; step > 0 && i <= end || step < 0 && i >= end; i += step {
			if stop, err := f(intVal(i)); stop || err != nil {
				return err
			}
			if step > 0 && i > math.MaxInt64-step || step < 0 && i < math.MinInt64-step {
				break
			}
		}
		return nil
	case *setExpr:
		vals := make([]value, 0, len(it.elems))
		for _, e := range it.elems {
			v, err := l.eval(e, sc)
			if err != nil {
				return err
			}
			vals = append(vals, v)
		}
		for _, v := range vals {
			if stop, err := f(v); stop || err != nil {
				return err
			}
		}
		return nil
	}
	return unsupportedAt(s.iter.at(), "for loops over registers or arrays")
}

// intExpr evaluates an expression that must be a known integer.
func (l *lowerer) intExpr(e expr, sc *scope) (int64, error) {
	v, err := l.eval(e, sc)
	if err != nil {
		return 0, err
	}
	if v.kind == vExpr {
		return 0, unsupportedAt(e.at(), "indices or loop bounds that depend on runtime parameters")
	}
	i, ok := v.asInt()
	if !ok {
		return 0, errorAt(e.at(), "expected an integer, got %s", v)
	}
	return i, nil
}

// undeclared is the error for an unknown name.
func (l *lowerer) undeclared(name string, p pos, sc *scope) error {
	if name == "" {
		return errorAt(p, "expected a variable")
	}
	var names []string
	for s := sc; s != nil; s = s.parent {
		names = append(names, s.names()...)
	}
	if m := closest(name, names); m != "" {
		return errorAt(p, "undeclared identifier %q (did you mean %q?)", name, m)
	}
	return errorAt(p, "undeclared identifier %q", name)
}

// closest returns the candidate nearest to name by edit distance, if one
// is near enough to be a likely typo.
func closest(name string, candidates []string) string {
	best, bestD := "", 3
	slices.Sort(candidates)
	for _, c := range candidates {
		if len(name) > 64 || len(c) > 64 {
			continue // not a typo, and too costly to compare
		}
		// Distances past the threshold come back as the limit and are skipped.
		d := edit.Distance(name, c, max(1, len(name)/2)+1)
		if d > max(1, len(name)/2) {
			continue
		}
		// On a tie, a candidate with the same first letter reads likelier.
		if d < bestD || d == bestD && c != "" && name != "" && c[0] == name[0] && (best == "" || best[0] != name[0]) {
			best, bestD = c, d
		}
	}
	return best
}

// qubitName renders qubit q as reg[i] for messages.
func (l *lowerer) qubitName(q int) string {
	for _, r := range l.prog.QRegs {
		if q >= r.Start && q < r.Start+r.Size {
			if r.Name == "$" {
				return "$" + strconv.Itoa(q-r.Start)
			}
			return fmt.Sprintf("%s[%d]", r.Name, q-r.Start)
		}
	}
	return "qubit " + strconv.Itoa(q)
}
