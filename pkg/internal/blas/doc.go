// Package blas gives access to a system CBLAS library (OpenBLAS, BLIS,
// oneMKL or whatever provides libblas.so.3) that is loaded at run time with
// dlopen, so that nothing links against a BLAS at build time.
//
// Importing the package never fails and has no side effects. Load finds a
// library on first use and caches the result; when none is installed it
// returns an error wrapping ErrUnavailable and callers fall back to their
// own code (for example the pure-Go kernels in pkg/internal/kernels):
//
//	lib, err := blas.Load()
//	if err != nil {
//		kernels.MatmulF32(c, a, b, m, k, n) // no BLAS: pure Go
//	} else if err := lib.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n); err != nil {
//		return err
//	}
//
// # Which library
//
// If the environment variable SOKR_BLAS is set (to a soname or a path), only
// that library is tried; when it cannot be used, Load's error says so and
// RequestError returns it, which the cpu and snn substrates report in
// Describe (blas_error, shown by `sokr info`) instead of falling back
// silently to the Go kernels. Otherwise Load tries, in order, libopenblas.so.0,
// libopenblas.so, libopenblaso.so.0, libopenblasp.so.0, libblis.so.4,
// libmkl_rt.so.2 and libblas.so.3, and takes the first that exports both
// cblas_sgemm and cblas_dgemm (a Fortran-only reference libblas.so.3 is
// skipped). On Debian and Ubuntu, "apt-get install libopenblas0-pthread"
// provides libopenblas.so.0 (and points the libblas.so.3 alternative at
// OpenBLAS).
//
// # Threads
//
// OpenBLAS starts its own thread pool, sized by OPENBLAS_NUM_THREADS (or
// OMP_NUM_THREADS) when the library is loaded, or the number of CPUs. The
// variables are read only at load time; afterwards use Lib.SetThreads. The
// pool is shared by every goroutine calling into the library, and busy-waits
// for a short while after each call, so running BLAS calls concurrently with
// CPU-heavy Go code may oversubscribe cores.
//
// # Build requirements
//
// The loader needs cgo and a Unix-like dlopen (it links only against libdl).
// Without cgo, or on other platforms, the package still builds and Load
// always reports ErrUnavailable.
package blas
