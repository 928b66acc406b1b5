package native

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Builder assembles a Program in Go. Each call adds one node and returns
// its Value; result types are inferred by the same rules Verify applies.
//
// A Builder records the first error instead of panicking: the failing call
// and every later one return an invalid Value, and Build reports the error
// naming the call. Values without a name given by Named or Param get
// generated names t0, t1, ..., never clashing with the names given.
//
// A Builder is not safe for concurrent use; the Programs it builds are.
type Builder struct {
	nodes    []Node
	params   []int
	names    map[string]int // name in use -> node index
	auto     []bool         // auto[i]: node i's name was generated
	nextAuto int
	err      error
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{names: map[string]int{}} }

// Value is a node of a Builder's program. The zero Value belongs to no
// Builder: passing it as an operand is an error, and methods called on it
// return the zero Value.
type Value struct {
	b *Builder
	i int // node index; -1 after an error
}

// Err returns the first error the Builder recorded, or nil.
func (b *Builder) Err() error { return b.err }

// fail records err, raised by call, unless an error is already recorded.
func (b *Builder) fail(call string, err error) Value {
	if b.err == nil {
		b.err = &sokr.ProgramError{Format: Format, Msg: call + ": " + err.Error()}
	}
	return Value{b: b, i: -1}
}

// push adds n, unnamed until a name is given or needed.
func (b *Builder) push(n Node) Value {
	b.nodes = append(b.nodes, n)
	b.auto = append(b.auto, true)
	return Value{b: b, i: len(b.nodes) - 1}
}

// name returns node i's name, generating one on first need, so that
// values named by Named never use up a generated name.
func (b *Builder) name(i int) string {
	if b.nodes[i].Name == "" {
		b.nodes[i].Name = b.freshName()
		b.names[b.nodes[i].Name] = i
	}
	return b.nodes[i].Name
}

func (b *Builder) freshName() string {
	for {
		name := "t" + strconv.Itoa(b.nextAuto)
		b.nextAuto++
		if _, used := b.names[name]; !used {
			return name
		}
	}
}

// Param declares the next input of the program: a value of dtype dt and
// the given shape (none for a scalar). An empty name asks for a generated
// one.
func (b *Builder) Param(name string, dt sokr.DType, shape ...int) Value {
	call := fmt.Sprintf("Param(%q, %v, %v)", name, dt, formatInts(shape))
	if b.err != nil {
		return Value{b: b, i: -1}
	}
	t := Type{DType: dt, Shape: sokr.Shape(slices.Clone(shape))}
	if err := checkType(t); err != nil {
		return b.fail(call, err)
	}
	if name != "" {
		if err := b.nameFree(name); err != nil {
			return b.fail(call, err)
		}
	}
	v := b.push(Node{Op: OpParam, Type: t})
	b.params = append(b.params, v.i)
	if name != "" {
		v.Named(name)
	}
	return v
}

// Const adds a constant holding a copy of t (so the caller may reuse t's
// memory). Its type is t's dtype and shape.
func (b *Builder) Const(t sokr.Tensor) Value {
	call := fmt.Sprintf("Const(%v)", t)
	if b.err != nil {
		return Value{b: b, i: -1}
	}
	typ := Type{DType: t.DType, Shape: sokr.Shape(slices.Clone(t.Shape))}
	if err := checkType(typ); err != nil {
		return b.fail(call, err)
	}
	c := sokr.Tensor{DType: t.DType, Shape: typ.Shape, Data: slices.Clone(t.Data)}
	if err := checkConst(typ, c); err != nil {
		return b.fail(call, err)
	}
	return b.push(Node{Op: OpConst, Type: typ, Const: c})
}

// Scalar adds a rank-0 constant of dtype dt holding v. An integer dtype
// needs an integral v in range; bool needs 0 (false) or 1 (true).
func (b *Builder) Scalar(dt sokr.DType, v float64) Value {
	return b.fill(fmt.Sprintf("Scalar(%v, %v)", dt, v), dt, v, nil)
}

// Fill adds a constant of dtype dt and the given shape whose every element
// is v (a splat: one element is stored, whatever the shape). v is
// converted as by Scalar.
func (b *Builder) Fill(dt sokr.DType, v float64, shape ...int) Value {
	return b.fill(fmt.Sprintf("Fill(%v, %v, %v)", dt, v, formatInts(shape)), dt, v, shape)
}

func (b *Builder) fill(call string, dt sokr.DType, v float64, shape []int) Value {
	if b.err != nil {
		return Value{b: b, i: -1}
	}
	t := Type{DType: dt, Shape: sokr.Shape(slices.Clone(shape))}
	if err := checkType(t); err != nil {
		return b.fail(call, err)
	}
	data, err := scalarBytes(dt, v)
	if err != nil {
		return b.fail(call, err)
	}
	return b.push(Node{Op: OpConst, Type: t, Const: sokr.Tensor{DType: dt, Shape: sokr.Shape{}, Data: data}})
}

// scalarBytes converts v to one element of dtype dt, in native byte order.
func scalarBytes(dt sokr.DType, v float64) ([]byte, error) {
	ne := binary.NativeEndian
	// integral checks lo <= v < hi; the bounds are powers of two, exact in float64.
	integral := func(lo, hi float64) error {
		if v != math.Trunc(v) || v < lo || v >= hi {
			return fmt.Errorf("%v is not an %v value", v, dt)
		}
		return nil
	}
	switch dt {
	case sokr.F32:
		f := float32(v)
		if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
			return nil, fmt.Errorf("%v is out of range for f32", v)
		}
		return ne.AppendUint32(nil, math.Float32bits(f)), nil
	case sokr.F64:
		return ne.AppendUint64(nil, math.Float64bits(v)), nil
	case sokr.I32:
		if err := integral(-(1 << 31), 1<<31); err != nil {
			return nil, err
		}
		return ne.AppendUint32(nil, uint32(int32(v))), nil
	case sokr.I64:
		if err := integral(-(1 << 63), 1<<63); err != nil {
			return nil, err
		}
		return ne.AppendUint64(nil, uint64(int64(v))), nil
	case sokr.Bool:
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%v is not a bool value (want 0 or 1)", v)
		}
		return []byte{byte(v)}, nil
	}
	return nil, checkDTypeSupported(dt)
}

// Select adds select(cond, a, c): per element, a where cond is true, else c.
func (b *Builder) Select(cond, a, c Value) Value {
	return b.apply("Select", OpSelect, []Value{cond, a, c}, nil, Type{}, "")
}

// apply adds op(args...) to b. method and extra describe the call in an
// error; axes and want are as for inferType.
func (b *Builder) apply(method string, op Op, args []Value, axes []int, want Type, extra string) Value {
	if b == nil {
		return Value{}
	}
	if b.err != nil {
		return Value{b: b, i: -1}
	}
	call := func() string {
		names := make([]string, 0, len(args)+1)
		for _, a := range args {
			names = append(names, a.describe())
		}
		if extra != "" {
			names = append(names, extra)
		}
		if method == "Select" {
			return "Select(" + strings.Join(names, ", ") + ")"
		}
		return names[0] + "." + method + "(" + strings.Join(names[1:], ", ") + ")"
	}
	types := make([]Type, len(args))
	idx := make([]int, len(args))
	for k, a := range args {
		switch {
		case a.b == nil:
			return b.fail(call(), fmt.Errorf("operand %d is the zero Value", k))
		case a.b != b:
			return b.fail(call(), fmt.Errorf("operand %d belongs to another Builder", k))
		}
		types[k], idx[k] = b.nodes[a.i].Type, a.i
	}
	if want.Shape != nil {
		if err := checkShape(want.Shape); err != nil {
			return b.fail(call(), err)
		}
	}
	t, err := inferType(op, types, axes, want)
	if err != nil {
		return b.fail(call(), err)
	}
	return b.push(Node{Op: op, Type: t, Args: idx, Axes: axes})
}

// describe names v in an error message.
func (v Value) describe() string {
	switch {
	case v.b == nil:
		return "<zero Value>"
	case v.i < 0:
		return "<invalid>"
	}
	return v.b.name(v.i)
}

func (v Value) unary(method string, op Op) Value {
	return v.b.apply(method, op, []Value{v}, nil, Type{}, "")
}

func (v Value) binary(method string, op Op, w Value) Value {
	return v.b.apply(method, op, []Value{v, w}, nil, Type{}, "")
}

// Name returns v's name: the one given by Param or Named, or a generated
// one. It is empty for the zero Value and for a Value from a failed call.
func (v Value) Name() string {
	if v.b == nil || v.i < 0 {
		return ""
	}
	return v.b.name(v.i)
}

// Type returns v's type; the zero Type for the zero Value and for a Value
// from a failed call.
func (v Value) Type() Type {
	if v.b == nil || v.i < 0 {
		return Type{}
	}
	return v.b.nodes[v.i].Type
}

// Named gives v a name and returns v. The name must be valid in the text
// format ([A-Za-z_][A-Za-z0-9_.]*) and not given to another value; a
// generated name in the way moves aside.
func (v Value) Named(name string) Value {
	b := v.b
	if b == nil || v.i < 0 || b.err != nil {
		return v
	}
	if name != "" && b.nodes[v.i].Name == name {
		return v
	}
	if err := b.nameFree(name); err != nil {
		b.fail(fmt.Sprintf("%s.Named(%q)", v.describe(), name), err)
		return v
	}
	moved, clash := b.names[name]
	if old := b.nodes[v.i].Name; old != "" {
		delete(b.names, old)
	}
	b.nodes[v.i].Name, b.auto[v.i] = name, false
	b.names[name] = v.i
	if clash {
		fresh := b.freshName()
		b.nodes[moved].Name = fresh
		b.names[fresh] = moved
	}
	return v
}

// nameFree checks that name is valid and not given by the user already.
func (b *Builder) nameFree(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if j, used := b.names[name]; used && !b.auto[j] {
		return fmt.Errorf("name %s is already taken", name)
	}
	return nil
}

// Neg adds -v.
func (v Value) Neg() Value { return v.unary("Neg", OpNeg) }

// Abs adds |v|.
func (v Value) Abs() Value { return v.unary("Abs", OpAbs) }

// Exp adds e^v (f32, f64).
func (v Value) Exp() Value { return v.unary("Exp", OpExp) }

// Log adds the natural logarithm of v (f32, f64).
func (v Value) Log() Value { return v.unary("Log", OpLog) }

// Sqrt adds the square root of v (f32, f64).
func (v Value) Sqrt() Value { return v.unary("Sqrt", OpSqrt) }

// Tanh adds tanh(v) (f32, f64).
func (v Value) Tanh() Value { return v.unary("Tanh", OpTanh) }

// Sigmoid adds 1/(1+e^-v) (f32, f64).
func (v Value) Sigmoid() Value { return v.unary("Sigmoid", OpSigmoid) }

// Relu adds max(v, 0).
func (v Value) Relu() Value { return v.unary("Relu", OpRelu) }

// Sin adds sin(v) (f32, f64).
func (v Value) Sin() Value { return v.unary("Sin", OpSin) }

// Cos adds cos(v) (f32, f64).
func (v Value) Cos() Value { return v.unary("Cos", OpCos) }

// Add adds v + w. The operands have one dtype and equal shapes, or one of
// them is rank 0; the same holds for every binary and comparison method.
func (v Value) Add(w Value) Value { return v.binary("Add", OpAdd, w) }

// Sub adds v - w.
func (v Value) Sub(w Value) Value { return v.binary("Sub", OpSub, w) }

// Mul adds v * w.
func (v Value) Mul(w Value) Value { return v.binary("Mul", OpMul, w) }

// Div adds v / w.
func (v Value) Div(w Value) Value { return v.binary("Div", OpDiv, w) }

// Pow adds v raised to the power w.
func (v Value) Pow(w Value) Value { return v.binary("Pow", OpPow, w) }

// Max adds the elementwise maximum of v and w.
func (v Value) Max(w Value) Value { return v.binary("Max", OpMax, w) }

// Min adds the elementwise minimum of v and w.
func (v Value) Min(w Value) Value { return v.binary("Min", OpMin, w) }

// Eq adds v == w, a bool value.
func (v Value) Eq(w Value) Value { return v.binary("Eq", OpEq, w) }

// Ne adds v != w, a bool value.
func (v Value) Ne(w Value) Value { return v.binary("Ne", OpNe, w) }

// Lt adds v < w, a bool value.
func (v Value) Lt(w Value) Value { return v.binary("Lt", OpLt, w) }

// Le adds v <= w, a bool value.
func (v Value) Le(w Value) Value { return v.binary("Le", OpLe, w) }

// Gt adds v > w, a bool value.
func (v Value) Gt(w Value) Value { return v.binary("Gt", OpGt, w) }

// Ge adds v >= w, a bool value.
func (v Value) Ge(w Value) Value { return v.binary("Ge", OpGe, w) }

// Cast adds v converted to dtype dt.
func (v Value) Cast(dt sokr.DType) Value {
	return v.b.apply("Cast", OpCast, []Value{v}, nil, Type{DType: dt}, dt.String())
}

// Broadcast adds v expanded to shape by NumPy's rules: v's dimensions align
// with shape's trailing ones and each is equal or 1.
func (v Value) Broadcast(shape ...int) Value {
	s := sokr.Shape(append([]int{}, shape...))
	return v.b.apply("Broadcast", OpBroadcast, []Value{v}, nil, Type{Shape: s}, formatInts(s))
}

// Reshape adds v's elements, in order, in the given shape (same count).
func (v Value) Reshape(shape ...int) Value {
	s := sokr.Shape(append([]int{}, shape...))
	return v.b.apply("Reshape", OpReshape, []Value{v}, nil, Type{Shape: s}, formatInts(s))
}

// Transpose adds v with its dimensions permuted: result dimension i is
// v's dimension perm[i].
func (v Value) Transpose(perm ...int) Value {
	return v.b.apply("Transpose", OpTranspose, []Value{v}, append([]int{}, perm...), Type{}, formatInts(perm))
}

// ReduceSum adds the sum of v over axes, which are removed from the shape.
func (v Value) ReduceSum(axes ...int) Value { return v.reduce("ReduceSum", OpReduceSum, axes) }

// ReduceMax adds the maximum of v over axes.
func (v Value) ReduceMax(axes ...int) Value { return v.reduce("ReduceMax", OpReduceMax, axes) }

// ReduceMin adds the minimum of v over axes.
func (v Value) ReduceMin(axes ...int) Value { return v.reduce("ReduceMin", OpReduceMin, axes) }

// ReduceMean adds the mean of v over axes (f32, f64).
func (v Value) ReduceMean(axes ...int) Value { return v.reduce("ReduceMean", OpReduceMean, axes) }

func (v Value) reduce(method string, op Op, axes []int) Value {
	return v.b.apply(method, op, []Value{v}, append([]int{}, axes...), Type{}, formatInts(axes))
}

// Matmul adds the (batched) matrix product v x w: [..., m, k] x [..., k, n]
// gives [..., m, n], with identical batch dimensions.
func (v Value) Matmul(w Value) Value { return v.binary("Matmul", OpMatmul, w) }

// Build returns the program computing outputs from the params declared so
// far, or the first error recorded. The Builder stays usable: later calls
// do not change the returned Program.
func (b *Builder) Build(outputs ...Value) (*Program, error) {
	if b.err != nil {
		return nil, b.err
	}
	fail := func(format string, args ...any) error {
		return &sokr.ProgramError{Format: Format, Msg: "Build: " + fmt.Sprintf(format, args...)}
	}
	if len(outputs) == 0 {
		return nil, fail("no outputs")
	}
	for i := range b.nodes {
		b.name(i)
	}
	p := &Program{
		Nodes:   slices.Clone(b.nodes),
		Params:  slices.Clone(b.params),
		Outputs: make([]int, len(outputs)),
	}
	for k, o := range outputs {
		switch {
		case o.b == nil:
			return nil, fail("output %d is the zero Value", k)
		case o.b != b:
			return nil, fail("output %d belongs to another Builder", k)
		}
		p.Outputs[k] = o.i
	}
	if err := Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}
