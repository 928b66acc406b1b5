package defaults_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestDefaultRuntime(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(ctx)) }()

	require.Len(t, rt.IRs(), 1)
	assert.Equal(t, native.Format, rt.IRs()[0].Format())
	_, ok := rt.Substrate("cpu")
	require.True(t, ok)
	assert.Empty(t, rt.Failures())

	p, err := rt.Parse(ctx, "", []byte("sokr.native/1\nparam x: i64[3]\ny: i64[] = reduce_sum x, axes=[0]\nreturn y\n"))
	require.NoError(t, err)
	res, err := rt.Run(ctx, p, []sokr.Tensor{sokr.FromSlice([]int64{1, 2, 3})})
	require.NoError(t, err)
	assert.Equal(t, []int64{6}, sokr.View[int64](res.Outputs[0].Tensor))

	_, err = rt.Parse(ctx, "", []byte("OPENQASM 2.0;"))
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	_, err = rt.Parse(ctx, "nope/1", nil)
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	_, err = rt.Parse(ctx, native.Format, []byte("sokr.native/1\nreturn x\n"))
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)

	_, err = rt.Lower(ctx, 42)
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	got, err := rt.Lower(ctx, p)
	require.NoError(t, err)
	assert.Same(t, p, got)
}

func TestDispatchAfterClose(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	require.NoError(t, rt.Close(ctx))
	p, err := native.Parse([]byte("sokr.native/1\nparam x: f32[1]\nreturn x\n"))
	require.NoError(t, err)
	_, err = rt.Run(ctx, p, []sokr.Tensor{sokr.FromSlice([]float32{1})})
	require.ErrorIs(t, err, sokr.ErrClosed)
}
