package qasm

import (
	"math"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// valKind is the kind of a classical value known while lowering.
type valKind uint8

const (
	vInt   valKind = iota // integers, uint, bits read as a number
	vFloat                // float and angle
	vBool
	vExpr // a real that depends on runtime parameters (input float)
)

// value is a classical value computed while lowering: every expression
// that is not a runtime parameter is folded to a constant.
type value struct {
	kind valKind
	i    int64
	f    float64
	b    bool
	e    circuit.Expr
}

func intVal(i int64) value     { return value{kind: vInt, i: i} }
func floatVal(f float64) value { return value{kind: vFloat, f: f} }
func boolVal(b bool) value     { return value{kind: vBool, b: b} }

// real returns the value as a circuit expression (a constant unless it
// depends on a runtime parameter).
func (v value) real() circuit.Expr {
	switch v.kind {
	case vExpr:
		return v.e
	case vInt:
		return circuit.Const(float64(v.i))
	case vBool:
		if v.b {
			return circuit.Const(1)
		}
		return circuit.Const(0)
	}
	return circuit.Const(v.f)
}

// float returns a known value as a float64.
func (v value) float() float64 {
	switch v.kind {
	case vInt:
		return float64(v.i)
	case vBool:
		if v.b {
			return 1
		}
		return 0
	}
	return v.f
}

// truth is the value as a condition.
func (v value) truth() bool {
	switch v.kind {
	case vBool:
		return v.b
	case vInt:
		return v.i != 0
	}
	return v.f != 0
}

// asInt converts a known value to an integer when it is one exactly.
func (v value) asInt() (int64, bool) {
	switch v.kind {
	case vInt:
		return v.i, true
	case vBool:
		if v.b {
			return 1, true
		}
		return 0, true
	case vFloat:
		if v.f == math.Trunc(v.f) && math.Abs(v.f) < 1<<62 {
			return int64(v.f), true
		}
	}
	return 0, false
}

func (v value) String() string {
	switch v.kind {
	case vInt:
		return strconv.FormatInt(v.i, 10)
	case vBool:
		return strconv.FormatBool(v.b)
	case vExpr:
		return v.e.String()
	}
	return strconv.FormatFloat(v.f, 'g', -1, 64)
}

// constants are OpenQASM's built-in real constants.
var constants = map[string]float64{
	"pi": math.Pi, "π": math.Pi, "tau": 2 * math.Pi, "τ": 2 * math.Pi, "euler": math.E, "ℯ": math.E,
}

// parseNumber reads an integer or real literal.
func parseNumber(n *numLit) (value, error) {
	if n.isInt {
		i, err := strconv.ParseInt(strings.ToLower(n.text), 0, 64)
		if err != nil {
			return value{}, errorAt(n.p, "integer %s does not fit in 64 bits", n.text)
		}
		return intVal(i), nil
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return value{}, errorAt(n.p, "malformed number %s", n.text)
	}
	return floatVal(f), nil
}

// exprOps are the operators that build expressions over runtime
// parameters.
var exprOps = map[string]circuit.ExprOp{"+": circuit.ExprAdd, "-": circuit.ExprSub, "*": circuit.ExprMul, "/": circuit.ExprDiv, "**": circuit.ExprPow}

// arith applies a binary arithmetic operator to two values, building a
// circuit expression when either depends on a runtime parameter.
func arith(op string, x, y value, p pos) (value, error) {
	if x.kind == vExpr || y.kind == vExpr {
		eop, ok := exprOps[op]
		if !ok {
			return value{}, unsupportedAt(p, "operator "+op+" on runtime parameters")
		}
		return value{kind: vExpr, e: circuit.Binary(eop, x.real(), y.real())}, nil
	}
	if x.kind == vBool || y.kind == vBool {
		return value{}, errorAt(p, "operator %s does not apply to bool", op)
	}
	if x.kind == vInt && y.kind == vInt {
		a, b := x.i, y.i
		switch op {
		case "+":
			return intVal(a + b), nil
		case "-":
			return intVal(a - b), nil
		case "*":
			return intVal(a * b), nil
		case "/":
			if b == 0 {
				return value{}, errorAt(p, "division by zero")
			}
			if a%b == 0 {
				return intVal(a / b), nil
			}
			return floatVal(float64(a) / float64(b)), nil
		case "%":
			if b == 0 {
				return value{}, errorAt(p, "modulo by zero")
			}
			return intVal(a % b), nil
		case "**":
			if b >= 0 && b < 64 {
				r := int64(1)
				for range b {
					r *= a
				}
				return intVal(r), nil
			}
			return floatVal(math.Pow(float64(a), float64(b))), nil
		}
	}
	a, b := x.float(), y.float()
	switch op {
	case "+":
		return floatVal(a + b), nil
	case "-":
		return floatVal(a - b), nil
	case "*":
		return floatVal(a * b), nil
	case "/":
		return floatVal(a / b), nil
	case "%":
		return floatVal(math.Mod(a, b)), nil
	case "**":
		return floatVal(math.Pow(a, b)), nil
	}
	return value{}, errorAt(p, "operator %s does not apply to reals", op)
}

// bitwise applies an integer-only operator.
func bitwise(op string, x, y value, p pos) (value, error) {
	a, ok1 := x.asInt()
	b, ok2 := y.asInt()
	if x.kind == vExpr || y.kind == vExpr {
		return value{}, unsupportedAt(p, "operator "+op+" on runtime parameters")
	}
	if x.kind == vFloat || y.kind == vFloat || !ok1 || !ok2 {
		return value{}, unsupportedAt(p, "operator "+op+" on reals or angles")
	}
	switch op {
	case "&":
		return intVal(a & b), nil
	case "|":
		return intVal(a | b), nil
	case "^":
		return intVal(a ^ b), nil
	case "<<":
		if b < 0 || b > 63 {
			return intVal(0), nil
		}
		return intVal(a << b), nil
	case ">>":
		if b < 0 || b > 63 {
			return intVal(0), nil
		}
		return intVal(a >> b), nil
	}
	return value{}, errorAt(p, "unknown operator %s", op)
}

// compare applies a comparison to two known values.
func compare(op string, x, y value) bool {
	var c int
	if x.kind == vInt && y.kind == vInt {
		c = cmpInt(x.i, y.i)
	} else {
		a, b := x.float(), y.float()
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// roundings are the built-in functions of one real that are not circuit
// expressions.
var roundings = map[string]func(float64) float64{"ceiling": math.Ceil, "floor": math.Floor, "log": math.Log}

// callBuiltin evaluates OpenQASM's built-in functions.
func callBuiltin(name string, args []value, p pos) (value, bool, error) {
	if op, ok := circuit.Funcs[name]; ok {
		if len(args) != 1 {
			return value{}, true, errorAt(p, "%s takes one argument, got %d", name, len(args))
		}
		if args[0].kind == vExpr {
			return value{kind: vExpr, e: circuit.Unary(op, args[0].e)}, true, nil
		}
		return floatVal(circuit.Unary(op, circuit.Const(args[0].float())).Val), true, nil
	}
	if f, ok := roundings[name]; ok {
		if len(args) != 1 {
			return value{}, true, errorAt(p, "%s takes one argument, got %d", name, len(args))
		}
		if args[0].kind == vExpr {
			return value{}, true, unsupportedAt(p, name+" of a runtime parameter")
		}
		r := f(args[0].float())
		if name != "log" && math.Abs(r) < 1<<62 {
			return intVal(int64(r)), true, nil
		}
		return floatVal(r), true, nil
	}
	switch name {
	case "mod", "pow":
		if len(args) != 2 {
			return value{}, true, errorAt(p, "%s takes two arguments, got %d", name, len(args))
		}
		op := map[string]string{"mod": "%", "pow": "**"}[name]
		v, err := arith(op, args[0], args[1], p)
		return v, true, err
	case "popcount":
		if len(args) != 1 {
			return value{}, true, errorAt(p, "popcount takes one argument, got %d", len(args))
		}
		i, ok := args[0].asInt()
		if !ok {
			return value{}, true, errorAt(p, "popcount needs an integer")
		}
		n := int64(0)
		for u := uint64(i); u != 0; u &= u - 1 {
			n++
		}
		return intVal(n), true, nil
	}
	return value{}, false, nil
}
