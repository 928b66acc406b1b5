package native_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestSignatureAndSource(t *testing.T) {
	src := []byte("sokr.native/1\nparam x: f32[2,3]\nparam k: f64[]\ny: f32[2,3] = exp x\nreturn y, k\n")
	p, err := native.IR{}.Parse(context.Background(), src)
	require.NoError(t, err)
	sig := p.(sokr.Signaturer).Signature()
	assert.Equal(t, []sokr.TensorSpec{{Name: "x", DType: sokr.F32, Shape: sokr.Shape{2, 3}}, {Name: "k", DType: sokr.F64, Shape: sokr.Shape{}}}, sig.Inputs)
	assert.Equal(t, []sokr.TensorSpec{{Name: "y", DType: sokr.F32, Shape: sokr.Shape{2, 3}}, {Name: "k", DType: sokr.F64, Shape: sokr.Shape{}}}, sig.Outputs)

	s, ok := p.(sokr.Sourcer).ProgramSource()
	require.True(t, ok)
	assert.Equal(t, native.Format, s.Format)
	assert.Equal(t, src, s.Bytes)
	src[0] = 'X'
	assert.Equal(t, byte('s'), s.Bytes[0], "the program keeps its own copy")

	built, err := native.Parse([]byte("sokr.native/1\nparam x: f32[]\nreturn x\n"))
	require.NoError(t, err)
	_, ok = built.ProgramSource()
	assert.False(t, ok, "the function Parse keeps no source: String gives the text")
}
