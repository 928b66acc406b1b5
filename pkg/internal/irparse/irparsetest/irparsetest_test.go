package irparsetest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/irparse/irparsetest"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestAfterLooks(t *testing.T) {
	ctx := irparsetest.AfterLooks(2)
	require.NoError(t, ctx.Err())
	require.NoError(t, sokr.ContextError(ctx))
	select {
	case <-ctx.Done():
		t.Fatal("done before its looks were spent")
	default:
	}
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.ErrorIs(t, sokr.ContextError(ctx), sokr.ErrCancelled)
	<-ctx.Done()
	assert.Equal(t, 5, ctx.Looks()) // ContextError looks twice at a cancelled context (Err, then Cause)
}
