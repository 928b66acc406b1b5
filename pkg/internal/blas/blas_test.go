package blas

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// blasRequired reports whether a missing BLAS must fail the tests instead of
// skipping them: in CI (CI=true, as set by GitHub Actions and most other CI
// systems; the CI script installs libopenblas0-pthread) or when
// SOKR_REQUIRE_BLAS is true.
func blasRequired() bool {
	for _, v := range []string{"CI", "SOKR_REQUIRE_BLAS"} {
		if ok, _ := strconv.ParseBool(os.Getenv(v)); ok {
			return true
		}
	}
	return false
}

// mustLoad returns the BLAS library, skipping the test when none is
// installed (or failing it when blasRequired).
func mustLoad(tb testing.TB) *Lib {
	tb.Helper()
	lib, err := Load()
	if err != nil {
		if blasRequired() {
			tb.Fatalf("BLAS required (CI or SOKR_REQUIRE_BLAS set) but not loadable: %v", err)
		}
		tb.Skipf("skipping BLAS-specific test: no CBLAS library installed "+
			"(apt-get install libopenblas0-pthread, or set %s): %v", EnvVar, err)
	}
	return lib
}

func TestLoadIsCached(t *testing.T) {
	l1, err1 := Load()
	l2, err2 := Load()
	if l1 != l2 || err1 != err2 {
		t.Fatalf("Load not cached: (%p, %v) vs (%p, %v)", l1, err1, l2, err2)
	}
	if (l1 == nil) == (err1 == nil) {
		t.Fatalf("Load must return exactly one of lib/error, got %v, %v", l1, err1)
	}
	if loadEnv == "" && RequestError() != nil {
		t.Errorf("RequestError() = %v with %s unset: a missing default BLAS is not an error to report", RequestError(), EnvVar)
	}
	if err1 != nil {
		if !errors.Is(err1, ErrUnavailable) {
			t.Errorf("error %v does not wrap ErrUnavailable", err1)
		}
		if Available() {
			t.Error("Available() true although Load failed")
		}
		t.Logf("no BLAS: %v", err1)
		return
	}
	if !Available() {
		t.Error("Available() false although Load succeeded")
	}
	t.Logf("loaded %s (%s), config %q, threads=%d, canSetThreads=%v",
		l1.Name(), l1.Path(), l1.Config(), l1.Threads(), l1.CanSetThreads())
}

func TestRequested(t *testing.T) {
	t.Setenv(EnvVar, " ")
	if got := requested(); got != "" {
		t.Errorf("requested() with a blank %s = %q", EnvVar, got)
	}
	t.Setenv(EnvVar, " /opt/blas/libfoo.so ")
	if got := requested(); got != "/opt/blas/libfoo.so" {
		t.Errorf("requested() with %s set = %q, want the trimmed name", EnvVar, got)
	}
}

// TestCandidates opens each default candidate on its own. One that opens
// is named as asked, says which file it came from and multiplies correctly
// in both precisions; one that does not says why (dlopen's message or the
// missing CBLAS symbol). Load, with SOKR_BLAS unset, picks the first that
// opens, and fails with ErrUnavailable only when none does.
func TestCandidates(t *testing.T) {
	if !dlopenSupported {
		t.Skip("this build cannot dlopen")
	}
	first := ""
	for _, name := range Candidates() {
		lib, err := open(name)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "dlopen failed: ") && !strings.HasPrefix(msg, "no symbol cblas_") {
				t.Errorf("%s: the error %q says neither what dlopen said nor which symbol is missing", name, msg)
			}
			t.Logf("%-18s unusable: %v", name, err)
			continue
		}
		t.Logf("%-18s ok: %s", name, lib.Path())
		if first == "" {
			first = name
		}
		if lib.Name() != name {
			t.Errorf("%s: Name() = %q", name, lib.Name())
		}
		if lib.Path() == "" {
			t.Errorf("%s: Path() is empty", name)
		}
		// [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50], exact in both precisions.
		d := make([]float64, 4)
		if err := lib.Dgemm(false, false, 2, 2, 2, 1, []float64{1, 2, 3, 4}, 2, []float64{5, 6, 7, 8}, 2, 0, d, 2); err != nil {
			t.Errorf("%s: Dgemm: %v", name, err)
		} else if want := []float64{19, 22, 43, 50}; !slices.Equal(d, want) {
			t.Errorf("%s: Dgemm gave %v, want %v", name, d, want)
		}
		s := make([]float32, 4)
		if err := lib.Sgemm(false, false, 2, 2, 2, 1, []float32{1, 2, 3, 4}, 2, []float32{5, 6, 7, 8}, 2, 0, s, 2); err != nil {
			t.Errorf("%s: Sgemm: %v", name, err)
		} else if want := []float32{19, 22, 43, 50}; !slices.Equal(s, want) {
			t.Errorf("%s: Sgemm gave %v, want %v", name, s, want)
		}
	}
	if first == "" && blasRequired() {
		t.Fatal("BLAS required (CI or SOKR_REQUIRE_BLAS set) but no default candidate opens")
	}
	if strings.TrimSpace(os.Getenv(EnvVar)) != "" {
		return // Load tries only the library SOKR_BLAS names
	}
	lib, err := Load()
	switch {
	case first == "" && !errors.Is(err, ErrUnavailable):
		t.Errorf("no candidate opens, yet Load gave (%v, %v)", lib, err)
	case first != "" && (err != nil || lib.Name() != first):
		t.Errorf("Load gave (%s, %v), want the first candidate that opens, %s", lib.Name(), err, first)
	}
}

// TestEnvOverride re-runs this test binary with SOKR_BLAS set, since Load
// caches its result per process.
func TestEnvOverride(t *testing.T) {
	if os.Getenv("SOKR_BLAS_TEST_CHILD") == "1" {
		lib, err := Load()
		if err != nil {
			fmt.Printf("CHILD ERR %v\n", err)
		} else {
			fmt.Printf("CHILD OK %s\n", lib.Name())
		}
		if rerr := RequestError(); rerr != err && (rerr != nil || lib == nil) {
			fmt.Printf("CHILD RequestError %v differs from Load's error %v\n", rerr, err)
		}
		return
	}
	if !dlopenSupported {
		t.Skip("this build cannot dlopen")
	}
	run := func(val string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvOverride$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SOKR_BLAS_TEST_CHILD=1", EnvVar+"="+val)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %s=%s: %v\n%s", EnvVar, val, err, out)
		}
		return string(out)
	}
	// A library without CBLAS, and a missing one: only it is tried, so Load
	// fails, naming SOKR_BLAS and why, and RequestError reports the same
	// error (what `sokr info` shows).
	out := run("libm.so.6")
	if !strings.Contains(out, "CHILD ERR blas: no CBLAS library available: SOKR_BLAS=libm.so.6 cannot be used (no symbol cblas_sgemm") ||
		strings.Contains(out, "RequestError") {
		t.Errorf("%s=libm.so.6: unexpected child output:\n%s", EnvVar, out)
	}
	out = run("/nonexistent/libsokr-no-such-blas.so")
	if !strings.Contains(out, "CHILD ERR blas: no CBLAS library available: SOKR_BLAS=/nonexistent/libsokr-no-such-blas.so cannot be used (dlopen failed: ") ||
		strings.Contains(out, "RequestError") {
		t.Errorf("%s=/nonexistent/...: unexpected child output:\n%s", EnvVar, out)
	}
	lib := mustLoad(t)
	if out := run(lib.Path()); !strings.Contains(out, "CHILD OK "+lib.Path()) {
		t.Errorf("%s=%s: unexpected child output:\n%s", EnvVar, lib.Path(), out)
	}
}

func TestOpenMissingLibrary(t *testing.T) {
	if !dlopenSupported {
		t.Skip("this build cannot dlopen")
	}
	_, err := Open("libsokr-no-such-blas.so.42")
	if err == nil {
		t.Fatal("Open of a nonexistent library succeeded")
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "libsokr-no-such-blas.so.42") ||
		!strings.Contains(err.Error(), "dlopen failed") {
		t.Errorf("unhelpful error: %v", err)
	}
}

func TestOpenLibraryWithoutCBLAS(t *testing.T) {
	if !dlopenSupported {
		t.Skip("this build cannot dlopen")
	}
	// libm is always present on glibc systems and has no cblas_* symbols.
	_, err := Open("libm.so.6")
	if err == nil {
		t.Fatal("Open(libm.so.6) succeeded")
	}
	if !strings.Contains(err.Error(), "no symbol cblas_sgemm") {
		t.Errorf("error should name the missing symbol: %v", err)
	}
}

func TestLoadFromFallsThrough(t *testing.T) {
	lib := mustLoad(t)
	got, err := loadFrom([]string{"libsokr-no-such-blas.so.42", "libm.so.6", lib.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != lib.Name() {
		t.Errorf("loadFrom picked %q, want %q", got.Name(), lib.Name())
	}
}

func TestNilLib(t *testing.T) {
	var l *Lib
	if err := l.Sgemm(false, false, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, []float32{0}, 1); err == nil {
		t.Error("Sgemm on nil Lib: want error")
	}
	if err := l.Dgemm(false, false, 1, 1, 1, 1, []float64{1}, 1, []float64{1}, 1, 0, []float64{0}, 1); err == nil {
		t.Error("Dgemm on nil Lib: want error")
	}
	if l.Name() != "" || l.Path() != "" || l.Config() != "" || l.SetThreads(2) || l.Threads() != 0 || l.CanSetThreads() {
		t.Error("nil Lib accessors should return zero values")
	}
}

func TestCheck(t *testing.T) {
	// A 2x3 · B 3x4 = C 2x4, compact.
	ok := []struct {
		ta, tb                    bool
		m, n, k                   int
		la, lda, lb, ldb, lc, ldc int
	}{
		{false, false, 2, 4, 3, 6, 3, 12, 4, 8, 4},
		{true, false, 2, 4, 3, 6, 2, 12, 4, 8, 4},   // A stored 3x2
		{false, true, 2, 4, 3, 6, 3, 12, 3, 8, 4},   // B stored 4x3
		{false, false, 2, 4, 3, 8, 4, 15, 5, 11, 5}, // padded rows: last row need not be padded
		{false, false, 0, 0, 0, 0, 1, 0, 1, 0, 1},
		{false, false, 2, 4, 0, 0, 1, 0, 4, 8, 4}, // k == 0: C = beta*C
	}
	for i, c := range ok {
		if err := check(c.ta, c.tb, c.m, c.n, c.k, c.la, c.lda, c.lb, c.ldb, c.lc, c.ldc); err != nil {
			t.Errorf("case %d: unexpected error %v", i, err)
		}
	}
	bad := []struct {
		ta, tb                    bool
		m, n, k                   int
		la, lda, lb, ldb, lc, ldc int
		want                      string
	}{
		{false, false, -1, 4, 3, 6, 3, 12, 4, 8, 4, "m = -1"},
		{false, false, 2, 4, 3, 6, 2, 12, 4, 8, 4, "lda = 2"},
		{true, false, 2, 4, 3, 6, 3, 12, 4, 8, 4, "len(a) = 6"}, // lda 3 ≥ m 2 is fine, but 6 < (3-1)·3+2
		{false, false, 2, 4, 3, 5, 3, 12, 4, 8, 4, "len(a) = 5"},
		{false, false, 2, 4, 3, 6, 3, 11, 4, 8, 4, "len(b) = 11"},
		{false, true, 2, 4, 3, 6, 3, 12, 2, 8, 4, "ldb = 2"},
		{false, false, 2, 4, 3, 6, 3, 12, 4, 7, 4, "len(c) = 7"},
		{false, false, 2, 4, 3, 6, 3, 12, 4, 8, 3, "ldc = 3"},
		{false, false, 0, 0, 0, 0, 0, 0, 1, 0, 1, "lda = 0"},
		{false, false, 1 << 31, 1, 1, 1 << 31, 1, 1, 1, 1 << 31, 1, "out of range"},
	}
	for i, c := range bad {
		err := check(c.ta, c.tb, c.m, c.n, c.k, c.la, c.lda, c.lb, c.ldb, c.lc, c.ldc)
		if err == nil {
			t.Errorf("case %d: want error", i)
			continue
		}
		if !errors.Is(err, ErrBadArgs) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %q, want ErrBadArgs containing %q", i, err, c.want)
		}
	}
}

// naiveGemm is the reference: C = alpha·op(A)·op(B) + beta·C, row-major,
// accumulated in float64.
func naiveGemm[T float32 | float64](ta, tb bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if ta {
					ai = p*lda + i
				}
				if tb {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = T(float64(alpha)*s + float64(beta)*float64(c[i*ldc+j]))
		}
	}
}

func randSlice[T float32 | float64](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	ta, tb  bool
	m, n, k int
	pad     int // extra elements per row in every leading dimension
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, d := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {128, 96, 64}, {1, 200, 3}, {64, 1, 129}, {5, 4, 0}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, pad := range []int{0, 3} {
					cs = append(cs, gemmCase{ta, tb, d[0], d[1], d[2], pad})
				}
			}
		}
	}
	return cs
}

func (g gemmCase) dims() (aLen, lda, bLen, ldb, cLen, ldc int) {
	aRows, aCols := g.m, g.k
	if g.ta {
		aRows, aCols = g.k, g.m
	}
	bRows, bCols := g.k, g.n
	if g.tb {
		bRows, bCols = g.n, g.k
	}
	lda, ldb, ldc = max(1, aCols)+g.pad, max(1, bCols)+g.pad, max(1, g.n)+g.pad
	return aRows * lda, lda, bRows * ldb, ldb, g.m * ldc, ldc
}

func (g gemmCase) String() string {
	return fmt.Sprintf("ta=%v,tb=%v,%dx%dx%d,pad=%d", g.ta, g.tb, g.m, g.n, g.k, g.pad)
}

func TestSgemm(t *testing.T) {
	lib := mustLoad(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range gemmCases() {
		aLen, lda, bLen, ldb, cLen, ldc := g.dims()
		a, b := randSlice[float32](r, aLen), randSlice[float32](r, bLen)
		c := randSlice[float32](r, cLen)
		want := append([]float32(nil), c...)
		const alpha, beta = 1.5, -0.5
		naiveGemm(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, want, ldc)
		if err := lib.Sgemm(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, c, ldc); err != nil {
			t.Fatalf("%v: %v", g, err)
		}
		// float32 products summed in a different order: the error bound
		// grows like k·eps32·Σ|a||b|; entries are in [-1,1].
		tol := 1e-6 * float64(g.k+4) * 4
		for i := range c {
			if d := math.Abs(float64(c[i] - want[i])); d > tol {
				t.Fatalf("%v: c[%d] = %v, want %v (|diff| %g > %g)", g, i, c[i], want[i], d, tol)
			}
		}
	}
}

func TestDgemm(t *testing.T) {
	lib := mustLoad(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range gemmCases() {
		aLen, lda, bLen, ldb, cLen, ldc := g.dims()
		a, b := randSlice[float64](r, aLen), randSlice[float64](r, bLen)
		c := randSlice[float64](r, cLen)
		want := append([]float64(nil), c...)
		const alpha, beta = 0.75, 2
		naiveGemm(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, want, ldc)
		if err := lib.Dgemm(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, c, ldc); err != nil {
			t.Fatalf("%v: %v", g, err)
		}
		tol := 1e-14 * float64(g.k+4) * 4
		for i := range c {
			if d := math.Abs(c[i] - want[i]); d > tol {
				t.Fatalf("%v: c[%d] = %v, want %v (|diff| %g > %g)", g, i, c[i], want[i], d, tol)
			}
		}
	}
}

func TestGemmRejectsBadArgs(t *testing.T) {
	lib := mustLoad(t)
	c := []float32{7, 7, 7, 7}
	err := lib.Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, c, 2)
	if !errors.Is(err, ErrBadArgs) {
		t.Fatalf("short A: err = %v, want ErrBadArgs", err)
	}
	for _, v := range c {
		if v != 7 {
			t.Fatal("C modified by a rejected call")
		}
	}
	if err := lib.Dgemm(false, false, 2, 2, 2, 1, make([]float64, 4), 2, make([]float64, 4), 2, 0, make([]float64, 3), 2); !errors.Is(err, ErrBadArgs) {
		t.Fatalf("short C: err = %v, want ErrBadArgs", err)
	}
	// m == 0 / n == 0 are no-ops even with empty slices.
	if err := lib.Sgemm(false, false, 0, 3, 2, 1, nil, 2, make([]float32, 6), 3, 0, nil, 3); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentSgemm calls into the library from several goroutines at once
// (meaningful mostly under -race and for library thread safety).
func TestConcurrentSgemm(t *testing.T) {
	lib := mustLoad(t)
	const n = 48
	r := rand.New(rand.NewPCG(5, 6))
	a, b := randSlice[float32](r, n*n), randSlice[float32](r, n*n)
	want := make([]float32, n*n)
	naiveGemm(false, false, n, n, n, 1, a, n, b, n, 0, want, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			c := make([]float32, n*n)
			for it := 0; it < 20; it++ {
				if err := lib.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n); err != nil {
					errs <- err
					return
				}
				for i := range c {
					if math.Abs(float64(c[i]-want[i])) > 1e-4 {
						errs <- fmt.Errorf("goroutine %d: c[%d] = %v, want %v", g, i, c[i], want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSetThreads(t *testing.T) {
	lib := mustLoad(t)
	if !lib.CanSetThreads() {
		if lib.SetThreads(1) {
			t.Error("SetThreads reported success without openblas_set_num_threads")
		}
		t.Skipf("%s has no openblas_set_num_threads", lib.Name())
	}
	old := lib.Threads()
	defer lib.SetThreads(max(old, 1))
	if !lib.SetThreads(1) {
		t.Fatal("SetThreads(1) failed")
	}
	if got := lib.Threads(); got != 1 {
		t.Errorf("Threads() = %d after SetThreads(1)", got)
	}
	if lib.SetThreads(0) {
		t.Error("SetThreads(0) should be rejected")
	}
}

func benchGemm(b *testing.B, n int, double bool) {
	lib := mustLoad(b)
	r := rand.New(rand.NewPCG(7, 8))
	var run func() error
	if double {
		x, y, z := randSlice[float64](r, n*n), randSlice[float64](r, n*n), make([]float64, n*n)
		run = func() error { return lib.Dgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) }
	} else {
		x, y, z := randSlice[float32](r, n*n), randSlice[float32](r, n*n), make([]float32, n*n)
		run = func() error { return lib.Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) }
	}
	if err := run(); err != nil { // warm up library threads
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm1024(b *testing.B) { benchGemm(b, 1024, false) }
func BenchmarkDgemm1024(b *testing.B) { benchGemm(b, 1024, true) }
