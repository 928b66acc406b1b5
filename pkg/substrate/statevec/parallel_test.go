package statevec

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParallelForCoversRangeOnce(t *testing.T) {
	for _, tc := range []struct{ workers, n, grain int }{{1, 10, 1}, {2, 1000, 1}, {3, 1001, 7}, {4, 5, 100}, {2, 0, 1}} {
		seen := make([]atomic.Int32, tc.n)
		parallelFor(tc.workers, tc.n, tc.grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			require.Equal(t, int32(1), seen[i].Load(), "%+v: item %d", tc, i)
		}
	}
}

func TestParallelForReraisesPanic(t *testing.T) {
	assert.PanicsWithValue(t, "boom", func() {
		parallelFor(3, 100, 1, func(lo, hi int) {
			if lo == 0 {
				panic("boom")
			}
		})
	})
}
