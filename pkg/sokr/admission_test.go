package sokr_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

const gib = 1 << 30

// memProg is a program that states how much memory its run needs.
type memProg struct {
	bytes int64
	name  string // tells runs apart in the order tests
}

func (memProg) Format() string                  { return "memtest/1" }
func (memProg) Requirements() sokr.Requirements { return sokr.Requirements{} }

// memSub estimates each memProg's bytes. Runs wait on the test: Dispatch
// hands each job to the started channel, and the test completes it. It
// counts the bytes of the runs it holds, and the most it ever held.
type memSub struct {
	name    string
	started chan *sokr.Job
	panic   bool

	mu           sync.Mutex
	held, most   int64
	dispatchings []string
}

func newMemSub(name string) *memSub {
	return &memSub{name: name, started: make(chan *sokr.Job, 1024)}
}

func (s *memSub) Name() string              { return s.name }
func (s *memSub) Kind() sokr.Kind           { return sokr.KindCPU }
func (s *memSub) Describe() sokr.Properties { return nil }
func (s *memSub) bytes(j *sokr.Job) int64   { return j.Program.(memProg).bytes }
func (s *memSub) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	return sokr.Yes(s, sokr.Estimate{MemoryBytes: p.(memProg).bytes})
}

func (s *memSub) Dispatch(_ context.Context, j *sokr.Job) {
	if s.panic {
		panic("injected")
	}
	s.mu.Lock()
	s.held += s.bytes(j)
	s.most = max(s.most, s.held)
	s.dispatchings = append(s.dispatchings, j.Program.(memProg).name)
	s.mu.Unlock()
	s.started <- j
}

// finish hands j back, as a substrate does at the end of a run.
func (s *memSub) finish(j *sokr.Job) {
	s.mu.Lock()
	s.held -= s.bytes(j)
	s.mu.Unlock()
	j.Complete(sokr.Result{}, nil)
}

func (s *memSub) order() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.dispatchings...)
}

// next returns the next job the substrate was given.
func (s *memSub) next(t *testing.T) *sokr.Job {
	t.Helper()
	select {
	case j := <-s.started:
		return j
	case <-time.After(waitLimit):
		require.FailNow(t, "no job reached the substrate")
		return nil
	}
}

// none checks that no job reaches the substrate for a while.
func (s *memSub) none(t *testing.T) {
	t.Helper()
	select {
	case j := <-s.started:
		require.Failf(t, "a job started", "%v", j.Program)
	case <-time.After(20 * time.Millisecond):
	}
}

func memRuntime(t *testing.T, budget int64, subs ...sokr.Substrate) *sokr.Runtime {
	return newRuntimeWith(t, []sokr.Option{sokr.WithMemoryFrom(budget, "SOKR_MEMORY")}, subs...)
}

func TestMemoryRefusesWhatCouldNeverFit(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, gib+gib/2, s)
	p := memProg{bytes: 2 * gib}
	const why = "needs 2.0 GiB, the runtime's memory budget is 1.5 GiB (SOKR_MEMORY)"

	offers := rt.Capability(context.Background(), p)
	require.Len(t, offers, 1)
	assert.False(t, offers[0].OK)
	assert.Equal(t, why, offers[0].Reason)

	for _, opts := range [][]sokr.DispatchOption{nil, {sokr.Using(sokr.Cheapest())}, {sokr.On("mem")}} {
		_, err := await(t, rt.Dispatch(context.Background(), p, nil, opts...))
		var nc *sokr.NoCapableError
		require.ErrorAs(t, err, &nc)
		assert.Contains(t, err.Error(), "mem: "+why)
	}
	assert.Equal(t, sokr.Memory{Budget: gib + gib/2, Source: "SOKR_MEMORY"}, rt.Memory())
}

func TestMemoryOverBudgetOfferGivesWayToAnother(t *testing.T) {
	big, small := newMemSub("a-big"), newMemSub("b-small")
	big.panic = true // must not be dispatched to
	rt := memRuntime(t, gib, big, &scaled{small, 1, 4})
	f := rt.Dispatch(context.Background(), memProg{bytes: 2 * gib}, nil)
	j := small.next(t)
	assert.Equal(t, "b-small", f.Substrate())
	assert.Equal(t, int64(gib/2), rt.Memory().Reserved, "the offer that fits is reserved")
	small.finish(j)
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Zero(t, rt.Memory().Reserved)
}

// scaled reports its substrate's estimates times mul/div.
type scaled struct {
	*memSub
	mul, div int64
}

func (s *scaled) Capability(ctx context.Context, p sokr.Program) sokr.Offer {
	o := s.memSub.Capability(ctx, p)
	o.Estimate.MemoryBytes = o.Estimate.MemoryBytes * s.mul / s.div
	return o
}

func TestMemoryUnknownEstimateRunsWithoutReservation(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 100, s)
	full := rt.Dispatch(context.Background(), memProg{bytes: 100, name: "full"}, nil)
	j := s.next(t)
	unknown := rt.Dispatch(context.Background(), memProg{bytes: 0, name: "unknown"}, nil)
	k := s.next(t)
	assert.Equal(t, sokr.Memory{Budget: 100, Source: "SOKR_MEMORY", Reserved: 100}, rt.Memory())
	s.finish(k)
	s.finish(j)
	for _, f := range []*sokr.Future{full, unknown} {
		_, err := await(t, f)
		require.NoError(t, err)
	}
	assert.Zero(t, rt.Memory().Reserved)
}

func TestMemoryQueueServesInOrder(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 10, s)
	ctx := context.Background()
	a := rt.Dispatch(ctx, memProg{6, "a"}, nil)
	ja := s.next(t)
	b := rt.Dispatch(ctx, memProg{6, "b"}, nil)
	c := rt.Dispatch(ctx, memProg{2, "c"}, nil) // fits now, but waits behind b
	d := rt.Dispatch(ctx, memProg{4, "d"}, nil)
	s.none(t)
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "SOKR_MEMORY", Reserved: 6, Waiting: 3}, rt.Memory())
	assert.True(t, b.Timings().Started.IsZero(), "a queued run has not started")

	s.finish(ja) // b and c fit together; d does not
	jb, jc := s.next(t), s.next(t)
	s.none(t)
	assert.Equal(t, []string{"a", "b", "c"}, s.order())
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "SOKR_MEMORY", Reserved: 8, Waiting: 1}, rt.Memory())

	s.finish(jb)
	jd := s.next(t)
	assert.Equal(t, []string{"a", "b", "c", "d"}, s.order())
	s.finish(jc)
	s.finish(jd)
	for _, f := range []*sokr.Future{a, b, c, d} {
		_, err := await(t, f)
		require.NoError(t, err)
	}
	assert.Zero(t, a.Timings().MemoryWait, "a did not wait")
	for _, f := range []*sokr.Future{b, c, d} {
		tm := f.Timings()
		assert.Positive(t, tm.MemoryWait)
		assert.LessOrEqual(t, tm.MemoryWait, tm.Started.Sub(tm.Queued))
	}
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "SOKR_MEMORY"}, rt.Memory())
}

func TestMemoryCancelWhileQueued(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 10, s)
	a := rt.Dispatch(context.Background(), memProg{10, "a"}, nil)
	ja := s.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	b := rt.Dispatch(context.Background(), memProg{5, "b"}, nil)
	c := rt.Dispatch(ctx, memProg{5, "c"}, nil)
	d := rt.Dispatch(context.Background(), memProg{5, "d"}, nil)
	require.Equal(t, 3, rt.Memory().Waiting)

	require.NoError(t, b.Cancel())
	cancel()
	for _, f := range []*sokr.Future{b, c} {
		_, err := await(t, f)
		require.ErrorIs(t, err, sokr.ErrCancelled)
		select {
		case <-f.Settled():
		case <-time.After(waitLimit):
			require.FailNow(t, "a job cancelled in the queue is not settled")
		}
	}
	assert.Equal(t, 1, rt.Memory().Waiting)
	assert.Equal(t, 2, rt.InFlight(), "a runs, d waits")

	s.finish(ja)
	jd := s.next(t)
	s.none(t)
	s.finish(jd)
	for _, f := range []*sokr.Future{a, d} {
		_, err := await(t, f)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"a", "d"}, s.order(), "cancelled runs never reach the substrate")
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "SOKR_MEMORY"}, rt.Memory())
}

func TestMemoryDeadlineWhileQueued(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 10, s)
	a := rt.Dispatch(context.Background(), memProg{10, "a"}, nil)
	ja := s.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	b := rt.Dispatch(context.Background(), memProg{5, "b"}, nil, sokr.Timeout(30*time.Millisecond))
	c := rt.Dispatch(ctx, memProg{5, "c"}, nil)
	for _, f := range []*sokr.Future{b, c} {
		_, err := await(t, f)
		require.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "SOKR_MEMORY", Reserved: 10}, rt.Memory())
	s.finish(ja)
	_, err := await(t, a)
	require.NoError(t, err)
	s.none(t)
	assert.Equal(t, []string{"a"}, s.order())
	assert.Zero(t, rt.Memory().Reserved)
}

func TestMemoryCloseFailsQueuedRuns(t *testing.T) {
	s := newMemSub("mem")
	rt := sokr.New(sokr.WithMemory(10))
	require.NoError(t, rt.RegisterSubstrate(s))
	a := rt.Dispatch(context.Background(), memProg{10, "a"}, nil)
	ja := s.next(t)
	b := rt.Dispatch(context.Background(), memProg{5, "b"}, nil)
	closed := make(chan error, 1)
	go func() { closed <- rt.Close(context.Background()) }()

	_, err := await(t, b)
	require.ErrorIs(t, err, sokr.ErrClosed)
	assert.NotErrorIs(t, err, sokr.ErrCancelled, "it never started")
	<-b.Settled()
	select {
	case err := <-closed:
		require.FailNow(t, "Close returned while a run was in flight", "%v", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.finish(ja)
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(waitLimit):
		require.FailNow(t, "Close did not return")
	}
	_, err = await(t, a)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, s.order())
	assert.Equal(t, sokr.Memory{Budget: 10, Source: "sokr.WithMemory"}, rt.Memory())
}

func TestMemoryCancelledRunHoldsItsMemoryUntilHandedBack(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 10, s)
	a := rt.Dispatch(context.Background(), memProg{10, "a"}, nil)
	ja := s.next(t)
	b := rt.Dispatch(context.Background(), memProg{10, "b"}, nil)
	require.NoError(t, a.Cancel())
	_, err := await(t, a)
	require.ErrorIs(t, err, sokr.ErrCancelled)
	// The substrate still runs a: its memory is still in use.
	s.none(t)
	assert.Equal(t, int64(10), rt.Memory().Reserved)
	s.finish(ja)
	jb := s.next(t)
	s.finish(jb)
	_, err = await(t, b)
	require.NoError(t, err)
	assert.Zero(t, rt.Memory().Reserved)
}

func TestMemoryReleasedWhenTheSubstratePanics(t *testing.T) {
	s := newMemSub("mem")
	s.panic = true
	rt := memRuntime(t, 10, s)
	for range 3 { // a leaked reservation would queue the second for ever
		_, err := await(t, rt.Dispatch(context.Background(), memProg{10, "a"}, nil))
		require.ErrorIs(t, err, sokr.ErrSubstrateFault)
		assert.Zero(t, rt.Memory().Reserved)
	}
}

func TestMemoryLargeRunStartsAfterACollection(t *testing.T) {
	s := newMemSub("mem")
	rt := memRuntime(t, 4*gib, s)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	f := rt.Dispatch(context.Background(), memProg{gib, "a"}, nil)
	j := s.next(t)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	assert.Greater(t, after.NumForcedGC, before.NumForcedGC, "the garbage of earlier runs is collected first")
	s.finish(j)
	_, err := await(t, f)
	require.NoError(t, err)
}

// TestMemoryHammer dispatches runs of random sizes from many goroutines,
// some cancelled, some timed out, some failing or panicking, and checks that
// the runs a substrate holds at once never exceed the budget, that every
// future completes exactly once, and that every reservation comes back.
func TestMemoryHammer(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	const budget = 100
	sub := &autoSub{}
	rt := sokr.New(sokr.WithMemory(budget))
	require.NoError(t, rt.RegisterSubstrate(sub))

	calls := make([]atomic.Int32, n)
	var ok, cancelled, timedOut, faulted atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	const batch = 32
	for w := range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			futs := make([]*sokr.Future, 0, batch)
			for {
				first := int(next.Add(batch)) - batch
				if first >= n {
					return
				}
				futs = futs[:0]
				for i := first; i < min(first+batch, n); i++ {
					p := autoProg{bytes: rng.Int64N(budget + 1), delay: time.Duration(rng.IntN(200)) * time.Microsecond}
					switch rng.IntN(20) {
					case 0:
						p.fail = true
					case 1:
						p.panic = true
					}
					var opts []sokr.DispatchOption
					if rng.IntN(10) == 0 {
						opts = append(opts, sokr.Timeout(time.Duration(rng.IntN(300))*time.Microsecond))
					}
					f := rt.Dispatch(context.Background(), p, nil, opts...)
					f.OnComplete(func(sokr.Result, error) { calls[i].Add(1) })
					if rng.IntN(10) == 0 {
						_ = f.Cancel()
					}
					futs = append(futs, f)
				}
				for _, f := range futs {
					_, err := f.Wait(context.Background())
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, sokr.ErrCancelled):
						cancelled.Add(1)
					case errors.Is(err, sokr.ErrDeadlineExceeded):
						timedOut.Add(1)
					case errors.Is(err, sokr.ErrSubstrateFault):
						faulted.Add(1)
					default:
						t.Errorf("unexpected error: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()

	assert.EqualValues(t, n, ok.Load()+cancelled.Load()+timedOut.Load()+faulted.Load())
	require.Eventually(t, func() bool {
		m := rt.Memory()
		return m.Reserved == 0 && m.Waiting == 0 && rt.InFlight() == 0
	}, waitLimit, time.Millisecond, "every reservation comes back: %+v", rt.Memory())
	require.Eventually(t, func() bool {
		for i := range calls {
			if calls[i].Load() == 0 {
				return false
			}
		}
		return true
	}, waitLimit, time.Millisecond)
	for i := range calls {
		require.EqualValues(t, 1, calls[i].Load(), "future %d", i)
	}
	assert.LessOrEqual(t, sub.most.Load(), int64(budget), "the runs held at once fit the budget")
	assert.Positive(t, sub.most.Load())
	assert.Positive(t, ok.Load())
	assert.Positive(t, cancelled.Load())
	assert.Positive(t, timedOut.Load())
	assert.Positive(t, faulted.Load())
	require.NoError(t, rt.Close(context.Background()))
	t.Logf("%d dispatches: %d ok, %d cancelled, %d timed out, %d faulted; at most %d of %d bytes held",
		n, ok.Load(), cancelled.Load(), timedOut.Load(), faulted.Load(), sub.most.Load(), budget)
}

// autoProg is a run for autoSub: its size, how long it takes, and whether
// it fails or panics.
type autoProg struct {
	bytes       int64
	delay       time.Duration
	fail, panic bool
}

func (autoProg) Format() string                  { return "memtest/1" }
func (autoProg) Requirements() sokr.Requirements { return sokr.Requirements{} }

// autoSub runs autoProgs on Job.Go goroutines, counting the bytes held by
// the runs it is running (from Dispatch until it hands the job back, even
// when the job was cancelled meanwhile) and the most ever held.
type autoSub struct {
	held, most atomic.Int64
}

func (s *autoSub) Name() string              { return "auto" }
func (s *autoSub) Kind() sokr.Kind           { return sokr.KindCPU }
func (s *autoSub) Describe() sokr.Properties { return nil }
func (s *autoSub) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	return sokr.Yes(s, sokr.Estimate{MemoryBytes: p.(autoProg).bytes})
}

func (s *autoSub) Dispatch(_ context.Context, j *sokr.Job) {
	p := j.Program.(autoProg)
	held := s.held.Add(p.bytes)
	for m := s.most.Load(); held > m && !s.most.CompareAndSwap(m, held); m = s.most.Load() {
	}
	j.Go("auto", func(j *sokr.Job) (sokr.Result, error) {
		// Handed back by Job.Go after this returns or panics: the bytes are
		// counted free just before.
		defer s.held.Add(-p.bytes)
		select {
		case <-time.After(p.delay):
		case <-j.Done():
		}
		if p.panic {
			panic("injected")
		}
		if p.fail {
			return sokr.Result{}, &sokr.FaultError{Substrate: "auto", Msg: "injected"}
		}
		return sokr.Result{}, nil
	})
}

// runSized is a memSub whose runs need the bytes given in the "bytes"
// parameter, which only a RunEstimator sees: its offers say one byte.
type runSized struct{ *memSub }

func (s *runSized) Capability(context.Context, sokr.Program) sokr.Offer {
	return sokr.Yes(s, sokr.Estimate{MemoryBytes: 1})
}

func (s *runSized) EstimateRun(_ sokr.Program, _ []sokr.Tensor, o sokr.Options) (sokr.Estimate, error) {
	n, ok := o.Param("bytes", int64(1)).(int64)
	if !ok || n < 0 {
		return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: "bytes must be a non-negative int64"}
	}
	return sokr.Estimate{MemoryBytes: n}, nil
}

func TestMemoryReservesTheRunsOwnEstimate(t *testing.T) {
	s := &runSized{newMemSub("sized")}
	rt := memRuntime(t, 100, s)
	first := rt.Dispatch(context.Background(), memProg{name: "a"}, nil, sokr.Param("bytes", int64(60)))
	j := s.next(t)
	assert.Equal(t, int64(60), rt.Memory().Reserved, "the run's estimate, not the offer's")

	second := rt.Dispatch(context.Background(), memProg{name: "b"}, nil, sokr.Param("bytes", int64(60)))
	s.none(t) // 120 > 100: it waits
	assert.Equal(t, 1, rt.Memory().Waiting)
	s.finish(j)
	s.finish(s.next(t))
	for _, f := range []*sokr.Future{first, second} {
		_, err := await(t, f)
		require.NoError(t, err)
	}

	_, err := await(t, rt.Dispatch(context.Background(), memProg{}, nil, sokr.Param("bytes", int64(200))))
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Contains(t, err.Error(), "this run needs 200 B, the runtime's memory budget is 100 B (SOKR_MEMORY)")

	_, err = await(t, rt.Dispatch(context.Background(), memProg{}, nil, sokr.Param("bytes", "lots")))
	assert.ErrorIs(t, err, sokr.ErrInvalidInput, "the estimator's own error")
	assert.Zero(t, rt.Memory().Reserved)
}
