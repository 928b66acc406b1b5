package qsim

import "math"

// PauliGroup is a set of qubit-wise commuting Pauli terms: on each qubit
// they all have the same letter or the identity. Rotating the state by
// Rotation (H for X, H·S† for Y) turns each term into a Z string, whose
// expectation is sum_i |a_i|^2 (-1)^popcount(i & mask).
type PauliGroup struct {
	Terms    []int    // indices into the observable
	Masks    []uint64 // per term: the qubits it acts on
	Rotation []*Pass  // nil for the group of diagonal (I, Z) terms
}

// GroupTerms puts the diagonal terms (only I and Z) of an observable on n
// qubits into the first group and the others, first fit, into qubit-wise
// commuting groups, whose rotations are fused up to fusion qubits (at
// least 2).
func GroupTerms(terms []PauliTerm, n, fusion int) []*PauliGroup {
	diag := &PauliGroup{}
	var groups []*PauliGroup
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
			diag.Terms, diag.Masks = append(diag.Terms, ti), append(diag.Masks, mask)
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
			groups = append(groups, &PauliGroup{})
			bases = append(bases, []byte(t.Paulis))
		}
		for q := range n {
			if t.Paulis[q] != 'I' {
				bases[gi][q] = t.Paulis[q]
			}
		}
		g := groups[gi]
		g.Terms, g.Masks = append(g.Terms, ti), append(g.Masks, mask)
	}
	for i, g := range groups {
		g.Rotation = rotation(bases[i], max(fusion, 2))
	}
	if len(diag.Terms) > 0 {
		groups = append([]*PauliGroup{diag}, groups...)
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
func rotation(basis []byte, fusion int) []*Pass {
	const r = 1 / math.Sqrt2
	h := []complex128{r, r, r, -r}
	hsdg := []complex128{r, -1i * r, r, 1i * r} // H·S†
	var gates []Gate
	for q, c := range basis {
		switch c {
		case 'X':
			gates = append(gates, Gate{Qubits: []int{q}, Mat: h})
		case 'Y':
			gates = append(gates, Gate{Qubits: []int{q}, Mat: hsdg})
		}
	}
	return Passes(gates, fusion)
}
