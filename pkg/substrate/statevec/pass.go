package statevec

import (
	"slices"
	"sort"
)

// amp is the type of an amplitude: complex128, or complex64 whose
// arithmetic is done in float32.
type amp interface{ complex64 | complex128 }

// The kinds of pass; the values are those of kernels.h.
const (
	passDense = 1 // a dense 2^k x 2^k matrix
	passDiag  = 2 // a diagonal matrix
	passPerm  = 3 // one non-zero per row: a permutation with phases
	passStage = 4 // a cache-blocked stage of passes (block.go); never handed to the kernels
)

// maxTargets is the most target qubits a pass may have (kernels.h
// SV_MAX_K): fusion blocks, Kraus operators and gates all fit.
const maxTargets = 5

// pass is one sweep over the state vector: a matrix on k target qubits,
// applied where the control qubits hold. It is built once per dispatch and
// read by any number of goroutines.
type pass struct {
	kind  int
	k     int    // target qubits; D = 1 << k rows
	pos   []int  // fixed bit positions (targets and controls), ascending
	ctrl  int    // bits of the controls that must be 1
	off   []int  // amplitude offset of each row from the base index
	rows  []int  // diagonal and permutation: the rows that change
	src   []int  // permutation: row r takes the amplitude of row src[r]
	gates int    // circuit gates the pass stands for
	noop  bool   // the matrix is the identity
	stage *stage // passStage: the stage

	// The matrix, for the Go kernels: row-major D x D (dense) or the D
	// row factors (diagonal, permutation).
	c128 []complex128
	c64  []complex64
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
	if len(p.pos) > 0 && p.pos[0] < w {
		return nil
	}
	d := slices.Clone(p.desc)
	d[4] >>= w // ctrl
	npos := len(p.pos)
	for i := range npos {
		d[5+i] -= int64(w)
	}
	for i := range p.off {
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

// newPass returns the pass that applies mat, a row-major matrix on targets
// (index bit j is the state of targets[j], in any order), where every
// control qubit is |1> (|0> when its bit of neg is set). It chooses the
// diagonal or permutation kernel when the matrix allows.
func newPass(targets []int, mat []complex128, controls []int, neg uint64) *pass {
	k := len(targets)
	if k > maxTargets {
		panic("statevec: pass on more than 5 targets") // fusion and Capability keep to 5
	}
	sorted := slices.Clone(targets)
	sort.Ints(sorted)
	mat = reorder(mat, targets, sorted)
	d := 1 << k
	p := &pass{k: k, off: make([]int, d)}
	for r := range d {
		for j, t := range sorted {
			p.off[r] |= (r >> j & 1) << t
		}
	}
	p.pos = append(slices.Clone(sorted), controls...)
	sort.Ints(p.pos)
	for j, c := range controls {
		if neg>>j&1 == 0 {
			p.ctrl |= 1 << c
		}
	}
	p.classify(mat, d)
	p.build()
	return p
}

// reorder permutes the index bits of a matrix on qubits from into the order
// of to (the same qubits).
func reorder(mat []complex128, from, to []int) []complex128 {
	if slices.Equal(from, to) {
		return mat
	}
	d := 1 << len(from)
	// perm[i] is the index in from's order of index i in to's order.
	perm := make([]int, d)
	for i := range d {
		for j, q := range to {
			if i>>j&1 == 1 {
				perm[i] |= 1 << slices.Index(from, q)
			}
		}
	}
	out := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			out[r*d+c] = mat[perm[r]*d+perm[c]]
		}
	}
	return out
}

// classify picks the kernel: diagonal when every non-zero is on the
// diagonal, permutation when each row has at most one non-zero, dense
// otherwise. Zeros are exact: products of diagonal and permutation gates
// keep them.
func (p *pass) classify(mat []complex128, d int) {
	diag, perm := true, true
	src := make([]int, d)
	fac := make([]complex128, d)
	for r := range d {
		src[r] = r
		nz := 0
		for c := range d {
			if v := mat[r*d+c]; v != 0 {
				nz++
				src[r], fac[r] = c, v
				if c != r {
					diag = false
				}
			}
		}
		if nz > 1 {
			diag, perm = false, false
		}
	}
	switch {
	case diag || perm:
		p.kind = passPerm
		if diag {
			p.kind = passDiag
		}
		p.c128 = fac
		for r := range d {
			if src[r] != r || fac[r] != 1 {
				p.rows = append(p.rows, r)
			}
		}
		if perm && !diag {
			p.src = src
		}
		p.noop = len(p.rows) == 0
	default:
		p.kind = passDense
		p.c128 = mat
	}
}

// build derives the complex64 matrix and the C layout.
func (p *pass) build() {
	d := 1 << p.k
	p.c64 = make([]complex64, len(p.c128))
	for i, v := range p.c128 {
		p.c64[i] = complex64(v)
	}
	n := len(p.c128)
	p.m128, p.m64 = make([]float64, 2*n), make([]float32, 2*n)
	for i, v := range p.c128 {
		j := i
		if p.kind == passDense { // row-major to column-major
			j = (i%d)*d + i/d
		}
		p.m128[j], p.m128[n+j] = real(v), imag(v)
		p.m64[j], p.m64[n+j] = float32(real(v)), float32(imag(v))
	}
	p.desc = []int64{int64(p.kind), int64(p.k), int64(len(p.pos)), int64(len(p.rows)), int64(p.ctrl)}
	for _, v := range p.pos {
		p.desc = append(p.desc, int64(v))
	}
	for _, v := range p.off {
		p.desc = append(p.desc, int64(v))
	}
	for _, v := range p.rows {
		p.desc = append(p.desc, int64(v))
	}
	if p.kind == passPerm {
		for _, v := range p.src {
			p.desc = append(p.desc, int64(v))
		}
	}
	p.lanes128, p.lanes64 = p.lanesDesc(2), p.lanesDesc(3)
}

// index returns the amplitude index of base b: b with a zero inserted at
// each fixed position, and the control bits set.
func (p *pass) index(b int) int {
	for _, q := range p.pos {
		low := b & (1<<q - 1)
		b = (b-low)<<1 | low
	}
	return b | p.ctrl
}

// matrixOf returns the pass's matrix in the amplitude type.
func matrixOf[T amp](p *pass) []T {
	var z T
	if _, ok := any(z).(complex64); ok {
		return any(p.c64).([]T)
	}
	return any(p.c128).([]T)
}

// runPassGo applies p to the bases [lo, hi) of a: the reference for the C
// kernels and the kernel of builds without cgo.
func runPassGo[T amp](p *pass, a []T, lo, hi int) {
	m := matrixOf[T](p)
	d := 1 << p.k
	var v, y [1 << maxTargets]T
	switch p.kind {
	case passDense:
		for b := lo; b < hi; b++ {
			idx := p.index(b)
			for j := range d {
				v[j] = a[idx+p.off[j]]
			}
			for i := range d {
				var s T
				for j, x := range v[:d] {
					s += m[i*d+j] * x
				}
				y[i] = s
			}
			for i := range d {
				a[idx+p.off[i]] = y[i]
			}
		}
	case passDiag:
		for b := lo; b < hi; b++ {
			idx := p.index(b)
			for _, r := range p.rows {
				a[idx+p.off[r]] *= m[r]
			}
		}
	case passPerm:
		for b := lo; b < hi; b++ {
			idx := p.index(b)
			for t, r := range p.rows {
				y[t] = m[r] * a[idx+p.off[p.src[r]]]
			}
			for t, r := range p.rows {
				a[idx+p.off[r]] = y[t]
			}
		}
	}
}
