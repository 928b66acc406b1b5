package sokr

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Memory admission. A runtime with a memory budget (WithMemory) reserves
// the chosen offer's Estimate.MemoryBytes before the substrate starts, and
// gives it back when the substrate hands the job back (Job.Complete), so
// that runs running together never plan more than the budget. A run that
// does not fit now waits in a first-in, first-out queue; one that could
// never fit is refused by capability.
//
// The reservation ends when the job is settled rather than when its future
// completes: a cancelled run still holds its memory until the substrate
// notices and returns, and admitting the next run before that could
// overcommit the very memory the budget protects.

// gcBefore is the reservation from which the runtime collects garbage
// before the substrate starts. Go grows its heap for a large allocation
// before it considers collecting (mallocgc checks the trigger after
// allocating), so the state vector of a finished 2 GiB run would still be
// mapped when the next one asks for 2 GiB: under an address-space or cgroup
// limit, a fatal "out of memory" that no recover catches. A collection
// first makes that memory reusable. Below 64 MiB (Go's heap arena size on
// 64-bit Linux) the collector's own pacing suffices and a collection would
// cost more than the run.
const gcBefore = 64 << 20

// Memory is a runtime's memory budget and its use at one moment.
type Memory struct {
	// Budget is the bytes that runs may reserve together; 0 means the
	// runtime has no budget and admits every run without reserving.
	Budget int64
	// Source says where the budget came from ("SOKR_MEMORY", "RLIMIT_AS",
	// "sokr.WithMemory"), for messages.
	Source string
	// Reserved is the bytes held by runs now; Waiting the runs queued
	// because they do not fit yet.
	Reserved int64
	Waiting  int
}

// WithMemory gives the runtime a memory budget of bytes (no budget when
// bytes <= 0, the default for New). Each dispatch then reserves its
// offer's Estimate.MemoryBytes before its substrate starts and releases it
// when the substrate hands the job back; a dispatch that does not fit
// waits in order, keeping its deadline and cancellable, and one that needs
// more than the whole budget is refused. Offers that do not estimate their
// memory (MemoryBytes 0) run without a reservation.
//
// Budgets apply to what substrates estimate: a substrate's own allocations
// beyond its estimate, and results kept after completion, are not counted.
func WithMemory(bytes int64) Option { return WithMemoryFrom(bytes, "sokr.WithMemory") }

// WithMemoryFrom is WithMemory naming where the number came from
// ("SOKR_MEMORY", "RLIMIT_AS"), so that refusals can say what to change.
func WithMemoryFrom(bytes int64, source string) Option {
	return func(r *Runtime) {
		r.mem.budget, r.mem.source = max(bytes, 0), source
	}
}

// Memory reports the runtime's memory budget and its use now.
func (r *Runtime) Memory() Memory {
	r.mem.mu.Lock()
	defer r.mem.mu.Unlock()
	return Memory{Budget: r.mem.budget, Source: r.mem.source, Reserved: r.mem.reserved, Waiting: r.mem.waiting}
}

// admission is a runtime's memory budget: the bytes reserved and the
// queue of jobs waiting for theirs.
type admission struct {
	budget int64 // fixed at New; 0 turns admission off
	source string

	mu         sync.Mutex
	reserved   int64
	head, tail *waiter
	waiting    int
}

// waiter is a job queued for memory, with the substrate chosen for it.
type waiter struct {
	j          *Job
	s          Substrate
	need       int64
	since      time.Time
	prev, next *waiter
}

// refusal is why an offer of need bytes can never run under the budget,
// or "".
func (a *admission) refusal(need int64) string {
	if a.budget <= 0 || need <= a.budget {
		return ""
	}
	src := ""
	if a.source != "" {
		src = " (" + a.source + ")"
	}
	return fmt.Sprintf("needs %s, the runtime's memory budget is %s%s", FormatBytes(need), FormatBytes(a.budget), src)
}

// check turns an accepting offer that exceeds the whole budget into a
// refusal that gives the numbers.
func (a *admission) check(o *Offer) {
	if o.OK {
		if why := a.refusal(o.Estimate.MemoryBytes); why != "" {
			o.OK, o.Reason = false, why
		}
	}
}

// need is the reservation an accepted offer of est makes: nothing without
// a budget or an estimate.
func (a *admission) need(est Estimate) int64 {
	if a.budget <= 0 || est.MemoryBytes <= 0 {
		return 0
	}
	return est.MemoryBytes
}

// reserve reserves need bytes for j, or queues it to run on s once they
// are free. It reports whether j may start now; a queued job is started by
// release, or completed by its cancellation, deadline or Close. A runtime
// already closed queues nothing: the job fails with ErrClosed.
func (r *Runtime) reserve(j *Job, s Substrate, need int64) bool {
	a := &r.mem
	a.mu.Lock()
	if a.head == nil && a.reserved+need <= a.budget {
		a.reserved += need
		j.mem = need
		a.mu.Unlock()
		return true
	}
	if r.closed.Load() {
		a.mu.Unlock()
		j.Fail(ErrClosed)
		return false
	}
	w := &waiter{j: j, s: s, need: need, since: time.Now(), prev: a.tail}
	if a.tail != nil {
		a.tail.next = w
	} else {
		a.head = w
	}
	a.tail = w
	a.waiting++
	j.w = w
	a.mu.Unlock()
	// The future may have completed (cancelled, timed out) before j.w was
	// set, when its completion could not yet find it in the queue.
	if j.fut.completed.Load() {
		r.dequeue(j)
	}
	return false
}

// unlink takes w out of the queue; a.mu is held.
func (a *admission) unlink(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		a.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		a.tail = w.prev
	}
	w.prev, w.next = nil, nil
	w.j.w = nil
	a.waiting--
}

// dequeue takes a completed job out of the queue, if it is there, and
// settles it: no substrate ever had it.
func (r *Runtime) dequeue(j *Job) {
	a := &r.mem
	a.mu.Lock()
	w := j.w
	if w != nil {
		a.unlink(w)
	}
	a.mu.Unlock()
	if w != nil {
		j.fut.settle()
	}
}

// release gives back j's reservation, once, and starts the queued jobs
// that now fit, in order: the first that does not fit stops the others, so
// that a large run is not overtaken for ever by smaller ones.
func (r *Runtime) release(j *Job) {
	a := &r.mem
	var ready []*waiter
	a.mu.Lock()
	a.reserved -= j.mem
	j.mem = 0
	for w := a.head; w != nil && a.reserved+w.need <= a.budget; w = a.head {
		a.unlink(w)
		a.reserved += w.need
		w.j.mem = w.need
		ready = append(ready, w)
	}
	a.mu.Unlock()
	if len(ready) > 0 {
		// One goroutine starts them in order (Dispatch returns promptly),
		// off the goroutine that handed j back.
		go r.startQueued(ready)
	}
}

// startQueued starts the jobs that release admitted, in queue order,
// collecting garbage first when one of them is large (see gcBefore).
func (r *Runtime) startQueued(ready []*waiter) {
	collect := false
	for _, w := range ready {
		w.j.fut.memWait.Store(max(int64(time.Since(w.since)), 1))
		collect = collect || w.need >= gcBefore && !w.j.fut.completed.Load()
	}
	if collect {
		runtime.GC()
	}
	for _, w := range ready {
		r.start(w.j, w.s)
	}
}

// drain completes every queued job with ErrClosed, for Close.
func (r *Runtime) drain() {
	a := &r.mem
	var jobs []*Job
	a.mu.Lock()
	for w := a.head; w != nil; w = a.head {
		a.unlink(w)
		jobs = append(jobs, w.j)
	}
	a.mu.Unlock()
	for _, j := range jobs {
		j.fut.complete(Result{}, ErrClosed)
		j.fut.settle()
	}
}

// collectAndStart starts a large admitted job after collecting garbage
// (see gcBefore).
func (r *Runtime) collectAndStart(j *Job, s Substrate) {
	if !j.fut.completed.Load() {
		runtime.GC()
	}
	r.start(j, s)
}

// start hands an admitted job to its substrate. A job that completed while
// it waited is settled instead: it holds a reservation nobody will use.
func (r *Runtime) start(j *Job, s Substrate) {
	defer func() {
		if v := recover(); v != nil {
			j.Fail(&FaultError{Substrate: j.fut.substrate, Panic: v, Stack: string(debug.Stack())})
		}
	}()
	if j.fut.completed.Load() {
		j.fut.settle()
		return
	}
	j.fut.markStarted()
	s.Dispatch(j, j)
}

// FormatBytes renders n in the largest binary unit below it, to one
// decimal, as SOKR's messages give sizes: "1.5 GiB", "512.0 MiB", "100 B".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for q := n / unit; q >= unit; q /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
