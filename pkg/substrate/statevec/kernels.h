// kernels.h: the C kernels of the state-vector simulator (kernels.c,
// kernels_cgo.go). kernels_go.go computes the same passes in Go; it is the
// reference and the CGO_ENABLED=0 path.

#ifndef SOKR_STATEVEC_KERNELS_H
#define SOKR_STATEVEC_KERNELS_H

#include <stdint.h>

// Pass kinds (desc[0]).
enum {
	SV_DENSE = 1, // out[r] = sum_c m[r][c] * in[c]
	SV_DIAG = 2,  // out[r] = d[r] * in[r], for the listed rows
	SV_PERM = 3,  // out[r] = d[r] * in[src[r]], for the listed rows
};

// Instruction-set variants.
enum {
	SV_ISA_BEST = 0,
	SV_ISA_BASELINE = 1,
	SV_ISA_AVX2 = 2,      // AVX2 + FMA
	SV_ISA_X86_64_V4 = 3, // AVX-512
};

// SV_MAX_K is the most target qubits of one pass (a 32x32 matrix).
#define SV_MAX_K 5

// A pass is described by a flat int64 array, so that no Go pointer is
// stored in memory passed to C:
//
//	desc[0]            kind
//	desc[1]            k, the number of target qubits (D = 1 << k rows)
//	desc[2]            npos, the number of fixed bits (targets and controls)
//	desc[3]            nrows, the rows a DIAG or PERM pass touches
//	desc[4]            ctrl, the control bits that must be set
//	desc[5 ...]        pos[npos]: the fixed bit positions, ascending
//	then               off[D]: the amplitude offset of each row
//	then               rows[nrows]
//	then               src[D] (PERM)
//
// The pass visits the bases b in [lo, hi): the amplitude index with zeros
// inserted at every fixed bit, ORed with ctrl. Row r of a base is the
// amplitude at index + off[r].
//
// m holds the matrix split into real and imaginary parts: DENSE stores the
// real parts column-major (m[c*D + r]) followed by the imaginary parts;
// DIAG and PERM store D real parts then D imaginary parts.
//
// amp is interleaved (re, im) pairs. The functions return 0, having done
// nothing, when the CPU lacks the requested instruction set.
int32_t sv_apply_c128(int32_t isa, const int64_t *desc, const double *m, double *amp, int64_t lo, int64_t hi);
int32_t sv_apply_c64(int32_t isa, const int64_t *desc, const float *m, float *amp, int64_t lo, int64_t hi);

// sv_lanes_c128 and sv_lanes_c64 apply a pass none of whose fixed bits is
// among the lowest w qubits (w = 2 for complex128, 3 for complex64): desc
// describes it on vectors of W = 2^w amplitudes (64 bytes), positions and
// offsets shifted down by w, and lo, hi count bases of vectors.
int32_t sv_lanes_c128(int32_t isa, const int64_t *desc, const double *m, double *amp, int64_t lo, int64_t hi);
int32_t sv_lanes_c64(int32_t isa, const int64_t *desc, const float *m, float *amp, int64_t lo, int64_t hi);

// sv_gather copies a chunk of a cache-blocked stage between the state and
// a buffer (see kernels.c).
void sv_gather(int64_t esz, void *a, void *buf, int64_t base, uint64_t high, int64_t nruns,
	int64_t rlen, const int64_t *lane, int64_t W, int32_t scatter);

// sv_best_isa is the best variant this CPU runs.
int32_t sv_best_isa(void);

// sv_scale multiplies x[0:n) by s in place: the memory-bound floor that
// BenchmarkOnePass compares a one-qubit pass with.
void sv_scale(double *x, int64_t n, double s);

#endif
