package sokr_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// heldFake returns an asynchronous fake whose jobs run until release is
// called (or they are cancelled).
func heldFake(t testing.TB, name string) (fake *sokrtest.Fake, release func()) {
	hold := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release)
	fake = sokrtest.NewFake(name)
	fake.Hold = hold
	return fake, release
}

func TestFutureCompletesOnceWhenCompletersRace(t *testing.T) {
	// Complete, Fail, Cancel and the job context's watcher all race for the
	// same future; exactly one wins and callbacks run once.
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		j := sokr.NewJob(ctx, prog, nil, sokr.Options{})
		f := j.Future()
		var calls, wins atomic.Int32
		f.OnComplete(func(sokr.Result, error) { calls.Add(1) })

		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			if j.Complete(sokr.Result{}, nil) {
				wins.Add(1)
			}
		})
		wg.Go(func() {
			<-start
			if j.Fail(errors.New("failed")) {
				wins.Add(1)
			}
		})
		wg.Go(func() {
			<-start
			if f.Cancel() == nil {
				wins.Add(1)
			}
		})
		wg.Go(func() {
			<-start
			cancel() // does not complete a NewJob future, but must not disturb it
		})
		wg.Go(func() {
			<-start
			f.OnComplete(func(sokr.Result, error) { calls.Add(1) })
		})
		close(start)
		wg.Wait()
		require.EqualValues(t, 1, wins.Load())
		require.EqualValues(t, 2, calls.Load(), "each callback runs exactly once")
	}
}

func TestFutureCompletesOnceUnderRuntimeRaces(t *testing.T) {
	// Substrate completion (sync, async, delayed), Future.Cancel, the
	// dispatch context's cancellation, dispatch deadlines and a Close whose
	// context expires all race. Every future completes exactly once.
	n := 3000
	if testing.Short() {
		n = 300
	}
	syncFake := sokrtest.NewSyncFake("a-sync")
	asyncFake := sokrtest.NewFake("b-async")
	slowFake := sokrtest.NewFake("c-slow")
	slowFake.Delay = 200 * time.Microsecond
	rt := sokr.New(sokr.WithPolicy(sokr.RoundRobin()))
	for _, s := range []sokr.Substrate{syncFake, asyncFake, slowFake} {
		require.NoError(t, rt.RegisterSubstrate(s))
	}

	type tracked struct {
		f     *sokr.Future
		calls atomic.Int32
	}
	all := make([]*tracked, n)
	var dispatched atomic.Int64
	var wg sync.WaitGroup
	const workers = 8
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := w; i < n; i += workers {
				ctx, cancel := context.WithCancel(context.Background())
				var opts []sokr.DispatchOption
				if rng.IntN(3) == 0 {
					opts = append(opts, sokr.Timeout(time.Duration(rng.IntN(300))*time.Microsecond+1))
				}
				tr := &tracked{}
				tr.f = rt.Dispatch(ctx, prog, nil, opts...)
				dispatched.Add(1)
				tr.f.OnComplete(func(sokr.Result, error) { tr.calls.Add(1) })
				all[i] = tr
				switch rng.IntN(4) {
				case 0:
					go func() { _ = tr.f.Cancel() }()
				case 1:
					go cancel()
				case 2:
					_ = tr.f.Cancel()
					cancel()
				}
				defer cancel()
			}
		})
	}
	// Close halfway through, while dispatches are still arriving, with a
	// deadline that cuts the slow ones short.
	for dispatched.Load() < int64(n/2) {
		time.Sleep(10 * time.Microsecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Microsecond)
	defer cancel()
	_ = rt.Close(ctx)
	wg.Wait()

	outcomes := map[string]int{}
	for i, tr := range all {
		_, err := await(t, tr.f)
		switch {
		case err == nil:
			outcomes["ok"]++
		case errors.Is(err, sokr.ErrClosed):
			outcomes["closed"]++
		case errors.Is(err, sokr.ErrCancelled):
			outcomes["cancelled"]++
		case errors.Is(err, sokr.ErrDeadlineExceeded):
			outcomes["deadline"]++
		default:
			require.Failf(t, "unexpected error", "future %d: %v", i, err)
		}
	}
	t.Logf("outcomes: %v", outcomes)
	// Callbacks run on the completing goroutine after Done is closed: give
	// the last ones a moment, then check none ran twice.
	require.Eventually(t, func() bool {
		for _, tr := range all {
			if tr.calls.Load() != 1 {
				return false
			}
		}
		return true
	}, waitLimit, time.Millisecond)
	for i, tr := range all {
		require.EqualValues(t, 1, tr.calls.Load(), "future %d", i)
	}
	assert.Equal(t, 0, rt.InFlight())
}

func TestFutureDoneWaitPoll(t *testing.T) {
	fake, release := heldFake(t, "cpu")
	rt := newRuntime(t, fake)
	f := rt.Dispatch(context.Background(), prog, []sokr.Tensor{sokr.Scalar(float32(2))})

	select {
	case <-f.Done():
		t.Fatal("done before the substrate finished")
	default:
	}
	res, err, ok := f.Poll()
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.Empty(t, res.Outputs)
	assert.NoError(t, f.Err())

	// Wait with a context that expires first reports that context's error
	// and leaves the dispatch running.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err = f.Wait(ctx)
	require.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, _, ok = f.Poll()
	assert.False(t, ok, "an expired Wait does not end the dispatch")

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = f.Wait(cctx)
	require.ErrorIs(t, err, sokr.ErrCancelled)
	require.ErrorIs(t, err, context.Canceled)

	release()
	res, err = f.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []float32{2}, sokr.View[float32](res.Outputs[0].Tensor))
	res, err, ok = f.Poll()
	require.True(t, ok)
	require.NoError(t, err)
	assert.Len(t, res.Outputs, 1)

	// A completed future answers Wait even under an ended context.
	_, err = f.Wait(cctx)
	require.NoError(t, err)
}

func TestFutureCancel(t *testing.T) {
	fake, _ := heldFake(t, "cpu")
	rt := newRuntime(t, fake)
	f := rt.Dispatch(context.Background(), prog, nil)

	require.NoError(t, f.Cancel())
	require.ErrorIs(t, f.Cancel(), sokr.ErrAlreadyDone)
	_, err := await(t, f)
	require.ErrorIs(t, err, sokr.ErrCancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "sokr: cancelled", err.Error())
	assert.Eventually(t, func() bool { return fake.Dropped() == 1 }, waitLimit, time.Millisecond,
		"the substrate is told to stop, and its late completion is dropped")
	assert.Equal(t, 0, rt.InFlight())
}

func TestCancelAfterCompletionKeepsTheResult(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewSyncFake("cpu"))
	f := rt.Dispatch(context.Background(), prog, []sokr.Tensor{sokr.Scalar(int32(9))})
	_, err := await(t, f)
	require.NoError(t, err)

	require.ErrorIs(t, f.Cancel(), sokr.ErrAlreadyDone)
	res, err := f.Wait(context.Background())
	require.NoError(t, err)
	require.Len(t, res.Outputs, 1)
	assert.Equal(t, []int32{9}, sokr.View[int32](res.Outputs[0].Tensor))
}

func TestOnComplete(t *testing.T) {
	fake, release := heldFake(t, "cpu")
	rt := newRuntime(t, fake)
	f := rt.Dispatch(context.Background(), prog, []sokr.Tensor{sokr.Scalar(1.0)})

	var order []int
	var mu sync.Mutex
	record := func(i int) func(sokr.Result, error) {
		return func(res sokr.Result, err error) {
			assert.NoError(t, err)
			assert.Len(t, res.Outputs, 1)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}
	}
	f.OnComplete(record(1))
	f.OnComplete(func(sokr.Result, error) { panic("a callback's panic is dropped") })
	f.OnComplete(record(2))
	release()
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 2 },
		waitLimit, time.Millisecond)
	mu.Lock()
	assert.Equal(t, []int{1, 2}, order, "callbacks run in registration order")
	mu.Unlock()

	// After completion, OnComplete runs fn at once, on the caller's goroutine.
	ran := false
	f.OnComplete(func(res sokr.Result, err error) {
		ran = true
		assert.NoError(t, err)
		assert.Len(t, res.Outputs, 1)
	})
	assert.True(t, ran)
}

func TestFutureTimings(t *testing.T) {
	fake, release := heldFake(t, "cpu")
	rt := newRuntime(t, fake)
	before := time.Now()
	f := rt.Dispatch(context.Background(), prog, nil)

	tm := f.Timings()
	assert.False(t, tm.Queued.Before(before))
	assert.False(t, tm.Started.IsZero(), "a dispatched job counts as started")
	assert.True(t, tm.Finished.IsZero(), "not finished while pending")

	time.Sleep(2 * time.Millisecond)
	release()
	_, err := await(t, f)
	require.NoError(t, err)
	tm = f.Timings()
	assert.False(t, tm.Started.Before(tm.Queued))
	assert.False(t, tm.Finished.Before(tm.Started))
	assert.GreaterOrEqual(t, tm.Finished.Sub(tm.Queued), 2*time.Millisecond)
	assert.False(t, time.Now().Before(tm.Finished))
}

func TestFutureTimingsOrderedUnderRaces(t *testing.T) {
	// Job.Start racing completion must never leave Started after Finished.
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		j := sokr.NewJob(context.Background(), prog, nil, sokr.Options{})
		var wg sync.WaitGroup
		wg.Go(j.Start)
		wg.Go(func() { j.Complete(sokr.Result{}, nil) })
		wg.Wait()
		tm := j.Future().Timings()
		require.False(t, tm.Started.IsZero())
		require.False(t, tm.Started.Before(tm.Queued))
		require.False(t, tm.Finished.Before(tm.Started), "started %v after finished %v", tm.Started, tm.Finished)
	}
}

func TestFutureSubstrateNamesTheChosenOne(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewFake("a"), sokrtest.NewFake("b"), sokrtest.NewRefusingFake("c", "no"))
	f := rt.Dispatch(context.Background(), prog, nil, sokr.On("b"))
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "b", f.Substrate())

	f = rt.Dispatch(context.Background(), prog, nil)
	_, err = await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "a", f.Substrate())

	f = rt.Dispatch(context.Background(), prog, nil, sokr.On("c"))
	_, err = await(t, f)
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Empty(t, f.Substrate())
}

func TestNewFutureAndCompleted(t *testing.T) {
	f, complete := sokr.NewFuture()
	_, _, ok := f.Poll()
	require.False(t, ok)
	assert.Empty(t, f.Substrate())
	res := sokr.Result{Meta: map[string]string{"k": "v"}}
	require.True(t, complete(res, nil))
	require.False(t, complete(sokr.Result{}, errors.New("late")))
	got, err := f.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, res, got)
	require.ErrorIs(t, f.Cancel(), sokr.ErrAlreadyDone)

	boom := errors.New("boom")
	f = sokr.Completed(sokr.Result{}, boom)
	<-f.Done()
	assert.Same(t, boom, f.Err())
}

// stubborn finishes its job only when hold closes, ignoring cancellation,
// like a substrate in the middle of a long kernel.
type stubborn struct{ hold chan struct{} }

func (stubborn) Name() string              { return "stubborn" }
func (stubborn) Kind() sokr.Kind           { return sokr.KindCPU }
func (stubborn) Describe() sokr.Properties { return nil }
func (s stubborn) Capability(context.Context, sokr.Program) sokr.Offer {
	return sokr.Yes(s, sokr.Estimate{})
}
func (s stubborn) Dispatch(_ context.Context, j *sokr.Job) {
	j.Go("stubborn", func(j *sokr.Job) (sokr.Result, error) {
		<-s.hold
		return sokr.Result{}, nil
	})
}

func TestSettledAfterCancel(t *testing.T) {
	hold := make(chan struct{})
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(stubborn{hold: hold}))
	fut := rt.Dispatch(context.Background(), &sokrtest.Program{}, nil)
	require.NoError(t, fut.Cancel())
	<-fut.Done()
	assert.False(t, fut.IsSettled(), "the substrate still holds the job")
	var calls atomic.Int32
	fut.OnSettled(func() { calls.Add(1) })
	settled := fut.Settled()
	select {
	case <-settled:
		t.Fatal("settled before the substrate handed the job back")
	default:
	}
	close(hold)
	select {
	case <-settled:
	case <-time.After(10 * time.Second):
		t.Fatal("never settled")
	}
	assert.True(t, fut.IsSettled())
	assert.EqualValues(t, 1, calls.Load())
	fut.OnSettled(func() { calls.Add(1) }) // after settling: runs at once
	assert.EqualValues(t, 2, calls.Load())
}

func TestSettledWithCompletion(t *testing.T) {
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(sokrtest.NewSyncFake("s")))
	fut := rt.Dispatch(context.Background(), &sokrtest.Program{}, nil)
	<-fut.Done()
	assert.True(t, fut.IsSettled())
	<-fut.Settled()

	f2, complete := sokr.NewFuture()
	assert.False(t, f2.IsSettled())
	complete(sokr.Result{}, nil)
	assert.True(t, f2.IsSettled())
}
