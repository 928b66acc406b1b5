package native

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func mustParse(t *testing.T, src string) *Program {
	t.Helper()
	p, err := Parse([]byte(src))
	require.NoError(t, err)
	return p
}

func TestRequirements(t *testing.T) {
	p := mustParse(t, lines("sokr.native/1", "param a: f32[2,3]", "param b: f32[3,4]",
		"c: f32[2,4] = matmul a, b", "d: f64[2,4] = cast c", "s: f64[] = reduce_sum d, axes=[0,1]", "return s"))
	req := p.Requirements()
	assert.Equal(t, []string{"op:param", "dtype:f32", "op:matmul", "op:cast", "dtype:f64", "op:reduce_sum"}, req.Features)
	assert.Equal(t, int64(4*6+4*12+4*8+8*8+8), req.Quantities[sokr.QuantityMemoryBytes])
	assert.Equal(t, int64(2*8*3+8+8), req.Quantities[sokr.QuantityFLOPs])
}

func TestCheckInputs(t *testing.T) {
	p := mustParse(t, lines("sokr.native/1", "param x: f32[2]", "param n: i32[]", "return x, n"))
	assert.NoError(t, p.CheckInputs([]sokr.Tensor{sokr.FromSlice([]float32{1, 2}), sokr.Scalar[int32](3)}))

	err := p.CheckInputs([]sokr.Tensor{sokr.FromSlice([]float32{1, 2})})
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "program takes 2 inputs, got 1")

	err = p.CheckInputs([]sokr.Tensor{sokr.FromSlice([]float32{1, 2}), sokr.Scalar[int64](3)})
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "invalid input 1 (n): want i32[], got i64[]")

	short := sokr.Tensor{DType: sokr.F32, Shape: sokr.Shape{2}, Data: make([]byte, 4)}
	err = p.CheckInputs([]sokr.Tensor{short, sokr.Scalar[int32](3)})
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "invalid input 0 (x)")
}

func TestMemoBuildsOnceAndIsSafeConcurrently(t *testing.T) {
	p := mustParse(t, canonical[0].src)
	var wg sync.WaitGroup
	results := make([]any, 8)
	for k := range results {
		wg.Go(func() {
			results[k] = p.Memo("plan", func() any { return new(int) })
			_ = p.String()
			_ = p.Requirements()
		})
	}
	wg.Wait()
	for _, r := range results {
		assert.Same(t, results[0], r)
	}
}

func TestStringOfAnInvalidProgramDoesNotPanic(t *testing.T) {
	p := &Program{
		Nodes: []Node{
			{Name: "c", Op: OpConst, Type: ty(f32, 2), Const: sokr.Tensor{DType: f32, Data: []byte{1}}},
			{Name: "d", Op: OpConst, Type: ty(f32, 3), Const: sokr.FromSlice([]float32{1, 2})},
			{Name: "e", Op: OpConst, Type: ty(sokr.C64), Const: sokr.Scalar(complex64(1))},
			{Name: "y", Op: OpAdd, Type: ty(f32, 2), Args: []int{0, 7}},
			{Name: "s", Op: OpReduceSum, Type: ty(f32), Args: []int{-1}},
		},
		Params:  []int{5},
		Outputs: []int{3, 9},
	}
	assert.NotPanics(t, func() {
		assert.Equal(t, lines(
			"sokr.native/1",
			"param ?5: ",
			"c: f32[2] = const ?",
			"d: f32[3] = const ?",
			"e: c64[] = const ?",
			"y: f32[2] = add c, ?7",
			"s: f32[] = reduce_sum ?-1, axes=[]",
			"return y, ?9",
		), p.String())
	})
	assert.Error(t, Verify(p))
}
