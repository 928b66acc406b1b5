package kernels

// MatmulI32 computes the row-major matrix product C = A·B for int32, with
// the same shapes and conventions as MatmulF32 (A m×k, B k×n, C m×n, C
// overwritten). Arithmetic wraps around on overflow exactly as Go's int32
// arithmetic does, so the result is the exact product modulo 2³² and does
// not depend on summation order. Large products are split by rows across
// runtime.GOMAXPROCS(0) goroutines.
//
// It panics if m, k or n is negative or a slice is too short. C must not
// overlap A or B.
func MatmulI32(c, a, b []int32, m, k, n int) {
	checkDims("MatmulI32", len(c), len(a), len(b), m, k, n)
	matmulInt(c, a, b, m, k, n)
}

// MatmulI64 is MatmulI32 for int64 (wrapping modulo 2⁶⁴).
func MatmulI64(c, a, b []int64, m, k, n int) {
	checkDims("MatmulI64", len(c), len(a), len(b), m, k, n)
	matmulInt(c, a, b, m, k, n)
}

func matmulInt[T int32 | int64](c, a, b []T, m, k, n int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:m*n])
		return
	}
	workers := workersFor(mulSat(m*k, n))
	// A few row blocks per worker, for dynamic load balance.
	rows := max(1, ceilDiv(m, 4*workers))
	parallelFor(workers, ceilDiv(m, rows), func(_, t int) {
		matmulRows(c, a, b, t*rows, min(m, (t+1)*rows), k, n)
	})
}
