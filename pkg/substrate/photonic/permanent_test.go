package photonic

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// naivePermanent sums over all n! permutations: the definition.
func naivePermanent(a []complex128, n int) complex128 {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	var sum complex128
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			p := complex(1, 0)
			for i, j := range perm {
				p *= a[i*n+j]
			}
			sum += p
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	return sum
}

func randomMatrix(r *rand.Rand, rows, cols int) []complex128 {
	a := make([]complex128, rows*cols)
	for i := range a {
		a[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	return a
}

func mustPermanent(t testing.TB, a []complex128, n, workers int) complex128 {
	t.Helper()
	p, err := permanent(context.Background(), a, n, workers, nil)
	require.NoError(t, err)
	return p
}

// TestPermanentNaive compares Glynn's formula with the definition on
// random complex matrices up to n = 7 (5040 permutations).
func TestPermanentNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for n := 0; n <= 7; n++ {
		for range 5 {
			a := randomMatrix(r, n, n)
			want := naivePermanent(a, n)
			got := mustPermanent(t, a, n, 2)
			assert.InDelta(t, 0, cmplx.Abs(got-want), 1e-12*(1+cmplx.Abs(want)), "n=%d: %v vs %v", n, got, want)
		}
	}
}

// TestPermanentKnown checks values known in closed form: the identity
// (1), the all-ones matrix (n!), a diagonal matrix (the product of its
// diagonal), a matrix with a zero row (0), and a 2×2 (ad + bc).
func TestPermanentKnown(t *testing.T) {
	// Every size to 14, and two parallel sizes (one odd), kept few: -race
	// slows the Gray-code loop some thirtyfold.
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17} {
		id := make([]complex128, n*n)
		ones := make([]complex128, n*n)
		diag := make([]complex128, n*n)
		want := complex(1, 0)
		for i := range n {
			id[i*n+i] = 1
			d := complex(float64(i+1), float64(n-i))
			diag[i*n+i] = d
			want *= d
		}
		for i := range ones {
			ones[i] = 1
		}
		assert.InDelta(t, 0, cmplx.Abs(mustPermanent(t, id, n, 2)-1), 1e-12, "identity n=%d", n)
		fact := math.Gamma(float64(n + 1))
		// The all-ones matrix is Glynn's worst case: terms up to n^n cancel
		// down to n!, so the tolerance is looser than for random matrices.
		assert.InDelta(t, 0, cmplx.Abs(mustPermanent(t, ones, n, 2)-complex(fact, 0)), 1e-9*fact, "all-ones n=%d", n)
		assert.InDelta(t, 0, cmplx.Abs(mustPermanent(t, diag, n, 2)-want), 1e-12*cmplx.Abs(want), "diagonal n=%d", n)
		ones[n*n-1-n/2] = 0
		copy(ones[(n-1)*n:], make([]complex128, n))
		assert.InDelta(t, 0, cmplx.Abs(mustPermanent(t, ones, n, 2)), 1e-9*fact, "zero row n=%d", n)
	}
	assert.Equal(t, complex(1*4+2*3, 0), mustPermanent(t, []complex128{1, 2, 3, 4}, 2, 1))
}

// TestPermanentWorkers checks that the parallel sum gives bit-identical
// results for any number of workers, and equals a Laplace expansion along
// the first row into sequential permanents of size n−1.
func TestPermanentWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 16))
	n := parallelPermanentMin + 1
	a := randomMatrix(r, n, n)
	p1 := mustPermanent(t, a, n, 1)
	for _, w := range []int{2, 3, 8} {
		assert.Equal(t, p1, mustPermanent(t, a, n, w), "workers=%d", w)
	}
	var laplace complex128
	sub := make([]complex128, (n-1)*(n-1))
	for c := range n {
		for i := 1; i < n; i++ {
			k := 0
			for j := range n {
				if j != c {
					sub[(i-1)*(n-1)+k] = a[i*n+j]
					k++
				}
			}
		}
		laplace += a[c] * mustPermanent(t, sub, n-1, 1)
	}
	assert.InDelta(t, 0, cmplx.Abs(p1-laplace), 1e-10*cmplx.Abs(laplace))
}

func TestPermanentCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := parallelPermanentMin
	_, err := permanent(ctx, make([]complex128, n*n), n, 2, nil)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
}

// TestMinors compares the all-minors expansion with permanents of each
// minor, for every shape Clifford & Clifford's sampler uses up to 9 rows.
func TestMinors(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for q := 1; q <= 9; q++ {
		k := q + 1
		b := randomMatrix(r, q, k)
		br, bi := make([]float64, q*k), make([]float64, q*k)
		for i, z := range b {
			br[i], bi[i] = real(z), imag(z)
		}
		or, oi := make([]float64, k), make([]float64, k)
		minors(br, bi, q, or, oi, make([]float64, 4*k))
		out := make([]complex128, k)
		for l := range k {
			out[l] = complex(or[l], oi[l])
		}
		sub := make([]complex128, q*q)
		for l := range k {
			for i := range q {
				c := 0
				for j := range k {
					if j != l {
						sub[i*q+c] = b[i*k+j]
						c++
					}
				}
			}
			want := naivePermanent(sub, q)
			assert.InDelta(t, 0, cmplx.Abs(out[l]-want), 1e-12*(1+cmplx.Abs(want)), "q=%d l=%d", q, l)
		}
	}
}

// BenchmarkPermanent times one permanent of a random complex n×n matrix
// on all cores (GOMAXPROCS workers); cpu-ns/step is the CPU time of one
// element of one Gray-code step, what nsGlynn forecasts.
func BenchmarkPermanent(b *testing.B) {
	for _, n := range []int{10, 12, 14, 16, 18, 20, 22, 24} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			a := randomMatrix(rand.New(rand.NewPCG(uint64(n), 1)), n, n)
			workers := runtime.GOMAXPROCS(0)
			cpu := cpuTime()
			for b.Loop() {
				if _, err := permanent(context.Background(), a, n, workers, nil); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/(float64(n)*math.Ldexp(1, n-1)), "cpu-ns/step")
		})
	}
}
