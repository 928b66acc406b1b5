package statevec

import (
	"fmt"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
)

// The C kernels (kernels.c) must compute what the Go kernels (runPassGo)
// compute. The variants with FMA round a multiply-add once instead of
// twice, so results may differ in the last bits: a few ulps of the
// amplitudes' scale (they are of order 2^(-n/2), the matrices unitary).
func TestCKernelsMatchGo(t *testing.T) {
	if !haveNative {
		t.Skip("built without cgo: the Go kernels are the only ones")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 9
	for _, tc := range randomPasses(rng, n) {
		for isa := isaBaseline; isa <= isaV4; isa++ {
			if isa > bestISA() {
				continue
			}
			name := fmt.Sprintf("%s/isa=%d", tc.name, isa)
			state := randomState(rng, n)
			nb := len(state) >> len(tc.p.Pos)
			// Whole range, then split unevenly, as the workers do.
			for _, cuts := range [][]int{{0, nb}, {0, nb / 3, nb/3 + 1, nb}} {
				want := append([]complex128(nil), state...)
				got := append([]complex128(nil), state...)
				want64 := toC64(state)
				got64 := toC64(state)
				for i := 0; i+1 < len(cuts); i++ {
					runPassGo(tc.p, want, cuts[i], cuts[i+1])
					require.True(t, runPassISA(tc.p, got, cuts[i], cuts[i+1], isa))
					runPassGo(tc.p, want64, cuts[i], cuts[i+1])
					require.True(t, runPassISA(tc.p, got64, cuts[i], cuts[i+1], isa))
				}
				for i := range want {
					if d := cmplx.Abs(want[i] - got[i]); d > 1e-15 {
						t.Fatalf("%s complex128: amplitude %d = %v, Go gives %v", name, i, got[i], want[i])
					}
					if d := cmplx.Abs(complex128(want64[i] - got64[i])); d > 1e-6 {
						t.Fatalf("%s complex64: amplitude %d = %v, Go gives %v", name, i, got64[i], want64[i])
					}
				}
			}
		}
	}
}

type passCase struct {
	name string
	p    *pass
}

// randomPasses returns passes of every kind and size, with and without
// controls, on random qubits of an n-qubit state.
func randomPasses(rng *rand.Rand, n int) []passCase {
	var out []passCase
	for k := 1; k <= maxTargets; k++ {
		for _, ctrls := range []int{0, 2} {
			qs := rng.Perm(n)[:k+ctrls]
			targets, controls := qs[:k], qs[k:]
			d := 1 << k
			dense := make([]complex128, d*d)
			for i := range dense {
				dense[i] = complex(rng.NormFloat64(), rng.NormFloat64()) / complex(float64(d), 0)
			}
			diag := make([]complex128, d*d)
			perm := make([]complex128, d*d)
			sigma := rng.Perm(d)
			if sigma[0] == 0 && sigma[1] == 1 { // not the identity, which would be diagonal
				sigma[0], sigma[1] = 1, 0
			}
			for r := range d {
				diag[r*d+r] = cmplx.Exp(complex(0, rng.Float64()*6))
				perm[r*d+sigma[r]] = cmplx.Exp(complex(0, rng.Float64()*6))
			}
			neg := uint64(rng.IntN(4))
			for _, m := range []struct {
				kind string
				mat  []complex128
				want qsim.PassKind
			}{{"dense", dense, passDense}, {"diag", diag, passDiag}, {"perm", perm, passPerm}} {
				p := newPass(targets, m.mat, controls, neg)
				if p.Kind != m.want {
					panic(fmt.Sprintf("%s matrix classified as kind %d", m.kind, p.Kind))
				}
				out = append(out, passCase{fmt.Sprintf("%s/k=%d/ctrls=%d", m.kind, k, ctrls), p})
			}
		}
	}
	// The contiguous one-qubit kernel: a 2x2 on each qubit but 0.
	for q := range n {
		m := []complex128{complex(rng.NormFloat64(), 1), 2, 3i, complex(rng.NormFloat64(), -1)}
		out = append(out, passCase{fmt.Sprintf("pair/q=%d", q), newPass([]int{q}, m, nil, 0)})
	}
	return out
}

func randomState(rng *rand.Rand, n int) []complex128 {
	a := make([]complex128, 1<<n)
	for i := range a {
		a[i] = complex(rng.NormFloat64(), rng.NormFloat64()) / 32
	}
	return a
}

func toC64(a []complex128) []complex64 {
	out := make([]complex64, len(a))
	for i, v := range a {
		out[i] = complex64(v)
	}
	return out
}

// The pass of a permuted-target gate must equal the reference's.
func TestPassReordersTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	state := randomState(rng, 4)
	m := make([]complex128, 16)
	for i := range m {
		m[i] = complex(rng.NormFloat64(), rng.NormFloat64())
	}
	want := refApply(state, m, []int{3, 1})
	got := append([]complex128(nil), state...)
	runPassGo(newPass([]int{3, 1}, m, nil, 0), got, 0, len(got)>>2)
	for i := range want {
		require.InDelta(t, 0, cmplx.Abs(want[i]-got[i]), 1e-12, "amplitude %d", i)
	}
}

// refApply applies m (index bit j = targets[j]) densely.
func refApply(psi, m []complex128, targets []int) []complex128 {
	out := make([]complex128, len(psi))
	d := 1 << len(targets)
	for i, a := range psi {
		col, base := 0, i
		for j, q := range targets {
			col |= (i >> q & 1) << j
			base &^= 1 << q
		}
		for r := range d {
			k := base
			for j, q := range targets {
				k |= (r >> j & 1) << q
			}
			out[k] += m[r*d+col] * a
		}
	}
	return out
}
