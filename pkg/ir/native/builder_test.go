package native

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestBuilderEveryOp(t *testing.T) {
	b := NewBuilder()
	x := b.Param("x", f32, 2, 3)
	i := b.Param("i", i32, 2, 3)
	c := b.Param("c", boolean, 2, 3)
	u := x.Neg().Abs().Exp().Log().Sqrt().Tanh().Sigmoid().Relu().Sin().Cos()
	v := x.Add(u).Sub(x).Mul(x).Div(x).Pow(x).Max(x).Min(x)
	s := b.Select(x.Lt(v), x, v)
	outs := []Value{
		s, x.Le(v), x.Gt(v), x.Ge(v), c.Eq(c), i.Ne(i),
		x.Cast(i64), x.Reshape(6).Broadcast(4, 6), x.Transpose(1, 0),
		x.Matmul(x.Transpose(1, 0)), x.ReduceSum(1, 0), i.ReduceMax(1), i.ReduceMin(0), x.ReduceMean(),
	}
	p, err := b.Build(outs...)
	require.NoError(t, err)

	seen := map[Op]bool{}
	for _, n := range p.Nodes {
		seen[n.Op] = true
	}
	for op := OpParam; op < numOps; op++ {
		if op != OpConst {
			assert.True(t, seen[op], "no %v node", op)
		}
	}
	want := []string{"f32[2,3]", "bool[2,3]", "bool[2,3]", "bool[2,3]", "bool[2,3]", "bool[2,3]",
		"i64[2,3]", "f32[4,6]", "f32[3,2]", "f32[2,2]", "f32[]", "i32[2]", "i32[3]", "f32[2,3]"}
	for k, o := range outs {
		assert.Equal(t, want[k], o.Type().String(), "output %d", k)
		assert.Equal(t, want[k], p.Nodes[p.Outputs[k]].Type.String(), "output %d", k)
	}

	// The printed program parses back to the same text.
	q, err := Parse([]byte(p.String()))
	require.NoError(t, err)
	assert.Equal(t, p.String(), q.String())
}

func TestBuilderConstants(t *testing.T) {
	b := NewBuilder()
	data := []int32{1, 2, 3, 4}
	k := b.Const(sokr.FromSlice(data, 2, 2))
	data[0] = 99 // the builder holds a copy
	s := b.Scalar(f64, 0.5)
	f := b.Fill(boolean, 1, 3)
	n := b.Scalar(i64, -(1 << 62))
	p, err := b.Build(k, s, f, n)
	require.NoError(t, err)
	assert.Equal(t, lines(
		"sokr.native/1",
		"t0: i32[2,2] = const [[1,2],[3,4]]",
		"t1: f64[] = const 0.5",
		"t2: bool[3] = const true",
		"t3: i64[] = const -4611686018427387904",
		"return t0, t1, t2, t3",
	), p.String())
	assert.Equal(t, sokr.Shape{}, p.Nodes[2].Const.Shape, "Fill stores one element")
}

func TestBuilderScalarConversion(t *testing.T) {
	tests := []struct {
		dt  sokr.DType
		v   float64
		err string
	}{
		{f32, 1e300, "1e+300 is out of range for f32"},
		{f32, math.Inf(-1), ""},
		{f32, math.NaN(), ""},
		{i32, 2.5, "2.5 is not an i32 value"},
		{i32, 1 << 31, "2.147483648e+09 is not an i32 value"},
		{i32, -(1 << 31), ""},
		{i64, 1 << 63, "is not an i64 value"},
		{i64, math.NaN(), "NaN is not an i64 value"},
		{boolean, 2, "2 is not a bool value (want 0 or 1)"},
		{boolean, 0, ""},
		{sokr.C64, 0, "dtype c64 is not supported"},
		{0, 0, "invalid dtype"},
	}
	for _, tc := range tests {
		b := NewBuilder()
		_, err := b.Build(b.Scalar(tc.dt, tc.v))
		if tc.err == "" {
			assert.NoError(t, err, "%v %v", tc.dt, tc.v)
		} else if assert.Error(t, err, "%v %v", tc.dt, tc.v) {
			assert.Contains(t, err.Error(), tc.err)
		}
	}
}

func TestBuilderNames(t *testing.T) {
	b := NewBuilder()
	x := b.Param("", f32, 2) // named when first needed
	y := x.Neg()             // unnamed until needed
	z := y.Abs().Named("t1") // takes t1 before anyone else does
	assert.Equal(t, "t0", x.Name())
	w := z.Relu()
	assert.Equal(t, "t2", w.Name(), "generated names skip given ones")
	w.Named("out")
	v := w.Exp().Named("t2") // t2 was freed by the rename
	p, err := b.Build(v, y)
	require.NoError(t, err)
	assert.Equal(t, lines(
		"sokr.native/1",
		"param t0: f32[2]",
		"t3: f32[2] = neg t0",
		"t1: f32[2] = abs t3",
		"out: f32[2] = relu t1",
		"t2: f32[2] = exp out",
		"return t2, t3",
	), p.String())
}

func TestBuilderNamedMovesGeneratedNames(t *testing.T) {
	b := NewBuilder()
	x := b.Param("x", f32)
	y := x.Neg()
	require.Equal(t, "t0", y.Name())
	z := x.Abs().Named("t0") // a generated name in the way moves aside
	assert.Equal(t, "t0", z.Name())
	assert.Equal(t, "t1", y.Name())
	p, err := b.Build(y, z)
	require.NoError(t, err)
	assert.Equal(t, lines("sokr.native/1", "param x: f32[]", "t1: f32[] = neg x", "t0: f32[] = abs x", "return t1, t0"), p.String())
}

func TestBuilderErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *Builder) []Value
		msg   string
	}{
		{"dtype mismatch", func(b *Builder) []Value {
			x, i := b.Param("x", f32, 2), b.Param("i", i32, 2)
			return []Value{x.Add(i)}
		}, "x.Add(i): add operands differ in dtype: f32 and i32"},
		{"unnamed operand", func(b *Builder) []Value {
			x := b.Param("x", f32, 2)
			return []Value{x.Neg().Matmul(x)}
		}, "t0.Matmul(x): matmul needs operands of rank 2 or more, got [2] and [2]"},
		{"first error wins", func(b *Builder) []Value {
			x := b.Param("x", f32, 2)
			y := x.ReduceSum(3)
			return []Value{y.Exp().Add(x.Cast(i32))}
		}, "x.ReduceSum([3]): reduce_sum axis 3 is out of range"},
		{"select", func(b *Builder) []Value {
			x := b.Param("x", f32, 2)
			return []Value{b.Select(x, x, x)}
		}, "Select(x, x, x): select condition must be bool, got f32"},
		{"broadcast", func(b *Builder) []Value {
			return []Value{b.Param("x", f32, 2).Broadcast(3)}
		}, "x.Broadcast([3]): cannot broadcast [2] to [3]"},
		{"reshape to bad shape", func(b *Builder) []Value {
			return []Value{b.Param("x", f32, 2).Reshape(2, 0)}
		}, "x.Reshape([2,0]): shape [2,0] has dimension 0"},
		{"transpose", func(b *Builder) []Value {
			return []Value{b.Param("x", f32, 2, 2).Transpose(0)}
		}, "x.Transpose([0]): transpose perm [0] has 1 entries"},
		{"cast", func(b *Builder) []Value {
			return []Value{b.Param("x", f32).Cast(sokr.C128)}
		}, "x.Cast(c128): dtype c128 is not supported"},
		{"param shape", func(b *Builder) []Value {
			return []Value{b.Param("x", f32, -1)}
		}, `Param("x", f32, [-1]): shape [-1] has dimension -1`},
		{"param name", func(b *Builder) []Value {
			return []Value{b.Param("a b", f32)}
		}, `Param("a b", f32, []): invalid name "a b"`},
		{"duplicate param", func(b *Builder) []Value {
			b.Param("x", f32)
			return []Value{b.Param("x", f32)}
		}, `Param("x", f32, []): name x is already taken`},
		{"duplicate name", func(b *Builder) []Value {
			x := b.Param("x", f32)
			return []Value{x.Neg().Named("x")}
		}, `t0.Named("x"): name x is already taken`},
		{"empty name", func(b *Builder) []Value {
			return []Value{b.Param("x", f32).Neg().Named("")}
		}, `t0.Named(""): empty name`},
		{"const", func(b *Builder) []Value {
			return []Value{b.Const(sokr.Tensor{DType: f32, Shape: sokr.Shape{2}, Data: make([]byte, 3)})}
		}, "Const(f32[2]): constant f32[2] needs 8 bytes of data, has 3"},
		{"const bool bytes", func(b *Builder) []Value {
			return []Value{b.Const(sokr.Tensor{DType: boolean, Shape: sokr.Shape{}, Data: []byte{7}})}
		}, "bool constant holds 7"},
		{"fill shape", func(b *Builder) []Value {
			return []Value{b.Fill(f32, 0, 1<<30, 1<<30, 2)}
		}, "Fill(f32, 0, [1073741824,1073741824,2]): shape [1073741824,1073741824,2] has more than 2^40 elements"},
		{"zero operand", func(b *Builder) []Value {
			return []Value{b.Param("x", f32).Add(Value{})}
		}, "x.Add(<zero Value>): operand 1 is the zero Value"},
		{"operand from another builder", func(b *Builder) []Value {
			other := NewBuilder().Param("y", f32)
			return []Value{b.Param("x", f32).Add(other)}
		}, "x.Add(y): operand 1 belongs to another Builder"},
		{"no outputs", func(b *Builder) []Value {
			b.Param("x", f32)
			return nil
		}, "Build: no outputs"},
		{"zero output", func(b *Builder) []Value {
			return []Value{{}}
		}, "Build: output 0 is the zero Value"},
		{"output from another builder", func(b *Builder) []Value {
			return []Value{NewBuilder().Param("y", f32)}
		}, "Build: output 0 belongs to another Builder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder()
			p, err := b.Build(tc.build(b)...)
			assert.Nil(t, p)
			require.Error(t, err)
			assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestBuilderAfterAnError(t *testing.T) {
	b := NewBuilder()
	x := b.Param("x", f32, 2)
	bad := x.Cast(0)
	require.Error(t, b.Err())
	first := b.Err()

	// Everything after is inert and the first error stands.
	later := []Value{bad.Neg(), bad.Named("n"), x.Add(bad), b.Param("y", f32), b.Scalar(f32, 1), b.Const(sokr.Scalar[float32](1)), b.Select(x, x, x)}
	for _, v := range later {
		assert.Equal(t, "", v.Name())
		assert.Equal(t, Type{}, v.Type())
	}
	_, err := b.Build(x)
	assert.Same(t, first, err)
}

func TestZeroValue(t *testing.T) {
	var v Value
	assert.Equal(t, Value{}, v.Neg())
	assert.Equal(t, Value{}, v.Add(v))
	assert.Equal(t, Value{}, v.Named("x"))
	assert.Equal(t, "", v.Name())
	assert.Equal(t, Type{}, v.Type())
}

func TestBuilderKeepsBuiltProgramsApart(t *testing.T) {
	b := NewBuilder()
	x := b.Param("x", f32, 2)
	y := x.Neg()
	p1, err := b.Build(y)
	require.NoError(t, err)
	before := p1.String()

	y.Named("renamed")
	b.Param("z", f32)
	p2, err := b.Build(y)
	require.NoError(t, err)
	assert.Equal(t, before, p1.String(), "a built program does not change")
	assert.Equal(t, lines("sokr.native/1", "param x: f32[2]", "param z: f32[]", "renamed: f32[2] = neg x", "return renamed"), p2.String())
}

func TestBuilderCopiesArguments(t *testing.T) {
	b := NewBuilder()
	shape := []int{2, 3}
	x := b.Param("x", f32, shape...)
	axes := []int{1}
	s := x.ReduceSum(axes...)
	perm := []int{1, 0}
	tr := x.Transpose(perm...)
	shape[0], axes[0], perm[0] = 7, 0, 0
	p, err := b.Build(s, tr)
	require.NoError(t, err)
	assert.Equal(t, "f32[2,3]", p.Nodes[0].Type.String())
	assert.Equal(t, []int{1}, p.Nodes[1].Axes)
	assert.Equal(t, []int{1, 0}, p.Nodes[2].Axes)
}
