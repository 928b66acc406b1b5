package kernels

//go:generate go run gen_kernels.go

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Register tile of the generated micro-kernels (see gen_kernels.go).
const (
	mr = 5 // rows of C per micro-kernel call
	nr = 2 // columns of C per micro-kernel call
)

// Cache blocking. A kc×nr micro-panel of B (2 KiB for float32) stays in L1
// while the micro-kernel sweeps an mc×kc block of packed A (≈120 KiB for
// float32) held in L2; a kc×nc panel of packed B is shared by all workers and
// lives in L2/L3.
const (
	kcF32, mcF32, ncF32 = 256, 120, 2048
	kcF64, mcF64, ncF64 = 256, 120, 1024
)

const (
	// smallMatmul is the m·k·n below which a plain loop beats packing.
	smallMatmul = 40 * 40 * 40
	// minParallelWork is the least m·k·n (multiply-adds) worth handing to
	// one extra goroutine (≈ tens of microseconds of work).
	minParallelWork = 1 << 18
)

// MatmulF32 computes the row-major matrix product C = A·B, where A is m×k,
// B is k×n and C is m×n (all dense: element (i, j) of A is a[i*k+j]).
// C is overwritten; its previous contents are ignored. Slices may be longer
// than needed; the extra elements are neither read nor written.
//
// Large products are cache-blocked (B and A are packed into panels, and a
// 5×2 register-blocked micro-kernel accumulates in registers) and split
// across runtime.GOMAXPROCS(0) goroutines; small ones run a simple loop on
// the calling goroutine.
//
// Accumulation is in float32, so the result may differ from an exactly
// rounded one: each element is within about k·2⁻²⁴·Σ_p |a_ip|·|b_pj| of the
// exact value (the usual bound for recursive float32 summation), and the
// summation order depends on the block sizes, not on the number of threads.
//
// It panics if m, k or n is negative or a slice is too short. C must not
// overlap A or B.
func MatmulF32(c, a, b []float32, m, k, n int) {
	checkDims("MatmulF32", len(c), len(a), len(b), m, k, n)
	gemm(c, a, b, m, k, n, microKernelF32, blocking{kcF32, mcF32, ncF32})
}

// MatmulF64 is MatmulF32 for float64. Each element is within about
// k·2⁻⁵³·Σ_p |a_ip|·|b_pj| of the exact product.
func MatmulF64(c, a, b []float64, m, k, n int) {
	checkDims("MatmulF64", len(c), len(a), len(b), m, k, n)
	gemm(c, a, b, m, k, n, microKernelF64, blocking{kcF64, mcF64, ncF64})
}

// checkDims panics with a descriptive message unless the dimensions are
// non-negative and the slices hold the matrices.
func checkDims(fn string, lc, la, lb, m, k, n int) {
	if m < 0 || k < 0 || n < 0 {
		panic(fmt.Sprintf("kernels: %s: negative dimension (m=%d, k=%d, n=%d)", fn, m, k, n))
	}
	for _, s := range [...]struct {
		name   string
		length int
		r, c   int
	}{{"a", la, m, k}, {"b", lb, k, n}, {"c", lc, m, n}} {
		hi, need := bits.Mul(uint(s.r), uint(s.c))
		if hi != 0 || need > uint(s.length) {
			panic(fmt.Sprintf("kernels: %s: len(%s) = %d, need %d×%d (m=%d, k=%d, n=%d)",
				fn, s.name, s.length, s.r, s.c, m, k, n))
		}
	}
}

type float interface{ float32 | float64 }

type blocking struct{ kc, mc, nc int }

// workersFor returns how many goroutines to use for work multiply-adds.
func workersFor(work int) int {
	w := runtime.GOMAXPROCS(0)
	if lim := work / minParallelWork; lim < w {
		w = lim
	}
	return max(w, 1)
}

// gemm computes C = A·B (dense row-major, C overwritten) with the given
// micro-kernel, following the usual GotoBLAS/BLIS loop structure:
//
//	for jc (nc columns of B and C)
//	  for pc (kc rows of B): pack B[pc:pc+kc, jc:jc+nc] (shared)
//	    parallel over tasks = (mc rows of A and C) × (column chunk):
//	      pack A[ic:ic+mc, pc:pc+kc] (per worker)
//	      for jr (nr columns): for ir (mr rows): micro-kernel
func gemm[T float](c, a, b []T, m, k, n int, kern func(a, b []T, c *[mr * nr]T), bl blocking) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:m*n])
		return
	}
	work := mulSat(m*k, n)
	if work <= smallMatmul {
		matmulRows(c, a, b, 0, m, k, n)
		return
	}
	workers := workersFor(work)

	kc := min(bl.kc, k)
	nc := min(bl.nc, roundUp(n, nr))
	// Split rows into at least `workers` blocks of a multiple of mr rows.
	icBlocks := max(ceilDiv(m, bl.mc), min(workers, ceilDiv(m, mr)))
	mc := roundUp(ceilDiv(m, icBlocks), mr)
	icBlocks = ceilDiv(m, mc)

	bBuf := getBuf[T](kc * nc)
	defer putBuf(bBuf)
	bpack := *bBuf
	aBufs := make([]*[]T, workers)
	for w := range aBufs {
		aBufs[w] = getBuf[T](kc * mc)
	}
	defer func() {
		for _, p := range aBufs {
			putBuf(p)
		}
	}()

	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		strips := ceilDiv(nb, nr)
		// Column chunks give every worker several tasks (for load
		// balance) when there are few row blocks; a chunk is at least 32
		// strips wide so that repacking A per task stays cheap.
		jChunks := 1
		if icBlocks < 4*workers {
			jChunks = max(1, min(ceilDiv(4*workers, icBlocks), strips/32))
		}
		stripsPerChunk := ceilDiv(strips, jChunks)
		jChunks = ceilDiv(strips, stripsPerChunk)

		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			first := pc == 0

			// Pack B in parallel, by groups of strips.
			const packGroup = 16
			parallelFor(workers, ceilDiv(strips, packGroup), func(_, g int) {
				s0 := g * packGroup
				s1 := min(s0+packGroup, strips)
				packB(bpack[s0*kb*nr:s1*kb*nr], b, n, pc, kb, jc+s0*nr, min(nb-s0*nr, (s1-s0)*nr))
			})

			parallelFor(workers, icBlocks*jChunks, func(w, task int) {
				ib, jb := task/jChunks, task%jChunks
				ic := ib * mc
				mb := min(mc, m-ic)
				apack := (*aBufs[w])[:roundUp(mb, mr)*kb]
				packA(apack, a, k, ic, mb, pc, kb)
				s0 := jb * stripsPerChunk
				s1 := min(s0+stripsPerChunk, strips)
				var tile [mr * nr]T
				for s := s0; s < s1; s++ {
					bp := bpack[s*kb*nr : (s+1)*kb*nr]
					j := jc + s*nr
					nw := min(nr, n-j)
					for ir := 0; ir < mb; ir += mr {
						tile = [mr * nr]T{}
						kern(apack[ir*kb:(ir+mr)*kb], bp, &tile)
						storeTile(c, n, ic+ir, j, min(mr, mb-ir), nw, &tile, first)
					}
				}
			})
		}
	}
}

// packA copies rows [ic, ic+mb) and columns [pc, pc+kb) of the m×k matrix a
// into dst as ceil(mb/mr) row strips; strip s holds, for each k step p, the
// mr values a[ic+s*mr+r][pc+p] (r < mr), zero-padded past row mb.
func packA[T float](dst, a []T, k, ic, mb, pc, kb int) {
	for s := 0; s*mr < mb; s++ {
		d := dst[s*mr*kb : (s+1)*mr*kb]
		r0 := ic + s*mr
		if mb-s*mr >= mr {
			// Full strip: five source rows, interleaved.
			a0 := a[r0*k+pc : r0*k+pc+kb]
			a1 := a[(r0+1)*k+pc : (r0+1)*k+pc+kb]
			a2 := a[(r0+2)*k+pc : (r0+2)*k+pc+kb]
			a3 := a[(r0+3)*k+pc : (r0+3)*k+pc+kb]
			a4 := a[(r0+4)*k+pc : (r0+4)*k+pc+kb]
			for p := range a0 {
				q := (*[mr]T)(d[p*mr : p*mr+mr])
				q[0], q[1], q[2], q[3], q[4] = a0[p], a1[p], a2[p], a3[p], a4[p]
			}
			continue
		}
		clear(d)
		for r := 0; r < mb-s*mr; r++ {
			row := a[(r0+r)*k+pc : (r0+r)*k+pc+kb]
			for p, v := range row {
				d[p*mr+r] = v
			}
		}
	}
}

// packB copies rows [pc, pc+kb) and columns [j0, j0+nb) of the k×n matrix b
// into dst as ceil(nb/nr) column strips; strip s holds, for each k step p,
// the nr values b[pc+p][j0+s*nr+q] (q < nr), zero-padded past column nb.
func packB[T float](dst, b []T, n, pc, kb, j0, nb int) {
	full := nb / nr
	for p := 0; p < kb; p++ {
		row := b[(pc+p)*n+j0 : (pc+p)*n+j0+nb]
		for s := 0; s < full; s++ {
			q := (*[nr]T)(dst[(s*kb+p)*nr : (s*kb+p)*nr+nr])
			v := (*[nr]T)(row[s*nr : s*nr+nr])
			q[0], q[1] = v[0], v[1]
		}
		if rem := nb - full*nr; rem > 0 {
			q := dst[(full*kb+p)*nr : (full*kb+p)*nr+nr]
			clear(q)
			copy(q, row[full*nr:])
		}
	}
}

// storeTile writes (first) or adds the top-left rows×cols of tile into C at
// (i0, j0).
func storeTile[T float](c []T, n, i0, j0, rows, cols int, tile *[mr * nr]T, first bool) {
	if rows == mr && cols == nr {
		for r := 0; r < mr; r++ {
			d := (*[nr]T)(c[(i0+r)*n+j0 : (i0+r)*n+j0+nr])
			if first {
				d[0], d[1] = tile[r*nr], tile[r*nr+1]
			} else {
				d[0] += tile[r*nr]
				d[1] += tile[r*nr+1]
			}
		}
		return
	}
	for r := 0; r < rows; r++ {
		d := c[(i0+r)*n+j0 : (i0+r)*n+j0+cols]
		for q := range d {
			if first {
				d[q] = tile[r*nr+q]
			} else {
				d[q] += tile[r*nr+q]
			}
		}
	}
}

// matmulRows computes rows [i0, i1) of C = A·B (dense row-major, C
// overwritten) with a straightforward loop: blocks of up to 512 columns of
// C and 128 rows of B, and within them an i-p-j loop that adds four rows of
// B at a time to a row of C. It serves small float products and the integer
// matmuls.
func matmulRows[T int32 | int64 | float32 | float64](c, a, b []T, i0, i1, k, n int) {
	const jBlock, pBlock = 512, 128
	for i := i0; i < i1; i++ {
		clear(c[i*n : i*n+n])
	}
	for j0 := 0; j0 < n; j0 += jBlock {
		j1 := min(n, j0+jBlock)
		for p0 := 0; p0 < k; p0 += pBlock {
			p1 := min(k, p0+pBlock)
			for i := i0; i < i1; i++ {
				crow := c[i*n+j0 : i*n+j1]
				arow := a[i*k : i*k+k]
				p := p0
				for ; p+4 <= p1; p += 4 {
					a0, a1, a2, a3 := arow[p], arow[p+1], arow[p+2], arow[p+3]
					b0 := b[p*n+j0 : p*n+j1]
					b1 := b[(p+1)*n+j0 : (p+1)*n+j1]
					b2 := b[(p+2)*n+j0 : (p+2)*n+j1]
					b3 := b[(p+3)*n+j0 : (p+3)*n+j1]
					b0, b1, b2, b3 = b0[:len(crow)], b1[:len(crow)], b2[:len(crow)], b3[:len(crow)]
					for j := range crow {
						crow[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
					}
				}
				for ; p < p1; p++ {
					ap := arow[p]
					brow := b[p*n+j0 : p*n+j1]
					brow = brow[:len(crow)]
					for j := range crow {
						crow[j] += ap * brow[j]
					}
				}
			}
		}
	}
}

// parallelFor runs fn(worker, task) for every task in [0, tasks) on up to
// `workers` goroutines (the caller's included). Tasks are handed out
// dynamically; worker is in [0, workers) and identifies per-goroutine
// scratch space.
func parallelFor(workers, tasks int, fn func(worker, task int)) {
	workers = min(workers, tasks)
	if workers <= 1 {
		for t := 0; t < tasks; t++ {
			fn(0, t)
		}
		return
	}
	var next atomic.Int64
	run := func(w int) {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				return
			}
			fn(w, t)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { run(w) })
	}
	run(0)
	wg.Wait()
}

// mulSat returns a·b for non-negative a, b, saturating at MaxInt.
func mulSat(a, b int) int {
	hi, lo := bits.Mul(uint(a), uint(b))
	if hi != 0 || lo > uint(maxInt) {
		return maxInt
	}
	return int(lo)
}

const maxInt = int(^uint(0) >> 1)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// Packing buffers are recycled to keep repeated calls from churning the GC.
var (
	pool32 sync.Pool // *[]float32
	pool64 sync.Pool // *[]float64
)

func getBuf[T float](n int) *[]T {
	var p *sync.Pool
	switch any(T(0)).(type) {
	case float32:
		p = &pool32
	default:
		p = &pool64
	}
	if v, ok := p.Get().(*[]T); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	s := make([]T, n)
	return &s
}

func putBuf[T float](b *[]T) {
	switch any(T(0)).(type) {
	case float32:
		pool32.Put(b)
	default:
		pool64.Put(b)
	}
}
