package qasm

import (
	"slices"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// eval computes a classical expression. Values that only exist at run
// time (measured bits) make an unsupportedError; conditions on them are
// read by condition instead.
func (l *lowerer) eval(e expr, sc *scope) (value, error) {
	switch x := e.(type) {
	case *numLit:
		return parseNumber(x)
	case *boolLit:
		return boolVal(x.val), nil
	case *strLit:
		var v int64
		for _, c := range x.text {
			switch c {
			case '0', '1':
				v = v<<1 | int64(c-'0')
			case '_':
			default:
				return value{}, errorAt(x.p, "%q is not a bit string", x.text)
			}
		}
		return intVal(v), nil
	case *otherLit:
		return value{}, unsupportedAt(x.p, x.kind)
	case *opaqueExpr:
		return value{}, unsupportedAt(x.p, x.feature)
	case *ident:
		return l.evalIdent(x, sc)
	case *hwQubit:
		return value{}, errorAt(x.p, "physical qubit $%d is not a classical value", x.n)
	case *unaryExpr:
		v, err := l.eval(x.x, sc)
		if err != nil {
			return value{}, err
		}
		return unary(x, v)
	case *binaryExpr:
		return l.evalBinary(x, sc)
	case *callExpr:
		switch {
		case x.name == "sizeof":
			return value{}, unsupportedAt(x.p, "arrays")
		case l.defs[x.name] != nil:
			return value{}, unsupportedAt(x.p, "subroutine return values used in expressions")
		case l.externs[x.name]:
			return value{}, unsupportedAt(x.p, "extern functions")
		}
		args := make([]value, len(x.args))
		for i, a := range x.args {
			v, err := l.eval(a, sc)
			if err != nil {
				return value{}, err
			}
			args[i] = v
		}
		if v, ok, err := callBuiltin(x.name, args, x.p); ok {
			return v, err
		}
		return value{}, errorAt(x.p, "unknown function %q", x.name)
	case *castExpr:
		if x.typ.size != nil {
			if _, err := l.size(x.typ.size, sc, x.typ.name); err != nil {
				return value{}, err
			}
		}
		v, err := l.eval(x.x, sc)
		if err != nil {
			return value{}, err
		}
		return convert(v, x.typ.name, x.p)
	case *indexExpr:
		id, ok := x.x.(*ident)
		if ok {
			if sym, _ := sc.lookup(id.name); sym != nil && sym.kind == symValue && len(x.idx) == 1 {
				if _, isRange := x.idx[0].(*rangeExpr); !isRange {
					if sym.val.kind != vInt {
						return value{}, errorAt(x.p, "only integers can be indexed for their bits; %s is a %s", id.name, sym.typ)
					}
					i, err := l.intExpr(x.idx[0], sc)
					if err != nil {
						return value{}, err
					}
					if i < 0 || i > 63 {
						return value{}, errorAt(x.p, "bit %d of %s is out of range", i, id.name)
					}
					return intVal(sym.val.i >> i & 1), nil
				}
			}
		}
		if _, _, err := l.bits(x, sc); err == nil {
			return value{}, unsupportedAt(x.p, "classical computation on measured bits at run time")
		}
		if _, _, err := l.qubits(x, sc); err == nil {
			return value{}, errorAt(x.p, "qubits are not a classical value")
		}
		v, err := l.eval(x.x, sc)
		if err != nil {
			return value{}, err
		}
		return value{}, errorAt(x.p, "%s cannot be indexed", v)
	case *measureExpr:
		return value{}, errorAt(x.p, "measure must be the whole right-hand side of an assignment")
	case *rangeExpr:
		return value{}, errorAt(x.p, "a range is not a value here")
	case *setExpr:
		return value{}, errorAt(x.p, "a set is not a value here")
	}
	return value{}, errorAt(e.at(), "unexpected expression")
}

func (l *lowerer) evalIdent(x *ident, sc *scope) (value, error) {
	if c, ok := constants[x.name]; ok {
		return floatVal(c), nil
	}
	sym, hidden := sc.lookup(x.name)
	if sym == nil {
		switch {
		case hidden:
			return value{}, errorAt(x.p, "%s is declared outside this gate or subroutine and is not a constant", x.name)
		case l.externs[x.name] || l.defs[x.name] != nil:
			return value{}, errorAt(x.p, "%s is a subroutine; call it with arguments", x.name)
		}
		return value{}, l.undeclared(x.name, x.p, sc)
	}
	switch sym.kind {
	case symQubits:
		return value{}, errorAt(x.p, "%s is a qubit, not a classical value", x.name)
	case symBits:
		return value{}, unsupportedAt(x.p, "classical computation on measured bits at run time")
	case symOpaque:
		return value{}, unsupportedAt(x.p, sym.feature)
	}
	return sym.val, nil
}

func unary(x *unaryExpr, v value) (value, error) {
	switch x.op {
	case "-":
		switch v.kind {
		case vExpr:
			return value{kind: vExpr, e: circuit.Neg(v.e)}, nil
		case vInt:
			return intVal(-v.i), nil
		case vFloat:
			return floatVal(-v.f), nil
		}
		return value{}, errorAt(x.p, "cannot negate a bool")
	case "!":
		if v.kind == vExpr {
			return value{}, unsupportedAt(x.p, "logic on runtime parameters")
		}
		return boolVal(!v.truth()), nil
	case "~":
		switch v.kind {
		case vBool:
			return boolVal(!v.b), nil
		case vInt:
			return intVal(^v.i), nil
		}
		return value{}, errorAt(x.p, "~ needs an integer or a bool")
	}
	return value{}, errorAt(x.p, "unknown operator %s", x.op)
}

func (l *lowerer) evalBinary(x *binaryExpr, sc *scope) (value, error) {
	a, err := l.eval(x.x, sc)
	if err != nil {
		return value{}, err
	}
	if x.op == "&&" || x.op == "||" {
		if a.kind == vExpr {
			return value{}, unsupportedAt(x.p, "logic on runtime parameters")
		}
		if x.op == "&&" && !a.truth() || x.op == "||" && a.truth() {
			return boolVal(a.truth()), nil
		}
	}
	b, err := l.eval(x.y, sc)
	if err != nil {
		return value{}, err
	}
	switch x.op {
	case "&&", "||":
		if b.kind == vExpr {
			return value{}, unsupportedAt(x.p, "logic on runtime parameters")
		}
		return boolVal(b.truth()), nil
	case "==", "!=", "<", "<=", ">", ">=":
		if a.kind == vExpr || b.kind == vExpr {
			return value{}, unsupportedAt(x.p, "comparisons of runtime parameters")
		}
		return boolVal(compare(x.op, a, b)), nil
	case "&", "|", "^":
		if a.kind == vBool && b.kind == vBool {
			switch x.op {
			case "&":
				return boolVal(a.b && b.b), nil
			case "|":
				return boolVal(a.b || b.b), nil
			}
			return boolVal(a.b != b.b), nil
		}
		return bitwise(x.op, a, b, x.p)
	case "<<", ">>":
		return bitwise(x.op, a, b, x.p)
	case "++":
		return value{}, errorAt(x.p, "++ joins registers only in let")
	}
	return arith(x.op, a, b, x.p)
}

// condition reads an if or while condition: known now (known != nil) or
// a comparison of measured bits with a constant.
func (l *lowerer) condition(e expr, sc *scope, qasm2 bool) (known *bool, cond circuit.Cond, err error) {
	if qasm2 {
		id := e.(*binaryExpr).x.(*ident)
		if sym, _ := sc.lookup(id.name); sym == nil || sym.kind != symBits {
			if sym == nil {
				return nil, cond, l.undeclared(id.name, id.p, sc)
			}
			return nil, cond, errorAt(id.p, "if needs a classical register; %s is not one", id.name)
		}
	}
	known, cond, ok, err := l.bitCondition(e, sc)
	if err != nil || ok {
		return known, cond, err
	}
	v, err := l.eval(e, sc)
	if err != nil {
		return nil, cond, err
	}
	if v.kind == vExpr {
		return nil, cond, unsupportedAt(e.at(), "conditions on runtime parameters")
	}
	b := v.truth()
	return &b, cond, nil
}

// bitCondition matches the conditions on measured bits: c, !c, c == n,
// n != c, int[4](c) < n, ...; ok is false when e reads no bits.
func (l *lowerer) bitCondition(e expr, sc *scope) (known *bool, cond circuit.Cond, ok bool, err error) {
	if bits, isBits := l.bitSource(e, sc); isBits {
		return nil, circuit.Cond{Clbits: bits, Cmp: circuit.Ne, Value: 0}, true, nil
	}
	switch x := e.(type) {
	case *unaryExpr:
		if x.op != "!" {
			return nil, cond, false, nil
		}
		k, c, ok, err := l.bitCondition(x.x, sc)
		if !ok || err != nil {
			return nil, cond, ok, err
		}
		if k != nil {
			nk := !*k
			return &nk, c, true, nil
		}
		c.Cmp = [...]circuit.CmpOp{circuit.Ne, circuit.Eq, circuit.Ge, circuit.Gt, circuit.Le, circuit.Lt}[c.Cmp]
		return nil, c, true, nil
	case *binaryExpr:
		if op, isCmp := cmpOps[x.op]; isCmp {
			bits, left := l.bitSource(x.x, sc)
			other := x.y
			if !left {
				var right bool
				if bits, right = l.bitSource(x.y, sc); !right {
					return nil, cond, false, nil
				}
				other = x.x
				op = [...]circuit.CmpOp{circuit.Eq, circuit.Ne, circuit.Gt, circuit.Ge, circuit.Lt, circuit.Le}[op]
			}
			v, err := l.eval(other, sc)
			if err != nil {
				return nil, cond, true, err
			}
			n, isInt := v.asInt()
			if !isInt || v.kind == vExpr {
				return nil, cond, true, unsupportedAt(other.at(), "comparing measured bits with a non-integer")
			}
			if len(bits) > 64 {
				return nil, cond, true, unsupportedAt(x.p, "conditions on more than 64 bits")
			}
			if n < 0 { // the register's value is never negative
				b := op == circuit.Ne || op == circuit.Gt || op == circuit.Ge
				return &b, cond, true, nil
			}
			return nil, circuit.Cond{Clbits: bits, Cmp: op, Value: uint64(n)}, true, nil
		}
		if x.op == "&&" || x.op == "||" {
			_, c1, ok1, err1 := l.bitCondition(x.x, sc)
			_, c2, ok2, err2 := l.bitCondition(x.y, sc)
			if err1 != nil || err2 != nil || !ok1 && !ok2 {
				return nil, cond, ok1 || ok2, errorsJoin(err1, err2)
			}
			if x.op == "&&" && ok1 && ok2 && c1.Cmp == circuit.Eq && c2.Cmp == circuit.Eq && !overlap(c1.Clbits, c2.Clbits) && len(c1.Clbits)+len(c2.Clbits) <= 64 {
				return nil, circuit.Cond{
					Clbits: append(slices.Clone(c1.Clbits), c2.Clbits...), Cmp: circuit.Eq,
					Value: c1.Value | c2.Value<<len(c1.Clbits),
				}, true, nil
			}
			return nil, cond, true, unsupportedAt(x.p, "compound conditions on measured bits")
		}
	}
	return nil, cond, false, nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func overlap(a, b []int) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// cmpOps are the comparisons a condition on measured bits may make.
var cmpOps = map[string]circuit.CmpOp{"==": circuit.Eq, "!=": circuit.Ne, "<": circuit.Lt, "<=": circuit.Le, ">": circuit.Gt, ">=": circuit.Ge}

// bitSource matches an expression that reads measured bits as a number:
// c, c[0], c[0:2], int[4](c), bool(c[1]).
func (l *lowerer) bitSource(e expr, sc *scope) ([]int, bool) {
	if c, ok := e.(*castExpr); ok {
		switch c.typ.name {
		case "int", "uint", "bool", "bit":
			return l.bitSource(c.x, sc)
		}
		return nil, false
	}
	switch e.(type) {
	case *ident, *indexExpr:
		bits, _, err := l.bits(e, sc)
		return bits, err == nil
	}
	return nil, false
}

// qubits resolves a quantum operand to qubit indices; scalar reports a
// single qubit (q[0], or a qubit declared alone) rather than a register.
func (l *lowerer) qubits(e expr, sc *scope) ([]int, bool, error) {
	return l.operand(e, sc, symQubits)
}

// bits resolves a classical bit operand.
func (l *lowerer) bits(e expr, sc *scope) ([]int, bool, error) {
	return l.operand(e, sc, symBits)
}

func (l *lowerer) operand(e expr, sc *scope, kind symKind) ([]int, bool, error) {
	what := "bits"
	if kind == symQubits {
		what = "qubits"
	}
	switch x := e.(type) {
	case *ident:
		sym, hidden := sc.lookup(x.name)
		switch {
		case sym == nil && hidden:
			return nil, false, errorAt(x.p, "%s is declared outside this gate or subroutine; pass it as an argument", x.name)
		case sym == nil:
			return nil, false, l.undeclared(x.name, x.p, sc)
		case sym.kind == symOpaque:
			return nil, false, unsupportedAt(x.p, sym.feature)
		case sym.kind == symValue && kind == symBits:
			return nil, false, unsupportedAt(x.p, "the bits of "+sym.typ+" variables at run time")
		case sym.kind != kind:
			return nil, false, errorAt(x.p, "%s is not %s", x.name, what)
		}
		return sym.idx, sym.scalar, nil
	case *hwQubit:
		if kind != symQubits || l.hwStart < 0 {
			return nil, false, errorAt(x.p, "$%d is a physical qubit, not %s", x.n, what)
		}
		if x.n >= l.prog.Qubits {
			return nil, false, errorAt(x.p, "physical qubit $%d is out of range", x.n)
		}
		return []int{l.hwStart + x.n}, true, nil
	case *indexExpr:
		base, scalar, err := l.operand(x.x, sc, kind)
		if err != nil {
			return nil, false, err
		}
		if scalar {
			return nil, false, errorAt(x.p, "a single %s cannot be indexed", what[:len(what)-1])
		}
		return l.selectIndex(base, x, sc)
	case *binaryExpr:
		if x.op == "++" {
			a, _, err := l.operand(x.x, sc, kind)
			if err != nil {
				return nil, false, err
			}
			b, _, err := l.operand(x.y, sc, kind)
			if err != nil {
				return nil, false, err
			}
			if len(a)+len(b) > maxAliasElems-l.aliasElems {
				return nil, false, limitAt(x.p, "joined registers would hold %d %s: aliases may hold at most %d qubits and bits in all", len(a)+len(b), what, maxAliasElems)
			}
			return append(slices.Clone(a), b...), false, nil
		}
	}
	return nil, false, errorAt(e.at(), "expected %s", what)
}

// selectIndex applies [i], [a:b], [a:s:b] or [{i, j}] to a register.
// Negative indices count from the end; range ends are inclusive.
func (l *lowerer) selectIndex(base []int, x *indexExpr, sc *scope) ([]int, bool, error) {
	if len(x.idx) != 1 {
		return nil, false, errorAt(x.p, "registers have one dimension; use one index")
	}
	n := int64(len(base))
	at := func(i int64, p pos) (int, error) {
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return 0, errorAt(p, "index %d is out of range for a register of %d", i, n)
		}
		return base[i], nil
	}
	switch ix := x.idx[0].(type) {
	case *setExpr:
		var out []int
		for _, e := range ix.elems {
			i, err := l.intExpr(e, sc)
			if err != nil {
				return nil, false, err
			}
			q, err := at(i, e.at())
			if err != nil {
				return nil, false, err
			}
			out = append(out, q)
		}
		return out, false, nil
	case *rangeExpr:
		start, step, end := int64(0), int64(1), n-1
		var err error
		if ix.start != nil {
			if start, err = l.intExpr(ix.start, sc); err != nil {
				return nil, false, err
			}
		}
		if ix.step != nil {
			if step, err = l.intExpr(ix.step, sc); err != nil {
				return nil, false, err
			}
			if step == 0 {
				return nil, false, errorAt(ix.p, "a range step cannot be zero")
			}
		}
		if ix.end != nil {
			if end, err = l.intExpr(ix.end, sc); err != nil {
				return nil, false, err
			}
		}
		if start < 0 {
			start += n
		}
		if end < 0 {
			end += n
		}
		var out []int
		for i := start; step > 0 && i <= end || step < 0 && i >= end; i += step {
			q, err := at(i, ix.p)
			if err != nil {
				return nil, false, err
			}
			out = append(out, q)
		}
		return out, false, nil
	}
	i, err := l.intExpr(x.idx[0], sc)
	if err != nil {
		return nil, false, err
	}
	q, err := at(i, x.idx[0].at())
	return []int{q}, true, err
}
