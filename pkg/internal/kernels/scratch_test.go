package kernels

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMatmulScratchBytes checks the bound against what a product really
// allocates, with the buffer pools emptied first (the pools would
// otherwise hide the allocation).
func TestMatmulScratchBytes(t *testing.T) {
	for _, d := range [][3]int{{300, 500, 700}, {7, 4096, 3}, {1000, 10, 1000}} {
		m, k, n := d[0], d[1], d[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		bound := MatmulScratchBytes(4, m, k, n)
		assert.Positive(t, bound)
		// Two GCs empty a sync.Pool (the victim cache survives one).
		runtime.GC()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		MatmulF32(c, a, b, m, k, n)
		runtime.ReadMemStats(&after)
		assert.LessOrEqual(t, int64(after.TotalAlloc-before.TotalAlloc), bound, "%d×%d×%d", m, k, n)
	}
	assert.Zero(t, MatmulScratchBytes(8, 10, 10, 10), "small products run a plain loop")
	assert.Zero(t, MatmulScratchBytes(8, 0, 10, 10))
}
