// Package parallel runs work on several goroutines and brings a panic in
// any of them back to the caller, after all of them have stopped: a
// substrate's job guard (sokr.Job.Run) then turns it into a FaultError
// while no goroutine still touches the job's buffers.
//
//	parallel.For(workers, len(x), 1<<15, func(w, lo, hi int) {
//		scale(x[lo:hi], 2) // chunks of at least 32K elements, at most workers of them
//	})
package parallel

import "sync"

// Run calls fn(i) for every i in [0, n): fn(0) on the calling goroutine,
// the others each on a goroutine of its own. It returns when every call
// has; a panic in any call (the first, if several) is re-raised on the
// caller then.
func Run(n int, fn func(i int)) {
	if n <= 1 {
		if n == 1 {
			fn(0)
		}
		return
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first any
	)
	guarded := func(i int) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if first == nil {
					first = p
				}
				mu.Unlock()
			}
		}()
		fn(i)
	}
	for i := 1; i < n; i++ {
		wg.Go(func() { guarded(i) })
	}
	guarded(0)
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// For splits [0, n) into at most workers contiguous chunks of at least
// grain items and runs fn(chunk, lo, hi) on each through Run; chunk is in
// [0, workers), for per-goroutine scratch. A range too small to split runs
// inline as fn(0, 0, n).
func For(workers, n, grain int, fn func(chunk, lo, hi int)) {
	chunks := min(workers, n/max(grain, 1))
	if chunks <= 1 {
		fn(0, 0, n)
		return
	}
	per := (n + chunks - 1) / chunks
	Run((n+per-1)/per, func(c int) { fn(c, c*per, min((c+1)*per, n)) })
}
