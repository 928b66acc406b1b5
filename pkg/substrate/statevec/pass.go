package statevec

import (
	"slices"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
)

// amp is the type of an amplitude: complex128, or complex64 whose
// arithmetic is done in float32.
type amp interface{ complex64 | complex128 }

// The kinds of pass: qsim's, whose values are those of kernels.h, and a
// stage.
const (
	passDense               = qsim.Dense
	passDiag                = qsim.Diag
	passPerm                = qsim.Perm
	passStage qsim.PassKind = 4 // a cache-blocked stage of passes (block.go); never handed to the kernels
)

// maxTargets is the most target qubits a pass may have (kernels.h
// SV_MAX_K).
const maxTargets = qsim.MaxTargets

// pass is one sweep over the state vector: qsim's pass (the matrix, in
// complex128, and its index layout), embedded by value so that the
// kernels read its fields without an indirection, with what the CPU
// kernels need besides. It is built once per dispatch and read by any
// number of goroutines.
type pass struct {
	qsim.Pass
	stage *stage // passStage: the stage

	// The matrix in complex64, for the Go kernels.
	c64 []complex64
	// The same for the C kernels (kernels.h): the descriptor, and the
	// matrix split into real and imaginary parts.
	desc []int64
	m128 []float64
	m64  []float32
	// The descriptors for the kernels across lanes (kernels.h sv_lanes_*),
	// for complex128 (lanes of 4 amplitudes) and complex64 (8); nil when a
	// fixed bit is among the lane qubits.
	lanes128, lanes64 []int64
}

// laneBits is the number of lane qubits w of the amplitude type: a vector
// of 2^w amplitudes is 64 bytes.
func laneBits[T amp]() int {
	var z T
	if _, ok := any(z).(complex64); ok {
		return 3
	}
	return 2
}

// lanesDesc returns p's descriptor for the kernels across 2^w lanes, or
// nil when one of p's fixed bits is a lane qubit.
func (p *pass) lanesDesc(w int) []int64 {
	if len(p.Pos) > 0 && p.Pos[0] < w {
		return nil
	}
	d := slices.Clone(p.desc)
	d[4] >>= w // ctrl
	npos := len(p.Pos)
	for i := range npos {
		d[5+i] -= int64(w)
	}
	for i := range p.Off {
		d[5+npos+i] >>= w
	}
	return d
}

// lanesFor returns p's lanes descriptor for the amplitude type.
func lanesFor[T amp](p *pass) []int64 {
	if laneBits[T]() == 3 {
		return p.lanes64
	}
	return p.lanes128
}

// newPass returns the pass that applies mat on targets where the controls
// hold (qsim.NewPass), with the CPU kernels' layout.
func newPass(targets []int, mat []complex128, controls []int, neg uint64) *pass {
	return cpuPass(qsim.NewPass(targets, mat, controls, neg))
}

// cpuPass returns q with the CPU kernels' layout.
func cpuPass(q *qsim.Pass) *pass {
	p := &pass{Pass: *q}
	p.build()
	return p
}

// cpuPasses returns the passes qs with the CPU kernels' layout.
func cpuPasses(qs []*qsim.Pass) []*pass {
	out := make([]*pass, len(qs))
	for i, q := range qs {
		out[i] = cpuPass(q)
	}
	return out
}

// passes fuses gates into passes (qsim.Passes) for the CPU kernels.
func passes(gates []gate, maxFused int) []*pass { return cpuPasses(qsim.Passes(gates, maxFused)) }

// gate is a circuit gate with its parameters evaluated.
type gate = qsim.Gate

// build derives the complex64 matrix and the C layout.
func (p *pass) build() {
	d := 1 << p.K
	p.c64 = make([]complex64, len(p.Mat))
	for i, v := range p.Mat {
		p.c64[i] = complex64(v)
	}
	n := len(p.Mat)
	p.m128, p.m64 = make([]float64, 2*n), make([]float32, 2*n)
	for i, v := range p.Mat {
		j := i
		if p.Kind == passDense { // row-major to column-major
			j = (i%d)*d + i/d
		}
		p.m128[j], p.m128[n+j] = real(v), imag(v)
		p.m64[j], p.m64[n+j] = float32(real(v)), float32(imag(v))
	}
	p.desc = []int64{int64(p.Kind), int64(p.K), int64(len(p.Pos)), int64(len(p.Rows)), int64(p.Ctrl)}
	for _, v := range p.Pos {
		p.desc = append(p.desc, int64(v))
	}
	for _, v := range p.Off {
		p.desc = append(p.desc, int64(v))
	}
	for _, v := range p.Rows {
		p.desc = append(p.desc, int64(v))
	}
	if p.Kind == passPerm {
		for _, v := range p.Src {
			p.desc = append(p.desc, int64(v))
		}
	}
	p.lanes128, p.lanes64 = p.lanesDesc(2), p.lanesDesc(3)
}

// matrixOf returns the pass's matrix in the amplitude type.
func matrixOf[T amp](p *pass) []T {
	var z T
	if _, ok := any(z).(complex64); ok {
		return any(p.c64).([]T)
	}
	return any(p.Mat).([]T)
}

// runPassGo applies p to the bases [lo, hi) of a: the reference for the C
// kernels and the kernel of builds without cgo.
func runPassGo[T amp](p *pass, a []T, lo, hi int) {
	m := matrixOf[T](p)
	d := 1 << p.K
	var v, y [1 << maxTargets]T
	switch p.Kind {
	case passDense:
		for b := lo; b < hi; b++ {
			idx := p.Index(b)
			for j := range d {
				v[j] = a[idx+p.Off[j]]
			}
			for i := range d {
				var s T
				for j, x := range v[:d] {
					s += m[i*d+j] * x
				}
				y[i] = s
			}
			for i := range d {
				a[idx+p.Off[i]] = y[i]
			}
		}
	case passDiag:
		for b := lo; b < hi; b++ {
			idx := p.Index(b)
			for _, r := range p.Rows {
				a[idx+p.Off[r]] *= m[r]
			}
		}
	case passPerm:
		for b := lo; b < hi; b++ {
			idx := p.Index(b)
			for t, r := range p.Rows {
				y[t] = m[r] * a[idx+p.Off[p.Src[r]]]
			}
			for t, r := range p.Rows {
				a[idx+p.Off[r]] = y[t]
			}
		}
	}
}
