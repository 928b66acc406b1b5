package parallel_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/parallel"
)

func TestForCoversTheRangeOnce(t *testing.T) {
	for _, tc := range []struct{ workers, n, grain, chunks int }{
		{4, 1000, 1, 4}, {4, 10, 5, 2}, {4, 9, 5, 1}, {1, 100, 1, 1}, {8, 0, 1, 1}, {3, 10, 1, 3},
	} {
		seen := make([]atomic.Int32, tc.n)
		var calls atomic.Int32
		parallel.For(tc.workers, tc.n, tc.grain, func(c, lo, hi int) {
			calls.Add(1)
			assert.Less(t, c, max(tc.workers, 1))
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		assert.EqualValues(t, tc.chunks, calls.Load(), "%+v", tc)
		for i := range seen {
			require.EqualValues(t, 1, seen[i].Load(), "%+v: item %d", tc, i)
		}
	}
}

func TestRunRelaysAPanicAfterEveryCallReturned(t *testing.T) {
	var done atomic.Int32
	assert.PanicsWithValue(t, "boom", func() {
		parallel.Run(4, func(i int) {
			defer done.Add(1)
			if i == 2 {
				panic("boom")
			}
		})
	})
	assert.EqualValues(t, 4, done.Load())
	parallel.Run(0, func(int) { t.Fatal("no calls for n = 0") })
}

// TestOverhead checks Overhead against what Run and For allocate with no
// goroutine descriptors to reuse (each loop starts new goroutines while
// the previous ones are still parked on nothing: the first runs after a GC
// find the free list as the collector left it).
func TestOverhead(t *testing.T) {
	for _, w := range []int{1, 2, 8, 32} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const loops = 10
		for range loops {
			parallel.For(w, 1<<20, 1, func(_, _, _ int) {})
		}
		runtime.ReadMemStats(&after)
		got := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%d workers: %d bytes per loop", w, got/loops)
		assert.LessOrEqual(t, got, loops*parallel.Overhead(w), "%d workers", w)
	}
}
