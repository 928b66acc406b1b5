package qsim

import (
	"slices"
	"sort"
)

// Gate is a circuit gate with its parameters evaluated.
type Gate struct {
	Qubits []int        // controls first, then targets
	NCtrl  int          // the controls: Qubits[:NCtrl]
	Neg    uint64       // bit j: control j fires on |0>
	Mat    []complex128 // on the targets, row-major; 1x1 for a global phase
}

// Targets returns the target qubits of g.
func (g *Gate) Targets() []int { return g.Qubits[g.NCtrl:] }

// Passes turns a sequence of gates into passes over the state. With
// maxFused >= 2, consecutive gates are fused into blocks of up to maxFused
// qubits (see Fuse); with maxFused < 2 each gate is a pass of its own. A
// global phase commutes with everything: the phases are multiplied
// together and folded into a pass without controls, or become a pass of
// their own. Passes that are the identity are dropped.
func Passes(gates []Gate, maxFused int) []*Pass {
	var out []*Pass
	phase := complex(1, 0)
	var rest []Gate
	for _, g := range gates {
		if len(g.Qubits) == 0 {
			phase *= g.Mat[0]
		} else {
			rest = append(rest, g)
		}
	}
	if maxFused < 2 {
		for i := range rest {
			out = append(out, single(&rest[i]))
		}
	} else {
		for _, blk := range Fuse(rest, maxFused) {
			if len(blk) == 1 {
				out = append(out, single(&rest[blk[0]]))
				continue
			}
			var on []int
			for _, i := range blk {
				on = append(on, rest[i].Qubits...)
			}
			sort.Ints(on)
			on = slices.Compact(on)
			m := Identity(1 << len(on))
			for _, i := range blk {
				leftMultiply(m, &rest[i], on)
			}
			p := NewPass(on, m, nil, 0)
			p.Gates = len(blk)
			out = append(out, p)
		}
	}
	if phase != 1 {
		for i, p := range out {
			if len(p.Pos) == p.K { // no controls: the matrix is the whole operator
				out[i] = scaled(p, phase)
				return dropNoops(out)
			}
		}
		out = append(out, NewPass(nil, []complex128{phase}, nil, 0))
	}
	return dropNoops(out)
}

func dropNoops(ps []*Pass) []*Pass {
	return slices.DeleteFunc(ps, func(p *Pass) bool { return p.Noop })
}

// single is the pass of one gate: its matrix on its targets, with its
// controls as a condition on the index.
func single(g *Gate) *Pass {
	p := NewPass(g.Targets(), g.Mat, g.Qubits[:g.NCtrl], g.Neg)
	p.Gates = 1
	return p
}

// scaled returns p with its matrix multiplied by f.
func scaled(p *Pass, f complex128) *Pass {
	d := 1 << p.K
	m := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			m[r*d+c] = p.Entry(r, c) * f
		}
	}
	q := NewPass(slices.Clone(p.Pos), m, nil, 0)
	q.Gates = p.Gates
	return q
}

// Identity returns the d x d identity matrix, row-major.
func Identity(d int) []complex128 {
	m := make([]complex128, d*d)
	for i := range d {
		m[i*d+i] = 1
	}
	return m
}

// leftMultiply replaces m, a d x d matrix on the sorted qubits on, by g·m,
// applying g (controls included) to each column.
func leftMultiply(m []complex128, g *Gate, on []int) {
	d := 1 << len(on)
	bit := func(q int) int { return slices.Index(on, q) }
	tp := make([]int, 0, len(g.Qubits)-g.NCtrl)
	for _, q := range g.Targets() {
		tp = append(tp, bit(q))
	}
	var need, want int // control bits of the index, and their firing values
	for j, q := range g.Qubits[:g.NCtrl] {
		need |= 1 << bit(q)
		if g.Neg>>j&1 == 0 {
			want |= 1 << bit(q)
		}
	}
	dg := 1 << len(tp)
	v, out := make([]complex128, d), make([]complex128, d)
	for c := range d {
		for i := range d {
			v[i], out[i] = m[i*d+c], 0
		}
		for i, a := range v {
			if a == 0 {
				continue
			}
			if i&need != want {
				out[i] += a
				continue
			}
			col, base := 0, i
			for j, t := range tp {
				col |= (i >> t & 1) << j
				base &^= 1 << t
			}
			for row := range dg {
				k := base
				for j, t := range tp {
					k |= (row >> j & 1) << t
				}
				out[k] += g.Mat[row*dg+col] * a
			}
		}
		for i := range d {
			m[i*d+c] = out[i]
		}
	}
}

// Fuse groups gates into blocks of at most maxFused qubits, each block a
// list of gate indices whose product can replace them (in block order, and
// blocks in the order returned).
//
// The grouping is greedy over the dependency order: a block starts with
// the first gate not yet placed and repeatedly takes a "ready" gate (one
// that comes first on each of its qubits among the unplaced gates, so that
// moving it earlier changes nothing) that adds the fewest new qubits,
// ties going to the earliest. Gates on qubits the block already covers
// come first, then gates that extend it, until no ready gate fits. A
// layer of one-qubit gates thus folds into the block of each qubit's
// chain, and blocks of disjoint chains share one pass. Controls count as
// qubits of the block. A gate on more than maxFused qubits is a block of
// its own.
func Fuse(gates []Gate, maxFused int) [][]int { return FuseFrom(gates, maxFused, nil) }

// FuseFrom is Fuse with the qubits of seed counted in every block from
// its start (cache blocking keeps the lowest qubits in every stage).
func FuseFrom(gates []Gate, maxFused int, seed []int) [][]int {
	nq := 0
	for _, g := range gates {
		for _, q := range g.Qubits {
			nq = max(nq, q+1)
		}
	}
	queue := make([][]int, nq) // per qubit: the gates on it, in order
	for i, g := range gates {
		for _, q := range g.Qubits {
			queue[q] = append(queue[q], i)
		}
	}
	head := make([]int, nq)
	placed := make([]bool, len(gates))
	ready := func(i int) bool {
		for _, q := range gates[i].Qubits {
			if queue[q][head[q]] != i {
				return false
			}
		}
		return true
	}
	place := func(i int) {
		placed[i] = true
		for _, q := range gates[i].Qubits {
			head[q]++
		}
	}
	var blocks [][]int
	in := make([]bool, nq)
	next := 0
	for {
		for next < len(gates) && placed[next] {
			next++
		}
		if next == len(gates) {
			return blocks
		}
		// The first unplaced gate is ready: every earlier gate is placed.
		blk := []int{next}
		place(next)
		clear(in)
		size := 0
		for _, q := range seed {
			if q < nq && !in[q] {
				in[q] = true
				size++
			}
		}
		for _, q := range gates[next].Qubits {
			if !in[q] {
				in[q] = true
				size++
			}
		}
		if size > maxFused {
			blocks = append(blocks, blk)
			continue
		}
		for {
			best, bestNew := -1, maxFused+1
			for q := range nq {
				if head[q] == len(queue[q]) {
					continue
				}
				i := queue[q][head[q]]
				if i == best || !ready(i) {
					continue
				}
				added := 0
				for _, r := range gates[i].Qubits {
					if !in[r] {
						added++
					}
				}
				if size+added <= maxFused && (added < bestNew || added == bestNew && i < best) {
					best, bestNew = i, added
				}
			}
			if best < 0 {
				break
			}
			blk = append(blk, best)
			place(best)
			for _, r := range gates[best].Qubits {
				if !in[r] {
					in[r] = true
					size++
				}
			}
		}
		blocks = append(blocks, blk)
	}
}
