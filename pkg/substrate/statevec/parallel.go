package statevec

import (
	"sync/atomic"

	"github.com/sokr-rs/sokr/pkg/internal/parallel"
)

// chunksPerWorker is how many pieces parallelFor cuts the work into per
// worker. Workers take pieces as they finish the last, so a worker slowed
// by another process on a shared machine delays a pass by one piece, not
// by half of it, as an even split into one piece per worker would.
const chunksPerWorker = 8

// parallelFor splits [0, n) into contiguous chunks of at least grain items
// and runs fn on each, on at most workers goroutines (the caller's among
// them). Small ranges run inline with no goroutine. The chunks do not
// depend on timing, only their assignment to goroutines does.
//
// A panic in any chunk is re-raised on the calling goroutine only after
// every chunk has returned, so that the job's panic guard (sokr.Job.Run)
// turns it into a FaultError while no worker still touches the state.
func parallelFor(workers, n, grain int, fn func(lo, hi int)) {
	chunks := min(workers*chunksPerWorker, n/max(grain, 1))
	if chunks <= 1 || workers <= 1 {
		fn(0, n)
		return
	}
	per := (n + chunks - 1) / chunks
	chunks = (n + per - 1) / per
	var next atomic.Int64
	parallel.Run(min(workers, chunks), func(int) {
		for {
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return
			}
			fn(c*per, min((c+1)*per, n))
		}
	})
}

// reduceChunk is the number of amplitudes summed together by the
// reductions (norms, probabilities, expectations). Partial sums are over
// these fixed chunks and added in chunk order, so a result does not depend
// on the number of workers.
const reduceChunk = 1 << 14

// reduce computes f over fixed chunks of [0, n) in parallel, each into its
// own slice of width values, and returns their sum in chunk order.
func reduce(workers, n, width int, f func(lo, hi int, acc []float64)) []float64 {
	nc := (n + reduceChunk - 1) / reduceChunk
	parts := make([]float64, nc*width)
	parallelFor(workers, nc, 1, func(clo, chi int) {
		for c := clo; c < chi; c++ {
			f(c*reduceChunk, min((c+1)*reduceChunk, n), parts[c*width:(c+1)*width])
		}
	})
	out := make([]float64, width)
	for c := range nc {
		for i := range width {
			out[i] += parts[c*width+i]
		}
	}
	return out
}
