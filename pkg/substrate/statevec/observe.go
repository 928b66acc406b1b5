package statevec

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// pauliGroup is a set of qubit-wise commuting Pauli terms: on each qubit
// they all have the same letter or the identity. Rotating the state by
// basis (H for X, H·S† for Y) turns each term into a Z string, whose
// expectation is sum_i |a_i|^2 (-1)^popcount(i & mask).
type pauliGroup struct {
	terms    []int    // indices into the observable
	masks    []uint64 // per term: the qubits it acts on
	rotation []*pass  // nil for the group of diagonal (I, Z) terms
}

// groupTerms puts the diagonal terms (only I and Z) into the first group
// and the others, first fit, into qubit-wise commuting groups.
func groupTerms(terms []PauliTerm, n, fusion int) []*pauliGroup {
	diag := &pauliGroup{}
	var groups []*pauliGroup
	var bases [][]byte
	for ti, t := range terms {
		var mask uint64
		isDiag := true
		for q := range n {
			if c := t.Paulis[q]; c != 'I' {
				mask |= 1 << q
				if c != 'Z' {
					isDiag = false
				}
			}
		}
		if isDiag {
			diag.terms, diag.masks = append(diag.terms, ti), append(diag.masks, mask)
			continue
		}
		gi := -1
		for i, b := range bases {
			if commute(b, t.Paulis) {
				gi = i
				break
			}
		}
		if gi < 0 {
			gi = len(groups)
			groups = append(groups, &pauliGroup{})
			bases = append(bases, []byte(t.Paulis))
		}
		for q := range n {
			if t.Paulis[q] != 'I' {
				bases[gi][q] = t.Paulis[q]
			}
		}
		g := groups[gi]
		g.terms, g.masks = append(g.terms, ti), append(g.masks, mask)
	}
	for i, g := range groups {
		g.rotation = rotation(bases[i], max(fusion, 2))
	}
	if len(diag.terms) > 0 {
		groups = append([]*pauliGroup{diag}, groups...)
	}
	return groups
}

// commute reports whether term t is qubit-wise compatible with basis b.
func commute(b []byte, t string) bool {
	for q := range b {
		if b[q] != 'I' && t[q] != 'I' && b[q] != t[q] {
			return false
		}
	}
	return true
}

// rotation returns the passes that turn the Pauli basis into Z's.
func rotation(basis []byte, fusion int) []*pass {
	const r = 1 / math.Sqrt2
	h := []complex128{r, r, r, -r}
	hsdg := []complex128{r, -1i * r, r, 1i * r} // H·S†
	var gates []gate
	for q, c := range basis {
		switch c {
		case 'X':
			gates = append(gates, gate{qubits: []int{q}, mat: h})
		case 'Y':
			gates = append(gates, gate{qubits: []int{q}, mat: hsdg})
		}
	}
	return passes(gates, fusion)
}

// expectZ returns, for each mask, sum_i |a_i|^2 (-1)^popcount(i & mask).
func expectZ[T amp](x *sim[T], masks []uint64) []float64 {
	return reduce(x.par(), len(x.a), len(masks), func(lo, hi int, acc []float64) {
		for i := lo; i < hi; i++ {
			p := norm2(x.a[i])
			if p == 0 {
				continue
			}
			for t, m := range masks {
				if bits.OnesCount64(uint64(i)&m)&1 == 0 {
					acc[t] += p
				} else {
					acc[t] -= p
				}
			}
		}
	})
}

// sampleZ estimates the same from shots basis states drawn from x.
func sampleZ[T amp](x *sim[T], masks []uint64, shots int, rng *rand.Rand) []float64 {
	idx, cnt := sampleIndices(x.a, shots, rng, x.par())
	out := make([]float64, len(masks))
	for k, i := range idx {
		for t, m := range masks {
			if bits.OnesCount64(uint64(i)&m)&1 == 0 {
				out[t] += float64(cnt[k])
			} else {
				out[t] -= float64(cnt[k])
			}
		}
	}
	for t := range out {
		out[t] /= float64(shots)
	}
	return out
}

// expectations evaluates every group's terms on the state x into out
// (indexed like the observable): exactly, or from shots samples per group
// when shots > 0. Groups that need a rotation rotate the copy work (nil
// allocates one with alloc) and leave x unchanged.
func expectations[T amp](x, work *sim[T], groups []*pauliGroup, shots int, rng *rand.Rand, out []float64,
	alloc func(n int) (*sim[T], error)) (*sim[T], error) {
	for _, g := range groups {
		y := x
		if len(g.rotation) > 0 {
			if work == nil {
				var err error
				if work, err = alloc(bits.TrailingZeros(uint(len(x.a)))); err != nil {
					return nil, err
				}
				work.workers = x.workers
			}
			work.copyFrom(x)
			for _, p := range g.rotation {
				work.apply(p)
			}
			y = work
		}
		var v []float64
		if shots > 0 {
			v = sampleZ(y, g.masks, shots, rng)
		} else {
			v = expectZ(y, g.masks)
		}
		for k, t := range g.terms {
			out[t] = v[k]
		}
	}
	return work, nil
}
