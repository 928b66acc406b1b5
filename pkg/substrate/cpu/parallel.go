package cpu

import "sync"

// parallelFor splits [0, n) into at most workers contiguous chunks of at
// least grain items and runs fn on each, the last chunk on the calling
// goroutine. Small ranges run inline with no goroutine.
func parallelFor(workers, n, grain int, fn func(lo, hi int)) {
	chunks := min(workers, n/max(grain, 1))
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + chunks - 1) / chunks
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		if hi == n {
			fn(lo, hi)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
