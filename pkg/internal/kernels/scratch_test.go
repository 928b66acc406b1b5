package kernels

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// measure returns the bytes f allocates, from emptied pools.
func measure(f func()) int64 {
	// Two GCs empty a sync.Pool (the victim cache survives one).
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// TestMatmulScratch checks the bound against what a product really
// allocates, with the buffer pools emptied first (the pools would
// otherwise hide the allocation).
func TestMatmulScratch(t *testing.T) {
	for _, d := range [][3]int{{300, 500, 700}, {7, 4096, 3}, {1000, 10, 1000}} {
		m, k, n := d[0], d[1], d[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		bound := MatmulScratch(4, m, k, n)
		assert.Positive(t, bound)
		assert.LessOrEqual(t, measure(func() { MatmulF32(c, a, b, m, k, n) }), bound, "%d×%d×%d", m, k, n)
		ai, bi, ci := make([]int64, m*k), make([]int64, k*n), make([]int64, m*n)
		assert.LessOrEqual(t, measure(func() { MatmulI64(ci, ai, bi, m, k, n) }), IntMatmulScratch(m, k, n), "%d×%d×%d int64", m, k, n)
	}
	assert.Zero(t, MatmulScratch(8, 10, 10, 10), "small products run a plain loop")
	assert.Zero(t, MatmulScratch(8, 0, 10, 10))
}

// A workspace allocates a sequence's buffers as it grows them, as
// WorkspaceGrowth counts: a sequence of products of mixed sizes and
// element types stays within the count.
func TestWorkspaceGrowth(t *testing.T) {
	seq := []struct{ size, m, k, n int }{
		{4, 100, 200, 300}, {4, 100, 200, 300}, {8, 300, 500, 700}, {4, 7, 4096, 3}, {4, 1000, 10, 1000}, {8, 50, 60, 70}, {4, 400, 300, 200},
	}
	var g WorkspaceGrowth
	for _, p := range seq {
		g.Add(p.size, p.m, p.k, p.n, 1)
	}
	type operands struct {
		a32, b32, c32 []float32
		a64, b64, c64 []float64
	}
	ops := make([]operands, len(seq))
	for i, p := range seq {
		if p.size == 4 {
			ops[i] = operands{a32: make([]float32, p.m*p.k), b32: make([]float32, p.k*p.n), c32: make([]float32, p.m*p.n)}
		} else {
			ops[i] = operands{a64: make([]float64, p.m*p.k), b64: make([]float64, p.k*p.n), c64: make([]float64, p.m*p.n)}
		}
	}
	got := measure(func() {
		var ws Workspace
		for i, p := range seq {
			if p.size == 4 {
				ws.MatmulF32(ops[i].c32, ops[i].a32, ops[i].b32, p.m, p.k, p.n)
			} else {
				ws.MatmulF64(ops[i].c64, ops[i].a64, ops[i].b64, p.m, p.k, p.n)
			}
		}
	})
	assert.LessOrEqual(t, got, g.Bytes()+64)
	assert.Greater(t, got, g.Bytes()/2, "the count is near what it counts")
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
