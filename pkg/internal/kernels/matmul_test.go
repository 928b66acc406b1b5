package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Shapes (m, k, n) exercised by the correctness tests: tiny ones (simple
// loop), ones that are not multiples of the 5×2 register tile, of the
// mc = 120 row block or of the kc = 256 k block, and ones wider than the
// nc column block (1024 for float64, 2048 for float32).
var shapes = [][3]int{
	{1, 1, 1}, {3, 5, 7}, {2, 1, 2}, {5, 2, 2}, {4, 3, 3},
	{17, 33, 65}, {128, 64, 96}, {24, 24, 25}, {31, 17, 29}, {40, 40, 41}, {41, 40, 40},
	{1, 1000, 1}, {1, 300, 257}, {257, 300, 1}, {1000, 3, 17},
	{121, 257, 131}, {250, 513, 70}, {6, 2049, 4}, {64, 64, 64},
	{6, 10, 2100}, {11, 3, 1025}, {241, 129, 243},
}

// refFloat returns the float64 product and, per element, Σ_p |a_ip|·|b_pj|
// (the scale of the rounding error).
func refFloat[T float32 | float64](a, b []T, m, k, n int) (ref, scale []float64) {
	ref, scale = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, t float64
			for p := 0; p < k; p++ {
				x, y := float64(a[i*k+p]), float64(b[p*n+j])
				s += x * y
				t += math.Abs(x * y)
			}
			ref[i*n+j], scale[i*n+j] = s, t
		}
	}
	return ref, scale
}

func randFloats[T float32 | float64](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.NormFloat64())
	}
	return s
}

// slack is how many elements past the end of each matrix the tests
// allocate, filled with a sentinel that must survive.
const slack = 3

// floatCase is one product with its float64 reference.
type floatCase[T float32 | float64] struct {
	m, k, n    int
	a, b       []T // with slack extra elements
	ref, scale []float64
}

var (
	casesF32 = sync.OnceValue(func() []floatCase[float32] { return makeCases[float32]() })
	casesF64 = sync.OnceValue(func() []floatCase[float64] { return makeCases[float64]() })
)

// makeCases builds random inputs for every shape, and their references
// (computed once: the naive product dominates the test time under -race).
func makeCases[T float32 | float64]() []floatCase[T] {
	r := rand.New(rand.NewPCG(1, 2))
	var cs []floatCase[T]
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := randFloats[T](r, m*k+slack), randFloats[T](r, k*n+slack)
		ref, scale := refFloat(a[:m*k], b[:k*n], m, k, n)
		cs = append(cs, floatCase[T]{m, k, n, a, b, ref, scale})
	}
	return cs
}

// checkFloat runs mul on every case and compares against the float64
// reference. The error bound for recursive summation of k products in
// precision u is ≈ k·u·Σ|a||b| (worst case; actual errors are far smaller,
// ~√k·u·Σ|a||b|); we allow 2·k·u·Σ|a||b|, plus a tiny absolute term for
// all-zero rows.
func checkFloat[T float32 | float64](t *testing.T, cases []floatCase[T], mul func(c, a, b []T, m, k, n int), u float64) {
	for _, tc := range cases {
		m, k, n := tc.m, tc.k, tc.n
		c := make([]T, m*n+slack)
		for i := range c {
			c[i] = T(math.NaN()) // must be overwritten, not accumulated
		}
		c[m*n], c[m*n+1], c[m*n+2] = 7, 8, 9
		mul(c, tc.a, tc.b, m, k, n)
		for i := 0; i < m*n; i++ {
			tol := 2*float64(k)*u*tc.scale[i] + 1e-30
			if d := math.Abs(float64(c[i]) - tc.ref[i]); !(d <= tol) {
				t.Fatalf("%dx%dx%d: c[%d] (row %d, col %d) = %v, want %v (|diff| %g > tol %g)",
					m, k, n, i, i/n, i%n, c[i], tc.ref[i], d, tol)
			}
		}
		if c[m*n] != 7 || c[m*n+1] != 8 || c[m*n+2] != 9 {
			t.Fatalf("%dx%dx%d: wrote past m·n: %v", m, k, n, c[m*n:])
		}
	}
}

// withProcs runs f under several GOMAXPROCS values, so that the serial and
// the parallel paths (including worker counts that do not divide the work)
// are exercised even on small machines.
func withProcs(t *testing.T, f func(t *testing.T)) {
	for _, p := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("procs=%d", p), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
			f(t)
		})
	}
}

func TestMatmulF32(t *testing.T) {
	t.Logf("MatmulF32 uses the %q kernel", KernelF32())
	withProcs(t, func(t *testing.T) { checkFloat(t, casesF32(), MatmulF32, 0x1p-24) })
}

func TestMatmulF64(t *testing.T) {
	t.Logf("MatmulF64 uses the %q kernel", KernelF64())
	withProcs(t, func(t *testing.T) { checkFloat(t, casesF64(), MatmulF64, 0x1p-53) })
}

// TestDriverTileShapes runs the blocked driver with reference micro-kernels
// of other tile shapes and block sizes, so that its generality (a future
// vector kernel will use other shapes) is tested.
func TestDriverTileShapes(t *testing.T) {
	for _, sh := range [][5]int{ // mr, nr, kc, mc, nc
		{5, 16, 64, 30, 96}, {5, 8, 100, 20, 40}, {3, 7, 33, 9, 70}, {1, 1, 16, 4, 16}, {4, 3, 256, 120, 2048},
	} {
		mr, nr := sh[0], sh[1]
		mk := &microKernel[float64]{
			name: fmt.Sprintf("ref %dx%d", mr, nr), mr: mr, nr: nr, kc: sh[2], mc: sh[3], nc: sh[4],
			kern: func(a, b, tile []float64) {
				if len(a)/mr != len(b)/nr || len(tile) != mr*nr {
					panic(fmt.Sprintf("bad panel lengths %d, %d, %d", len(a), len(b), len(tile)))
				}
				for p := 0; p < len(a)/mr; p++ {
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							tile[i*nr+j] += a[p*mr+i] * b[p*nr+j]
						}
					}
				}
			},
		}
		t.Run(mk.name, func(t *testing.T) {
			withProcs(t, func(t *testing.T) {
				checkFloat(t, casesF64(), func(c, a, b []float64, m, k, n int) { gemm(c, a, b, m, k, n, mk, nil) }, 0x1p-53)
			})
		})
	}
}

// TestMatmulF32Exact uses small integers, for which every partial sum is
// exact in float32, so any indexing mistake shows up as an exact mismatch.
func TestMatmulF32Exact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(r.IntN(7) - 3)
		}
		for i := range b {
			b[i] = float32(r.IntN(7) - 3)
		}
		c := make([]float32, m*n)
		MatmulF32(c, a, b, m, k, n)
		ai, bi := make([]int32, m*k), make([]int32, k*n)
		for i := range a {
			ai[i] = int32(a[i])
		}
		for i := range b {
			bi[i] = int32(b[i])
		}
		want := naiveInt(ai, bi, m, k, n)
		for i := range c {
			if c[i] != float32(want[i]) {
				t.Fatalf("%dx%dx%d: c[%d] = %v, want %v", m, k, n, i, c[i], want[i])
			}
		}
	}
}

// TestMatmulDeterministic checks that the result does not depend on the
// number of goroutines (the summation order depends only on block sizes).
func TestMatmulDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const m, k, n = 203, 517, 131
	a, b := randFloats[float32](r, m*k), randFloats[float32](r, k*n)
	var want []float32
	for _, p := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(p)
		c := make([]float32, m*n)
		MatmulF32(c, a, b, m, k, n)
		runtime.GOMAXPROCS(prev)
		if want == nil {
			want = c
			continue
		}
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
				t.Fatalf("GOMAXPROCS=%d: c[%d] = %v, GOMAXPROCS=1 gave %v", p, i, c[i], want[i])
			}
		}
	}
}

func naiveInt[T int32 | int64](a, b []T, m, k, n int) []T {
	c := make([]T, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[i*k+p] * b[p*n+j]
			}
			c[i*n+j] = s
		}
	}
	return c
}

func checkInt[T int32 | int64](t *testing.T, mul func(c, a, b []T, m, k, n int), rnd func(*rand.Rand) T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := make([]T, m*k+slack), make([]T, k*n+slack)
		for i := range a {
			a[i] = rnd(r)
		}
		for i := range b {
			b[i] = rnd(r)
		}
		c := make([]T, m*n+slack)
		for i := range c {
			c[i] = -1
		}
		mul(c, a, b, m, k, n)
		want := naiveInt(a[:m*k], b[:k*n], m, k, n)
		for i := range want {
			if c[i] != want[i] {
				t.Fatalf("%dx%dx%d: c[%d] = %d, want %d", m, k, n, i, c[i], want[i])
			}
		}
		for _, v := range c[m*n:] {
			if v != -1 {
				t.Fatalf("%dx%dx%d: wrote past m·n", m, k, n)
			}
		}
	}
}

func TestMatmulI32(t *testing.T) {
	withProcs(t, func(t *testing.T) {
		// Full-range values: products and sums wrap, which must match
		// Go's int32 arithmetic in any summation order.
		checkInt(t, MatmulI32, func(r *rand.Rand) int32 { return int32(r.Uint32()) })
	})
}

func TestMatmulI64(t *testing.T) {
	withProcs(t, func(t *testing.T) {
		checkInt(t, MatmulI64, func(r *rand.Rand) int64 { return int64(r.Uint64()) })
	})
}

func TestMatmulZeroDims(t *testing.T) {
	c := []float32{1, 2, 3, 4, 5, 6}
	MatmulF32(c, nil, nil, 2, 0, 3) // k == 0: C = 0
	for i, v := range c {
		if v != 0 {
			t.Fatalf("k=0: c[%d] = %v, want 0", i, v)
		}
	}
	ci := []int64{1, 2}
	MatmulI64(ci, nil, nil, 1, 0, 2)
	if ci[0] != 0 || ci[1] != 0 {
		t.Fatalf("k=0: c = %v, want zeros", ci)
	}
	MatmulF64(nil, nil, make([]float64, 6), 0, 2, 3) // m == 0
	MatmulI32(nil, make([]int32, 6), nil, 3, 2, 0)   // n == 0
}

func TestMatmulPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { MatmulF32(nil, nil, nil, -1, 2, 3) }, "negative dimension"},
		{"short a", func() { MatmulF32(make([]float32, 6), make([]float32, 5), make([]float32, 9), 2, 3, 3) }, "len(a) = 5, need 2×3"},
		{"short b", func() { MatmulF64(make([]float64, 6), make([]float64, 6), make([]float64, 8), 2, 3, 3) }, "len(b) = 8, need 3×3"},
		{"short c", func() { MatmulI32(make([]int32, 5), make([]int32, 6), make([]int32, 9), 2, 3, 3) }, "MatmulI32: len(c) = 5"},
		{"overflow", func() { MatmulI64(nil, nil, nil, 1<<40, 1<<40, 0) }, "len(a) = 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Fatalf("panic %v, want message containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestMatmulConcurrent runs several large products at once (shared packing
// buffer pools; meaningful mostly under -race).
func TestMatmulConcurrent(t *testing.T) {
	const m, k, n = 70, 300, 90
	r := rand.New(rand.NewPCG(9, 10))
	a, b := randFloats[float32](r, m*k), randFloats[float32](r, k*n)
	want := make([]float32, m*n)
	MatmulF32(want, a, b, m, k, n)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			c := make([]float32, m*n)
			for it := 0; it < 3; it++ {
				MatmulF32(c, a, b, m, k, n)
				for i := range c {
					if c[i] != want[i] {
						t.Errorf("goroutine %d: c[%d] = %v, want %v", g, i, c[i], want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func benchFloat[T float32 | float64](b *testing.B, mul func(c, a, b []T, m, k, n int), m, k, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y, z := randFloats[T](r, m*k), randFloats[T](r, k*n), make([]T, m*n)
	for b.Loop() {
		mul(z, x, y, m, k, n)
	}
	b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkMatmulF32_64(b *testing.B)   { benchFloat(b, MatmulF32, 64, 64, 64) }
func BenchmarkMatmulF32_256(b *testing.B)  { benchFloat(b, MatmulF32, 256, 256, 256) }
func BenchmarkMatmulF32_1024(b *testing.B) { benchFloat(b, MatmulF32, 1024, 1024, 1024) }
func BenchmarkMatmulF64_1024(b *testing.B) { benchFloat(b, MatmulF64, 1024, 1024, 1024) }

func BenchmarkMatmulI32_512(b *testing.B) {
	const n = 512
	x, y, z := make([]int32, n*n), make([]int32, n*n), make([]int32, n*n)
	for i := range x {
		x[i], y[i] = int32(i%13), int32(i%7)
	}
	for b.Loop() {
		MatmulI32(z, x, y, n, n, n)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
}
