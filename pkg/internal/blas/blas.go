package blas

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"unsafe"
)

// EnvVar names the environment variable that, when set, selects the only
// shared library Load will try (a soname such as "libopenblas.so.0" or an
// absolute path).
const EnvVar = "SOKR_BLAS"

// candidates lists the sonames Load tries, in order, when EnvVar is unset.
// They are resolved by the dynamic loader's usual search (ld.so.cache,
// LD_LIBRARY_PATH, ...).
var candidates = []string{
	"libopenblas.so.0",  // OpenBLAS (Debian/Ubuntu alternatives, upstream)
	"libopenblas.so",    // OpenBLAS without a versioned soname / dev symlink
	"libopenblaso.so.0", // OpenBLAS, OpenMP flavour (Fedora/RHEL naming)
	"libopenblasp.so.0", // OpenBLAS, pthreads flavour (Fedora/RHEL naming)
	"libblis.so.4",      // BLIS (built with its CBLAS layer)
	"libmkl_rt.so.2",    // Intel oneMKL single dynamic library
	"libblas.so.3",      // whatever the system BLAS alternative points at
}

// Candidates returns the library names Load tries, in order, when
// SOKR_BLAS is not set.
func Candidates() []string {
	return append([]string(nil), candidates...)
}

// ErrUnavailable is wrapped by the error Load returns when no usable CBLAS
// library was found.
var ErrUnavailable = errors.New("blas: no CBLAS library available")

// Lib is a dynamically loaded CBLAS library. A Lib is safe for concurrent
// use by multiple goroutines to the extent the underlying library is
// (OpenBLAS, BLIS and MKL are reentrant for gemm). Libs are never unloaded.
type Lib struct {
	name   string
	path   string
	handle unsafe.Pointer
	sgemm  unsafe.Pointer
	dgemm  unsafe.Pointer
	setTh  unsafe.Pointer // openblas_set_num_threads, may be nil
	getTh  unsafe.Pointer // openblas_get_num_threads, may be nil
	config string         // openblas_get_config(), if exported
}

var (
	loadOnce sync.Once
	loadLib  *Lib
	loadErr  error
	loadEnv  string // SOKR_BLAS when Load ran, trimmed; "" when unset
)

// Load returns the process-wide CBLAS library, loading it on first use.
// The result (library or error) is cached: later calls return the same
// values without touching the file system again.
//
// If the environment variable SOKR_BLAS is set, only that library is tried.
// Otherwise the names returned by Candidates are tried in order. A library is
// accepted only if it exports both cblas_sgemm and cblas_dgemm; a library
// without the CBLAS symbols (e.g. a Fortran-only reference BLAS) is closed
// and the next candidate is tried. When nothing fits, the returned error
// wraps ErrUnavailable and describes every attempt.
//
// Load never panics and importing this package has no side effects, so a
// program that does not have any BLAS installed still builds and runs.
func Load() (*Lib, error) {
	loadOnce.Do(func() {
		loadEnv = requested()
		if loadEnv == "" {
			loadLib, loadErr = loadFrom(candidates)
			return
		}
		loadLib, loadErr = open(loadEnv)
		if loadErr != nil {
			loadErr = envError(loadEnv, loadErr)
		}
	})
	return loadLib, loadErr
}

// RequestError returns why the library SOKR_BLAS names could not be used,
// or nil when SOKR_BLAS is unset or its library loaded. SOKR_BLAS is the
// only library Load tries, so when it fails matrix products run on the Go
// kernels: reports such as `sokr info` show this error, so that a typo in
// SOKR_BLAS is not merely slow.
func RequestError() error {
	if _, err := Load(); err != nil && loadEnv != "" {
		return err
	}
	return nil
}

// envError is Load's error when SOKR_BLAS names a library that cannot be
// used.
func envError(name string, err error) error {
	return fmt.Errorf("%w: %s=%s cannot be used (%v); matrix products use the Go kernels "+
		"(point %s at a CBLAS shared library, or unset it to search %s)",
		ErrUnavailable, EnvVar, name, err, EnvVar, strings.Join(candidates, ", "))
}

// requested returns SOKR_BLAS trimmed, "" when it is unset or blank.
func requested() string {
	return strings.TrimSpace(os.Getenv(EnvVar))
}

// Available reports whether Load succeeds.
func Available() bool {
	_, err := Load()
	return err == nil
}

// Open loads the named shared library (a soname or path) without caching it
// and without consulting SOKR_BLAS. Most callers want Load.
func Open(name string) (*Lib, error) {
	return loadFrom([]string{name})
}

func loadFrom(names []string) (*Lib, error) {
	var tried []string
	for _, name := range names {
		lib, err := open(name)
		if err == nil {
			return lib, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %v", name, err))
	}
	return nil, fmt.Errorf("%w (tried %s; set %s to a CBLAS shared library, "+
		"or install one, e.g. apt-get install libopenblas0-pthread)",
		ErrUnavailable, strings.Join(tried, "; "), EnvVar)
}

// Name returns the name the library was loaded by (the soname or path that
// was passed to dlopen, e.g. "libopenblas.so.0").
func (l *Lib) Name() string {
	if l == nil {
		return ""
	}
	return l.name
}

// Path returns the file the CBLAS symbols were resolved from, as reported by
// dladdr with symbolic links resolved (on Debian, for example,
// "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"
// behind the libopenblas.so.0 alternative). It falls back to Name when the
// loader cannot tell.
func (l *Lib) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Config returns the library's build description when it exports one
// (OpenBLAS: openblas_get_config, e.g. "OpenBLAS 0.3.21 NO_LAPACKE
// DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"), or "".
func (l *Lib) Config() string {
	if l == nil {
		return ""
	}
	return l.config
}

// CanSetThreads reports whether the library exports
// openblas_set_num_threads, i.e. whether SetThreads has any effect.
func (l *Lib) CanSetThreads() bool {
	return l != nil && l.setTh != nil
}

// SetThreads sets the number of threads the library uses for subsequent
// calls (OpenBLAS only: openblas_set_num_threads). It returns false, and
// does nothing, if the library has no such function or n < 1. The setting
// is process-wide.
func (l *Lib) SetThreads(n int) bool {
	if l == nil || l.setTh == nil || n < 1 || n > math.MaxInt32 {
		return false
	}
	l.setThreadsCall(n)
	return true
}

// Threads returns the library's current thread count
// (openblas_get_num_threads), or 0 if the library does not say.
func (l *Lib) Threads() int {
	if l == nil || l.getTh == nil {
		return 0
	}
	return l.threadsCall()
}

// ErrBadArgs is wrapped by the errors Sgemm and Dgemm return for invalid
// dimensions, leading dimensions or slice lengths.
var ErrBadArgs = errors.New("blas: invalid gemm arguments")

// ErrExiting is returned by calls made while the process exits: from then on
// the library is being torn down (see the note on sokr_quiesce in
// dl_cgo.go), and the call computes nothing.
var ErrExiting = errors.New("blas: the process is exiting")

// Sgemm computes C = alpha·op(A)·op(B) + beta·C in single precision, with
// all matrices in row-major order (CblasRowMajor), where op(X) is X or Xᵀ
// according to transA/transB. op(A) is m×k, op(B) is k×n and C is m×n.
//
// lda, ldb and ldc are row strides in elements: A is stored as an m×k
// (k×m if transA) matrix, so lda ≥ max(1, k) (max(1, m) if transA);
// likewise ldb ≥ max(1, n) (max(1, k) if transB) and ldc ≥ max(1, n).
// Every slice must be long enough for its matrix, (rows-1)·ld + cols
// elements. Arguments are validated in Go before calling into the library;
// invalid ones yield an error wrapping ErrBadArgs and leave C untouched.
// If m or n is zero the call does nothing. C must not alias A or B.
func (l *Lib) Sgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32,
	c []float32, ldc int) error {
	if l == nil {
		return errors.New("blas: Sgemm on nil *Lib")
	}
	if err := check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	if !l.sgemmCall(transA, transB, m, n, k, alpha, ptr(a), lda, ptr(b), ldb, beta, ptr(c), ldc) {
		return ErrExiting
	}
	return nil
}

// Dgemm is Sgemm in double precision (cblas_dgemm); see Sgemm for the
// argument conventions.
func (l *Lib) Dgemm(transA, transB bool, m, n, k int, alpha float64,
	a []float64, lda int, b []float64, ldb int, beta float64,
	c []float64, ldc int) error {
	if l == nil {
		return errors.New("blas: Dgemm on nil *Lib")
	}
	if err := check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	if !l.dgemmCall(transA, transB, m, n, k, alpha, ptr(a), lda, ptr(b), ldb, beta, ptr(c), ldc) {
		return ErrExiting
	}
	return nil
}

// ptr returns a pointer to the first element of s, or nil for an empty
// slice (only possible when the library will not dereference it, i.e. k == 0
// for A and B).
func ptr[T float32 | float64](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(s))
}

// check validates gemm arguments as the reference CBLAS does (row-major),
// and additionally that every slice holds its whole matrix.
func check(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadArgs, fmt.Sprintf(format, args...))
	}
	for _, d := range [...]struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}, {"lda", lda}, {"ldb", ldb}, {"ldc", ldc}} {
		if d.v < 0 || d.v > math.MaxInt32 {
			return bad("%s = %d out of range [0, %d]", d.name, d.v, math.MaxInt32)
		}
	}
	// Stored shapes (rows × cols) in row-major order.
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) {
		return bad("lda = %d < max(1, %d) for %s A", lda, aCols, trans(transA))
	}
	if ldb < max(1, bCols) {
		return bad("ldb = %d < max(1, %d) for %s B", ldb, bCols, trans(transB))
	}
	if ldc < max(1, n) {
		return bad("ldc = %d < max(1, n = %d)", ldc, n)
	}
	if need := need(aRows, aCols, lda); int64(lenA) < need {
		return bad("len(a) = %d < %d needed for a %dx%d A with lda %d", lenA, need, aRows, aCols, lda)
	}
	if need := need(bRows, bCols, ldb); int64(lenB) < need {
		return bad("len(b) = %d < %d needed for a %dx%d B with ldb %d", lenB, need, bRows, bCols, ldb)
	}
	if need := need(m, n, ldc); int64(lenC) < need {
		return bad("len(c) = %d < %d needed for a %dx%d C with ldc %d", lenC, need, m, n, ldc)
	}
	return nil
}

func trans(t bool) string {
	if t {
		return "transposed"
	}
	return "non-transposed"
}

// need returns the number of elements a rows×cols row-major matrix with
// leading dimension ld occupies. Inputs are < 2³¹, so the result fits in an
// int64 even where int is 32 bits wide.
func need(rows, cols, ld int) int64 {
	if rows == 0 || cols == 0 {
		return 0
	}
	return int64(rows-1)*int64(ld) + int64(cols)
}
