package cpu

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParallelForCoversTheRange(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1000} {
		seen := make([]atomic.Int32, n)
		parallelFor(3, n, 10, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			require.EqualValues(t, 1, seen[i].Load(), "n=%d i=%d", n, i)
		}
	}
}

// A panic in a worker reaches the caller (for the job's panic guard), and
// only after every chunk has returned.
func TestParallelForRepanicsAfterAllChunks(t *testing.T) {
	var finished atomic.Int32
	defer func() {
		p := recover()
		assert.Equal(t, "boom", p)
		assert.EqualValues(t, 3, finished.Load(), "the other chunks ran to the end first")
	}()
	parallelFor(4, 400, 10, func(lo, hi int) {
		if lo == 0 {
			panic("boom")
		}
		finished.Add(1)
	})
	t.Fatal("parallelFor returned normally")
}
