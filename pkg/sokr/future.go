package sokr

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Future is the completion of one dispatch. It completes exactly once, with
// a Result or an error, whatever races between the substrate, Cancel, the
// dispatch deadline and runtime shutdown. All methods are safe for
// concurrent use.
type Future struct {
	done chan struct{}
	res  Result
	err  error

	substrate string
	queued    time.Time
	started   atomic.Int64 // ns after queued
	finished  atomic.Int64 // ns after queued
	memWait   atomic.Int64 // ns spent queued for memory; 0 when it did not wait

	mu        sync.Mutex
	callbacks []func(Result, error)
	completed atomic.Bool // beside the bools, which pack with it: a Job fits its size class
	fired     bool
	settled   bool          // the substrate handed the job back
	settledCh chan struct{} // made on demand by Settled
	onSettled []func()

	// owner is told once after completion, to stop deadline watchers and
	// take the job off the runtime's in-flight list, and once when the job
	// is settled, to give back its memory reservation.
	owner interface {
		completed()
		settled()
	}
}

// Timings are the moments a dispatch passed through. Started and Finished
// are zero until they happen.
type Timings struct {
	Queued   time.Time // Dispatch was called
	Started  time.Time // the substrate began work
	Finished time.Time // the future completed
	// MemoryWait is the time the dispatch waited in the runtime's queue for
	// memory (see WithMemory); zero when it did not wait.
	MemoryWait time.Duration
}

// Done returns a channel closed when the future completes.
func (f *Future) Done() <-chan struct{} { return f.done }

// Wait blocks until the future completes or ctx ends. When ctx ends first it
// returns ctx's error as ErrCancelled or ErrDeadlineExceeded; the dispatch
// itself goes on (use Cancel to stop it).
func (f *Future) Wait(ctx context.Context) (Result, error) {
	select {
	case <-f.done:
		return f.res, f.err
	default:
	}
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return Result{}, ContextError(ctx)
	}
}

// Poll returns the outcome without blocking; ok is false while pending.
func (f *Future) Poll() (res Result, err error, ok bool) {
	select {
	case <-f.done:
		return f.res, f.err, true
	default:
		return Result{}, nil, false
	}
}

// Err returns the error the future completed with, or nil while pending or
// after success.
func (f *Future) Err() error {
	_, err, _ := f.Poll()
	return err
}

// Cancel completes a pending future with ErrCancelled and tells the
// substrate to stop. On a future that has already completed it returns
// ErrAlreadyDone and changes nothing.
func (f *Future) Cancel() error {
	if f.complete(Result{}, &ctxError{kind: ErrCancelled, cause: context.Canceled}) {
		return nil
	}
	return ErrAlreadyDone
}

// OnComplete arranges for fn to run once when the future completes: on the
// completing goroutine, or at once on the caller's if it already has. fn must
// not block; a panic in fn is recovered and dropped. Callbacks run just after
// Done is closed, so a waiter may see the completion before fn has run.
func (f *Future) OnComplete(fn func(Result, error)) {
	f.mu.Lock()
	if !f.fired {
		f.callbacks = append(f.callbacks, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	runCallback(fn, f.res, f.err)
}

// Substrate names the substrate chosen to run the dispatch ("" when none
// was).
func (f *Future) Substrate() string { return f.substrate }

// Timings reports when the dispatch was queued, started and finished.
func (f *Future) Timings() Timings {
	t := Timings{Queued: f.queued, MemoryWait: time.Duration(f.memWait.Load())}
	if d := f.started.Load(); d > 0 {
		t.Started = f.queued.Add(time.Duration(d))
	}
	if d := f.finished.Load(); d > 0 {
		t.Finished = f.queued.Add(time.Duration(d))
	}
	return t
}

// NewFuture returns a pending future and the function that completes it, for
// code outside a Runtime (adapters, tests). complete reports whether this
// call was the one that completed the future.
func NewFuture() (f *Future, complete func(Result, error) bool) {
	f = &Future{done: make(chan struct{}), queued: time.Now()}
	return f, func(res Result, err error) bool {
		ok := f.complete(res, err)
		f.settle()
		return ok
	}
}

// Completed returns a future already completed with res and err.
func Completed(res Result, err error) *Future {
	f, complete := NewFuture()
	complete(res, err)
	return f
}

func (f *Future) markStarted() {
	f.started.CompareAndSwap(0, max(int64(time.Since(f.queued)), 1))
}

// complete sets the outcome if the future is still pending.
func (f *Future) complete(res Result, err error) bool {
	if !f.completed.CompareAndSwap(false, true) {
		return false
	}
	f.res, f.err = res, err
	// Started is fixed from here on (markStarted only sets it from zero); a
	// markStarted racing this completion may have stamped it after our
	// clock reading, so Finished is never earlier than Started.
	fin := max(int64(time.Since(f.queued)), 1)
	if !f.started.CompareAndSwap(0, fin) {
		fin = max(fin, f.started.Load())
	}
	f.finished.Store(fin)
	close(f.done)
	f.mu.Lock()
	cbs := f.callbacks
	f.callbacks = nil
	f.fired = true
	f.mu.Unlock()
	if f.owner != nil {
		f.owner.completed()
	}
	for _, fn := range cbs {
		runCallback(fn, res, err)
	}
	return true
}

func runCallback(fn func(Result, error), res Result, err error) {
	defer func() { _ = recover() }()
	fn(res, err)
}

// Settled returns a channel closed once the substrate has handed the job
// back: it called Job.Complete or Job.Fail, so it no longer uses the inputs.
// Usually that is the moment the future completes. After Cancel, a deadline
// or a shutdown the future completes at once, and the substrate hands the
// job back when it notices; only then may the caller reuse or free the input
// buffers.
func (f *Future) Settled() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settledCh == nil {
		f.settledCh = make(chan struct{})
		if f.settled {
			close(f.settledCh)
		}
	}
	return f.settledCh
}

// OnSettled runs fn once the job is settled (see Settled): on the settling
// goroutine, or at once if it already is. fn must not block; a panic in fn
// is recovered and dropped.
func (f *Future) OnSettled(fn func()) {
	f.mu.Lock()
	if !f.settled {
		f.onSettled = append(f.onSettled, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	runSettled(fn)
}

// IsSettled reports whether the substrate has handed the job back.
func (f *Future) IsSettled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settled
}

func (f *Future) settle() {
	f.mu.Lock()
	if f.settled {
		f.mu.Unlock()
		return
	}
	f.settled = true
	if f.settledCh != nil {
		close(f.settledCh)
	}
	fns := f.onSettled
	f.onSettled = nil
	f.mu.Unlock()
	if f.owner != nil {
		f.owner.settled()
	}
	for _, fn := range fns {
		runSettled(fn)
	}
}

func runSettled(fn func()) {
	defer func() { _ = recover() }()
	fn()
}
