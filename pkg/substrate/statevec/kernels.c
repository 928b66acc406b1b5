// kernels.c: the passes of the state-vector simulator over the amplitudes
// (see kernels.h for the pass descriptor). The same passes in Go are in
// kernels_go.go; the tests run both on the same data.
//
// Each kernel is written once for a real type T (double for complex128,
// float for complex64: the complex64 path computes in float) and compiled,
// like pkg/substrate/cpu's fused.c, in three copies: the x86-64 baseline,
// AVX2 with FMA, and x86-64-v4 (AVX-512). sv_best_isa picks the best one
// the CPU runs. The dense kernel is instantiated for each matrix size
// D = 2^k, so that its loops over the D rows are unrolled and vectorized.
//
// The copies with FMA may contract a multiply and an add into one rounding:
// their results can differ from the Go path's in the last bit, which the
// tests allow for (a state vector is not bit-reproducible across libraries
// anyway). Results never depend on the number of threads: every amplitude
// is computed by the same instructions whichever chunk it falls in.

#include "kernels.h"

#include <stddef.h>

#if defined(__FAST_MATH__)
#error "kernels.c needs IEEE semantics: do not build it with -ffast-math"
#endif

#define INLINE static inline __attribute__((always_inline))

#include "../../internal/cpuisa/cpuisa.h"
#define SV_X86_VARIANTS SOKR_X86_VARIANTS

#define SV_D (1 << SV_MAX_K)

// expand inserts a zero bit at each of the npos ascending positions of b.
INLINE int64_t expand(int64_t b, const int64_t *pos, int64_t npos) {
	for (int64_t i = 0; i < npos; i++) {
		int64_t low = b & ((INT64_C(1) << pos[i]) - 1);
		b = ((b - low) << 1) | low;
	}
	return b;
}

#define DEFINE_KERNELS(T, SUF)                                                              \
	/* dense: D x D matrix on each base's D amplitudes, vectorized over rows. */          \
	INLINE void dense_##SUF(const int D, T *restrict a, const T *restrict m,             \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,               \
		int64_t lo, int64_t hi) {                                                         \
		const T *mr = m, *mi = m + D * D;                                                 \
		for (int64_t b = lo; b < hi; b++) {                                               \
			int64_t idx = expand(b, pos, npos) | ctrl;                                    \
			T vr[SV_D], vi[SV_D], yr[SV_D], yi[SV_D];                                     \
			for (int j = 0; j < D; j++) {                                                 \
				const T *p = a + 2 * (idx + off[j]);                                      \
				vr[j] = p[0];                                                             \
				vi[j] = p[1];                                                             \
			}                                                                             \
			for (int i = 0; i < D; i++) {                                                 \
				yr[i] = 0;                                                                \
				yi[i] = 0;                                                                \
			}                                                                             \
			for (int j = 0; j < D; j++) {                                                 \
				const T xr = vr[j], xi = vi[j];                                           \
				const T *cr = mr + j * D, *ci = mi + j * D;                               \
				for (int i = 0; i < D; i++) {                                             \
					yr[i] += cr[i] * xr - ci[i] * xi;                                     \
					yi[i] += cr[i] * xi + ci[i] * xr;                                     \
				}                                                                         \
			}                                                                             \
			for (int i = 0; i < D; i++) {                                                 \
				T *p = a + 2 * (idx + off[i]);                                            \
				p[0] = yr[i];                                                             \
				p[1] = yi[i];                                                             \
			}                                                                             \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	/* pair: a 2x2 matrix on target q >= 1 with no controls. The bases come in runs of \
	   2^q consecutive indices, so the loop runs over contiguous memory. */             \
	INLINE void pair_##SUF(T *restrict a, const T *restrict m, int64_t q,                \
		int64_t lo, int64_t hi) {                                                         \
		const T m00r = m[0], m10r = m[1], m01r = m[2], m11r = m[3];                      \
		const T m00i = m[4], m10i = m[5], m01i = m[6], m11i = m[7];                      \
		const int64_t s = INT64_C(1) << q;                                                \
		for (int64_t b = lo; b < hi;) {                                                   \
			int64_t inner = b & (s - 1);                                                  \
			int64_t run = s - inner;                                                      \
			if (run > hi - b) {                                                           \
				run = hi - b;                                                             \
			}                                                                             \
			int64_t i0 = ((b - inner) << 1) | inner;                                      \
			T *restrict p0 = a + 2 * i0;                                                  \
			T *restrict p1 = a + 2 * (i0 + s);                                            \
			for (int64_t t = 0; t < 2 * run; t += 2) {                                    \
				const T ar = p0[t], ai = p0[t + 1], br = p1[t], bi = p1[t + 1];           \
				p0[t] = (m00r * ar - m00i * ai) + (m01r * br - m01i * bi);                \
				p0[t + 1] = (m00r * ai + m00i * ar) + (m01r * bi + m01i * br);            \
				p1[t] = (m10r * ar - m10i * ai) + (m11r * br - m11i * bi);                \
				p1[t + 1] = (m10r * ai + m10i * ar) + (m11r * bi + m11i * br);            \
			}                                                                             \
			b += run;                                                                     \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	/* pair0: a 2x2 matrix on qubit 0 with no controls: base b's amplitudes are the \
	   adjacent pair at 2b and 2b+1, so the pass is one contiguous stream. */          \
	INLINE void pair0_##SUF(T *restrict a, const T *restrict m, int64_t lo, int64_t hi) { \
		const T m00r = m[0], m10r = m[1], m01r = m[2], m11r = m[3];                      \
		const T m00i = m[4], m10i = m[5], m01i = m[6], m11i = m[7];                      \
		T *restrict p = a + 4 * lo;                                                       \
		for (int64_t t = 0; t < 4 * (hi - lo); t += 4) {                                  \
			const T ar = p[t], ai = p[t + 1], br = p[t + 2], bi = p[t + 3];               \
			p[t] = (m00r * ar - m00i * ai) + (m01r * br - m01i * bi);                     \
			p[t + 1] = (m00r * ai + m00i * ar) + (m01r * bi + m01i * br);                 \
			p[t + 2] = (m10r * ar - m10i * ai) + (m11r * br - m11i * bi);                 \
			p[t + 3] = (m10r * ai + m10i * ar) + (m11r * bi + m11i * br);                 \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	INLINE void diag_##SUF(const int D, T *restrict a, const T *restrict m,              \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,               \
		const int64_t *rows, int64_t nrows, int64_t lo, int64_t hi) {                     \
		const T *dr = m, *di = m + D;                                                     \
		for (int64_t b = lo; b < hi; b++) {                                               \
			int64_t idx = expand(b, pos, npos) | ctrl;                                    \
			for (int64_t t = 0; t < nrows; t++) {                                         \
				int64_t r = rows[t];                                                      \
				T *p = a + 2 * (idx + off[r]);                                            \
				const T xr = p[0], xi = p[1];                                             \
				p[0] = dr[r] * xr - di[r] * xi;                                           \
				p[1] = dr[r] * xi + di[r] * xr;                                           \
			}                                                                             \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	INLINE void perm_##SUF(const int D, T *restrict a, const T *restrict m,              \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,               \
		const int64_t *rows, int64_t nrows, const int64_t *src, int64_t lo, int64_t hi) { \
		const T *dr = m, *di = m + D;                                                     \
		for (int64_t b = lo; b < hi; b++) {                                               \
			int64_t idx = expand(b, pos, npos) | ctrl;                                    \
			T yr[SV_D], yi[SV_D];                                                         \
			for (int64_t t = 0; t < nrows; t++) {                                         \
				int64_t r = rows[t];                                                      \
				const T *p = a + 2 * (idx + off[src[r]]);                                 \
				const T xr = p[0], xi = p[1];                                             \
				yr[t] = dr[r] * xr - di[r] * xi;                                          \
				yi[t] = dr[r] * xi + di[r] * xr;                                          \
			}                                                                             \
			for (int64_t t = 0; t < nrows; t++) {                                         \
				T *p = a + 2 * (idx + off[rows[t]]);                                      \
				p[0] = yr[t];                                                             \
				p[1] = yi[t];                                                             \
			}                                                                             \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	INLINE void run_##SUF(const int64_t *desc, const T *m, T *a, int64_t lo, int64_t hi) { \
		const int64_t kind = desc[0], k = desc[1], npos = desc[2], nrows = desc[3];       \
		const int64_t ctrl = desc[4];                                                     \
		const int64_t *pos = desc + 5, *off = pos + npos, *rows = off + (1 << k);         \
		const int64_t *src = rows + nrows;                                                \
		switch (kind) {                                                                   \
		case SV_DENSE:                                                                    \
			if (k == 1 && npos == 1 && pos[0] >= 1) {                                     \
				pair_##SUF(a, m, pos[0], lo, hi);                                         \
				return;                                                                   \
			}                                                                             \
			if (k == 1 && npos == 1 && pos[0] == 0) {                                     \
				pair0_##SUF(a, m, lo, hi);                                                \
				return;                                                                   \
			}                                                                             \
			switch (k) {                                                                  \
			case 0: dense_##SUF(1, a, m, pos, npos, ctrl, off, lo, hi); return;           \
			case 1: dense_##SUF(2, a, m, pos, npos, ctrl, off, lo, hi); return;           \
			case 2: dense_##SUF(4, a, m, pos, npos, ctrl, off, lo, hi); return;           \
			case 3: DENSE3_##SUF; return;                                                 \
			case 4: densev_##SUF(16, a, m, pos, npos, ctrl, off, lo, hi); return;         \
			case 5: densev_##SUF(32, a, m, pos, npos, ctrl, off, lo, hi); return;         \
			}                                                                             \
			return;                                                                       \
		case SV_DIAG:                                                                     \
			diag_##SUF(1 << k, a, m, pos, npos, ctrl, off, rows, nrows, lo, hi);          \
			return;                                                                       \
		case SV_PERM:                                                                     \
			perm_##SUF(1 << k, a, m, pos, npos, ctrl, off, rows, nrows, src, lo, hi);     \
			return;                                                                       \
		}                                                                                 \
	}


// Vector types of 64 bytes (one AVX-512 register, two AVX2 ones, four SSE
// ones in the baseline copy): GCC lowers the operations to whatever the
// copy's instruction set has.
typedef double v8d __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));

// The hardware prefetchers follow a few streams, not the D (up to 32) that
// a pass on high qubits reads and writes at once: the dense kernel
// prefetches each row's stream PF_AHEAD reals ahead, once per PF_EVERY
// bases (a 64-byte line holds 4 complex128 amplitudes).
#define PF_EVERY 4
#define PF_AHEAD 128

// DEFINE_DENSEV defines a dense kernel vectorized over the rows, for D a
// multiple of the L lanes of vector type VT: per base, each input
// amplitude is broadcast and multiplied into the columns of the matrix
// (stored column-major), accumulating the D outputs in D/L vectors for the
// real and D/L for the imaginary parts. That is 4 fused multiply-adds per
// L complex multiply-adds, no shuffles; the matrix stays in L1.
#define DEFINE_DENSEV(T, VT, L, NAME)                                                       \
	INLINE void NAME##_bases(const int D, const int NB, T *restrict a, const T *restrict m, \
		const int64_t *idx, const int64_t *off, int prefetch) {                           \
		const int NV = D / L;                                                             \
		const T *mr = m, *mi = m + D * D;                                                 \
		VT yr[2][SV_D / L], yi[2][SV_D / L];                                              \
		for (int k = 0; k < NB; k++) {                                                    \
			for (int v = 0; v < NV; v++) {                                                \
				yr[k][v] = (VT){0};                                                       \
				yi[k][v] = (VT){0};                                                       \
			}                                                                             \
		}                                                                                 \
		if (prefetch) {                                                                   \
			for (int j = 0; j < D; j++) {                                                 \
				__builtin_prefetch(a + 2 * (idx[0] + off[j]) + PF_AHEAD, 1);              \
			}                                                                             \
		}                                                                                 \
		for (int j = 0; j < D; j++) {                                                     \
			VT xr[2], xi[2];                                                              \
			for (int k = 0; k < NB; k++) {                                                \
				const T *p = a + 2 * (idx[k] + off[j]);                                   \
				xr[k] = (VT){0} + p[0];                                                   \
				xi[k] = (VT){0} + p[1];                                                   \
			}                                                                             \
			for (int v = 0; v < NV; v++) {                                                \
				VT cr, ci;                                                                \
				__builtin_memcpy(&cr, mr + j * D + v * L, sizeof cr);                     \
				__builtin_memcpy(&ci, mi + j * D + v * L, sizeof ci);                     \
				for (int k = 0; k < NB; k++) {                                            \
					yr[k][v] += cr * xr[k] - ci * xi[k];                                  \
					yi[k][v] += cr * xi[k] + ci * xr[k];                                  \
				}                                                                         \
			}                                                                             \
		}                                                                                 \
		for (int k = 0; k < NB; k++) {                                                    \
			for (int v = 0; v < NV; v++) {                                                \
				/* Interleave into (re, im) pairs: each is one store. */                  \
				VT z[2] = {SHUFFLE(yr[k][v], yi[k][v], ZIP_LO),                           \
					SHUFFLE(yr[k][v], yi[k][v], ZIP_HI)};                                 \
				for (int l = 0; l < L; l++) {                                             \
					__builtin_memcpy(a + 2 * (idx[k] + off[v * L + l]),                   \
						(const T *)z + 2 * l, 2 * sizeof(T));                             \
				}                                                                         \
			}                                                                             \
		}                                                                                 \
	}                                                                                     \
                                                                                          \
	/* Two bases at a time: each column of the matrix loaded serves both. */             \
	INLINE void NAME(const int D, T *restrict a, const T *restrict m,                    \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,               \
		int64_t lo, int64_t hi) {                                                         \
		int64_t b = lo;                                                                   \
		for (; b + 1 < hi; b += 2) {                                                      \
			const int64_t idx[2] = {expand(b, pos, npos) | ctrl, expand(b + 1, pos, npos) | ctrl}; \
			NAME##_bases(D, 2, a, m, idx, off, (b & (PF_EVERY - 1)) < 2);                 \
		}                                                                                 \
		if (b < hi) {                                                                     \
			const int64_t idx[1] = {expand(b, pos, npos) | ctrl};                         \
			NAME##_bases(D, 1, a, m, idx, off, 1);                                        \
		}                                                                                 \
	}

// SHUFFLE(x, y, MASK) takes the lanes MASK lists (after its type) from x and y
// concatenated: GCC's __builtin_shuffle wants them as a vector, clang's
// __builtin_shufflevector as constants.
#define SHUFFLE(x, y, MASK) SHUFFLE_(x, y, MASK)
#if defined(__clang__)
#define SHUFFLE_(x, y, MT, ...) __builtin_shufflevector(x, y, __VA_ARGS__)
#else
#define SHUFFLE_(x, y, MT, ...) __builtin_shuffle(x, y, (MT){__VA_ARGS__})
#endif

// Shuffle masks that interleave the real and imaginary parts.
typedef int64_t v8i __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

#define ZIP_LO v8i, 0, 8, 1, 9, 2, 10, 3, 11
#define ZIP_HI v8i, 4, 12, 5, 13, 6, 14, 7, 15
DEFINE_DENSEV(double, v8d, 8, densev_c128)
#undef ZIP_LO
#undef ZIP_HI
#define ZIP_LO v16i, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define ZIP_HI v16i, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
DEFINE_DENSEV(float, v16f, 16, densev_c64)
#undef ZIP_LO
#undef ZIP_HI
// Eight rows of floats: half-width vectors.
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i32 __attribute__((vector_size(32)));
#define ZIP_LO v8i32, 0, 8, 1, 9, 2, 10, 3, 11
#define ZIP_HI v8i32, 4, 12, 5, 13, 6, 14, 7, 15
DEFINE_DENSEV(float, v8f, 8, densev8_c64)
#undef ZIP_LO
#undef ZIP_HI

// Eight rows fill a vector of doubles but half of one of floats.
#define DENSE3_c128 densev_c128(8, a, m, pos, npos, ctrl, off, lo, hi)
#define DENSE3_c64 densev8_c64(8, a, m, pos, npos, ctrl, off, lo, hi)

DEFINE_KERNELS(double, c128)
DEFINE_KERNELS(float, c64)

// Kernels across lanes (qsim's layout). When no fixed bit of a pass is
// among the lowest w qubits, the amplitudes come in groups of W = 2^w
// consecutive ones (64 bytes: 8 complex64 or 4 complex128) that the pass
// treats alike: each is one vector, and the pass runs over these vectors
// as if they were amplitudes (desc's positions and offsets are in vectors,
// see pass.lanes). A complex matrix element c times a vector x of
// interleaved (re, im) pairs is re(c)*x + im(c)*(i*x), with i*x one lane
// swap and a sign: two fused multiply-adds per element and vector, every
// lane busy, for any number of targets and for targets on any qubit.
#define DEFINE_LANES(T, VT, NF, SUF)                                                          \
	INLINE void ldense_##SUF(const int D, T *restrict a, const T *restrict m,              \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,                 \
		int64_t lo, int64_t hi) {                                                           \
		const T *mr = m, *mi = m + D * D;                                                   \
		VT sign;                                                                            \
		for (int l = 0; l < NF; l++) sign[l] = (l & 1) ? 1 : -1;                            \
		for (int64_t b = lo; b < hi; b++) {                                                 \
			int64_t idx = expand(b, pos, npos) | ctrl;                                      \
			VT x[SV_D], ix[SV_D];                                                           \
			for (int j = 0; j < D; j++) {                                                   \
				__builtin_memcpy(&x[j], a + NF * (idx + off[j]), sizeof x[j]);                                \
				ix[j] = SHUFFLE(x[j], x[j], LSWAP) * sign;                                                \
			}                                                                               \
			for (int i = 0; i < D; i++) {                                                   \
				VT y = x[0] * mr[i] + ix[0] * mi[i];                                        \
				for (int j = 1; j < D; j++) {                                               \
					y += x[j] * mr[j * D + i] + ix[j] * mi[j * D + i];                      \
				}                                                                           \
				__builtin_memcpy(a + NF * (idx + off[i]), &y, sizeof y);                                   \
			}                                                                               \
		}                                                                                   \
	}                                                                                       \
	INLINE void ldiag_##SUF(const int D, T *restrict a, const T *restrict m,               \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,                 \
		const int64_t *rows, int64_t nrows, int64_t lo, int64_t hi) {                       \
		const T *dr = m, *di = m + D;                                                       \
		VT sign;                                                                            \
		for (int l = 0; l < NF; l++) sign[l] = (l & 1) ? 1 : -1;                            \
		for (int64_t b = lo; b < hi; b++) {                                                 \
			int64_t idx = expand(b, pos, npos) | ctrl;                                      \
			for (int64_t t = 0; t < nrows; t++) {                                           \
				int64_t r = rows[t];                                                        \
				T *p = a + NF * (idx + off[r]);                                             \
				VT x, y;                                                                    \
				__builtin_memcpy(&x, p, sizeof x);                                          \
				y = x * dr[r] + SHUFFLE(x, x, LSWAP) * sign * di[r];                        \
				__builtin_memcpy(p, &y, sizeof y);                                          \
			}                                                                               \
		}                                                                                   \
	}                                                                                       \
	INLINE void lperm_##SUF(const int D, T *restrict a, const T *restrict m,               \
		const int64_t *pos, int64_t npos, int64_t ctrl, const int64_t *off,                 \
		const int64_t *rows, int64_t nrows, const int64_t *src, int64_t lo, int64_t hi) {   \
		const T *dr = m, *di = m + D;                                                       \
		VT sign;                                                                            \
		for (int l = 0; l < NF; l++) sign[l] = (l & 1) ? 1 : -1;                            \
		for (int64_t b = lo; b < hi; b++) {                                                 \
			int64_t idx = expand(b, pos, npos) | ctrl;                                      \
			VT y[SV_D];                                                                     \
			for (int64_t t = 0; t < nrows; t++) {                                           \
				int64_t r = rows[t];                                                        \
				VT x;                                                                       \
				__builtin_memcpy(&x, a + NF * (idx + off[src[r]]), sizeof x);               \
				y[t] = x * dr[r] + SHUFFLE(x, x, LSWAP) * sign * di[r];                     \
			}                                                                               \
			for (int64_t t = 0; t < nrows; t++) {                                           \
				__builtin_memcpy(a + NF * (idx + off[rows[t]]), &y[t], sizeof y[t]);        \
			}                                                                               \
		}                                                                                   \
	}                                                                                       \
	INLINE void lrun_##SUF(const int64_t *desc, const T *m, T *a, int64_t lo, int64_t hi) { \
		const int64_t kind = desc[0], k = desc[1], npos = desc[2], nrows = desc[3];         \
		const int64_t ctrl = desc[4];                                                       \
		const int64_t *pos = desc + 5, *off = pos + npos, *rows = off + (1 << k);           \
		const int64_t *src = rows + nrows;                                                  \
		switch (kind) {                                                                     \
		case SV_DENSE:                                                                      \
			switch (k) {                                                                    \
			case 0: ldense_##SUF(1, a, m, pos, npos, ctrl, off, lo, hi); return;            \
			case 1: ldense_##SUF(2, a, m, pos, npos, ctrl, off, lo, hi); return;            \
			case 2: ldense_##SUF(4, a, m, pos, npos, ctrl, off, lo, hi); return;            \
			case 3: ldense_##SUF(8, a, m, pos, npos, ctrl, off, lo, hi); return;            \
			case 4: ldense_##SUF(16, a, m, pos, npos, ctrl, off, lo, hi); return;           \
			case 5: ldense_##SUF(32, a, m, pos, npos, ctrl, off, lo, hi); return;           \
			}                                                                               \
			return;                                                                         \
		case SV_DIAG:                                                                       \
			ldiag_##SUF(1 << k, a, m, pos, npos, ctrl, off, rows, nrows, lo, hi);           \
			return;                                                                         \
		case SV_PERM:                                                                       \
			lperm_##SUF(1 << k, a, m, pos, npos, ctrl, off, rows, nrows, src, lo, hi);      \
			return;                                                                         \
		}                                                                                   \
	}

#define LSWAP v8i, 1, 0, 3, 2, 5, 4, 7, 6
DEFINE_LANES(double, v8d, 8, c128)
#undef LSWAP
#define LSWAP v16i, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14
DEFINE_LANES(float, v16f, 16, c64)
#undef LSWAP

#define ARGS128 const int64_t *desc, const double *m, double *a, int64_t lo, int64_t hi
#define ARGS64 const int64_t *desc, const float *m, float *a, int64_t lo, int64_t hi

static void c128_baseline(ARGS128) { run_c128(desc, m, a, lo, hi); }
static void c64_baseline(ARGS64) { run_c64(desc, m, a, lo, hi); }
static void l128_baseline(ARGS128) { lrun_c128(desc, m, a, lo, hi); }
static void l64_baseline(ARGS64) { lrun_c64(desc, m, a, lo, hi); }

#if SV_X86_VARIANTS
__attribute__((target("avx2,fma"))) static void c128_avx2(ARGS128) { run_c128(desc, m, a, lo, hi); }
__attribute__((target("avx2,fma"))) static void c64_avx2(ARGS64) { run_c64(desc, m, a, lo, hi); }
__attribute__((target("arch=x86-64-v4"))) static void c128_v4(ARGS128) { run_c128(desc, m, a, lo, hi); }
__attribute__((target("arch=x86-64-v4"))) static void c64_v4(ARGS64) { run_c64(desc, m, a, lo, hi); }
__attribute__((target("avx2,fma"))) static void l128_avx2(ARGS128) { lrun_c128(desc, m, a, lo, hi); }
__attribute__((target("avx2,fma"))) static void l64_avx2(ARGS64) { lrun_c64(desc, m, a, lo, hi); }
__attribute__((target("arch=x86-64-v4"))) static void l128_v4(ARGS128) { lrun_c128(desc, m, a, lo, hi); }
__attribute__((target("arch=x86-64-v4"))) static void l64_v4(ARGS64) { lrun_c64(desc, m, a, lo, hi); }
#endif

int32_t sv_best_isa(void) {
#if SV_X86_VARIANTS
	unsigned int f = sokr_cpu_features();
	if (f & SOKR_CPU_X86_64_V4) {
		return SV_ISA_X86_64_V4;
	}
	if ((f & SOKR_CPU_AVX2) && (f & SOKR_CPU_FMA)) {
		return SV_ISA_AVX2;
	}
#endif
	return SV_ISA_BASELINE;
}

// best caches sv_best_isa (0: not yet known). Racing first calls store the
// same value.
static volatile int32_t best_isa;

static int32_t resolve(int32_t isa) {
	int32_t best = best_isa;
	if (best == 0) {
		best = best_isa = sv_best_isa();
	}
	if (isa == SV_ISA_BEST) {
		return best;
	}
	return isa > best ? 0 : isa;
}

int32_t sv_apply_c128(int32_t isa, const int64_t *desc, const double *m, double *amp, int64_t lo, int64_t hi) {
	switch (resolve(isa)) {
	case SV_ISA_BASELINE:
		c128_baseline(desc, m, amp, lo, hi);
		return 1;
#if SV_X86_VARIANTS
	case SV_ISA_AVX2:
		c128_avx2(desc, m, amp, lo, hi);
		return 1;
	case SV_ISA_X86_64_V4:
		c128_v4(desc, m, amp, lo, hi);
		return 1;
#endif
	}
	return 0;
}

int32_t sv_apply_c64(int32_t isa, const int64_t *desc, const float *m, float *amp, int64_t lo, int64_t hi) {
	switch (resolve(isa)) {
	case SV_ISA_BASELINE:
		c64_baseline(desc, m, amp, lo, hi);
		return 1;
#if SV_X86_VARIANTS
	case SV_ISA_AVX2:
		c64_avx2(desc, m, amp, lo, hi);
		return 1;
	case SV_ISA_X86_64_V4:
		c64_v4(desc, m, amp, lo, hi);
		return 1;
#endif
	}
	return 0;
}

int32_t sv_lanes_c128(int32_t isa, const int64_t *desc, const double *m, double *amp, int64_t lo, int64_t hi) {
	switch (resolve(isa)) {
	case SV_ISA_BASELINE:
		l128_baseline(desc, m, amp, lo, hi);
		return 1;
#if SV_X86_VARIANTS
	case SV_ISA_AVX2:
		l128_avx2(desc, m, amp, lo, hi);
		return 1;
	case SV_ISA_X86_64_V4:
		l128_v4(desc, m, amp, lo, hi);
		return 1;
#endif
	}
	return 0;
}

int32_t sv_lanes_c64(int32_t isa, const int64_t *desc, const float *m, float *amp, int64_t lo, int64_t hi) {
	switch (resolve(isa)) {
	case SV_ISA_BASELINE:
		l64_baseline(desc, m, amp, lo, hi);
		return 1;
#if SV_X86_VARIANTS
	case SV_ISA_AVX2:
		l64_avx2(desc, m, amp, lo, hi);
		return 1;
	case SV_ISA_X86_64_V4:
		l64_v4(desc, m, amp, lo, hi);
		return 1;
#endif
	}
	return 0;
}

// sv_gather copies a chunk between the state and a buffer (back when
// scatter is set): run j of the chunk is rlen elements of esz bytes at
// base + the j-th subset of the bits of high (in increasing order). With
// lane == NULL a run lands contiguously at j*rlen; otherwise the chunk has
// W lanes, lane l's run j at that offset plus lane[l], and element t of it
// is buffer element (j*rlen + t)*W + l.
// The transposing copy goes along the runs with the W lanes inner, so that
// the buffer is written (or read) contiguously while W streams of the
// state are read (written) in step.
#define GATHER_LOOP(E, WW)                                                                  \
	do {                                                                                    \
		E *A = (E *)a;                                                                      \
		E *B = (E *)buf;                                                                    \
		uint64_t o = 0;                                                                     \
		for (int64_t j = 0; j < nruns; j++, o = (o - high) & high) {                        \
			E *p[8]; /* W <= 8: 64-byte vectors of 8-byte amplitudes at most */              \
			for (int l = 0; l < WW; l++) {                                                  \
				p[l] = A + base + o + lane[l];                                              \
			}                                                                               \
			E *q = B + j * rlen * WW;                                                       \
			if (scatter) {                                                                  \
				for (int64_t t = 0; t < rlen; t++) {                                        \
					for (int l = 0; l < WW; l++) p[l][t] = q[t * WW + l];                   \
				}                                                                           \
			} else {                                                                        \
				for (int64_t t = 0; t < rlen; t++) {                                        \
					for (int l = 0; l < WW; l++) q[t * WW + l] = p[l][t];                   \
				}                                                                           \
			}                                                                               \
		}                                                                                   \
	} while (0)

typedef struct {
	uint64_t lo, hi;
} sv_u128;

void sv_gather(int64_t esz, void *a, void *buf, int64_t base, uint64_t high, int64_t nruns,
	int64_t rlen, const int64_t *lane, int64_t W, int32_t scatter) {
	if (lane == NULL) {
		char *A = (char *)a, *B = (char *)buf;
		uint64_t o = 0;
		for (int64_t j = 0; j < nruns; j++, o = (o - high) & high) {
			char *p = A + esz * (base + o), *q = B + esz * j * rlen;
			if (scatter) {
				__builtin_memcpy(p, q, esz * rlen);
			} else {
				__builtin_memcpy(q, p, esz * rlen);
			}
		}
		return;
	}
	if (esz == 8 && W == 8) {
		GATHER_LOOP(uint64_t, 8);
	} else if (esz == 16 && W == 4) {
		GATHER_LOOP(sv_u128, 4);
	} else if (esz == 8) {
		GATHER_LOOP(uint64_t, W);
	} else {
		GATHER_LOOP(sv_u128, W);
	}
}

void sv_scale(double *restrict x, int64_t n, double s) {
	for (int64_t i = 0; i < n; i++) {
		x[i] *= s;
	}
}
