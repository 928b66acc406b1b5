//go:build cgo

package snn

/*
#cgo CFLAGS: -O3 -fno-fast-math
#include "kernels.h"
*/
import "C"

import (
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
)

// haveC reports that this build has the C kernels.
const haveC = true

// Instruction-set variants of the C kernels, for the tests.
const (
	isaBaseline = C.SNN_ISA_BASELINE
	isaAVX2     = C.SNN_ISA_AVX2
	isaV4       = C.SNN_ISA_X86_64_V4
	isaBest     = C.SNN_ISA_BEST
)

// bestISA is the best variant of the C kernels this CPU runs.
var bestISA = int(C.snn_best_isa())

// isaName names the variant in use, for Describe.
func isaName() string {
	switch bestISA {
	case isaV4:
		return "x86-64-v4"
	case isaAVX2:
		return "avx2"
	}
	return "baseline"
}

func ptr[F any](s []F) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(s))
}

// neuronStep is goNeuronStep in C.
func neuronStep[F float](p *neuronKernel[F], v, cur, x, out []F, lo, hi int) int64 {
	return neuronStepISA(isaBest, p, v, cur, x, out, lo, hi)
}

func neuronStepISA[F float](isa int, p *neuronKernel[F], v, cur, x, out []F, lo, hi int) int64 {
	if hi <= lo {
		return 0
	}
	// The C code reads and writes [lo, hi) of each and coef in full.
	_, _, _ = v[hi-1], x[hi-1], out[hi-1]
	if p.kind == kindCurrent {
		_ = cur[hi-1]
	}
	w := p.n
	if p.uniform {
		w = 1
	}
	_ = p.coef[numCoef*w-1]
	cp := C.snn_neuron{kind: C.int32_t(p.kind), reset: C.int32_t(p.reset), n: C.int64_t(p.n), amp: C.double(p.amp)}
	if p.before {
		cp.before = 1
	}
	if p.uniform {
		cp.uniform = 1
	}
	var n C.int64_t
	switch any(p.coef).(type) {
	case []float32:
		n = C.snn_neuron_step_f32(C.int32_t(isa), &cp, (*C.float)(ptr(p.coef)), (*C.float)(ptr(v)), (*C.float)(ptr(cur)),
			(*C.float)(ptr(x)), (*C.float)(ptr(out)), C.int64_t(lo), C.int64_t(hi))
	case []float64:
		n = C.snn_neuron_step_f64(C.int32_t(isa), &cp, (*C.double)(ptr(p.coef)), (*C.double)(ptr(v)), (*C.double)(ptr(cur)),
			(*C.double)(ptr(x)), (*C.double)(ptr(out)), C.int64_t(lo), C.int64_t(hi))
	}
	return int64(n)
}

// spmmScratch is the scratch of spmm calls: the nonzero inputs' indices
// and values, where each row's begin in each tile of spmmTile inputs, and
// the rows' running sums of one column block.
type spmmScratch[F float] struct {
	idx  []int32
	val  []F
	toff []int64
	acc  []F
}

// spmmTile is the inputs of one tile of the C kernel (SNN_TILE): a tile of
// spmmCols columns is 32 KiB, L1's size on Zen 4, in f32 and in f64.
const spmmTile = C.SNN_TILE

// spmmScratchBytes bounds the scratch of one worker's spmm calls over a
// run, rows rows of nin inputs at most per call: the nonzero inputs'
// indices and values, the rows' offsets per tile and their sums, each at
// most doubling as it grows (so that all it ever allocated is under twice
// the last size).
func spmmScratchBytes(rows, nin, size int64) int64 {
	tiles := (nin+spmmTile-1)/spmmTile + 1
	return footprint.Add(
		footprint.Mul(2, footprint.Object(footprint.Mul(rows, nin, 4))),
		footprint.Mul(2, footprint.Object(footprint.Mul(rows, nin, size))),
		footprint.Mul(2, footprint.Object(footprint.Mul(rows, tiles, 8))),
		footprint.Mul(2, footprint.Object(footprint.Mul(rows, int64(spmmColsOf(int(size))), size))))
}

// grow returns s if it holds n elements, else a new slice of at least n and
// at least twice len(s), but no more than most.
func grow[T any](s []T, n, most int) []T {
	if len(s) >= n {
		return s
	}
	return make([]T, min(max(n, 2*len(s)), max(most, n)))
}

// spmm is goSpmm in C; sc is grown as needed.
func spmm[F float](rows, nin, nout int, x, wp, bias, y []F, sc *spmmScratch[F]) int64 {
	return spmmISA(isaBest, rows, nin, nout, x, wp, bias, y, sc)
}

func spmmISA[F float](isa, rows, nin, nout int, x, wp, bias, y []F, sc *spmmScratch[F]) int64 {
	if rows == 0 {
		return 0
	}
	if nin == 0 {
		fillBias(y[:rows*nout], bias, nout)
		return 0
	}
	if nout == 0 {
		return countNonzero(x[:rows*nin])
	}
	_, _ = x[rows*nin-1], y[rows*nout-1]
	cols := spmmCols[F]()
	_ = wp[(nout+cols-1)/cols*cols*nin-1]
	if bias != nil {
		_ = bias[nout-1]
	}
	// The scratch at least doubles when it grows, so that a run whose
	// density creeps up chunk by chunk allocates it a few times, not once
	// per chunk (see spmmScratchBytes), and never past the worst case.
	if need := max(int(countNonzero(x[:rows*nin])), 1); len(sc.idx) < need {
		sc.idx = grow(sc.idx, need, rows*nin)
		sc.val = make([]F, len(sc.idx))
	}
	tiles := (nin+spmmTile-1)/spmmTile + 1
	sc.toff = grow(sc.toff, tiles*rows, tiles*rows)
	sc.acc = grow(sc.acc, cols*rows, cols*rows)
	var n C.int64_t
	switch any(x).(type) {
	case []float32:
		n = C.snn_spmm_f32(C.int32_t(isa), C.int64_t(rows), C.int64_t(nin), C.int64_t(nout), (*C.float)(ptr(x)),
			(*C.float)(ptr(wp)), (*C.float)(ptr(bias)), (*C.float)(ptr(y)), (*C.int32_t)(ptr(sc.idx)), (*C.float)(ptr(sc.val)),
			(*C.int64_t)(ptr(sc.toff)), (*C.float)(ptr(sc.acc)))
	case []float64:
		n = C.snn_spmm_f64(C.int32_t(isa), C.int64_t(rows), C.int64_t(nin), C.int64_t(nout), (*C.double)(ptr(x)),
			(*C.double)(ptr(wp)), (*C.double)(ptr(bias)), (*C.double)(ptr(y)), (*C.int32_t)(ptr(sc.idx)), (*C.double)(ptr(sc.val)),
			(*C.int64_t)(ptr(sc.toff)), (*C.double)(ptr(sc.acc)))
	}
	return int64(n)
}

// countNonzero is goCountNonzero in C.
func countNonzero[F float](x []F) int64 {
	if len(x) == 0 {
		return 0
	}
	switch any(x).(type) {
	case []float32:
		return int64(C.snn_count_nonzero_f32((*C.float)(ptr(x)), C.int64_t(len(x))))
	case []float64:
		return int64(C.snn_count_nonzero_f64((*C.double)(ptr(x)), C.int64_t(len(x))))
	}
	return goCountNonzero(x)
}
