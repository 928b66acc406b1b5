package sokr

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// Job is one dispatch as a substrate sees it: the program, its inputs and
// options, and the means to complete it.
//
// A Job is also the context.Context the substrate works under: it is done as
// soon as the job's future completes (cancelled, timed out, shut down, or
// finished), and carries the caller's deadline and values.
type Job struct {
	Program Program
	Inputs  []Tensor
	Options Options

	fut    Future
	parent context.Context
	stop   func() bool        // stops the parent-context watcher; guarded by fut.mu
	timer  context.CancelFunc // releases a dispatch timeout
	rt     *Runtime
	prev   *Job    // in-flight list
	next   *Job    //
	mem    int64   // bytes reserved in rt's memory budget; guarded by rt.mem.mu
	w      *waiter // set while queued for memory; guarded by rt.mem.mu
}

// NewJob returns a job that is not attached to a runtime, and its future,
// for adapters and tests that drive a substrate directly. Cancellation of
// ctx does not complete the future; cancelling the future does end the job's
// context.
func NewJob(ctx context.Context, p Program, inputs []Tensor, opts Options) *Job {
	j := &Job{Program: p, Inputs: inputs, Options: opts, parent: ctx}
	j.fut.done = make(chan struct{})
	j.fut.queued = time.Now()
	j.fut.owner = j
	return j
}

// Future returns the job's future.
func (j *Job) Future() *Future { return &j.fut }

// Start records that work began (for Future.Timings). Substrates that queue
// jobs call it when a job leaves the queue; otherwise the moment Dispatch was
// called counts as the start.
func (j *Job) Start() { j.fut.markStarted() }

// Complete delivers the outcome. Only the first completion counts (a
// cancelled job's late result is dropped); it reports whether this call was
// that one.
//
// Completing also hands the job back (see Future.Settled): the substrate
// must not touch the inputs afterwards.
func (j *Job) Complete(res Result, err error) bool {
	ok := j.fut.complete(res, err)
	j.fut.settle()
	return ok
}

// Fail completes the job with err.
func (j *Job) Fail(err error) bool { return j.Complete(Result{}, err) }

// Faultf completes the job with a FaultError naming substrate.
func (j *Job) Faultf(substrate, format string, args ...any) bool {
	return j.Fail(&FaultError{Substrate: substrate, Msg: fmt.Sprintf(format, args...)})
}

// Go runs fn on a new goroutine and completes the job with its outcome. A
// panic in fn becomes a FaultError naming substrate, with the stack.
func (j *Job) Go(substrate string, fn func(j *Job) (Result, error)) {
	go j.Run(substrate, fn)
}

// Run is Go without the goroutine: it runs fn now, on the caller's goroutine.
func (j *Job) Run(substrate string, fn func(j *Job) (Result, error)) {
	defer func() {
		if p := recover(); p != nil {
			j.Fail(&FaultError{Substrate: substrate, Panic: p, Stack: string(debug.Stack())})
		}
	}()
	j.Start()
	res, err := fn(j)
	j.Complete(res, err)
}

// Deadline implements context.Context.
func (j *Job) Deadline() (time.Time, bool) { return j.parent.Deadline() }

// Done implements context.Context: closed when the job's future completes.
func (j *Job) Done() <-chan struct{} { return j.fut.done }

// Err implements context.Context. After completion it is the cancellation
// or deadline error if that is how the future ended, and context.Canceled
// otherwise (the work is no longer wanted).
func (j *Job) Err() error {
	_, err, ok := j.fut.Poll()
	if !ok {
		return nil
	}
	if e, isCtx := err.(*ctxError); isCtx {
		return e
	}
	return context.Canceled
}

// Value implements context.Context.
func (j *Job) Value(key any) any { return j.parent.Value(key) }

// completed is called once by the future when it completes.
func (j *Job) completed() {
	j.fut.mu.Lock() // pairs with watch, which may still be storing stop
	stop := j.stop
	j.fut.mu.Unlock()
	if stop != nil {
		stop()
	}
	if j.timer != nil {
		j.timer()
	}
	if j.rt != nil {
		if j.rt.mem.budget > 0 {
			j.rt.dequeue(j) // no substrate ever starts a job completed while queued
		}
		j.rt.untrack(j)
	}
}

// settled is called once by the future when the substrate hands the job
// back: its memory, if it held a reservation, is free again. j.mem is read
// without the lock: it was set before the job went to the substrate, and
// only release, called here once, changes it.
func (j *Job) settled() {
	if j.mem > 0 {
		j.rt.release(j)
	}
}

// watch completes the job when its parent context ends.
func (j *Job) watch() {
	if j.parent.Done() == nil {
		return
	}
	stop := context.AfterFunc(j.parent, func() {
		j.fut.complete(Result{}, ContextError(j.parent))
	})
	// The future may complete on another goroutine (the watcher itself,
	// Close) before stop is stored. complete sets fired under fut.mu before
	// calling completed, which reads stop under fut.mu: either completed
	// sees stop, or we see fired and release the watcher here.
	j.fut.mu.Lock()
	fired := j.fut.fired
	if !fired {
		j.stop = stop
	}
	j.fut.mu.Unlock()
	if fired {
		stop()
	}
}
