package native

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// ty builds a type: ty(sokr.F32, 2, 3) is f32[2,3].
func ty(dt sokr.DType, shape ...int) Type {
	if shape == nil {
		shape = []int{}
	}
	return Type{DType: dt, Shape: shape}
}

var (
	f32, f64 = sokr.F32, sokr.F64
	i32, i64 = sokr.I32, sokr.I64
	boolean  = sokr.Bool
)

func TestTypeRules(t *testing.T) {
	tests := []struct {
		name string
		op   Op
		args []Type
		axes []int
		want Type   // the declared type: what cast, broadcast and reshape read
		got  Type   // the inferred type, when err is ""
		err  string // a part of the error
	}{
		// Unary.
		{name: "neg f32", op: OpNeg, args: []Type{ty(f32, 2)}, got: ty(f32, 2)},
		{name: "abs i32", op: OpAbs, args: []Type{ty(i32, 2)}, got: ty(i32, 2)},
		{name: "relu i64", op: OpRelu, args: []Type{ty(i64)}, got: ty(i64)},
		{name: "neg bool", op: OpNeg, args: []Type{ty(boolean)}, err: "neg takes f32, f64, i32 or i64, got bool"},
		{name: "exp f64", op: OpExp, args: []Type{ty(f64, 3)}, got: ty(f64, 3)},
		{name: "exp i32", op: OpExp, args: []Type{ty(i32, 3)}, err: "exp takes f32 or f64, got i32"},
		{name: "log i64", op: OpLog, args: []Type{ty(i64)}, err: "log takes f32 or f64"},
		{name: "sqrt bool", op: OpSqrt, args: []Type{ty(boolean)}, err: "sqrt takes f32 or f64, got bool"},
		{name: "tanh sigmoid sin cos", op: OpCos, args: []Type{ty(f32, 1, 1)}, got: ty(f32, 1, 1)},
		{name: "sigmoid i32", op: OpSigmoid, args: []Type{ty(i32)}, err: "sigmoid takes f32 or f64"},

		// Binary.
		{name: "add equal shapes", op: OpAdd, args: []Type{ty(f32, 2, 3), ty(f32, 2, 3)}, got: ty(f32, 2, 3)},
		{name: "mul scalar left", op: OpMul, args: []Type{ty(i32), ty(i32, 4)}, got: ty(i32, 4)},
		{name: "sub scalar right", op: OpSub, args: []Type{ty(f64, 4), ty(f64)}, got: ty(f64, 4)},
		{name: "pow scalars", op: OpPow, args: []Type{ty(f32), ty(f32)}, got: ty(f32)},
		{name: "add dtypes differ", op: OpAdd, args: []Type{ty(f32, 2), ty(f64, 2)}, err: "add operands differ in dtype: f32 and f64"},
		{name: "max bool", op: OpMax, args: []Type{ty(boolean), ty(boolean)}, err: "max takes f32, f64, i32 or i64, got bool"},
		{name: "div shapes differ", op: OpDiv, args: []Type{ty(f32, 2, 3), ty(f32, 3)}, err: "div operand shapes [2,3] and [3] differ (only a rank-0 operand broadcasts implicitly; use broadcast)"},
		{name: "min size-1 is not rank 0", op: OpMin, args: []Type{ty(f32, 1), ty(f32, 3)}, err: "operand shapes [1] and [3] differ"},

		// Compare.
		{name: "lt gives bool", op: OpLt, args: []Type{ty(f32, 2), ty(f32)}, got: ty(boolean, 2)},
		{name: "eq bool", op: OpEq, args: []Type{ty(boolean, 2), ty(boolean, 2)}, got: ty(boolean, 2)},
		{name: "ne bool", op: OpNe, args: []Type{ty(boolean), ty(boolean, 5)}, got: ty(boolean, 5)},
		{name: "ge bool", op: OpGe, args: []Type{ty(boolean), ty(boolean)}, err: "ge takes f32, f64, i32 or i64, got bool"},
		{name: "gt dtypes differ", op: OpGt, args: []Type{ty(i32), ty(i64)}, err: "gt operands differ in dtype: i32 and i64"},
		{name: "le shapes differ", op: OpLe, args: []Type{ty(i32, 2), ty(i32, 3)}, err: "le operand shapes [2] and [3] differ"},

		// Select.
		{name: "select", op: OpSelect, args: []Type{ty(boolean, 2), ty(f32, 2), ty(f32, 2)}, got: ty(f32, 2)},
		{name: "select scalar condition", op: OpSelect, args: []Type{ty(boolean), ty(i32, 3), ty(i32)}, got: ty(i32, 3)},
		{name: "select all scalar", op: OpSelect, args: []Type{ty(boolean), ty(boolean), ty(boolean)}, got: ty(boolean)},
		{name: "select shape from condition", op: OpSelect, args: []Type{ty(boolean, 4), ty(f64), ty(f64)}, got: ty(f64, 4)},
		{name: "select condition not bool", op: OpSelect, args: []Type{ty(f32), ty(f32), ty(f32)}, err: "select condition must be bool, got f32"},
		{name: "select branches differ", op: OpSelect, args: []Type{ty(boolean), ty(f32), ty(i32)}, err: "select branches differ in dtype: f32 and i32"},
		{name: "select shapes differ", op: OpSelect, args: []Type{ty(boolean, 2), ty(f32, 3), ty(f32)}, err: "select operand shapes [2], [3] and [] differ"},
		{name: "select branch shapes differ", op: OpSelect, args: []Type{ty(boolean), ty(f32, 3), ty(f32, 2)}, err: "select operand shapes [], [3] and [2] differ"},

		// Cast.
		{name: "cast f32 to bool", op: OpCast, args: []Type{ty(f32, 2)}, want: ty(boolean, 7), got: ty(boolean, 2)},
		{name: "cast bool to i64", op: OpCast, args: []Type{ty(boolean)}, want: ty(i64), got: ty(i64)},
		{name: "cast to complex", op: OpCast, args: []Type{ty(f32)}, want: ty(sokr.C64), err: "dtype c64 is not supported"},

		// Broadcast.
		{name: "broadcast scalar", op: OpBroadcast, args: []Type{ty(f32)}, want: ty(i32, 2, 3), got: ty(f32, 2, 3)},
		{name: "broadcast ones and rank", op: OpBroadcast, args: []Type{ty(f32, 3, 1)}, want: ty(f32, 2, 3, 4), got: ty(f32, 2, 3, 4)},
		{name: "broadcast identity", op: OpBroadcast, args: []Type{ty(i32, 2)}, want: ty(i32, 2), got: ty(i32, 2)},
		{name: "broadcast lower rank", op: OpBroadcast, args: []Type{ty(f32, 2, 3)}, want: ty(f32, 3), err: "cannot broadcast [2,3] to [3]: the result has lower rank"},
		{name: "broadcast mismatch", op: OpBroadcast, args: []Type{ty(f32, 3)}, want: ty(f32, 2, 4), err: "cannot broadcast [3] to [2,4]: operand dimension 0 is 3, want 4 or 1"},
		{name: "broadcast leading", op: OpBroadcast, args: []Type{ty(f32, 2, 1)}, want: ty(f32, 2, 2, 1), got: ty(f32, 2, 2, 1)},

		// Reshape.
		{name: "reshape", op: OpReshape, args: []Type{ty(f32, 2, 3)}, want: ty(f32, 3, 1, 2), got: ty(f32, 3, 1, 2)},
		{name: "reshape to scalar", op: OpReshape, args: []Type{ty(i64, 1, 1)}, want: ty(i64), got: ty(i64)},
		{name: "reshape count", op: OpReshape, args: []Type{ty(f32, 2, 3)}, want: ty(f32, 5), err: "cannot reshape [2,3] (6 elements) to [5] (5 elements)"},
		{name: "reshape keeps dtype", op: OpReshape, args: []Type{ty(f32, 2)}, want: ty(i32, 2), got: ty(f32, 2)},

		// Transpose.
		{name: "transpose", op: OpTranspose, args: []Type{ty(f32, 2, 3, 4)}, axes: []int{2, 0, 1}, got: ty(f32, 4, 2, 3)},
		{name: "transpose scalar", op: OpTranspose, args: []Type{ty(f32)}, axes: []int{}, got: ty(f32)},
		{name: "transpose short perm", op: OpTranspose, args: []Type{ty(f32, 2, 3)}, axes: []int{0}, err: "transpose perm [0] has 1 entries, operand f32[2,3] has rank 2"},
		{name: "transpose repeat", op: OpTranspose, args: []Type{ty(f32, 2, 3)}, axes: []int{1, 1}, err: "transpose perm [1,1] is not a permutation of 0..1"},
		{name: "transpose out of range", op: OpTranspose, args: []Type{ty(f32, 2, 3)}, axes: []int{0, 2}, err: "is not a permutation"},
		{name: "transpose negative", op: OpTranspose, args: []Type{ty(f32, 2, 3)}, axes: []int{-1, 0}, err: "is not a permutation"},

		// Reduce.
		{name: "reduce_sum", op: OpReduceSum, args: []Type{ty(f32, 2, 3, 4)}, axes: []int{2, 0}, got: ty(f32, 3)},
		{name: "reduce_max all", op: OpReduceMax, args: []Type{ty(i32, 2, 3)}, axes: []int{0, 1}, got: ty(i32)},
		{name: "reduce_min none", op: OpReduceMin, args: []Type{ty(i64, 2)}, axes: []int{}, got: ty(i64, 2)},
		{name: "reduce_mean f64", op: OpReduceMean, args: []Type{ty(f64, 2)}, axes: []int{0}, got: ty(f64)},
		{name: "reduce_mean int", op: OpReduceMean, args: []Type{ty(i32, 2)}, axes: []int{0}, err: "reduce_mean takes f32 or f64, got i32"},
		{name: "reduce_sum bool", op: OpReduceSum, args: []Type{ty(boolean, 2)}, axes: []int{0}, err: "reduce_sum takes f32, f64, i32 or i64, got bool"},
		{name: "reduce axis range", op: OpReduceMax, args: []Type{ty(f32, 2)}, axes: []int{1}, err: "reduce_max axis 1 is out of range for operand f32[2] (rank 1)"},
		{name: "reduce negative axis", op: OpReduceSum, args: []Type{ty(f32, 2)}, axes: []int{-1}, err: "axis -1 is out of range"},
		{name: "reduce repeated axis", op: OpReduceSum, args: []Type{ty(f32, 2, 2)}, axes: []int{1, 1}, err: "reduce_sum axis 1 is listed twice"},

		// Matmul.
		{name: "matmul", op: OpMatmul, args: []Type{ty(f32, 2, 3), ty(f32, 3, 4)}, got: ty(f32, 2, 4)},
		{name: "matmul batched", op: OpMatmul, args: []Type{ty(i64, 5, 2, 3), ty(i64, 5, 3, 1)}, got: ty(i64, 5, 2, 1)},
		{name: "matmul rank 1", op: OpMatmul, args: []Type{ty(f32, 3), ty(f32, 3, 4)}, err: "matmul needs operands of rank 2 or more, got [3] and [3,4]"},
		{name: "matmul inner", op: OpMatmul, args: []Type{ty(f32, 2, 3), ty(f32, 4, 5)}, err: "matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)"},
		{name: "matmul batch", op: OpMatmul, args: []Type{ty(f32, 2, 2, 3), ty(f32, 3, 3, 4)}, err: "matmul batch dimensions differ: [2] and [3]"},
		{name: "matmul batch ranks", op: OpMatmul, args: []Type{ty(f32, 2, 2, 3), ty(f32, 3, 4)}, err: "matmul batch dimensions differ: [2] and []"},
		{name: "matmul dtypes", op: OpMatmul, args: []Type{ty(f32, 2, 2), ty(f64, 2, 2)}, err: "matmul operands differ in dtype: f32 and f64"},
		{name: "matmul bool", op: OpMatmul, args: []Type{ty(boolean, 2, 2), ty(boolean, 2, 2)}, err: "matmul takes f32, f64, i32 or i64, got bool"},
		{name: "matmul too large", op: OpMatmul, args: []Type{ty(f32, 1<<21, 1), ty(f32, 1, 1<<20)}, err: "more than 2^40 elements"},

		// Leaves and arity.
		{name: "param", op: OpParam, want: ty(f32, 3), got: ty(f32, 3)},
		{name: "const", op: OpConst, want: ty(boolean), got: ty(boolean)},
		{name: "arity", op: OpAdd, args: []Type{ty(f32)}, err: "add takes 2 operands, got 1"},
		{name: "invalid op", op: numOps, err: "invalid op op(36)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inferType(tc.op, tc.args, tc.axes, tc.want)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.got.String(), got.String())
		})
	}
}

// validProgram is a small program that verifies; tests break one thing.
func validProgram() *Program {
	return &Program{
		Nodes: []Node{
			{Name: "x", Op: OpParam, Type: ty(f32, 2), Pos: sokr.Position{Line: 2, Col: 7}},
			{Name: "c", Op: OpConst, Type: ty(f32, 2), Const: sokr.FromSlice([]float32{1, 2})},
			{Name: "y", Op: OpAdd, Type: ty(f32, 2), Args: []int{0, 1}, Pos: sokr.Position{Line: 4, Col: 1}},
			{Name: "s", Op: OpReduceSum, Type: ty(f32), Args: []int{2}, Axes: []int{0}},
		},
		Params:  []int{0},
		Outputs: []int{2, 3},
	}
}

func TestVerifyStructure(t *testing.T) {
	require.NoError(t, Verify(validProgram()))

	tests := []struct {
		name   string
		mutate func(p *Program)
		node   string // Pos.Node of the error
		msg    string
	}{
		{"empty name", func(p *Program) { p.Nodes[2].Name = "" }, "", "node 2 has no name"},
		{"invalid name", func(p *Program) { p.Nodes[2].Name = "a b" }, "a b", `invalid name "a b"`},
		{"duplicate name", func(p *Program) { p.Nodes[2].Name = "x" }, "x", "duplicate name x (nodes 0 and 2)"},
		{"invalid op", func(p *Program) { p.Nodes[2].Op = OpInvalid }, "y", "invalid op invalid"},
		{"op out of range", func(p *Program) { p.Nodes[2].Op = 200 }, "y", "invalid op op(200)"},
		{"invalid dtype", func(p *Program) { p.Nodes[0].Type.DType = 0 }, "x", "invalid dtype invalid"},
		{"complex dtype", func(p *Program) { p.Nodes[0].Type.DType = sokr.C128 }, "x", "dtype c128 is not supported"},
		{"zero dimension", func(p *Program) { p.Nodes[0].Type.Shape = sokr.Shape{0} }, "x", "shape [0] has dimension 0"},
		{"overflowing shape", func(p *Program) { p.Nodes[0].Type.Shape = sokr.Shape{1 << 32, 1 << 32} }, "x", "more than 2^40 elements"},
		{"rank limit", func(p *Program) { p.Nodes[0].Type.Shape = make(sokr.Shape, MaxRank+1) }, "x", "shape has rank 65; the limit is 64"},
		{"arity", func(p *Program) { p.Nodes[2].Args = []int{0} }, "y", "add takes 2 operands, got 1"},
		{"operands of a param", func(p *Program) { p.Nodes[0].Args = []int{0} }, "x", "param takes 0 operands, got 1"},
		{"forward reference", func(p *Program) { p.Nodes[2].Args = []int{0, 3} }, "y", "operand 1 refers to node 3, which is not defined before node 2"},
		{"self reference", func(p *Program) { p.Nodes[2].Args = []int{2, 1} }, "y", "operand 0 refers to node 2"},
		{"negative operand", func(p *Program) { p.Nodes[2].Args = []int{-1, 1} }, "y", "operand 0 refers to node -1"},
		{"axes on add", func(p *Program) { p.Nodes[2].Axes = []int{0} }, "y", "add takes no attributes, has axes [0]"},
		{"data on add", func(p *Program) { p.Nodes[2].Const = sokr.Scalar[float32](1) }, "y", "add node holds constant data"},
		{"const dtype", func(p *Program) { p.Nodes[1].Const = sokr.FromSlice([]float64{1, 2}) }, "c", "constant data is f64, the node is f32"},
		{"const length", func(p *Program) { p.Nodes[1].Const.Data = p.Nodes[1].Const.Data[:4] }, "c", "constant f32[2] needs 8 bytes of data, has 4"},
		{"const shape", func(p *Program) { p.Nodes[1].Const = sokr.FromSlice([]float32{1, 2}, 1, 2) }, "c", "constant data has shape [1,2]; want [2] or one element"},
		{"const missing", func(p *Program) { p.Nodes[1].Const = sokr.Tensor{} }, "c", "constant data is invalid, the node is f32"},
		{"bool const byte", func(p *Program) {
			p.Nodes[1].Type.DType, p.Nodes[2].Type.DType = boolean, boolean
			p.Nodes[2].Op = OpEq
			p.Nodes[1].Const = sokr.Tensor{DType: boolean, Shape: sokr.Shape{2}, Data: []byte{1, 2}}
		}, "c", "bool constant holds 2 at element 1; want 0 or 1"},
		{"declared type", func(p *Program) { p.Nodes[3].Type = ty(f32, 2) }, "s", "reduce_sum gives f32[], but s is declared f32[2]"},
		{"param not listed", func(p *Program) { p.Params = nil }, "x", "param node x is missing from Params"},
		{"param listed twice", func(p *Program) { p.Params = []int{0, 0} }, "x", "param x is listed twice"},
		{"param not a param", func(p *Program) { p.Params = []int{0, 2} }, "y", "param 1 refers to y, a add node, not a param"},
		{"param out of range", func(p *Program) { p.Params = []int{0, 9} }, "", "param 1 refers to node 9, out of range"},
		{"no outputs", func(p *Program) { p.Outputs = nil }, "", "program has no outputs"},
		{"output out of range", func(p *Program) { p.Outputs = []int{4} }, "", "output 0 refers to node 4, out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validProgram()
			tc.mutate(p)
			err := Verify(p)
			require.Error(t, err)
			perr, ok := err.(*sokr.ProgramError)
			require.True(t, ok, "%T", err)
			assert.Equal(t, Format, perr.Format)
			assert.Equal(t, tc.node, perr.Pos.Node)
			assert.Contains(t, perr.Msg, tc.msg)
		})
	}
}

func TestVerifyKeepsThePosition(t *testing.T) {
	p := validProgram()
	p.Nodes[2].Type = ty(i32, 2)
	err := Verify(p)
	require.Error(t, err)
	assert.Equal(t, sokr.Position{Line: 4, Col: 1, Node: "y"}, err.(*sokr.ProgramError).Pos)
}

func TestVerifyNil(t *testing.T) {
	assert.ErrorIs(t, Verify(nil), sokr.ErrInvalidProgram)
}

func TestVerifyConstForms(t *testing.T) {
	tests := []struct {
		name  string
		typ   Type
		c     sokr.Tensor
		valid bool
	}{
		{"splat rank 0", ty(f32, 3), sokr.Scalar[float32](1), true},
		{"splat shape [1,1]", ty(f32, 3), sokr.FromSlice([]float32{1}, 1, 1), true},
		{"full", ty(i64, 2, 2), sokr.FromSlice([]int64{1, 2, 3, 4}, 2, 2), true},
		{"full flattened", ty(i64, 2, 2), sokr.FromSlice([]int64{1, 2, 3, 4}), false},
		{"scalar", ty(boolean), sokr.Scalar(true), true},
		{"too short", ty(f64, 3), sokr.FromSlice([]float64{1, 2}, 3), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Program{Nodes: []Node{{Name: "c", Op: OpConst, Type: tc.typ, Const: tc.c}}, Outputs: []int{0}}
			if err := Verify(p); tc.valid {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
