package kernels

import (
	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
)

// MatmulScratch bounds the Go heap a matrix product of these dimensions
// allocates beyond its operands, so that a substrate's memory estimate
// covers it. size is the element size: 4 for MatmulF32, 8 for MatmulF64;
// isFloat is false for MatmulI32 and MatmulI64, which pack nothing.
//
// buffers are the packing buffers of MatmulF32 and MatmulF64 (the shared
// kc×nc panel of B and, per goroutine, an mc×kc block of A and an mr×nr
// tile; see gemm). A Workspace allocates them once for a sequence of
// products: count them once, for the largest product (the pools of the
// package-level functions may allocate them at every call). perCall is
// what every call allocates besides: the closures and goroutines of its
// parallel loops, and its table of per-worker buffers.
func MatmulScratch(size int, isFloat bool, m, k, n int) (buffers, perCall int64) {
	if m <= 0 || n <= 0 || k <= 0 {
		return 0, 0
	}
	work := mulSat(mulSat(m, k), n)
	workers := workersFor(work)
	if !isFloat {
		return 0, parallel.Overhead(workers)
	}
	if work <= smallMatmul {
		return 0, 0
	}
	mr, nr, kcMax, mcMax, ncMax := kernelsF64[0].mr, kernelsF64[0].nr, kernelsF64[0].kc, kernelsF64[0].mc, kernelsF64[0].nc
	if size == 4 {
		mr, nr, kcMax, mcMax, ncMax = kernelsF32[0].mr, kernelsF32[0].nr, kernelsF32[0].kc, kernelsF32[0].mc, kernelsF32[0].nc
	}
	kc := min(kcMax, k)
	nc := roundUp(min(ncMax, n), nr)
	icBlocks := max(ceilDiv(m, mcMax), min(workers, ceilDiv(m, mr)))
	mc := roundUp(ceilDiv(m, icBlocks), mr)
	var t footprint.Tally
	t.Object(int64(kc*nc) * int64(size))
	for range workers {
		t.Object(int64(kc*mc+mr*nr) * int64(size))
		t.Add(32) // the buffer's slice header
	}
	// Two parallel loops per (column block, depth block) pair, and the
	// tables of per-worker buffers (slices, and pointers into the pool).
	loops := footprint.Mul(2, ceilDiv(n, nc), ceilDiv(k, kc))
	tables := footprint.Object(24*int64(workers)) + footprint.Object(8*int64(workers)) + 64
	return t.Bytes(), footprint.Add(footprint.Mul(loops, parallel.Overhead(workers)), tables)
}
