package irparse_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

type prog struct{}

func (*prog) Format() string                  { return "test/1" }
func (*prog) Requirements() sokr.Requirements { return sokr.Requirements{} }

func TestRunReturnsANilInterfaceOnError(t *testing.T) {
	bad := &sokr.ProgramError{Format: "test/1", Msg: "bad"}
	p, err := irparse.Run(context.Background(), func(context.Context) (*prog, error) { return nil, bad })
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.True(t, p == nil, "a nil *prog came back inside a non-nil sokr.Program")

	// Even a parser that returns a program beside its error gives none.
	p, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) { return &prog{}, bad })
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.True(t, p == nil)

	// No program and no error is a parser bug, reported as such.
	p, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) { return nil, nil })
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.True(t, p == nil)

	p, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) { return &prog{}, nil })
	require.NoError(t, err)
	assert.Equal(t, "test/1", p.Format())
}

func TestRunChecksTheContextFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	p, err := irparse.Run(ctx, func(context.Context) (*prog, error) { called = true; return &prog{}, nil })
	assert.False(t, called)
	assert.True(t, p == nil)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.ErrorIs(t, err, context.Canceled)

	dl, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err = irparse.Run(dl, func(context.Context) (*prog, error) { return &prog{}, nil })
	assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	//lint:ignore SA1012 a nil context is a caller's mistake that must not crash
	p, err = irparse.Run(nil, func(context.Context) (*prog, error) { return &prog{}, nil })
	require.NoError(t, err)
	assert.NotNil(t, p)
}

// A parser that passes ctx.Err() through raw still gives the sokr kinds.
func TestRunConvertsRawContextErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := irparse.Run(ctx, func(ctx context.Context) (*prog, error) { cancel(); return nil, ctx.Err() })
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.ErrorIs(t, err, context.Canceled)

	// A context error from a context of the parser's own (ctx is live).
	_, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) {
		return nil, context.DeadlineExceeded
	})
	assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) {
		return nil, context.Canceled
	})
	assert.ErrorIs(t, err, sokr.ErrCancelled)

	// Errors of other kinds are left alone.
	other := errors.New("other")
	_, err = irparse.Run(context.Background(), func(context.Context) (*prog, error) { return nil, other })
	assert.Equal(t, other, err)
}

func TestPollLooksEveryPollEverySteps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	poll := irparse.NewPoll(ctx)
	cancel()
	var err error
	steps := 0
	for err == nil {
		steps++
		require.LessOrEqual(t, steps, irparse.PollEvery, "a cancelled context went unnoticed")
		err = poll.Tick()
	}
	assert.Equal(t, irparse.PollEvery, steps)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.ErrorIs(t, poll.Check(), sokr.ErrCancelled)

	var zero irparse.Poll
	for range 3 * irparse.PollEvery {
		require.NoError(t, zero.Tick())
	}
	live := irparse.NewPoll(context.Background())
	for range 3 * irparse.PollEvery {
		require.NoError(t, live.Tick())
	}
}
