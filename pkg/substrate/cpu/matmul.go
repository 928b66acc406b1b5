package cpu

import (
	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// matmul computes the batched product dst = a·b, a [..., m, k], b [..., k,
// n]. f32 and f64 go through the BLAS when one is loaded, and through the
// blocked Go kernel otherwise (its packing buffers kept in ws, which a run
// shares between its products); integers always use the Go kernel.
func (s *Substrate) matmul(ws *kernels.Workspace, dt sokr.DType, dst, a, b []byte, as, bs sokr.Shape) error {
	r := len(as)
	m, k, n := as[r-2], as[r-1], bs[len(bs)-1]
	batch := as[:r-2].NumElements()
	sz := dt.Size()
	for i := 0; i < batch; i++ {
		c := dst[i*m*n*sz : (i+1)*m*n*sz]
		x := a[i*m*k*sz : (i+1)*m*k*sz]
		y := b[i*k*n*sz : (i+1)*k*n*sz]
		if err := s.gemm(ws, dt, c, x, y, m, k, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *Substrate) gemm(ws *kernels.Workspace, dt sokr.DType, c, a, b []byte, m, k, n int) error {
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 {
		clear(c)
		return nil
	}
	switch dt {
	case sokr.F32:
		if s.blas != nil {
			return s.blasErr(s.blas.Sgemm(false, false, m, n, k, 1, view[float32](a), k, view[float32](b), n, 0, view[float32](c), n))
		}
		ws.MatmulF32(view[float32](c), view[float32](a), view[float32](b), m, k, n)
	case sokr.F64:
		if s.blas != nil {
			return s.blasErr(s.blas.Dgemm(false, false, m, n, k, 1, view[float64](a), k, view[float64](b), n, 0, view[float64](c), n))
		}
		ws.MatmulF64(view[float64](c), view[float64](a), view[float64](b), m, k, n)
	case sokr.I32:
		kernels.MatmulI32(view[int32](c), view[int32](a), view[int32](b), m, k, n)
	case sokr.I64:
		kernels.MatmulI64(view[int64](c), view[int64](a), view[int64](b), m, k, n)
	}
	return nil
}

// blasErr reports a BLAS failure (arguments it cannot take, or a process
// that is exiting) as a fault of this substrate.
func (s *Substrate) blasErr(err error) error {
	if err == nil {
		return nil
	}
	return &sokr.FaultError{Substrate: s.name, Msg: "matrix product through " + s.blas.Name() + " failed", Err: err}
}

// view reinterprets a whole byte slice as elements of T.
func view[T int32 | int64 | float32 | float64](b []byte) []T {
	var z T
	return as[T](b, len(b)/sizeOf(z))
}

func sizeOf[T int32 | int64 | float32 | float64](T) int {
	var z T
	switch any(z).(type) {
	case int32, float32:
		return 4
	}
	return 8
}

// loadBLAS returns the run-time BLAS, or nil when none is installed.
func loadBLAS() *blas.Lib {
	lib, err := blas.Load()
	if err != nil {
		return nil
	}
	return lib
}
