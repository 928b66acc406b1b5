package kernels

import "github.com/sokr-rs/sokr/pkg/internal/footprint"

// parallelOverhead bounds what one parallelFor over w workers allocates
// besides the work itself: the closures, and a goroutine descriptor per
// extra worker when the runtime has none free (measured under 1 KiB per
// worker with go1.25 on x86-64, -race included).
func parallelOverhead(w int) int64 { return 512 + 1024*int64(w) }

// MatmulScratchBytes bounds the bytes of packing buffers a call of
// MatmulF32 (size 4) or MatmulF64 (size 8) with these dimensions may
// allocate, so that a substrate's memory estimate covers them: the shared
// kc×nc panel of B and, per goroutine, an mc×kc block of A and an mr×nr
// tile (see gemm). The buffers come from a pool, so a call often
// allocates nothing; this is the most it can. Integer products and small
// ones allocate nothing beyond a few words.
func MatmulScratchBytes(size, m, k, n int) int64 {
	if m <= 0 || n <= 0 || k <= 0 {
		return 0
	}
	work := mulSat(mulSat(m, k), n)
	if work <= smallMatmul {
		return 0
	}
	mr, nr, kcMax, mcMax, ncMax := kernelsF64[0].mr, kernelsF64[0].nr, kernelsF64[0].kc, kernelsF64[0].mc, kernelsF64[0].nc
	if size == 4 {
		mr, nr, kcMax, mcMax, ncMax = kernelsF32[0].mr, kernelsF32[0].nr, kernelsF32[0].kc, kernelsF32[0].mc, kernelsF32[0].nc
	}
	workers := workersFor(work)
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
	// Two parallel loops per (column block, depth block) pair.
	loops := footprint.Mul(2, ceilDiv(n, nc), ceilDiv(k, kc))
	t.Add(footprint.Mul(loops, parallelOverhead(workers)))
	return t.Bytes()
}
