package qasm

import (
	"errors"
	"math"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Limits on the work and memory of lowering, beyond circuit's own. They
// keep a few lines of hostile or careless input (a loop to 2^63, gates
// that double at every level of nesting, an alias joined to itself line
// after line) from running for minutes or exhausting memory: Go cannot
// recover from running out of memory, and a notebook's kernel dies with
// the process. They are variables so that tests can lower them.
var (
	// maxOps bounds the ops of the circuit after unrolling and inlining.
	maxOps = circuit.MaxOps
	// maxBytes bounds the memory the unrolled circuit takes while it is
	// built, as opCost counts it: at about 530 bytes for a gate on one or
	// two qubits with constant parameters, some million ops. It binds long
	// before maxOps does (a circuit.Op is 256 bytes: maxOps of them would
	// take 4 GiB, and twice that while the list is built).
	maxBytes int64 = circuit.MaxOpBytes
	// maxAliasElems bounds the qubits and bits held by let aliases, all
	// aliases together, as maxOps bounds ops: an alias joined to itself
	// doubles with every line.
	maxAliasElems = circuit.MaxOps
	// maxWork bounds the steps of lowering: statements run, loop
	// iterations, statements of gate bodies counted. A step of an empty
	// loop costs about 50 ns, so the limit is reached in under half a
	// second; a program that unrolls to a million ops takes two or three
	// million steps.
	maxWork = 1 << 23
	// maxInline bounds nested gate and subroutine calls.
	maxInline = 1000
)

// limitError is a violated limit: an error at a position that a caller
// must not take for a mismatch and try an alternative (let tries qubits,
// then bits).
type limitError struct{ *syntaxError }

func (e *limitError) Unwrap() error { return e.syntaxError }

func limitAt(p pos, format string, args ...any) error {
	return &limitError{errorAt(p, format, args...)}
}

// isAbort reports an error that must stop the lowering as it is: a
// violated limit or a cancelled context.
func isAbort(err error) bool {
	var le *limitError
	return errors.As(err, &le) || errors.Is(err, sokr.ErrCancelled) || errors.Is(err, sokr.ErrDeadlineExceeded)
}

// step counts one unit of work at p and, now and then, looks at the
// context.
func (l *lowerer) step(p pos, what string) error {
	if l.work++; l.work > maxWork {
		return limitAt(p, "%s too long to unroll (more than %d steps)", what, maxWork)
	}
	return l.poll.Tick()
}

// opSize is the size of one circuit.Op.
const opSize = int64(unsafe.Sizeof(circuit.Op{}))

// exprSize is the size of one circuit.Expr.
const exprSize = int64(unsafe.Sizeof(circuit.Expr{}))

// opCost is the memory an emitted op holds until the circuit is built:
// the op twice (its place in an opList chunk and in the final slice
// that the chunks are copied into) and the slices it owns that no other
// op shares. TestOpCostCoversTheHeap measures it against the heap.
func opCost(o *circuit.Op, sharedQubits, sharedParams bool) int64 {
	n := 2 * opSize
	if !sharedQubits {
		n += sliceBytes(cap(o.Qubits), 8)
	}
	if !sharedParams {
		n += sliceBytes(cap(o.Params), exprSize)
		for i := range o.Params {
			n += exprArgsBytes(&o.Params[i])
		}
	}
	n += sliceBytes(cap(o.Cond.Clbits), 8)
	return n
}

// sliceBytes is the heap a backing array of n elements of size takes:
// at least one 16-byte allocation unit (Go's smallest size class for
// pointerful data) when it is not empty.
func sliceBytes(n int, size int64) int64 {
	if n == 0 {
		return 0
	}
	return max(16, int64(n)*size)
}

// exprArgsBytes is the heap of an expression tree's argument slices.
func exprArgsBytes(e *circuit.Expr) int64 {
	n := sliceBytes(cap(e.Args), exprSize)
	for i := range e.Args {
		n += exprArgsBytes(&e.Args[i])
	}
	return n
}

// opList collects ops in chunks that double up to opChunk ops, so that
// a long list never holds two copies of itself while it grows (as
// append's reallocation does, at 2.25 times its size), and hands them
// out in one slice of the exact length.
type opList struct {
	chunks [][]circuit.Op
	n      int
}

// opChunk is the largest chunk: 256 KiB of ops.
const opChunk = 1024

func (b *opList) add(o *circuit.Op) {
	k := len(b.chunks) - 1
	if k < 0 || len(b.chunks[k]) == cap(b.chunks[k]) {
		size := 4
		if k >= 0 {
			size = min(opChunk, 2*cap(b.chunks[k]))
		}
		b.chunks = append(b.chunks, make([]circuit.Op, 0, size))
		k++
	}
	b.chunks[k] = append(b.chunks[k], *o)
	b.n++
}

// ops returns the list as one slice (nil when empty) and empties b.
func (b *opList) ops() []circuit.Op {
	var out []circuit.Op
	switch {
	case len(b.chunks) == 0:
	case len(b.chunks) == 1 && len(b.chunks[0]) == cap(b.chunks[0]):
		out = b.chunks[0]
	default:
		out = make([]circuit.Op, 0, b.n)
		for _, c := range b.chunks {
			out = append(out, c...)
		}
	}
	*b = opList{}
	return out
}

// internLimit bounds each intern table: beyond it new lists are not
// shared (a table entry costs more than the list it saves when values
// rarely repeat).
const internLimit = 4096

// qubitKey is a list of at most three qubits (each below 64).
type qubitKey struct {
	n int8
	q [3]int8
}

// paramKey is a list of at most four constant parameters, by their bits.
type paramKey struct {
	n int8
	v [4]uint64
}

// internQubits returns a shared copy of a short qubit list, so that the
// ops of a loop do not each hold their own. ok is false when qs is not
// shared.
func (l *lowerer) internQubits(qs []int) ([]int, bool) {
	if len(qs) == 0 || len(qs) > 3 {
		return qs, false
	}
	k := qubitKey{n: int8(len(qs))}
	for i, q := range qs {
		if q < 0 || q >= circuit.MaxQubits {
			return qs, false
		}
		k.q[i] = int8(q)
	}
	if s, ok := l.qubitLists[k]; ok {
		return s, true
	}
	if len(l.qubitLists) >= internLimit {
		return qs, false
	}
	s := qs[:len(qs):len(qs)]
	l.qubitLists[k] = s
	return s, true
}

// internParams returns a shared copy of a short list of constant
// parameters.
func (l *lowerer) internParams(ps []circuit.Expr) ([]circuit.Expr, bool) {
	if len(ps) == 0 {
		return nil, true
	}
	if len(ps) > 4 {
		return ps, false
	}
	k := paramKey{n: int8(len(ps))}
	for i := range ps {
		if ps[i].Op != circuit.ExprConst {
			return ps, false
		}
		k.v[i] = math.Float64bits(ps[i].Val)
	}
	if s, ok := l.paramLists[k]; ok {
		return s, true
	}
	if len(l.paramLists) >= internLimit {
		return ps, false
	}
	s := make([]circuit.Expr, len(ps))
	for i := range ps {
		s[i] = circuit.Const(ps[i].Val)
	}
	l.paramLists[k] = s
	return s, true
}

// chargeAlias admits an alias of n qubits or bits at p.
func (l *lowerer) chargeAlias(p pos, n int) error {
	if n > maxAliasElems-l.aliasElems {
		return limitAt(p, "let aliases would hold more than %d qubits and bits in all", maxAliasElems)
	}
	bytes := sliceBytes(n, 8)
	if bytes > maxBytes-l.bytes {
		return limitAt(p, "let aliases would take more than %d MiB", maxBytes>>20)
	}
	l.aliasElems += n
	l.bytes += bytes
	return nil
}

// gateCount is an upper bound on the ops a call of ref with params
// unrolls to, without unrolling it; ok is false when it cannot be known
// that way (a bad call: unrolling it reports the fault). A real
// exponent counts 2 (a phase and a U3). Counts of defined gates are
// memoised per gate and, when they depend on them, parameter values, so
// that gates nested n deep cost n counts, not 2^n.
func (l *lowerer) gateCount(ref gateRef, params []circuit.Expr) (n int64, ok bool, err error) {
	switch ref.kind {
	case gBuiltinU, gBuiltinCX, gGPhase:
		return 1, true, nil
	case gDirect:
		if ref.dir.phase != nil {
			return 2, true, nil
		}
		return 1, true, nil
	case gDefined:
	default:
		return 0, false, nil
	}
	g := ref.def
	key := countKey{g: g}
	if !l.paramFree(g) {
		key.params = paramString(params)
	}
	if c, seen := l.counts[key]; seen {
		return c, c >= 0, nil
	}
	if len(params) != len(g.params) {
		return 0, false, nil
	}
	if l.counting >= maxInline {
		return 0, false, nil
	}
	body := newScope(l.globalFor(g), true)
	for i, name := range g.params {
		body.set(name, &symbol{kind: symValue, typ: "angle", isConst: true, val: paramValue(params[i])})
	}
	for _, name := range g.qubits {
		body.set(name, &symbol{kind: symQubits, idx: []int{0}, scalar: true, isConst: true})
	}
	savedLib := l.lib
	l.lib = g.lib
	l.counting++
	n, ok, err = l.countStmts(g.body, body)
	l.counting--
	l.lib = savedLib
	if err != nil {
		return 0, false, err
	}
	if !ok {
		n = -1
	}
	if len(l.counts) < internLimit {
		l.counts[key] = n
	}
	return n, ok, nil
}

// countKey names a memoised count: a gate, and its parameter values
// when its count depends on them.
type countKey struct {
	g      *gateDef
	params string
}

// paramString encodes parameter values for a countKey; a parameter that
// depends on runtime inputs encodes as its expression.
func paramString(ps []circuit.Expr) string {
	b := make([]byte, 0, 9*len(ps))
	for _, e := range ps {
		if e.Op != circuit.ExprConst {
			b = append(b, 'e')
			b = append(b, e.String()...)
			b = append(b, 0)
			continue
		}
		u := math.Float64bits(e.Val)
		b = append(b, 'c', byte(u), byte(u>>8), byte(u>>16), byte(u>>24), byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
	}
	return string(b)
}

// countStmts counts the ops of gate-body statements; see gateCount.
func (l *lowerer) countStmts(stmts []stmt, sc *scope) (int64, bool, error) {
	total := int64(0)
	for _, s := range stmts {
		if err := l.step(s.at(), "the gate takes"); err != nil {
			return 0, false, err
		}
		var (
			n   int64
			ok  bool
			err error
		)
		switch s := s.(type) {
		case *gateCall:
			n, ok, err = l.countCall(s, sc)
		case *barrierStmt:
			n, ok = 1, true
		case *blockStmt:
			n, ok, err = l.countStmts(s.body, newScope(sc, false))
		case *forStmt:
			n, ok, err = l.countFor(s, sc)
		}
		if err != nil || !ok {
			return 0, false, err
		}
		total = satAdd(total, n)
	}
	return total, true, nil
}

// countCall counts one gate call in a gate body.
func (l *lowerer) countCall(c *gateCall, sc *scope) (int64, bool, error) {
	ref, found := l.findGate(c.name)
	if !found {
		return 0, false, nil
	}
	mult := int64(1)
	realPow := false
	for _, m := range c.mods {
		if m.name != "pow" || m.arg == nil {
			continue
		}
		v, err := l.eval(m.arg, sc)
		if err != nil {
			return 0, false, abortOnly(err)
		}
		k, isInt := v.asInt()
		switch {
		case v.kind == vExpr:
			return 0, false, nil
		case !isInt:
			realPow = true
		case k < 0:
			mult = satMul(mult, -k)
		default:
			mult = satMul(mult, k)
		}
	}
	params := make([]circuit.Expr, len(c.args))
	for i, a := range c.args {
		v, err := l.eval(a, sc)
		if err != nil {
			return 0, false, abortOnly(err)
		}
		params[i] = v.real()
	}
	n, ok, err := l.gateCount(ref, params)
	if err != nil || !ok {
		return 0, false, err
	}
	if realPow {
		// powReal gives at most a phase and a U3, whatever it raises.
		n = min(n, 2)
	}
	return satMul(n, mult), true, nil
}

// countFor counts a for loop in a gate body, one iteration at a time.
func (l *lowerer) countFor(s *forStmt, sc *scope) (int64, bool, error) {
	total := int64(0)
	body := newScope(sc, false)
	ok := true
	err := l.iterate(s, sc, func(v value) (bool, error) {
		if err := l.step(s.p, "the gate takes"); err != nil {
			return true, err
		}
		v, err := convert(v, s.typ.name, s.p)
		if err != nil {
			ok = false
			return true, nil
		}
		body.reset()
		body.set(s.name, &symbol{kind: symValue, typ: s.typ.name, val: v})
		n, nok, err := l.countStmts(s.body, body)
		if err != nil || !nok {
			ok = false
			return true, err
		}
		total = satAdd(total, n)
		return false, nil
	})
	if err != nil {
		if isAbort(err) {
			return 0, false, err
		}
		return 0, false, nil
	}
	return total, ok, nil
}

// abortOnly keeps the errors that stop lowering; a counting pass leaves
// the others for the unrolling to report where they belong.
func abortOnly(err error) error {
	if isAbort(err) {
		return err
	}
	return nil
}

// paramFree reports whether the op count of g is the same for every
// parameter value: no for loop bound or pow exponent in its body names a
// variable, and every gate it calls is param-free too. Such counts are
// memoised per gate alone.
func (l *lowerer) paramFree(g *gateDef) bool {
	if v, ok := l.free[g]; ok {
		return v
	}
	l.free[g] = false // a call cycle (refused elsewhere) is not free
	savedLib := l.lib
	l.lib = g.lib
	v := l.stmtsParamFree(g.body)
	l.lib = savedLib
	l.free[g] = v
	return v
}

func (l *lowerer) stmtsParamFree(stmts []stmt) bool {
	for _, s := range stmts {
		switch s := s.(type) {
		case *gateCall:
			for _, m := range s.mods {
				if m.name == "pow" && m.arg != nil && namesVariable(m.arg) {
					return false
				}
			}
			if ref, ok := l.findGate(s.name); ok && ref.kind == gDefined && !l.paramFree(ref.def) {
				return false
			}
		case *blockStmt:
			if !l.stmtsParamFree(s.body) {
				return false
			}
		case *forStmt:
			if namesVariable(s.iter) || !l.stmtsParamFree(s.body) {
				return false
			}
		}
	}
	return true
}

// namesVariable reports whether e mentions an identifier other than a
// built-in constant.
func namesVariable(e expr) bool {
	switch x := e.(type) {
	case nil:
		return false
	case *ident:
		_, isConst := constants[x.name]
		return !isConst
	case *unaryExpr:
		return namesVariable(x.x)
	case *binaryExpr:
		return namesVariable(x.x) || namesVariable(x.y)
	case *callExpr:
		for _, a := range x.args {
			if namesVariable(a) {
				return true
			}
		}
		return false
	case *castExpr:
		return namesVariable(x.x) || x.typ != nil && namesVariable(x.typ.size)
	case *indexExpr:
		if namesVariable(x.x) {
			return true
		}
		for _, i := range x.idx {
			if namesVariable(i) {
				return true
			}
		}
		return false
	case *rangeExpr:
		return namesVariable(x.start) || namesVariable(x.step) || namesVariable(x.end)
	case *setExpr:
		for _, el := range x.elems {
			if namesVariable(el) {
				return true
			}
		}
		return false
	case *numLit, *boolLit, *strLit:
		return false
	}
	return true
}

// satAdd and satMul saturate at math.MaxInt64 (counts are never
// negative), so that counting 2^70 ops cannot wrap.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
