package kernels

// Workspace keeps the packing buffers of matrix products between calls,
// so that a sequence of products (a batch, the steps of a run) allocates
// them once, for the largest, and a memory estimate can count them once.
// Without one, MatmulF32 and MatmulF64 take their buffers from pools,
// which the collector empties and the race detector drops at random, so
// that a long sequence may allocate them again and again. A Workspace is
// for one goroutine at a time; the zero value is ready to use.
type Workspace struct {
	f32 buffers[float32]
	f64 buffers[float64]
}

// MatmulF32 is the package's MatmulF32 with its buffers kept in w.
func (w *Workspace) MatmulF32(c, a, b []float32, m, k, n int) {
	checkDims("MatmulF32", len(c), len(a), len(b), m, k, n)
	gemm(c, a, b, m, k, n, &kernelsF32[0], &w.f32)
}

// MatmulF64 is the package's MatmulF64 with its buffers kept in w.
func (w *Workspace) MatmulF64(c, a, b []float64, m, k, n int) {
	checkDims("MatmulF64", len(c), len(a), len(b), m, k, n)
	gemm(c, a, b, m, k, n, &kernelsF64[0], &w.f64)
}

// buffers are a workspace's buffers for one element type: the packed
// panel of B and each worker's block of A and C tile.
type buffers[T float] struct {
	panel  []T
	blocks [][]T
}

// panelOf returns the panel, n elements, grown if needed.
func (b *buffers[T]) panelOf(n int) []T {
	if cap(b.panel) < n {
		b.panel = make([]T, n)
	}
	return b.panel[:n]
}

// blockOf returns worker w's block, n elements, grown if needed.
func (b *buffers[T]) blockOf(w, n int) []T {
	for len(b.blocks) <= w {
		b.blocks = append(b.blocks, nil)
	}
	if cap(b.blocks[w]) < n {
		b.blocks[w] = make([]T, n)
	}
	return b.blocks[w][:n]
}
