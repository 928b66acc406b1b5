package sokr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

var sentinels = []error{
	sokr.ErrNoCapableSubstrate,
	sokr.ErrInvalidProgram,
	sokr.ErrInvalidInput,
	sokr.ErrCancelled,
	sokr.ErrDeadlineExceeded,
	sokr.ErrSubstrateFault,
	sokr.ErrClosed,
	sokr.ErrRegistration,
	sokr.ErrAlreadyDone,
	sokr.ErrUnknownFormat,
}

// matches lists the sentinels err matches.
func matches(err error) []error {
	var out []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestEachErrorTypeMatchesOneSentinel(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&sokr.NoCapableError{}, sokr.ErrNoCapableSubstrate},
		{&sokr.ProgramError{Msg: "x"}, sokr.ErrInvalidProgram},
		{&sokr.InputError{Msg: "x"}, sokr.ErrInvalidInput},
		{&sokr.FaultError{Substrate: "s", Msg: "x"}, sokr.ErrSubstrateFault},
		{&sokr.RegistrationError{Name: "s", Msg: "x"}, sokr.ErrRegistration},
	} {
		t.Run(fmt.Sprintf("%T", tc.err), func(t *testing.T) {
			assert.Equal(t, []error{tc.want}, matches(tc.err))
			wrapped := fmt.Errorf("context: %w", tc.err)
			assert.Equal(t, []error{tc.want}, matches(wrapped), "still matches when wrapped")
			assert.True(t, strings.HasPrefix(tc.err.Error(), "sokr: "), "message %q has the package prefix", tc.err)
		})
	}
}

func TestNoCapableErrorCarriesEveryReason(t *testing.T) {
	reasons := map[string]string{
		"cpu":      "needs gate:cu3, which this substrate lacks",
		"statevec": "needs 31 qubits, this substrate holds at most 30 in 24 GiB",
		"vulkan":   "no Vulkan device",
	}
	rt := newRuntime(t)
	for _, name := range []string{"vulkan", "cpu", "statevec"} {
		require.NoError(t, rt.RegisterSubstrate(sokrtest.NewRefusingFake(name, reasons[name])))
	}
	_, err := await(t, rt.Dispatch(context.Background(), sokrtest.Program{Fmt: "openqasm/3"}, nil))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Equal(t, "openqasm/3", nc.Format)
	assert.Nil(t, nc.Policy)
	require.Len(t, nc.Offers, 3)
	for i, name := range []string{"cpu", "statevec", "vulkan"} {
		assert.Equal(t, name, nc.Offers[i].Substrate, "offers are sorted by name")
		assert.Equal(t, reasons[name], nc.Offers[i].Reason)
		assert.False(t, nc.Offers[i].OK)
		assert.Contains(t, err.Error(), name+": "+reasons[name])
	}
	assert.Equal(t, "sokr: no capable substrate for openqasm/3: "+
		"cpu: "+reasons["cpu"]+"; statevec: "+reasons["statevec"]+"; vulkan: "+reasons["vulkan"], err.Error())
}

func TestNoCapableErrorWithNoSubstrates(t *testing.T) {
	rt := newRuntime(t)
	_, err := await(t, rt.Dispatch(context.Background(), prog, nil))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Equal(t, "sokr: no capable substrate for sokrtest/1: no substrates registered", err.Error())
}

func TestProgramErrorPosition(t *testing.T) {
	for _, tc := range []struct {
		pos  sokr.Position
		want string
	}{
		{sokr.Position{Line: 3, Col: 7}, "3:7"},
		{sokr.Position{Node: "lif1"}, "node lif1"},
		{sokr.Position{Offset: 42}, "offset 42"},
		{sokr.Position{Line: 1, Col: 1, Node: "n", Offset: 5}, "1:1, node n, offset 5"},
		{sokr.Position{Offset: 0, Unit: "word"}, "word 0"},
		{sokr.Position{Offset: 22, Unit: "word"}, "word 22"},
		{sokr.Position{}, ""},
	} {
		assert.Equal(t, tc.want, tc.pos.String())
		assert.Equal(t, tc.want == "", tc.pos.IsZero())
	}

	err := error(&sokr.ProgramError{Format: "openqasm/2", Pos: sokr.Position{Line: 3, Col: 7}, Msg: "unknown gate foo"})
	assert.Equal(t, "sokr: invalid program (openqasm/2) at 3:7: unknown gate foo", err.Error())
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	var pe *sokr.ProgramError
	require.ErrorAs(t, fmt.Errorf("parse: %w", err), &pe)
	assert.Equal(t, "3:7", pe.Pos.String())

	assert.Equal(t, "sokr: invalid program: empty", (&sokr.ProgramError{Msg: "empty"}).Error())
}

func TestInputErrorText(t *testing.T) {
	assert.Equal(t, "sokr: invalid input: want 2 inputs, have 1",
		(&sokr.InputError{Index: -1, Msg: "want 2 inputs, have 1"}).Error())
	assert.Equal(t, "sokr: invalid input 1 (weights): want f32[2,3], have f32[3,2]",
		(&sokr.InputError{Index: 1, Name: "weights", Msg: "want f32[2,3], have f32[3,2]"}).Error())
	assert.Equal(t, "sokr: invalid input 0: bad", (&sokr.InputError{Msg: "bad"}).Error())
	var ie *sokr.InputError
	require.ErrorAs(t, fmt.Errorf("x: %w", &sokr.InputError{Index: 2, Msg: "m"}), &ie)
	assert.Equal(t, 2, ie.Index)
}

func TestCancelledMatchesContextCanceled(t *testing.T) {
	fake, _ := heldFake(t, "cpu")
	rt := newRuntime(t, fake)

	t.Run("Future.Cancel", func(t *testing.T) {
		f := rt.Dispatch(context.Background(), prog, nil)
		require.NoError(t, f.Cancel())
		_, err := await(t, f)
		assert.Equal(t, []error{sokr.ErrCancelled}, matches(err))
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("dispatch context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		f := rt.Dispatch(ctx, prog, nil)
		cancel()
		_, err := await(t, f)
		assert.Equal(t, []error{sokr.ErrCancelled}, matches(err))
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("context cancelled before dispatch", func(t *testing.T) {
		before := fake.Dispatches()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := rt.Dispatch(ctx, prog, nil)
		_, err := await(t, f)
		assert.ErrorIs(t, err, sokr.ErrCancelled)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, before, fake.Dispatches(), "the substrate is not called")
	})
	t.Run("cause", func(t *testing.T) {
		cause := errors.New("user pressed stop")
		ctx, cancel := context.WithCancelCause(context.Background())
		f := rt.Dispatch(ctx, prog, nil)
		cancel(cause)
		_, err := await(t, f)
		assert.ErrorIs(t, err, sokr.ErrCancelled)
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, cause)
		assert.Equal(t, "sokr: cancelled: user pressed stop", err.Error())
	})
}

func TestDeadlineMatchesContextDeadlineExceeded(t *testing.T) {
	fake, _ := heldFake(t, "cpu")
	rt := newRuntime(t, fake)

	t.Run("Timeout option", func(t *testing.T) {
		f := rt.Dispatch(context.Background(), prog, nil, sokr.Timeout(5*time.Millisecond))
		_, err := await(t, f)
		assert.Equal(t, []error{sokr.ErrDeadlineExceeded}, matches(err))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, "sokr: deadline exceeded", err.Error())
	})
	t.Run("context WithTimeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		f := rt.Dispatch(ctx, prog, nil)
		_, err := await(t, f)
		assert.Equal(t, []error{sokr.ErrDeadlineExceeded}, matches(err))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("expired before dispatch", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err := await(t, rt.Dispatch(ctx, prog, nil))
		assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	})
	t.Run("the shorter of Timeout and the context wins", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := rt.Dispatch(ctx, prog, nil, sokr.Timeout(time.Millisecond))
		_, err := await(t, f)
		assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	})
	assert.Eventually(t, func() bool { return rt.InFlight() == 0 }, waitLimit, time.Millisecond)
}

func TestPanicInDispatchIsAFault(t *testing.T) {
	bad := sokrtest.NewFake("bad")
	bad.Panic = "nil map write"
	rt := newRuntime(t, bad, sokrtest.NewFake("good"))

	f := rt.Dispatch(context.Background(), prog, nil, sokr.On("bad"))
	_, err := await(t, f)
	assert.Equal(t, []error{sokr.ErrSubstrateFault}, matches(err))
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "bad", fe.Substrate)
	assert.Equal(t, "nil map write", fe.Panic)
	assert.Contains(t, fe.Stack, "(*Fake).Dispatch", "the stack shows where it panicked")
	assert.Equal(t, "sokr: substrate bad faulted: panic: nil map write", err.Error())

	// The runtime carries on.
	_, err = await(t, rt.Dispatch(context.Background(), prog, nil, sokr.On("good")))
	require.NoError(t, err)
	assert.Equal(t, 0, rt.InFlight())
}

func TestPanicInJobGoroutineIsAFault(t *testing.T) {
	for _, sync := range []bool{false, true} {
		bad := sokrtest.NewFake("bad")
		bad.Sync = sync
		boom := errors.New("kernel exploded")
		bad.PanicAsync = boom
		rt := newRuntime(t, bad)

		_, err := await(t, rt.Dispatch(context.Background(), prog, nil))
		var fe *sokr.FaultError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "bad", fe.Substrate)
		assert.Same(t, boom, fe.Panic)
		assert.Contains(t, fe.Stack, "(*Fake).work")
		assert.EqualValues(t, 0, bad.Completions())

		_, err = await(t, rt.Dispatch(context.Background(), prog, nil))
		require.ErrorIs(t, err, sokr.ErrSubstrateFault, "and again: the runtime survives")
	}
}

func TestDispatchAfterCloseIsClosed(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(fake))
	require.NoError(t, rt.Close(context.Background()))

	f := rt.Dispatch(context.Background(), prog, nil)
	_, err := await(t, f)
	assert.Equal(t, []error{sokr.ErrClosed}, matches(err))
	assert.Equal(t, "sokr: runtime closed", err.Error())
	assert.EqualValues(t, 0, fake.Capabilities())
	assert.EqualValues(t, 0, fake.Dispatches())
	assert.Equal(t, 0, rt.InFlight())
}

func TestCloseWithExpiredContextCancelsInFlight(t *testing.T) {
	fake, _ := heldFake(t, "cpu")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(fake))
	futs := make([]*sokr.Future, 10)
	for i := range futs {
		futs[i] = rt.Dispatch(context.Background(), prog, nil)
	}
	assert.Equal(t, 10, rt.InFlight())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	err := rt.Close(ctx)
	require.ErrorIs(t, err, sokr.ErrDeadlineExceeded, "Close reports its context's error")
	for _, f := range futs {
		_, err := await(t, f)
		require.ErrorIs(t, err, sokr.ErrCancelled)
		require.ErrorIs(t, err, sokr.ErrClosed)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "sokr: cancelled: sokr: runtime closed", err.Error())
	}
	assert.Equal(t, 0, rt.InFlight())
	assert.EqualValues(t, 1, fake.Closes())
	assert.Eventually(t, func() bool { return fake.Dropped() == 10 }, waitLimit, time.Millisecond,
		"every substrate goroutine saw the cancellation")
}

func TestContextError(t *testing.T) {
	assert.NoError(t, sokr.ContextError(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := sokr.ContextError(ctx)
	assert.Equal(t, []error{sokr.ErrCancelled}, matches(err))
	assert.ErrorIs(t, err, context.Canceled)

	// A custom cause stays matchable.
	ctx, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(&sokr.FaultError{Substrate: "x", Msg: "m"})
	err = sokr.ContextError(ctx)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.ErrorIs(t, err, sokr.ErrSubstrateFault)

	// A cause that already is one of the runtime's kinds is returned as is.
	ctx, cancelCause = context.WithCancelCause(context.Background())
	cancelCause(sokr.ErrDeadlineExceeded)
	assert.Same(t, sokr.ErrDeadlineExceeded, sokr.ContextError(ctx))

	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	err = sokr.ContextError(dctx)
	assert.Equal(t, []error{sokr.ErrDeadlineExceeded}, matches(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFaultAndRegistrationErrorText(t *testing.T) {
	fe := &sokr.FaultError{Substrate: "gpu", Err: io.ErrUnexpectedEOF}
	assert.Equal(t, "sokr: substrate gpu faulted: unexpected EOF", fe.Error())
	assert.ErrorIs(t, fe, io.ErrUnexpectedEOF)

	re := &sokr.RegistrationError{Msg: "empty name"}
	assert.Equal(t, "sokr: register (empty name): empty name", re.Error())
	re = &sokr.RegistrationError{Name: "cpu", Msg: "failed to start", Err: io.EOF}
	assert.Equal(t, "sokr: register cpu: failed to start: EOF", re.Error())
	assert.ErrorIs(t, re, io.EOF)
}
