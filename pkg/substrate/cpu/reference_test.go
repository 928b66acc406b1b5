package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The reference evaluator: element by element, in float64, rounding to the
// node's dtype after every op. Deliberately naive, and written without the
// substrate's code, so that the two agree only if both are right.

type refVal struct {
	dt    sokr.DType
	shape sokr.Shape
	v     []float64
}

func randTensor(rng *rand.Rand, dt string, shape []int) sokr.Tensor {
	d, _ := sokr.ParseDType(dt)
	n := sokr.Shape(shape).NumElements()
	v := make([]float64, n)
	for i := range v {
		switch d {
		case sokr.F32, sokr.F64:
			v[i] = rng.Float64()*4 - 2
		case sokr.Bool:
			v[i] = float64(rng.IntN(2))
		default:
			v[i] = float64(rng.IntN(19) - 9)
		}
	}
	return toTensor(refVal{dt: d, shape: shape, v: v})
}

func toTensor(r refVal) sokr.Tensor {
	t := sokr.NewTensor(r.dt, r.shape...)
	for i, x := range r.v {
		switch r.dt {
		case sokr.F32:
			sokr.View[float32](t)[i] = float32(x)
		case sokr.F64:
			sokr.View[float64](t)[i] = x
		case sokr.I32:
			sokr.View[int32](t)[i] = int32(x)
		case sokr.I64:
			sokr.View[int64](t)[i] = int64(x)
		case sokr.Bool:
			sokr.View[bool](t)[i] = x != 0
		}
	}
	return t
}

func fromTensor(t sokr.Tensor) refVal {
	r := refVal{dt: t.DType, shape: t.Shape, v: make([]float64, t.Shape.NumElements())}
	for i := range r.v {
		switch t.DType {
		case sokr.F32:
			r.v[i] = float64(sokr.View[float32](t)[i])
		case sokr.F64:
			r.v[i] = sokr.View[float64](t)[i]
		case sokr.I32:
			r.v[i] = float64(sokr.View[int32](t)[i])
		case sokr.I64:
			r.v[i] = float64(sokr.View[int64](t)[i])
		case sokr.Bool:
			if sokr.View[bool](t)[i] {
				r.v[i] = 1
			}
		}
	}
	return r
}

// round brings x to what dtype dt can hold.
func round(dt sokr.DType, x float64) float64 {
	switch dt {
	case sokr.F32:
		return float64(float32(x))
	case sokr.I32:
		return float64(int32(int64(x)))
	case sokr.I64:
		return float64(int64(x))
	case sokr.Bool:
		if x != 0 {
			return 1
		}
		return 0
	}
	return x
}

func reference(t *testing.T, p *native.Program, inputs []sokr.Tensor) []sokr.Tensor {
	t.Helper()
	vals := make([]refVal, len(p.Nodes))
	for i, idx := range p.Params {
		vals[idx] = fromTensor(inputs[i])
	}
	for i, n := range p.Nodes {
		out := refVal{dt: n.Type.DType, shape: n.Type.Shape, v: make([]float64, n.Type.Shape.NumElements())}
		arg := func(k, e int) float64 { // element e of operand k, broadcasting scalars
			a := vals[n.Args[k]]
			if len(a.v) == 1 {
				return a.v[0]
			}
			return a.v[e]
		}
		isInt := n.Type.DType == sokr.I32 || n.Type.DType == sokr.I64
		switch {
		case n.Op == native.OpParam:
			continue
		case n.Op == native.OpConst:
			c := fromTensor(sokr.Tensor{DType: n.Const.DType, Shape: sokr.Shape{n.Const.Shape.NumElements()}, Data: n.Const.Data})
			for e := range out.v {
				out.v[e] = c.v[e%len(c.v)]
			}
		case n.Op.IsUnary():
			for e := range out.v {
				out.v[e] = round(out.dt, unaryRef(n.Op, arg(0, e)))
			}
		case n.Op.IsBinary():
			for e := range out.v {
				out.v[e] = round(out.dt, binaryRef(n.Op, arg(0, e), arg(1, e), isInt))
			}
		case n.Op.IsCompare():
			for e := range out.v {
				out.v[e] = compareRef(n.Op, arg(0, e), arg(1, e))
			}
		case n.Op == native.OpSelect:
			for e := range out.v {
				if arg(0, e) != 0 {
					out.v[e] = arg(1, e)
				} else {
					out.v[e] = arg(2, e)
				}
			}
		case n.Op == native.OpCast:
			for e := range out.v {
				x := arg(0, e)
				if isInt {
					x = math.Trunc(x)
				}
				out.v[e] = round(out.dt, x)
			}
		case n.Op == native.OpReshape:
			copy(out.v, vals[n.Args[0]].v)
		case n.Op == native.OpBroadcast, n.Op == native.OpTranspose:
			a := vals[n.Args[0]]
			for e := range out.v {
				idx := unravel(e, out.shape)
				src := make([]int, len(a.shape))
				if n.Op == native.OpTranspose {
					for d, p := range n.Axes {
						src[p] = idx[d]
					}
				} else {
					off := len(out.shape) - len(a.shape)
					for d := range a.shape {
						if a.shape[d] != 1 {
							src[d] = idx[off+d]
						}
					}
				}
				out.v[e] = a.v[ravel(src, a.shape)]
			}
		case n.Op.IsReduce():
			a := vals[n.Args[0]]
			reduced := map[int]bool{}
			for _, ax := range n.Axes {
				reduced[ax] = true
			}
			count := make([]int, len(out.v))
			for e := range a.v {
				idx := unravel(e, a.shape)
				var kept []int
				for d, x := range idx {
					if !reduced[d] {
						kept = append(kept, x)
					}
				}
				o := ravel(kept, out.shape)
				x := a.v[e]
				switch {
				case count[o] == 0:
					out.v[o] = x
				case n.Op == native.OpReduceMax:
					out.v[o] = math.Max(out.v[o], x)
				case n.Op == native.OpReduceMin:
					out.v[o] = math.Min(out.v[o], x)
				default:
					out.v[o] += x
				}
				count[o]++
			}
			for o := range out.v {
				if n.Op == native.OpReduceMean {
					out.v[o] /= float64(count[o])
				}
				out.v[o] = round(out.dt, out.v[o])
			}
		case n.Op == native.OpMatmul:
			a, b := vals[n.Args[0]], vals[n.Args[1]]
			r := len(a.shape)
			m, k, nn := a.shape[r-2], a.shape[r-1], b.shape[r-1]
			for e := range out.v {
				bi, row, col := e/(m*nn), e/nn%m, e%nn
				s := 0.0
				for q := 0; q < k; q++ {
					s += a.v[bi*m*k+row*k+q] * b.v[bi*k*nn+q*nn+col]
				}
				out.v[e] = round(out.dt, s)
			}
		default:
			t.Fatalf("reference: op %v not covered", n.Op)
		}
		vals[i] = out
	}
	res := make([]sokr.Tensor, len(p.Outputs))
	for i, idx := range p.Outputs {
		res[i] = toTensor(vals[idx])
	}
	return res
}

func unravel(e int, shape sokr.Shape) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = e % shape[d]
		e /= shape[d]
	}
	return idx
}

func ravel(idx []int, shape sokr.Shape) int {
	e := 0
	for d := range shape {
		e = e*shape[d] + idx[d]
	}
	return e
}

func unaryRef(op native.Op, x float64) float64 {
	switch op {
	case native.OpNeg:
		return -x
	case native.OpAbs:
		return math.Abs(x)
	case native.OpExp:
		return math.Exp(x)
	case native.OpLog:
		return math.Log(x)
	case native.OpSqrt:
		return math.Sqrt(x)
	case native.OpTanh:
		return math.Tanh(x)
	case native.OpSigmoid:
		return 1 / (1 + math.Exp(-x))
	case native.OpRelu:
		return math.Max(x, 0)
	case native.OpSin:
		return math.Sin(x)
	case native.OpCos:
		return math.Cos(x)
	}
	panic(op)
}

func binaryRef(op native.Op, a, b float64, isInt bool) float64 {
	switch op {
	case native.OpAdd:
		return a + b
	case native.OpSub:
		return a - b
	case native.OpMul:
		return a * b
	case native.OpDiv:
		if isInt {
			if b == 0 {
				return 0
			}
			return math.Trunc(a / b)
		}
		return a / b
	case native.OpPow:
		if isInt && b < 0 {
			switch a {
			case 1:
				return 1
			case -1:
				return math.Pow(a, b)
			}
			return 0
		}
		return math.Pow(a, b)
	case native.OpMax:
		return math.Max(a, b)
	case native.OpMin:
		return math.Min(a, b)
	}
	panic(op)
}

func compareRef(op native.Op, a, b float64) float64 {
	var r bool
	switch op {
	case native.OpEq:
		r = a == b
	case native.OpNe:
		r = a != b
	case native.OpLt:
		r = a < b
	case native.OpLe:
		r = a <= b
	case native.OpGt:
		r = a > b
	case native.OpGe:
		r = a >= b
	}
	if r {
		return 1
	}
	return 0
}
