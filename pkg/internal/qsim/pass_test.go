package qsim

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
)

// apply is a reference application of p to the state a, through Index,
// Off and Entry: the contract a substrate's kernels implement.
func apply(p *Pass, a []complex128) {
	d := 1 << p.K
	v := make([]complex128, d)
	for b := range len(a) >> len(p.Pos) {
		idx := p.Index(b)
		for r := range d {
			v[r] = a[idx+p.Off[r]]
		}
		for r := range d {
			var s complex128
			for c := range d {
				s += p.Entry(r, c) * v[c]
			}
			a[idx+p.Off[r]] = s
		}
	}
}

// applyDense applies mat on targets where the controls hold to a, by
// circuittest's reference simulator.
func applyDense(a []complex128, targets []int, mat []complex128, controls []int, neg uint64) {
	copy(a, circuittest.Apply(a, mat, controls, neg, targets))
}

func randomState(rng *rand.Rand, n int) []complex128 {
	a := make([]complex128, 1<<n)
	for i := range a {
		a[i] = complex(rng.NormFloat64(), rng.NormFloat64())
	}
	return a
}

func randomMatrix(rng *rand.Rand, d int) []complex128 {
	m := make([]complex128, d*d)
	for i := range m {
		m[i] = complex(rng.NormFloat64(), rng.NormFloat64())
	}
	return m
}

func requireClose(t *testing.T, want, got []complex128, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.LessOrEqual(t, cmplx.Abs(want[i]-got[i]), 1e-9*(1+cmplx.Abs(want[i])), "%s: amplitude %d: want %v, got %v", msg, i, want[i], got[i])
	}
}

func TestNewPassClassifies(t *testing.T) {
	r := 1 / math.Sqrt2
	for _, tc := range []struct {
		name string
		mat  []complex128
		kind PassKind
		rows []int
		src  []int
		noop bool
	}{
		{"hadamard", []complex128{complex(r, 0), complex(r, 0), complex(r, 0), complex(-r, 0)}, Dense, nil, nil, false},
		{"s", []complex128{1, 0, 0, 1i}, Diag, []int{1}, nil, false},
		{"x", []complex128{0, 1, 1, 0}, Perm, []int{0, 1}, []int{1, 0}, false},
		{"y", []complex128{0, -1i, 1i, 0}, Perm, []int{0, 1}, []int{1, 0}, false},
		{"identity", []complex128{1, 0, 0, 1}, Diag, nil, nil, true},
	} {
		p := NewPass([]int{2}, tc.mat, nil, 0)
		assert.Equal(t, tc.kind, p.Kind, tc.name)
		assert.Equal(t, tc.rows, p.Rows, tc.name)
		assert.Equal(t, tc.src, p.Src, tc.name)
		assert.Equal(t, tc.noop, p.Noop, tc.name)
		assert.Equal(t, 1, p.K, tc.name)
		assert.Equal(t, []int{0, 4}, p.Off, tc.name)
	}
	require.Panics(t, func() { NewPass([]int{0, 1, 2, 3, 4, 5}, Identity(64), nil, 0) })
}

// Index enumerates every amplitude where the controls fire exactly once
// (with the row offsets), and no other.
func TestPassIndex(t *testing.T) {
	const n = 6
	p := NewPass([]int{4, 1}, Identity(4), []int{3, 0}, 0b10) // control 3 on |1>, control 0 on |0>
	assert.Equal(t, []int{0, 1, 3, 4}, p.Pos)
	assert.Equal(t, 1<<3, p.Ctrl)
	seen := map[int]int{}
	for b := range 1 << (n - len(p.Pos)) {
		for _, o := range p.Off {
			seen[p.Index(b)+o]++
		}
	}
	for i := range 1 << n {
		want := 0
		if i>>3&1 == 1 && i&1 == 0 {
			want = 1
		}
		assert.Equal(t, want, seen[i], "amplitude %b", i)
	}
}

// A pass applies its matrix whatever the order of the targets and the
// controls' polarity.
func TestNewPassMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 5
	for _, tc := range []struct {
		targets, controls []int
		neg               uint64
	}{
		{[]int{3, 1}, nil, 0},
		{[]int{0}, []int{4}, 0},
		{[]int{4, 0, 2}, []int{1}, 1},
		{[]int{2}, []int{0, 3}, 0b01},
	} {
		mat := randomMatrix(rng, 1<<len(tc.targets))
		a := randomState(rng, n)
		want := append([]complex128(nil), a...)
		applyDense(want, tc.targets, mat, tc.controls, tc.neg)
		apply(NewPass(tc.targets, mat, tc.controls, tc.neg), a)
		requireClose(t, want, a, "targets "+fmtInts(tc.targets))
	}
}

func fmtInts(v []int) string {
	s := ""
	for _, x := range v {
		s += string(rune('0' + x))
	}
	return s
}
