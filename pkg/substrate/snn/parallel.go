package snn

import "sync"

// parallelFor splits [0, n) into at most workers contiguous chunks of at
// least grain items and runs fn(worker, lo, hi) on each, the last on the
// calling goroutine. A panic in a chunk is re-raised on the caller after
// every chunk has returned, so that the job's guard turns it into a
// FaultError while no worker still touches the buffers.
func parallelFor(workers, n, grain int, fn func(w, lo, hi int)) {
	chunks := min(workers, n/max(grain, 1))
	if chunks <= 1 {
		fn(0, 0, n)
		return
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first any
	)
	guarded := func(w, lo, hi int) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if first == nil {
					first = p
				}
				mu.Unlock()
			}
		}()
		fn(w, lo, hi)
	}
	per := (n + chunks - 1) / chunks
	for w := range chunks {
		lo, hi := min(w*per, n), min((w+1)*per, n)
		if w == chunks-1 {
			guarded(w, lo, hi)
			break
		}
		wg.Go(func() { guarded(w, lo, hi) })
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}
