package qsim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupTerms(t *testing.T) {
	terms := []PauliTerm{{1, "ZZI"}, {1, "XIX"}, {1, "XXI"}, {1, "IIZ"}, {1, "YII"}, {1, "IXX"}}
	groups := GroupTerms(terms, 3, 5)
	// Diagonal: ZZI, IIZ. Then XIX+XXI+IXX (all X), then YII.
	require.Len(t, groups, 3)
	assert.Equal(t, []int{0, 3}, groups[0].Terms)
	assert.Equal(t, []uint64{0b011, 0b100}, groups[0].Masks)
	assert.Nil(t, groups[0].Rotation)
	assert.Equal(t, []int{1, 2, 5}, groups[1].Terms)
	assert.Equal(t, []uint64{0b101, 0b011, 0b110}, groups[1].Masks)
	assert.Equal(t, []int{4}, groups[2].Terms)
	// Without diagonal terms there is no diagonal group.
	assert.Len(t, GroupTerms([]PauliTerm{{1, "XI"}, {1, "IY"}}, 2, 0), 1)
}

// A group's rotation takes each of its terms to a Z string: <psi|P|psi>
// equals the Z expectation of the rotated state over the term's mask.
func TestGroupRotation(t *testing.T) {
	const n = 3
	terms := []PauliTerm{{1, "XYI"}, {1, "XIZ"}, {1, "IYZ"}}
	groups := GroupTerms(terms, n, 2)
	require.Len(t, groups, 1)
	rng := rand.New(rand.NewPCG(7, 8))
	a := randomState(rng, n)
	rot := append([]complex128(nil), a...)
	for _, p := range groups[0].Rotation {
		apply(p, rot)
	}
	paulis := map[byte][]complex128{'X': {0, 1, 1, 0}, 'Y': {0, -1i, 1i, 0}, 'Z': {1, 0, 0, -1}}
	for k, ti := range groups[0].Terms {
		b := append([]complex128(nil), a...)
		for q := range n {
			if m, ok := paulis[terms[ti].Paulis[q]]; ok {
				applyDense(b, []int{q}, m, nil, 0)
			}
		}
		var want complex128
		for i := range a {
			want += complex(real(a[i]), -imag(a[i])) * b[i]
		}
		var got float64
		for i, v := range rot {
			p := real(v)*real(v) + imag(v)*imag(v)
			if popcount(uint64(i)&groups[0].Masks[k])%2 == 1 {
				p = -p
			}
			got += p
		}
		assert.InDelta(t, real(want), got, 1e-9, terms[ti].Paulis)
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
