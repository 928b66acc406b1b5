package cpu

import "github.com/sokr-rs/sokr/pkg/internal/parallel"

// parallelFor splits [0, n) into at most workers contiguous chunks of at
// least grain items and runs fn on each (parallel.For): small ranges run
// inline with no goroutine, and a panic in any chunk is re-raised on the
// caller only after every chunk has returned, so that the job's panic
// guard (sokr.Job.Run) turns it into a FaultError while no worker still
// reads the inputs.
func parallelFor(workers, n, grain int, fn func(lo, hi int)) {
	parallel.For(workers, n, grain, func(_, lo, hi int) { fn(lo, hi) })
}
