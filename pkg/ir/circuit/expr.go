package circuit

import (
	"fmt"
	"math"
	"strconv"
)

// ExprOp is the operation of an Expr node.
type ExprOp uint8

// The expression operations.
const (
	ExprConst ExprOp = iota // Val
	ExprParam               // the runtime parameter Params[Param]
	ExprNeg                 // -Args[0]
	ExprAdd                 // Args[0] + Args[1]
	ExprSub                 // Args[0] - Args[1]
	ExprMul                 // Args[0] * Args[1]
	ExprDiv                 // Args[0] / Args[1]
	ExprPow                 // Args[0] ** Args[1]
	ExprSin
	ExprCos
	ExprTan
	ExprAsin
	ExprAcos
	ExprAtan
	ExprExp
	ExprLog // natural logarithm
	ExprSqrt
)

var exprNames = [...]string{
	ExprSin: "sin", ExprCos: "cos", ExprTan: "tan", ExprAsin: "arcsin", ExprAcos: "arccos",
	ExprAtan: "arctan", ExprExp: "exp", ExprLog: "ln", ExprSqrt: "sqrt",
}

// Funcs maps the function names of OpenQASM expressions to their ExprOp.
var Funcs = map[string]ExprOp{
	"sin": ExprSin, "cos": ExprCos, "tan": ExprTan, "arcsin": ExprAsin, "arccos": ExprAcos,
	"arctan": ExprAtan, "exp": ExprExp, "ln": ExprLog, "sqrt": ExprSqrt,
}

// Expr is a real-valued gate-parameter expression over constants and
// runtime parameters. The zero Expr is the constant 0.
type Expr struct {
	Op    ExprOp
	Val   float64 // ExprConst
	Param int     // ExprParam: index into Program.Params
	Args  []Expr
}

// Const returns the constant v.
func Const(v float64) Expr { return Expr{Op: ExprConst, Val: v} }

// ParamRef returns a reference to runtime parameter i.
func ParamRef(i int) Expr { return Expr{Op: ExprParam, Param: i} }

// Unary applies op (ExprNeg or a function) to a, folding constants.
func Unary(op ExprOp, a Expr) Expr {
	e := Expr{Op: op, Args: []Expr{a}}
	if a.IsConst() {
		return Const(e.Eval(nil))
	}
	return e
}

// Binary applies op (ExprAdd ... ExprPow) to a and b, folding constants.
func Binary(op ExprOp, a, b Expr) Expr {
	e := Expr{Op: op, Args: []Expr{a, b}}
	if a.IsConst() && b.IsConst() {
		return Const(e.Eval(nil))
	}
	return e
}

// Neg returns -e.
func Neg(e Expr) Expr { return Unary(ExprNeg, e) }

// IsConst reports whether e uses no runtime parameter.
func (e Expr) IsConst() bool {
	if e.Op == ExprParam {
		return false
	}
	for _, a := range e.Args {
		if !a.IsConst() {
			return false
		}
	}
	return true
}

// Eval computes e with the runtime parameter values params.
func (e Expr) Eval(params []float64) float64 {
	switch e.Op {
	case ExprConst:
		return e.Val
	case ExprParam:
		return params[e.Param]
	case ExprNeg:
		return -e.Args[0].Eval(params)
	case ExprAdd:
		return e.Args[0].Eval(params) + e.Args[1].Eval(params)
	case ExprSub:
		return e.Args[0].Eval(params) - e.Args[1].Eval(params)
	case ExprMul:
		return e.Args[0].Eval(params) * e.Args[1].Eval(params)
	case ExprDiv:
		return e.Args[0].Eval(params) / e.Args[1].Eval(params)
	case ExprPow:
		return math.Pow(e.Args[0].Eval(params), e.Args[1].Eval(params))
	}
	x := e.Args[0].Eval(params)
	switch e.Op {
	case ExprSin:
		return math.Sin(x)
	case ExprCos:
		return math.Cos(x)
	case ExprTan:
		return math.Tan(x)
	case ExprAsin:
		return math.Asin(x)
	case ExprAcos:
		return math.Acos(x)
	case ExprAtan:
		return math.Atan(x)
	case ExprExp:
		return math.Exp(x)
	case ExprLog:
		return math.Log(x)
	case ExprSqrt:
		return math.Sqrt(x)
	}
	panic(fmt.Sprintf("circuit: unknown expression op %d", e.Op))
}

// maxParam returns the largest parameter index e uses, or -1.
func (e Expr) maxParam() int {
	m := -1
	if e.Op == ExprParam {
		m = e.Param
	}
	for _, a := range e.Args {
		m = max(m, a.maxParam())
	}
	return m
}

// String renders e with parameters as $0, $1, ...
func (e Expr) String() string {
	switch e.Op {
	case ExprConst:
		return strconv.FormatFloat(e.Val, 'g', -1, 64)
	case ExprParam:
		return "$" + strconv.Itoa(e.Param)
	case ExprNeg:
		return "-(" + e.Args[0].String() + ")"
	case ExprAdd, ExprSub, ExprMul, ExprDiv, ExprPow:
		op := map[ExprOp]string{ExprAdd: "+", ExprSub: "-", ExprMul: "*", ExprDiv: "/", ExprPow: "**"}[e.Op]
		return "(" + e.Args[0].String() + " " + op + " " + e.Args[1].String() + ")"
	}
	if int(e.Op) < len(exprNames) && exprNames[e.Op] != "" {
		return exprNames[e.Op] + "(" + e.Args[0].String() + ")"
	}
	return fmt.Sprintf("?%d", e.Op)
}
