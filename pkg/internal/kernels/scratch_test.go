package kernels

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMatmulScratch checks the bound against what a product really
// allocates, with the buffer pools emptied first (the pools would
// otherwise hide the allocation).
func TestMatmulScratch(t *testing.T) {
	measure := func(f func()) int64 {
		// Two GCs empty a sync.Pool (the victim cache survives one).
		runtime.GC()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return int64(after.TotalAlloc - before.TotalAlloc)
	}
	for _, d := range [][3]int{{300, 500, 700}, {7, 4096, 3}, {1000, 10, 1000}} {
		m, k, n := d[0], d[1], d[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		buffers, perCall := MatmulScratch(4, true, m, k, n)
		assert.Positive(t, buffers)
		assert.LessOrEqual(t, measure(func() { MatmulF32(c, a, b, m, k, n) }), buffers+perCall, "%d×%d×%d", m, k, n)
		ai, bi, ci := make([]int64, m*k), make([]int64, k*n), make([]int64, m*n)
		buffers, perCall = MatmulScratch(8, false, m, k, n)
		assert.Zero(t, buffers)
		assert.LessOrEqual(t, measure(func() { MatmulI64(ci, ai, bi, m, k, n) }), perCall, "%d×%d×%d int64", m, k, n)
	}
	buffers, perCall := MatmulScratch(8, true, 10, 10, 10)
	assert.Zero(t, buffers+perCall, "small products run a plain loop")
	buffers, perCall = MatmulScratch(8, true, 0, 10, 10)
	assert.Zero(t, buffers+perCall)
}
