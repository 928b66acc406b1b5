package kernels

import (
	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
)

// blocking is what gemm allocates for a product: the packed panel of B and
// each worker's block of A and C tile (in elements), the number of
// workers, and the number of parallel loops it runs. packed is false for
// products that run a plain loop and pack nothing.
type blocking struct {
	packed       bool
	panel, block int
	workers      int
	loops        int64
}

// blockingOf mirrors gemm's choices for an m×k by k×n product of elements
// of size bytes (4 or 8).
func blockingOf(size, m, k, n int) blocking {
	if m <= 0 || n <= 0 || k <= 0 {
		return blocking{}
	}
	work := mulSat(mulSat(m, k), n)
	if work <= smallMatmul {
		return blocking{}
	}
	mk := kernelsF64[0].params()
	if size == 4 {
		mk = kernelsF32[0].params()
	}
	workers := workersFor(work)
	kc := min(mk.kc, k)
	nc := roundUp(min(mk.nc, n), mk.nr)
	icBlocks := max(ceilDiv(m, mk.mc), min(workers, ceilDiv(m, mk.mr)))
	mc := roundUp(ceilDiv(m, icBlocks), mk.mr)
	// Two parallel loops per (column block, depth block) pair.
	return blocking{packed: true, panel: kc * nc, block: kc*mc + mk.mr*mk.nr, workers: workers,
		loops: footprint.Mul(2, ceilDiv(n, nc), ceilDiv(k, kc))}
}

// kernelParams are a micro-kernel's blocking parameters.
type kernelParams struct{ mr, nr, kc, mc, nc int }

func (mk *microKernel[T]) params() kernelParams {
	return kernelParams{mk.mr, mk.nr, mk.kc, mk.mc, mk.nc}
}

// perCall is what a call allocates besides its packing buffers: the
// closures and goroutines of its parallel loops, and its tables of
// per-worker buffers (slices, and pointers into the pools).
func (b blocking) perCall() int64 {
	if !b.packed {
		return 0
	}
	tables := footprint.Add(footprint.Object(24*int64(b.workers)), footprint.Object(8*int64(b.workers)), 64)
	return footprint.Add(footprint.Mul(b.loops, parallel.Overhead(b.workers)), tables)
}

// MatmulScratch bounds the Go heap one call of MatmulF32 (size 4) or
// MatmulF64 (size 8) with these dimensions allocates beyond its operands,
// so that a substrate's memory estimate covers it: its packing buffers
// (from pools, which may have to allocate them at every call) and what the
// call allocates besides. For MatmulI32 and MatmulI64, which pack
// nothing, use IntMatmulScratch; for products through a Workspace,
// WorkspaceGrowth.
func MatmulScratch(size, m, k, n int) int64 {
	b := blockingOf(size, m, k, n)
	if !b.packed {
		return 0
	}
	var t footprint.Tally
	t.Object(footprint.Mul(b.panel, size))
	for range b.workers {
		t.Object(footprint.Mul(b.block, size))
		t.Add(32) // the pool's pointer to the slice
	}
	t.Add(b.perCall())
	return t.Bytes()
}

// IntMatmulScratch bounds what a call of MatmulI32 or MatmulI64
// allocates: its parallel loop.
func IntMatmulScratch(m, k, n int) int64 {
	if m <= 0 || n <= 0 || k <= 0 {
		return 0
	}
	return parallel.Overhead(workersFor(mulSat(mulSat(m, k), n)))
}

// WorkspaceGrowth tallies what a Workspace allocates over a sequence of
// products, as it grows its buffers to the largest that each needs: add
// the products in the order the Workspace makes them. The zero value is
// an empty sequence.
type WorkspaceGrowth struct {
	bytes  footprint.Tally
	panel  [2]int   // by element size (0: 4 bytes, 1: 8 bytes), capacity in elements
	blocks [2][]int // by element size, each worker's block capacity
}

// Add records calls products, all alike, of elements of size bytes made
// through the workspace (a batch: the buffers grow at the first).
func (g *WorkspaceGrowth) Add(size, m, k, n, calls int) {
	b := blockingOf(size, m, k, n)
	if !b.packed || calls <= 0 {
		return
	}
	i := 0
	if size == 8 {
		i = 1
	}
	if b.panel > g.panel[i] {
		g.panel[i] = b.panel
		g.bytes.Object(footprint.Mul(b.panel, size))
	}
	for w := range b.workers {
		if w == len(g.blocks[i]) {
			g.blocks[i] = append(g.blocks[i], 0)
			g.bytes.Add(64) // the workspace's table of blocks grows
		}
		if b.block > g.blocks[i][w] {
			g.blocks[i][w] = b.block
			g.bytes.Object(footprint.Mul(b.block, size))
		}
	}
	g.bytes.Add(footprint.Mul(int64(calls), b.perCall()))
}

// Bytes is the total the sequence allocates.
func (g *WorkspaceGrowth) Bytes() int64 { return g.bytes.Bytes() }
