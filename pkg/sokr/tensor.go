package sokr

import (
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// DType is a tensor element type.
type DType uint8

// The element types. The zero value is invalid so that a forgotten dtype is
// caught, not silently taken as f32.
const (
	InvalidDType DType = iota
	F32                // IEEE 754 binary32
	F64                // IEEE 754 binary64
	I32                // two's complement 32-bit
	I64                // two's complement 64-bit
	Bool               // one byte, 0 or 1
	C64                // complex, two binary32
	C128               // complex, two binary64
)

var dtypeNames = [...]string{"invalid", "f32", "f64", "i32", "i64", "bool", "c64", "c128"}
var dtypeSizes = [...]int{0, 4, 8, 4, 8, 1, 8, 16}

// String returns the dtype's short name as written in IR text ("f32").
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size is the element size in bytes (0 for an invalid dtype).
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// Valid reports whether d is one of the defined dtypes.
func (d DType) Valid() bool { return d > InvalidDType && int(d) < len(dtypeNames) }

// ParseDType returns the dtype named s ("f32", "bool", ...).
func ParseDType(s string) (DType, bool) {
	for i := 1; i < len(dtypeNames); i++ {
		if dtypeNames[i] == s {
			return DType(i), true
		}
	}
	return InvalidDType, false
}

// Shape is a static tensor shape; an empty shape is a scalar.
type Shape []int

// NumElements is the product of the dimensions (1 for a scalar), or -1
// when a dimension is negative or the product does not fit in an int. Such
// a shape describes no tensor (Tensor.Check rejects it); -1 is chosen over
// a wrapped product, which could be 0 and pass for an empty tensor.
func (s Shape) NumElements() int {
	n, ok := s.Elements()
	if !ok {
		return -1
	}
	return n
}

// Elements returns the product of the dimensions (1 for a scalar) and true,
// or 0 and false when a dimension is negative or the product overflows an
// int. A zero dimension makes the product 0 whatever the others are.
func (s Shape) Elements() (int, bool) {
	zero := false
	for _, d := range s {
		if d < 0 {
			return 0, false
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, true
	}
	n := 1
	for _, d := range s {
		if n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Bytes returns the byte length of a dt tensor of shape s and true, or 0
// and false when the shape is invalid (see Elements), dt is invalid, or the
// length overflows an int.
func (s Shape) Bytes(dt DType) (int, bool) {
	n, ok := s.Elements()
	size := dt.Size()
	if !ok || size == 0 || n > math.MaxInt/size {
		return 0, false
	}
	return n * size, true
}

// Equal reports whether two shapes are identical.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// String renders the shape as in IR text: "[2,3]", "[]" for a scalar.
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// Tensor is a dense, row-major (C-order) array. Data holds the elements in
// the machine's native byte order; len(Data) == DType.Size()*Shape.NumElements().
// A Tensor does not own its memory: Data may alias a caller's buffer (a numpy
// array, a C buffer), which must stay valid while a dispatch uses it.
type Tensor struct {
	DType DType
	Shape Shape
	Data  []byte
}

// NewTensor allocates a zeroed tensor. It panics when the shape has a
// negative dimension or its byte length overflows an int (a programmer
// error; check shapes from elsewhere with Shape.Bytes).
func NewTensor(dt DType, shape ...int) Tensor {
	n, ok := Shape(shape).Bytes(dt)
	if !ok && dt.Valid() {
		panic("sokr: NewTensor: " + shapeProblem(Shape(shape), dt))
	}
	return Tensor{DType: dt, Shape: Shape(shape), Data: make([]byte, n)}
}

// element is the set of Go types a tensor can be viewed as.
type element interface {
	~float32 | ~float64 | ~int32 | ~int64 | ~bool | ~complex64 | ~complex128
}

// DTypeOf returns the dtype that holds Go type T.
func DTypeOf[T element]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return F32
	case float64:
		return F64
	case int32:
		return I32
	case int64:
		return I64
	case bool:
		return Bool
	case complex64:
		return C64
	case complex128:
		return C128
	}
	return InvalidDType
}

// FromSlice wraps a Go slice as a tensor without copying. With no shape, the
// tensor is one-dimensional.
//
//	t := sokr.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
func FromSlice[T element](data []T, shape ...int) Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	var z T
	n := len(data) * int(unsafe.Sizeof(z))
	var b []byte
	if n > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), n)
	}
	return Tensor{DType: DTypeOf[T](), Shape: Shape(shape), Data: b}
}

// Scalar wraps one value as a rank-0 tensor.
func Scalar[T element](v T) Tensor {
	t := FromSlice([]T{v})
	t.Shape = Shape{} // FromSlice would make it one-dimensional
	return t
}

// View returns the tensor's elements as a []T aliasing Data. It panics when T
// does not match the dtype (a programmer error).
func View[T element](t Tensor) []T {
	if want := DTypeOf[T](); t.DType != want {
		panic(fmt.Sprintf("sokr: View[%v] of a %v tensor", want, t.DType))
	}
	var z T
	n := len(t.Data) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.Data))), n)
}

// Check verifies that Data has exactly the length dtype and shape imply.
func (t Tensor) Check() error {
	if !t.DType.Valid() {
		return fmt.Errorf("invalid dtype %v", t.DType)
	}
	want, ok := t.Shape.Bytes(t.DType)
	if !ok {
		return fmt.Errorf("%s", shapeProblem(t.Shape, t.DType))
	}
	if len(t.Data) != want {
		return fmt.Errorf("%v%v needs %d bytes of data, has %d", t.DType, t.Shape, want, len(t.Data))
	}
	return nil
}

// shapeProblem says why Shape.Bytes refused s for dt (a valid dt).
func shapeProblem(s Shape, dt DType) string {
	for _, d := range s {
		if d < 0 {
			return "negative dimension in shape " + s.String()
		}
	}
	n, ok := s.Elements()
	if !ok {
		return fmt.Sprintf("%v%v has more elements than an int holds (%d)", dt, s, math.MaxInt)
	}
	return fmt.Sprintf("%v%v has more bytes than an int holds (%d elements of %d bytes)", dt, s, n, dt.Size())
}

// String describes the tensor's type, e.g. "f32[2,3]".
func (t Tensor) String() string { return t.DType.String() + t.Shape.String() }
