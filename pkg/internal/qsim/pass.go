package qsim

import (
	"slices"
	"sort"
)

// MaxTargets is the most target qubits a pass may have (statevec's
// kernels.h SV_MAX_K): fusion blocks, Kraus operators and gates all fit.
const MaxTargets = 5

// PassKind is the kernel a pass needs; the values are those of statevec's
// kernels.h, so that a substrate can hand them to C as they are.
type PassKind uint8

// The kinds of pass.
const (
	Dense PassKind = 1 // a dense 2^k x 2^k matrix
	Diag  PassKind = 2 // a diagonal matrix
	Perm  PassKind = 3 // one non-zero per row: a permutation with phases
)

// Pass is one sweep over the state vector: a matrix on K target qubits,
// applied where the control qubits hold. It is built once per dispatch and
// read by any number of goroutines.
type Pass struct {
	Kind  PassKind
	K     int          // target qubits; D = 1 << K rows
	Pos   []int        // fixed bit positions (targets and controls), ascending
	Ctrl  int          // index bits of the controls that must be 1
	Off   []int        // amplitude offset of each row from the base index (len D)
	Rows  []int        // Diag, Perm: the rows that change
	Src   []int        // Perm: row r takes the amplitude of row Src[r]; nil otherwise
	Mat   []complex128 // Dense: row-major D x D; Diag, Perm: the D row factors
	Gates int          // circuit gates the pass stands for
	Noop  bool         // the matrix is the identity
}

// NewPass returns the pass that applies mat, a row-major matrix on targets
// (index bit j is the state of targets[j], in any order), where every
// control qubit is |1> (|0> when its bit of neg is set). It chooses the
// diagonal or permutation kernel when the matrix allows. More than
// MaxTargets targets is a bug of the caller (fusion and Capability keep to
// it), so it panics.
func NewPass(targets []int, mat []complex128, controls []int, neg uint64) *Pass {
	k := len(targets)
	if k > MaxTargets {
		panic("qsim: pass on more than 5 targets")
	}
	sorted := slices.Clone(targets)
	sort.Ints(sorted)
	mat = reorder(mat, targets, sorted)
	d := 1 << k
	p := &Pass{K: k, Off: make([]int, d)}
	for r := range d {
		for j, t := range sorted {
			p.Off[r] |= (r >> j & 1) << t
		}
	}
	p.Pos = append(slices.Clone(sorted), controls...)
	sort.Ints(p.Pos)
	for j, c := range controls {
		if neg>>j&1 == 0 {
			p.Ctrl |= 1 << c
		}
	}
	p.classify(mat, d)
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
func (p *Pass) classify(mat []complex128, d int) {
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
		p.Kind = Perm
		if diag {
			p.Kind = Diag
		}
		p.Mat = fac
		for r := range d {
			if src[r] != r || fac[r] != 1 {
				p.Rows = append(p.Rows, r)
			}
		}
		if perm && !diag {
			p.Src = src
		}
		p.Noop = len(p.Rows) == 0
	default:
		p.Kind = Dense
		p.Mat = mat
	}
}

// Index returns the amplitude index of base b: b with a zero inserted at
// each fixed position, and the control bits set. The bases of a pass are
// 0 ... 2^(n-len(Pos))-1; row r of base b is amplitude Index(b)+Off[r].
func (p *Pass) Index(b int) int {
	for _, q := range p.Pos {
		low := b & (1<<q - 1)
		b = (b-low)<<1 | low
	}
	return b | p.Ctrl
}

// Entry returns element (r, c) of p's matrix.
func (p *Pass) Entry(r, c int) complex128 {
	switch p.Kind {
	case Dense:
		return p.Mat[r*(1<<p.K)+c]
	case Perm:
		if p.Src[r] == c {
			return p.Mat[r]
		}
	case Diag:
		if r == c {
			return p.Mat[r]
		}
	}
	return 0
}
