//go:build !cgo

package snn

import "github.com/sokr-rs/sokr/pkg/internal/footprint"

// haveC reports that this build has no C kernels: the Go ones run.
const haveC = false

// Instruction-set variants of the C kernels, for the tests: none here.
const (
	isaBaseline = 1
	isaAVX2     = 2
	isaV4       = 3
	isaBest     = 100
)

var bestISA = 0

func isaName() string { return "go" }

// spmmScratch is unused without the C kernels.
type spmmScratch[F float] struct{}

// spmmScratchBytes bounds what one worker's goSpmm call allocates: the
// indices and values of a row's nonzero inputs, grown by append (at most
// five times the final size in all, append growing large slices by a
// quarter). A run holds one chunk's calls' at a time.
func spmmScratchBytes(_, nin, size int64) int64 {
	return footprint.Mul(5, footprint.Add(footprint.Object(footprint.Mul(nin, 8)), footprint.Object(footprint.Mul(nin, size))))
}

func neuronStep[F float](p *neuronKernel[F], v, cur, x, out []F, lo, hi int) int64 {
	return goNeuronStep(p, v, cur, x, out, lo, hi)
}

func spmm[F float](rows, nin, nout int, x, wp, bias, y []F, _ *spmmScratch[F]) int64 {
	return goSpmm(rows, nin, nout, x, wp, bias, y)
}

func countNonzero[F float](x []F) int64 { return goCountNonzero(x) }

// neuronStepISA and spmmISA exist for the tests, which skip the C
// comparisons in this build.
func neuronStepISA[F float](_ int, p *neuronKernel[F], v, cur, x, out []F, lo, hi int) int64 {
	return goNeuronStep(p, v, cur, x, out, lo, hi)
}

func spmmISA[F float](_ int, rows, nin, nout int, x, wp, bias, y []F, _ *spmmScratch[F]) int64 {
	return goSpmm(rows, nin, nout, x, wp, bias, y)
}
