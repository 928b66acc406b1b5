package cpu

import (
	"math"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

type float interface{ ~float32 | ~float64 }
type integer interface{ ~int32 | ~int64 }
type number interface{ float | integer }

// apply runs one elementwise instruction over n elements. dst, a, b and c
// are byte views of the registers; b and c are unused by ops with fewer
// operands.
func apply(in *instr, dst, a, b, c []byte, n int) {
	op := in.op
	switch {
	case op.IsUnary():
		switch in.dt {
		case sokr.F32:
			unaryFloat(op, as[float32](dst, n), as[float32](a, n))
		case sokr.F64:
			unaryFloat(op, as[float64](dst, n), as[float64](a, n))
		case sokr.I32:
			unaryInt(op, as[int32](dst, n), as[int32](a, n))
		case sokr.I64:
			unaryInt(op, as[int64](dst, n), as[int64](a, n))
		}
	case op.IsBinary():
		switch in.dt {
		case sokr.F32:
			binaryFloat(op, as[float32](dst, n), as[float32](a, n), as[float32](b, n))
		case sokr.F64:
			binaryFloat(op, as[float64](dst, n), as[float64](a, n), as[float64](b, n))
		case sokr.I32:
			binaryInt(op, as[int32](dst, n), as[int32](a, n), as[int32](b, n))
		case sokr.I64:
			binaryInt(op, as[int64](dst, n), as[int64](a, n), as[int64](b, n))
		}
	case op.IsCompare():
		d := as[bool](dst, n)
		switch in.dt {
		case sokr.F32:
			compare(op, d, as[float32](a, n), as[float32](b, n))
		case sokr.F64:
			compare(op, d, as[float64](a, n), as[float64](b, n))
		case sokr.I32:
			compare(op, d, as[int32](a, n), as[int32](b, n))
		case sokr.I64:
			compare(op, d, as[int64](a, n), as[int64](b, n))
		case sokr.Bool:
			compare(op, d, as[uint8](a, n), as[uint8](b, n))
		}
	case op == native.OpSelect:
		cond := as[bool](a, n)
		switch in.dt.Size() {
		case 1:
			choose(as[uint8](dst, n), cond, as[uint8](b, n), as[uint8](c, n))
		case 4:
			choose(as[uint32](dst, n), cond, as[uint32](b, n), as[uint32](c, n))
		case 8:
			choose(as[uint64](dst, n), cond, as[uint64](b, n), as[uint64](c, n))
		}
	case op == native.OpCast:
		switch in.out {
		case sokr.F32:
			castTo(as[float32](dst, n), a, in.dt)
		case sokr.F64:
			castTo(as[float64](dst, n), a, in.dt)
		case sokr.I32:
			castTo(as[int32](dst, n), a, in.dt)
		case sokr.I64:
			castTo(as[int64](dst, n), a, in.dt)
		case sokr.Bool:
			castToBool(as[bool](dst, n), a, in.dt)
		}
	}
}

func unaryFloat[T float](op native.Op, d, a []T) {
	a = a[:len(d)]
	switch op {
	case native.OpNeg:
		for i, x := range a {
			d[i] = -x
		}
	case native.OpAbs:
		for i, x := range a {
			d[i] = T(math.Abs(float64(x)))
		}
	case native.OpExp:
		for i, x := range a {
			d[i] = T(math.Exp(float64(x)))
		}
	case native.OpLog:
		for i, x := range a {
			d[i] = T(math.Log(float64(x)))
		}
	case native.OpSqrt:
		for i, x := range a {
			d[i] = T(math.Sqrt(float64(x)))
		}
	case native.OpTanh:
		for i, x := range a {
			d[i] = T(math.Tanh(float64(x)))
		}
	case native.OpSigmoid:
		for i, x := range a {
			d[i] = T(1 / (1 + math.Exp(-float64(x))))
		}
	case native.OpRelu:
		for i, x := range a {
			if x > 0 {
				d[i] = x
			} else {
				d[i] = 0
			}
		}
	case native.OpSin:
		for i, x := range a {
			d[i] = T(math.Sin(float64(x)))
		}
	case native.OpCos:
		for i, x := range a {
			d[i] = T(math.Cos(float64(x)))
		}
	}
}

func unaryInt[T integer](op native.Op, d, a []T) {
	a = a[:len(d)]
	switch op {
	case native.OpNeg:
		for i, x := range a {
			d[i] = -x
		}
	case native.OpAbs:
		for i, x := range a {
			if x < 0 {
				x = -x
			}
			d[i] = x
		}
	case native.OpRelu:
		for i, x := range a {
			d[i] = max(x, 0)
		}
	}
}

// arith covers the binary ops whose loops are the same for every number type.
func arith[T number](op native.Op, d, a, b []T) bool {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case native.OpAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case native.OpSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case native.OpMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case native.OpMax:
		for i := range d {
			d[i] = max(a[i], b[i])
		}
	case native.OpMin:
		for i := range d {
			d[i] = min(a[i], b[i])
		}
	default:
		return false
	}
	return true
}

func binaryFloat[T float](op native.Op, d, a, b []T) {
	if arith(op, d, a, b) {
		return
	}
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case native.OpDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case native.OpPow:
		for i := range d {
			d[i] = T(math.Pow(float64(a[i]), float64(b[i])))
		}
	}
}

// binaryInt: integer division truncates toward zero, and division by zero
// gives 0 (NumPy gives 0 with a warning; a panic is not an option). Integer
// pow with a negative exponent gives 0 unless the base is 1 or -1.
func binaryInt[T integer](op native.Op, d, a, b []T) {
	if arith(op, d, a, b) {
		return
	}
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case native.OpDiv:
		for i := range d {
			switch {
			case b[i] == 0:
				d[i] = 0
			case b[i] == -1:
				d[i] = -a[i] // avoids the overflow trap of MinInt / -1
			default:
				d[i] = a[i] / b[i]
			}
		}
	case native.OpPow:
		for i := range d {
			d[i] = ipow(a[i], b[i])
		}
	}
}

func ipow[T integer](x, e T) T {
	if e < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if e%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := T(1)
	for e > 0 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}

type ordered interface{ number | ~uint8 }

func compare[T ordered](op native.Op, d []bool, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case native.OpEq:
		for i := range d {
			d[i] = a[i] == b[i]
		}
	case native.OpNe:
		for i := range d {
			d[i] = a[i] != b[i]
		}
	case native.OpLt:
		for i := range d {
			d[i] = a[i] < b[i]
		}
	case native.OpLe:
		for i := range d {
			d[i] = a[i] <= b[i]
		}
	case native.OpGt:
		for i := range d {
			d[i] = a[i] > b[i]
		}
	case native.OpGe:
		for i := range d {
			d[i] = a[i] >= b[i]
		}
	}
}

func choose[T any](d []T, c []bool, a, b []T) {
	c, a, b = c[:len(d)], a[:len(d)], b[:len(d)]
	for i := range d {
		if c[i] {
			d[i] = a[i]
		} else {
			d[i] = b[i]
		}
	}
}

// castTo converts src (of dtype from) to T. Float to integer truncates
// toward zero, NaN gives 0 and values out of the integer's range saturate
// (Go's own conversion leaves those unspecified and differs between
// architectures; this is also what the C evaluator in fused.c does); bool
// converts to 0 or 1.
func castTo[T number](d []T, src []byte, from sokr.DType) {
	n := len(d)
	switch from {
	case sokr.F32:
		fromFloat(d, as[float32](src, n))
	case sokr.F64:
		fromFloat(d, as[float64](src, n))
	case sokr.I32:
		convert(d, as[int32](src, n))
	case sokr.I64:
		convert(d, as[int64](src, n))
	case sokr.Bool:
		s := as[uint8](src, n)
		for i := range d {
			d[i] = T(s[i] & 1)
		}
	}
}

// fromFloat converts floats to T, saturating as castTo describes when T is
// an integer type.
func fromFloat[T number, S float](d []T, s []S) {
	switch di := any(d).(type) {
	case []int32:
		saturate(di, s, math.MinInt32, math.MaxInt32)
	case []int64:
		saturate(di, s, math.MinInt64, math.MaxInt64)
	default:
		convert(d, s)
	}
}

// saturate converts s to integers in [lo, hi] (lo is -2^(bits-1), hi is
// 2^(bits-1)-1): truncation toward zero, 0 for NaN, lo or hi out of range.
func saturate[T integer, S float](d []T, s []S, lo, hi T) {
	s = s[:len(d)]
	flo, fhi := float64(lo), -float64(lo) // -2^(bits-1) and 2^(bits-1), exact
	for i, x := range s {
		switch f := float64(x); {
		case f >= fhi:
			d[i] = hi
		case f < flo:
			d[i] = lo
		case f == f:
			d[i] = T(f)
		default: // NaN
			d[i] = 0
		}
	}
}

func convert[T, S number](d []T, s []S) {
	s = s[:len(d)]
	for i := range d {
		d[i] = T(s[i])
	}
}

func castToBool(d []bool, src []byte, from sokr.DType) {
	n := len(d)
	switch from {
	case sokr.F32:
		nonzero(d, as[float32](src, n))
	case sokr.F64:
		nonzero(d, as[float64](src, n))
	case sokr.I32:
		nonzero(d, as[int32](src, n))
	case sokr.I64:
		nonzero(d, as[int64](src, n))
	case sokr.Bool:
		nonzero(d, as[uint8](src, n))
	}
}

func nonzero[S ordered](d []bool, s []S) {
	s = s[:len(d)]
	for i := range d {
		d[i] = s[i] != 0
	}
}
