package statevec

import (
	"slices"
	"sort"
)

// gate is a circuit gate with its parameters evaluated.
type gate struct {
	qubits []int // controls first, then targets
	nctrl  int
	neg    uint64       // bit j: control j fires on |0>
	mat    []complex128 // on the targets, row-major; 1x1 for a global phase
}

func (g *gate) targets() []int { return g.qubits[g.nctrl:] }

// passes turns a sequence of gates into passes over the state. With
// maxFused >= 2, consecutive gates are fused into blocks of up to maxFused
// qubits (see fuse); with maxFused < 2 each gate is a pass of its own. A
// global phase commutes with everything: the phases are multiplied
// together and folded into a pass without controls, or become a pass of
// their own.
func passes(gates []gate, maxFused int) []*pass {
	var out []*pass
	phase := complex(1, 0)
	var rest []gate
	for _, g := range gates {
		if len(g.qubits) == 0 {
			phase *= g.mat[0]
		} else {
			rest = append(rest, g)
		}
	}
	if maxFused < 2 {
		for i := range rest {
			out = append(out, single(&rest[i]))
		}
	} else {
		for _, blk := range fuse(rest, maxFused) {
			if len(blk) == 1 {
				out = append(out, single(&rest[blk[0]]))
				continue
			}
			var on []int
			for _, i := range blk {
				on = append(on, rest[i].qubits...)
			}
			sort.Ints(on)
			on = slices.Compact(on)
			m := identity(1 << len(on))
			for _, i := range blk {
				leftMultiply(m, &rest[i], on)
			}
			p := newPass(on, m, nil, 0)
			p.gates = len(blk)
			out = append(out, p)
		}
	}
	if phase != 1 {
		for i, p := range out {
			if len(p.pos) == p.k { // no controls: the matrix is the whole operator
				out[i] = scaled(p, phase)
				return dropNoops(out)
			}
		}
		out = append(out, newPass(nil, []complex128{phase}, nil, 0))
	}
	return dropNoops(out)
}

func dropNoops(ps []*pass) []*pass {
	return slices.DeleteFunc(ps, func(p *pass) bool { return p.noop })
}

// single is the pass of one gate: its matrix on its targets, with its
// controls as a condition on the index.
func single(g *gate) *pass {
	p := newPass(g.targets(), g.mat, g.qubits[:g.nctrl], g.neg)
	p.gates = 1
	return p
}

// scaled returns p with its matrix multiplied by f.
func scaled(p *pass, f complex128) *pass {
	d := 1 << p.k
	m := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			m[r*d+c] = p.entry(r, c) * f
		}
	}
	q := newPass(slices.Clone(p.pos), m, nil, 0)
	q.gates = p.gates
	return q
}

// entry returns element (r, c) of p's matrix.
func (p *pass) entry(r, c int) complex128 {
	switch p.kind {
	case passDense:
		return p.c128[r*(1<<p.k)+c]
	case passPerm:
		if p.src[r] == c {
			return p.c128[r]
		}
	case passDiag:
		if r == c {
			return p.c128[r]
		}
	}
	return 0
}

func identity(d int) []complex128 {
	m := make([]complex128, d*d)
	for i := range d {
		m[i*d+i] = 1
	}
	return m
}

// leftMultiply replaces m, a d x d matrix on the sorted qubits on, by g·m,
// applying g (controls included) to each column.
func leftMultiply(m []complex128, g *gate, on []int) {
	d := 1 << len(on)
	bit := func(q int) int { return slices.Index(on, q) }
	tp := make([]int, 0, len(g.qubits)-g.nctrl)
	for _, q := range g.targets() {
		tp = append(tp, bit(q))
	}
	var need, want int // control bits of the index, and their firing values
	for j, q := range g.qubits[:g.nctrl] {
		need |= 1 << bit(q)
		if g.neg>>j&1 == 0 {
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
				out[k] += g.mat[row*dg+col] * a
			}
		}
		for i := range d {
			m[i*d+c] = out[i]
		}
	}
}

// fuse groups gates into blocks of at most maxFused qubits, each block a
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
func fuse(gates []gate, maxFused int) [][]int { return fuseFrom(gates, maxFused, nil) }

// fuseFrom is fuse with the qubits of seed counted in every block from
// its start (cache blocking keeps the lowest qubits in every stage).
func fuseFrom(gates []gate, maxFused int, seed []int) [][]int {
	nq := 0
	for _, g := range gates {
		for _, q := range g.qubits {
			nq = max(nq, q+1)
		}
	}
	queue := make([][]int, nq) // per qubit: the gates on it, in order
	for i, g := range gates {
		for _, q := range g.qubits {
			queue[q] = append(queue[q], i)
		}
	}
	head := make([]int, nq)
	placed := make([]bool, len(gates))
	ready := func(i int) bool {
		for _, q := range gates[i].qubits {
			if queue[q][head[q]] != i {
				return false
			}
		}
		return true
	}
	place := func(i int) {
		placed[i] = true
		for _, q := range gates[i].qubits {
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
		for _, q := range gates[next].qubits {
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
				for _, r := range gates[i].qubits {
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
			for _, r := range gates[best].qubits {
				if !in[r] {
					in[r] = true
					size++
				}
			}
		}
		blocks = append(blocks, blk)
	}
}
