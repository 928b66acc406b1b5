package cpu

import "sync"

// parallelFor splits [0, n) into at most workers contiguous chunks of at
// least grain items and runs fn on each, the last chunk on the calling
// goroutine. Small ranges run inline with no goroutine.
//
// A panic in any chunk is re-raised on the calling goroutine only after every
// chunk has returned, so that the job's panic guard (sokr.Job.Run) turns it
// into a FaultError while no worker still reads the inputs.
func parallelFor(workers, n, grain int, fn func(lo, hi int)) {
	chunks := min(workers, n/max(grain, 1))
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first any
	)
	guarded := func(lo, hi int) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if first == nil {
					first = p
				}
				mu.Unlock()
			}
		}()
		fn(lo, hi)
	}
	per := (n + chunks - 1) / chunks
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		if hi == n {
			guarded(lo, hi)
			break
		}
		wg.Go(func() { guarded(lo, hi) })
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}
