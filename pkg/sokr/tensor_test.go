package sokr_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestDTypes(t *testing.T) {
	for _, tc := range []struct {
		dt   sokr.DType
		name string
		size int
	}{
		{sokr.F32, "f32", 4},
		{sokr.F64, "f64", 8},
		{sokr.I32, "i32", 4},
		{sokr.I64, "i64", 8},
		{sokr.Bool, "bool", 1},
		{sokr.C64, "c64", 8},
		{sokr.C128, "c128", 16},
	} {
		assert.Equal(t, tc.name, tc.dt.String())
		assert.Equal(t, tc.size, tc.dt.Size(), tc.name)
		assert.True(t, tc.dt.Valid(), tc.name)
		got, ok := sokr.ParseDType(tc.name)
		assert.True(t, ok, tc.name)
		assert.Equal(t, tc.dt, got)
	}
	assert.False(t, sokr.InvalidDType.Valid(), "the zero dtype is invalid")
	assert.Equal(t, 0, sokr.InvalidDType.Size())
	assert.Equal(t, "invalid", sokr.InvalidDType.String())
	bogus := sokr.DType(200)
	assert.False(t, bogus.Valid())
	assert.Equal(t, 0, bogus.Size())
	assert.Equal(t, "dtype(200)", bogus.String())
	for _, s := range []string{"", "invalid", "F32", "float32", "f16"} {
		dt, ok := sokr.ParseDType(s)
		assert.False(t, ok, s)
		assert.Equal(t, sokr.InvalidDType, dt)
	}
}

func TestDTypeOf(t *testing.T) {
	assert.Equal(t, sokr.F32, sokr.DTypeOf[float32]())
	assert.Equal(t, sokr.F64, sokr.DTypeOf[float64]())
	assert.Equal(t, sokr.I32, sokr.DTypeOf[int32]())
	assert.Equal(t, sokr.I64, sokr.DTypeOf[int64]())
	assert.Equal(t, sokr.Bool, sokr.DTypeOf[bool]())
	assert.Equal(t, sokr.C64, sokr.DTypeOf[complex64]())
	assert.Equal(t, sokr.C128, sokr.DTypeOf[complex128]())
}

func TestShape(t *testing.T) {
	assert.Equal(t, 1, sokr.Shape{}.NumElements(), "a scalar has one element")
	assert.Equal(t, 24, sokr.Shape{2, 3, 4}.NumElements())
	assert.Equal(t, 0, sokr.Shape{2, 0}.NumElements())
	assert.Equal(t, "[]", sokr.Shape{}.String())
	assert.Equal(t, "[2,3]", sokr.Shape{2, 3}.String())
	assert.True(t, sokr.Shape{2, 3}.Equal(sokr.Shape{2, 3}))
	assert.False(t, sokr.Shape{2, 3}.Equal(sokr.Shape{3, 2}))
	assert.False(t, sokr.Shape{2}.Equal(sokr.Shape{2, 1}))
	assert.True(t, sokr.Shape(nil).Equal(sokr.Shape{}))
}

// TestShapeOverflow checks that a shape whose product does not fit in an
// int is reported, not wrapped: 2^32*2^32*4 wraps to 0 in 64 bits, and a
// tensor with no data passed Check as if it were empty.
func TestShapeOverflow(t *testing.T) {
	huge := sokr.Shape{1 << 32, 1 << 32, 4}
	n, ok := huge.Elements()
	assert.False(t, ok)
	assert.Zero(t, n)
	assert.Equal(t, -1, huge.NumElements())
	assert.Equal(t, -1, sokr.Shape{3, -1}.NumElements())

	_, ok = sokr.Shape{math.MaxInt/2 + 1, 2}.Elements()
	assert.False(t, ok, "one past MaxInt")
	n, ok = sokr.Shape{math.MaxInt / 2, 2}.Elements()
	assert.True(t, ok)
	assert.Equal(t, math.MaxInt-1, n)
	n, ok = sokr.Shape{1 << 40, 1 << 40, 0}.Elements()
	assert.True(t, ok, "a zero dimension makes the product 0 even after an overflowing prefix")
	assert.Zero(t, n)

	b, ok := sokr.Shape{2, 3}.Bytes(sokr.C128)
	assert.True(t, ok)
	assert.Equal(t, 96, b)
	_, ok = sokr.Shape{1 << 62}.Bytes(sokr.F32)
	assert.False(t, ok, "elements fit, bytes do not")
	_, ok = sokr.Shape{2}.Bytes(sokr.InvalidDType)
	assert.False(t, ok)

	err := sokr.Tensor{DType: sokr.F32, Shape: huge}.Check()
	require.Error(t, err)
	assert.Equal(t, "f32[4294967296,4294967296,4] has more elements than an int holds (9223372036854775807)", err.Error())
	err = sokr.Tensor{DType: sokr.C128, Shape: sokr.Shape{1 << 60}}.Check()
	require.Error(t, err)
	assert.Equal(t, "c128[1152921504606846976] has more bytes than an int holds (1152921504606846976 elements of 16 bytes)", err.Error())

	assert.PanicsWithValue(t, "sokr: NewTensor: f32[4294967296,4294967296,4] has more elements than an int holds (9223372036854775807)",
		func() { sokr.NewTensor(sokr.F32, huge...) })
	assert.PanicsWithValue(t, "sokr: NewTensor: negative dimension in shape [-2]", func() { sokr.NewTensor(sokr.F32, -2) })
}

func TestFromSliceAndViewAlias(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	x := sokr.FromSlice(data, 2, 3)
	require.NoError(t, x.Check())
	assert.Equal(t, sokr.F32, x.DType)
	assert.Equal(t, sokr.Shape{2, 3}, x.Shape)
	assert.Len(t, x.Data, 24)
	assert.Equal(t, "f32[2,3]", x.String())

	v := sokr.View[float32](x)
	assert.Equal(t, data, v)
	v[0] = 10
	assert.Equal(t, float32(10), data[0], "no copy: the view aliases the slice")

	one := sokr.FromSlice([]int64{7, 8, 9})
	assert.Equal(t, sokr.Shape{3}, one.Shape, "no shape means one dimension")
	require.NoError(t, one.Check())

	c := sokr.FromSlice([]complex128{1 + 2i})
	assert.Equal(t, []complex128{1 + 2i}, sokr.View[complex128](c))
	b := sokr.FromSlice([]bool{true, false})
	assert.Equal(t, []bool{true, false}, sokr.View[bool](b))
	assert.Equal(t, []byte{1, 0}, b.Data)

	empty := sokr.FromSlice([]float64{}, 0, 3)
	require.NoError(t, empty.Check())
	assert.Nil(t, sokr.View[float64](empty))
}

func TestScalar(t *testing.T) {
	s := sokr.Scalar(2.5)
	assert.Equal(t, sokr.F64, s.DType)
	assert.Empty(t, s.Shape)
	require.NoError(t, s.Check())
	assert.Equal(t, "f64[]", s.String())
	assert.Equal(t, []float64{2.5}, sokr.View[float64](s))
	assert.Equal(t, []int32{-3}, sokr.View[int32](sokr.Scalar(int32(-3))))
}

func TestNewTensor(t *testing.T) {
	z := sokr.NewTensor(sokr.I32, 4, 5)
	require.NoError(t, z.Check())
	assert.Equal(t, make([]int32, 20), sokr.View[int32](z))
	assert.Len(t, sokr.NewTensor(sokr.C64).Data, 8, "a scalar")
}

func TestViewWithTheWrongTypePanics(t *testing.T) {
	x := sokr.FromSlice([]float32{1, 2})
	assert.PanicsWithValue(t, "sokr: View[f64] of a f32 tensor", func() { sokr.View[float64](x) })
	assert.Panics(t, func() { sokr.View[int32](x) }, "same size, different type")
	assert.Panics(t, func() { sokr.View[float32](sokr.Tensor{}) })
}

func TestTensorCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    sokr.Tensor
		msg  string
	}{
		{"invalid dtype", sokr.Tensor{Shape: sokr.Shape{1}, Data: make([]byte, 4)}, "invalid dtype invalid"},
		{"short data", sokr.Tensor{DType: sokr.F32, Shape: sokr.Shape{2, 2}, Data: make([]byte, 12)},
			"f32[2,2] needs 16 bytes of data, has 12"},
		{"long data", sokr.Tensor{DType: sokr.Bool, Shape: sokr.Shape{}, Data: make([]byte, 2)},
			"bool[] needs 1 bytes of data, has 2"},
		{"negative dimension", sokr.Tensor{DType: sokr.F32, Shape: sokr.Shape{-1, -4}, Data: make([]byte, 16)},
			"negative dimension in shape [-1,-4]"},
	} {
		err := tc.t.Check()
		require.Error(t, err, tc.name)
		assert.Equal(t, tc.msg, err.Error(), tc.name)
	}
}
