package sokr_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// waitLimit bounds every wait in these tests: a future that has not
// completed by then is a hang, reported as a failure rather than a stuck
// test binary.
const waitLimit = 10 * time.Second

var prog = sokrtest.Program{}

// newRuntime returns a runtime over subs, closed when the test ends.
func newRuntime(t testing.TB, subs ...sokr.Substrate) *sokr.Runtime {
	t.Helper()
	return newRuntimeWith(t, nil, subs...)
}

func newRuntimeWith(t testing.TB, opts []sokr.Option, subs ...sokr.Substrate) *sokr.Runtime {
	t.Helper()
	rt := sokr.New(opts...)
	for _, s := range subs {
		require.NoError(t, rt.RegisterSubstrate(s))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_ = rt.Close(ctx)
	})
	return rt
}

// await waits for f to complete (failing the test after waitLimit) and
// returns its outcome.
func await(t testing.TB, f *sokr.Future) (sokr.Result, error) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(waitLimit):
		require.FailNow(t, "future did not complete")
	}
	res, err, ok := f.Poll()
	require.True(t, ok, "Poll after Done")
	return res, err
}

// renamed overrides a substrate's name, to register names the Fake does not
// produce (empty, with white space).
type renamed struct {
	sokr.Substrate
	name string
}

func (r renamed) Name() string { return r.name }

// silent refuses without giving a reason, and names itself wrongly in its
// offer; the runtime must correct both.
type silent struct{ *sokrtest.Fake }

func (s silent) Capability(context.Context, sokr.Program) sokr.Offer {
	return sokr.Offer{Substrate: "impostor", Kind: sokr.KindQPU}
}

func TestDispatchEchoesInputs(t *testing.T) {
	for _, sync := range []bool{false, true} {
		fake := sokrtest.NewFake("cpu")
		fake.Sync = sync
		rt := newRuntime(t, fake)
		in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3}), sokr.Scalar(int64(7))}

		f := rt.Dispatch(context.Background(), prog, in)
		res, err := await(t, f)
		require.NoError(t, err)
		require.Len(t, res.Outputs, 2)
		out, ok := res.Get("out0")
		require.True(t, ok)
		assert.Equal(t, []float32{1, 2, 3}, sokr.View[float32](out.Tensor))
		out, ok = res.Get("out1")
		require.True(t, ok)
		assert.Equal(t, []int64{7}, sokr.View[int64](out.Tensor))
		_, ok = res.Get("out2")
		assert.False(t, ok)

		assert.Equal(t, "cpu", f.Substrate())
		assert.EqualValues(t, 1, fake.Capabilities())
		assert.EqualValues(t, 1, fake.Dispatches())
		assert.EqualValues(t, 1, fake.Completions())
		assert.EqualValues(t, 0, fake.Dropped())
		assert.Eventually(t, func() bool { return rt.InFlight() == 0 }, waitLimit, time.Millisecond)
	}
}

func TestRun(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewFake("cpu"))
	res, err := rt.Run(context.Background(), prog, []sokr.Tensor{sokr.Scalar(1.5)})
	require.NoError(t, err)
	require.Len(t, res.Outputs, 1)
	assert.Equal(t, []float64{1.5}, sokr.View[float64](res.Outputs[0].Tensor))

	_, err = rt.Run(context.Background(), nil, nil)
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
}

func TestCapabilityListsEveryOffer(t *testing.T) {
	gpu := sokrtest.NewRefusingFake("gpu", "no device")
	gpu.SubKind = sokr.KindGPU
	cpu := sokrtest.NewFake("cpu")
	cpu.Estimate = sokr.Estimate{Time: time.Millisecond, MemoryBytes: 64}
	qpu := sokrtest.NewFake("qpu")
	qpu.SubKind = sokr.KindQPU
	qpu.Supports = []string{"gate:h"}
	odd := silent{sokrtest.NewFake("odd")}
	rt := newRuntime(t, qpu, gpu, odd, cpu)

	p := sokrtest.Program{Feats: []string{"gate:cx"}}
	offers := rt.Capability(context.Background(), p)
	require.Equal(t, []sokr.Offer{
		{Substrate: "cpu", Kind: sokr.KindCPU, OK: true, Estimate: sokr.Estimate{Time: time.Millisecond, MemoryBytes: 64}},
		{Substrate: "gpu", Kind: sokr.KindGPU, Reason: "no device"},
		{Substrate: "odd", Kind: sokr.KindCPU, Reason: "refused without a reason"},
		{Substrate: "qpu", Kind: sokr.KindQPU, Reason: "does not support gate:cx"},
	}, offers)
	// Capability asks, it does not dispatch.
	assert.EqualValues(t, 0, cpu.Dispatches())
	assert.EqualValues(t, 1, cpu.Capabilities())
}

func TestCapabilityPanicIsARefusal(t *testing.T) {
	bad := sokrtest.NewFake("bad")
	bad.PanicInCapability = "index out of range"
	good := sokrtest.NewFake("good")
	rt := newRuntime(t, bad, good)

	offers := rt.Capability(context.Background(), prog)
	require.Len(t, offers, 2)
	assert.False(t, offers[0].OK)
	assert.Equal(t, "bad", offers[0].Substrate)
	assert.Contains(t, offers[0].Reason, "capability check panicked: index out of range")
	assert.True(t, offers[1].OK)

	// Dispatch skips the panicking substrate and uses the other one.
	f := rt.Dispatch(context.Background(), prog, nil)
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "good", f.Substrate())

	// With only the panicking one, the panic is the reason given.
	f = rt.Dispatch(context.Background(), prog, nil, sokr.On("bad"))
	_, err = await(t, f)
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Contains(t, err.Error(), "bad: capability check panicked")
}

func TestDispatchOptionsReachTheSubstrate(t *testing.T) {
	type key struct{}
	var got struct {
		opts     sokr.Options
		deadline bool
		value    any
		inputs   int
	}
	fake := sokrtest.NewSyncFake("cpu")
	fake.OnDispatch = func(j *sokr.Job) {
		got.opts = j.Options
		_, got.deadline = j.Deadline()
		got.value = j.Value(key{})
		got.inputs = len(j.Inputs)
	}
	rt := newRuntime(t, fake)

	ctx := context.WithValue(context.Background(), key{}, "carried")
	_, err := await(t, rt.Dispatch(ctx, prog, []sokr.Tensor{sokr.Scalar(int32(1))},
		sokr.Seed(42), sokr.Param("shots", 1000), sokr.Param("dt", 1e-4), sokr.Timeout(time.Hour)))
	require.NoError(t, err)
	assert.True(t, got.opts.HasSeed)
	assert.EqualValues(t, 42, got.opts.Seed)
	assert.Equal(t, 1000, got.opts.Param("shots", 0))
	assert.Equal(t, 1e-4, got.opts.Param("dt", 0.0))
	assert.Equal(t, "default", got.opts.Param("absent", "default"))
	assert.True(t, got.deadline, "Timeout sets the job's deadline")
	assert.Equal(t, "carried", got.value)
	assert.Equal(t, 1, got.inputs)

	_, err = await(t, rt.Dispatch(context.Background(), prog, nil))
	require.NoError(t, err)
	assert.False(t, got.opts.HasSeed)
	assert.False(t, got.deadline)
}

func TestInputCheckerRunsBeforeAnySubstrate(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	rt := newRuntime(t, fake)
	p := sokrtest.Program{Check: func(in []sokr.Tensor) error {
		if len(in) != 1 {
			return &sokr.InputError{Index: -1, Msg: "want 1 input"}
		}
		if in[0].DType != sokr.F32 {
			return &sokr.InputError{Index: 0, Name: "x", Msg: "want f32, have " + in[0].DType.String()}
		}
		return nil
	}}

	_, err := await(t, rt.Dispatch(context.Background(), p, nil))
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, -1, ie.Index)
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)

	f := rt.Dispatch(context.Background(), p, []sokr.Tensor{sokr.Scalar(int64(1))})
	_, err = await(t, f)
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "sokr: invalid input 0 (x): want f32, have i64", err.Error())
	assert.Empty(t, f.Substrate(), "no substrate was chosen")
	assert.EqualValues(t, 0, fake.Capabilities(), "the substrate is never asked")
	assert.EqualValues(t, 0, fake.Dispatches(), "the substrate is never called")

	_, err = await(t, rt.Dispatch(context.Background(), p, []sokr.Tensor{sokr.Scalar(float32(1))}))
	require.NoError(t, err)
	assert.EqualValues(t, 1, fake.Dispatches())
}

func TestNilProgram(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	rt := newRuntime(t, fake)
	for _, p := range []sokr.Program{nil, (*nilProgram)(nil)} {
		_, err := await(t, rt.Dispatch(context.Background(), p, nil))
		var pe *sokr.ProgramError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "nil program", pe.Msg)
	}
	assert.EqualValues(t, 0, fake.Capabilities())
}

type nilProgram struct{}

func (*nilProgram) Format() string                  { return "nil/1" }
func (*nilProgram) Requirements() sokr.Requirements { return sokr.Requirements{} }

func TestSubstrateErrorsPassThrough(t *testing.T) {
	cause := errors.New("device lost")
	fake := sokrtest.NewFake("gpu")
	fake.Fail = &sokr.FaultError{Substrate: "gpu", Msg: "reset", Err: cause}
	rt := newRuntime(t, fake)

	_, err := await(t, rt.Dispatch(context.Background(), prog, nil))
	require.ErrorIs(t, err, sokr.ErrSubstrateFault)
	require.ErrorIs(t, err, cause)
	assert.Equal(t, "sokr: substrate gpu faulted: reset", err.Error())
}

func TestJobFaultf(t *testing.T) {
	j := sokr.NewJob(context.Background(), prog, nil, sokr.Options{})
	require.True(t, j.Faultf("cpu", "out of %s", "memory"))
	_, err := await(t, j.Future())
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "cpu", fe.Substrate)
	assert.Equal(t, "sokr: substrate cpu faulted: out of memory", err.Error())
	assert.False(t, j.Fail(errors.New("late")), "only the first completion counts")
}

func TestNewJobDrivesASubstrateDirectly(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	fake.Hold = make(chan struct{}) // never released: the job ends by cancellation
	ctx, cancel := context.WithCancel(context.Background())
	j := sokr.NewJob(ctx, prog, nil, sokr.Options{})
	fake.Dispatch(j, j)

	cancel()
	time.Sleep(time.Millisecond)
	_, _, done := j.Future().Poll()
	assert.False(t, done, "cancelling the NewJob context does not complete the future")
	assert.NoError(t, j.Err())

	require.NoError(t, j.Future().Cancel())
	<-j.Done()
	require.ErrorIs(t, j.Err(), context.Canceled)
	assert.Eventually(t, func() bool { return fake.Dropped() == 1 }, waitLimit, time.Millisecond,
		"the substrate saw the cancellation and its late completion was dropped")
}

func TestJobIsAContext(t *testing.T) {
	j := sokr.NewJob(context.Background(), prog, nil, sokr.Options{})
	require.NoError(t, j.Err())
	derived, cancel := context.WithCancel(j)
	defer cancel()
	require.True(t, j.Complete(sokr.Result{}, nil))
	select {
	case <-derived.Done():
	case <-time.After(waitLimit):
		t.Fatal("a context derived from a job did not end with it")
	}
	// A finished job's work is no longer wanted.
	assert.ErrorIs(t, j.Err(), context.Canceled)
	assert.NotErrorIs(t, j.Err(), sokr.ErrCancelled)
}

func TestCloseWaitsForInFlight(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	fake.Delay = 20 * time.Millisecond
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(fake))

	futs := make([]*sokr.Future, 10)
	for i := range futs {
		futs[i] = rt.Dispatch(context.Background(), prog, nil)
	}
	require.NoError(t, rt.Close(context.Background()))
	assert.Equal(t, 0, rt.InFlight())
	for _, f := range futs {
		_, err, ok := f.Poll()
		require.True(t, ok, "Close returned before the future completed")
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, fake.Closes())
	require.NoError(t, rt.Close(context.Background()), "Close is idempotent")
	assert.EqualValues(t, 1, fake.Closes(), "substrates are closed once")
}

func TestCloseReportsSubstrateCloseErrors(t *testing.T) {
	a := sokrtest.NewFake("a")
	a.CloseErr = errors.New("leaked buffers")
	b := sokrtest.NewFake("b")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(a))
	require.NoError(t, rt.RegisterSubstrate(b))
	err := rt.Close(context.Background())
	require.ErrorIs(t, err, a.CloseErr)
	assert.Contains(t, err.Error(), "sokr: close a: leaked buffers")
	assert.EqualValues(t, 1, b.Closes())
}

func TestCloseRacesDispatch(t *testing.T) {
	// Dispatches with deadlines and cancellable contexts, racing a Close
	// whose context has already ended: every future completes exactly once,
	// and the runtime's bookkeeping stays consistent (run with -race).
	for range 20 {
		fake := sokrtest.NewFake("cpu")
		fake.Hold = make(chan struct{})
		rt := sokr.New()
		require.NoError(t, rt.RegisterSubstrate(fake))

		var wg sync.WaitGroup
		var calls atomic.Int64
		const workers, each = 4, 25
		futs := make(chan *sokr.Future, workers*each)
		// A cancellable dispatch context, cancelled only after the checks
		// (so that it does not race Close for the outcome).
		dctx, dcancel := context.WithCancel(context.Background())
		for range workers {
			wg.Go(func() {
				for range each {
					f := rt.Dispatch(dctx, prog, nil, sokr.Timeout(time.Hour))
					f.OnComplete(func(sokr.Result, error) { calls.Add(1) })
					futs <- f
				}
			})
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = rt.Close(ctx)
		wg.Wait()
		close(futs)
		n := 0
		for f := range futs {
			_, err := await(t, f)
			require.True(t, errors.Is(err, sokr.ErrClosed), "want ErrClosed, got %v", err)
			n++
		}
		dcancel()
		assert.Equal(t, workers*each, n)
		assert.Eventually(t, func() bool { return calls.Load() == int64(n) }, waitLimit, time.Millisecond)
		assert.Equal(t, 0, rt.InFlight())
	}
}

func TestRefusedProgramDispatchedDirectlyFails(t *testing.T) {
	// A substrate handed a program it refused (bypassing the runtime) must
	// fail the job cleanly; the fake does so with its refusal.
	fake := sokrtest.NewFake("cpu")
	fake.Formats = []string{"sokr.native/1"}
	p := sokrtest.Program{Fmt: "openqasm/2"}
	o := fake.Capability(context.Background(), p)
	require.False(t, o.OK)
	assert.Equal(t, "runs sokr.native/1 programs, not openqasm/2", o.Reason)

	j := sokr.NewJob(context.Background(), p, nil, sokr.Options{})
	fake.Dispatch(j, j)
	_, err := await(t, j.Future())
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Contains(t, err.Error(), "cpu: runs sokr.native/1 programs, not openqasm/2")
}

func TestPanicInProgramIsAProgramError(t *testing.T) {
	fake := sokrtest.NewFake("cpu")
	rt := newRuntime(t, fake)
	p := sokrtest.Program{Check: func([]sokr.Tensor) error { panic("broken IR plugin") }}

	var f *sokr.Future
	require.NotPanics(t, func() { f = rt.Dispatch(context.Background(), p, nil) })
	_, err := await(t, f)
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.Equal(t, "sokr: invalid program: program panicked: broken IR plugin", err.Error())
	assert.Equal(t, 0, rt.InFlight(), "the job does not stay in flight")
	assert.EqualValues(t, 0, fake.Dispatches())

	_, err = await(t, rt.Dispatch(context.Background(), prog, nil))
	require.NoError(t, err, "the runtime carries on")
}
