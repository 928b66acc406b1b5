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
		// A workspace allocates the buffers once for three products.
		assert.LessOrEqual(t, measure(func() {
			var ws Workspace
			for range 3 {
				ws.MatmulF32(c, a, b, m, k, n)
			}
		}), buffers+3*perCall+256, "%d×%d×%d, three times", m, k, n)
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

// A workspace reused across products of other sizes (growing and
// shrinking its buffers) gives the same results as the pooled functions.
func TestWorkspaceMatchesPooled(t *testing.T) {
	var ws Workspace
	for i, d := range [][3]int{{300, 500, 700}, {50, 60, 70}, {7, 4096, 3}, {301, 257, 129}} {
		m, k, n := d[0], d[1], d[2]
		a, b := make([]float64, m*k), make([]float64, k*n)
		for j := range a {
			a[j] = float64((j*7+i)%13) - 6
		}
		for j := range b {
			b[j] = float64((j*5+i)%11) - 5
		}
		want, got := make([]float64, m*n), make([]float64, m*n)
		MatmulF64(want, a, b, m, k, n)
		ws.MatmulF64(got, a, b, m, k, n)
		assert.Equal(t, want, got, "%d×%d×%d", m, k, n)
		a32, b32 := make([]float32, m*k), make([]float32, k*n)
		for j := range a {
			a32[j] = float32(a[j])
		}
		for j := range b {
			b32[j] = float32(b[j])
		}
		want32, got32 := make([]float32, m*n), make([]float32, m*n)
		MatmulF32(want32, a32, b32, m, k, n)
		ws.MatmulF32(got32, a32, b32, m, k, n)
		assert.Equal(t, want32, got32, "%d×%d×%d f32", m, k, n)
	}
}
