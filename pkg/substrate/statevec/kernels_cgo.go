//go:build cgo

package statevec

// The C kernels (kernels.c). Builds without cgo use the Go kernels
// (runPassGo), which the tests compare with these.

/*
#cgo CFLAGS: -O3 -fno-fast-math
#include "kernels.h"
*/
import "C"

import "unsafe"

// haveNative reports that this build has the C kernels.
const haveNative = true

// Instruction-set variants of the C kernels, for the tests.
const (
	isaBaseline = C.SV_ISA_BASELINE
	isaAVX2     = C.SV_ISA_AVX2
	isaV4       = C.SV_ISA_X86_64_V4
)

var cBestISA = int(C.sv_best_isa())

// bestISA is the best variant of the C kernels this CPU runs.
func bestISA() int { return cBestISA }

// isaName names the variant in use, for Describe and the benchmarks.
func isaName() string {
	switch cBestISA {
	case isaV4:
		return "c/avx512"
	case isaAVX2:
		return "c/avx2"
	}
	return "c/baseline"
}

// runPass applies p to the bases [lo, hi) of a with the best C kernel:
// the kernel across lanes when p allows and lo and hi are whole vectors.
func runPass[T amp](p *pass, a []T, lo, hi int) {
	if w := laneBits[T](); lanesFor[T](p) != nil && lo&(1<<w-1) == 0 && hi&(1<<w-1) == 0 {
		runLanesISA(p, a, lo, hi, cBestISA)
		return
	}
	runPassISA(p, a, lo, hi, cBestISA)
}

// runLanesISA applies p, which must have a lanes descriptor, to the bases
// [lo, hi) of a (multiples of the lanes) with the given variant of the
// kernels across lanes; it reports false, having done nothing, when the
// CPU lacks it.
func runLanesISA[T amp](p *pass, a []T, lo, hi int, isa int) bool {
	if isa > cBestISA {
		return false
	}
	if hi <= lo {
		return true
	}
	w := laneBits[T]()
	desc := lanesFor[T](p)
	if desc == nil || lo&(1<<w-1) != 0 || hi&(1<<w-1) != 0 {
		panic("statevec: pass not across lanes")
	}
	if p.Index(hi-1)+p.Off[len(p.Off)-1] >= len(a) || lo < 0 {
		panic("statevec: pass out of range")
	}
	d := (*C.int64_t)(unsafe.Pointer(unsafe.SliceData(desc)))
	switch s := any(a).(type) {
	case []complex128:
		C.sv_lanes_c128(C.int32_t(isa), d, (*C.double)(unsafe.Pointer(unsafe.SliceData(p.m128))),
			(*C.double)(unsafe.Pointer(unsafe.SliceData(s))), C.int64_t(lo>>w), C.int64_t(hi>>w))
	case []complex64:
		C.sv_lanes_c64(C.int32_t(isa), d, (*C.float)(unsafe.Pointer(unsafe.SliceData(p.m64))),
			(*C.float)(unsafe.Pointer(unsafe.SliceData(s))), C.int64_t(lo>>w), C.int64_t(hi>>w))
	}
	return true
}

// gatherChunk copies a chunk of st from a (base: its first amplitude) into
// buf, or back with scatter (see kernels.c sv_gather).
func gatherChunk[T amp](st *stage, a, buf []T, base int, scatter bool) {
	var z T
	var lane *C.int64_t
	if st.lane != nil {
		lane = (*C.int64_t)(unsafe.Pointer(unsafe.SliceData(st.lane)))
	}
	sc := C.int32_t(0)
	if scatter {
		sc = 1
	}
	C.sv_gather(C.int64_t(unsafe.Sizeof(z)), unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(buf)),
		C.int64_t(base), C.uint64_t(st.high), C.int64_t(st.nruns),
		C.int64_t(st.rlen), lane, C.int64_t(len(st.lane)), sc)
}

// runPassISA applies p with the given variant of the C kernels; it reports
// false, having done nothing, when the CPU lacks it.
func runPassISA[T amp](p *pass, a []T, lo, hi int, isa int) bool {
	if isa > cBestISA {
		return false
	}
	if hi <= lo {
		return true
	}
	// The C code reads desc and the matrix and writes a[index(lo) ... index(hi-1)]:
	// check the bounds here, where a mistake panics instead of corrupting memory.
	if p.Index(hi-1)+p.Off[len(p.Off)-1] >= len(a) || lo < 0 {
		panic("statevec: pass out of range")
	}
	desc := (*C.int64_t)(unsafe.Pointer(unsafe.SliceData(p.desc)))
	switch s := any(a).(type) {
	case []complex128:
		C.sv_apply_c128(C.int32_t(isa), desc, (*C.double)(unsafe.Pointer(unsafe.SliceData(p.m128))),
			(*C.double)(unsafe.Pointer(unsafe.SliceData(s))), C.int64_t(lo), C.int64_t(hi))
	case []complex64:
		C.sv_apply_c64(C.int32_t(isa), desc, (*C.float)(unsafe.Pointer(unsafe.SliceData(p.m64))),
			(*C.float)(unsafe.Pointer(unsafe.SliceData(s))), C.int64_t(lo), C.int64_t(hi))
	}
	return true
}

// scaleC multiplies x by s in place in C, vectorized by the compiler: the
// reference for the bandwidth of a pass (BenchmarkOnePass).
func scaleC(x []float64, s float64) {
	if len(x) > 0 {
		C.sv_scale((*C.double)(unsafe.Pointer(unsafe.SliceData(x))), C.int64_t(len(x)), C.double(s))
	}
}
