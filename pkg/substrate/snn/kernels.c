// kernels.c: the hot loops of the spiking-network simulator: the neuron
// state update and event-driven synaptic propagation. They compute exactly
// what the Go versions in kernels_go.go compute, in the same order of
// operations, so that results do not depend on whether cgo is present.
//
// Like pkg/substrate/cpu/fused.c, every kernel is compiled three times (the
// x86-64 baseline, AVX2 and x86-64-v4, i.e. AVX-512) by inlining it into a
// copy per instruction set, and the best copy the CPU supports runs. No
// multiply may be contracted with an add into an FMA (the Go code rounds
// both), hence the fp-contract pragma (GCC's, or C99's, which clang reads):
// cgo refuses -ffp-contract=off as a flag. On Zen 4 a multiply and an add
// issue on separate pipes, so this costs no throughput.

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC optimize("fp-contract=off")
#endif

#include "kernels.h"

#include <stddef.h>

#if defined(__FAST_MATH__)
#error "kernels.c needs IEEE semantics: do not build it with -ffast-math"
#endif

#define INLINE static inline __attribute__((always_inline))

#include "../../internal/cpuisa/cpuisa.h"
#define SNN_X86_VARIANTS SOKR_X86_VARIANTS

// NEURON_SEG defines neuron_seg_SUF: the update of len consecutive elements
// whose first coefficient index is k. The int parameters are constants at
// every call site, so each combination becomes its own vectorized loop.
#define NEURON_SEG(T, SUF)                                                                      \
	INLINE int64_t neuron_seg_##SUF(const snn_neuron *p, const T *coef, T *restrict v, T *restrict cur,        \
	                                const T *restrict x, T *restrict out, int64_t len,          \
	                                int64_t k, const int kind, const int reset,                 \
	                                const int before, const int uniform) {                      \
		const int64_t o = uniform ? 0 : k, st = uniform ? 1 : p->n;                             \
		const T *restrict av = coef + SNN_AV * st + o, *restrict bv = coef + SNN_BV * st + o;   \
		const T *restrict gv = coef + SNN_GV * st + o;                                          \
		const T *restrict th = reset ? coef + SNN_TH * st + o : NULL;                           \
		const T *restrict vr = reset == SNN_RESET_TO_V_RESET ? coef + SNN_VR * st + o : NULL;   \
		const T *restrict ai = kind ? coef + SNN_AI * st + o : NULL;                            \
		const T *restrict bi = kind ? coef + SNN_BI * st + o : NULL;                            \
		const T *restrict ci = kind ? coef + SNN_CI * st + o : NULL;                            \
		const T amp = (T)p->amp;                                                                \
		const T av0 = av[0], bv0 = bv[0], gv0 = gv[0];                                          \
		const T th0 = reset ? th[0] : 0, vr0 = vr ? vr[0] : 0;                                  \
		const T ai0 = kind ? ai[0] : 0, bi0 = kind ? bi[0] : 0, ci0 = kind ? ci[0] : 0;         \
		int64_t spikes = 0;                                                                     \
		for (int64_t j = 0; j < len; j++) {                                                     \
			const T a = uniform ? av0 : av[j], b = uniform ? bv0 : bv[j];                       \
			const T g = uniform ? gv0 : gv[j];                                                  \
			const T vo = v[j], xi = x[j];                                                       \
			T vn;                                                                               \
			if (kind == 0) {                                                                    \
				vn = a * vo + b + g * xi;                                                       \
			} else {                                                                            \
				const T io = cur[j];                                                            \
				const T ia = uniform ? ai0 : ai[j], ib = uniform ? bi0 : bi[j];                 \
				const T ic = uniform ? ci0 : ci[j];                                             \
				cur[j] = ia * io + ib * xi;                                                     \
				vn = a * vo + b + ic * io + g * xi;                                             \
			}                                                                                   \
			if (reset == SNN_RESET_NONE) {                                                      \
				v[j] = vn;                                                                      \
				out[j] = vn;                                                                    \
				continue;                                                                       \
			}                                                                                   \
			const T t = uniform ? th0 : th[j];                                                  \
			const int s = (before ? vo : vn) > t;                                               \
			const T vs = reset == SNN_RESET_TO_V_RESET ? (uniform ? vr0 : vr[j]) : vn - t;      \
			v[j] = s ? vs : vn;                                                                 \
			out[j] = s ? amp : (T)0;                                                            \
			spikes += s;                                                                        \
		}                                                                                       \
		return spikes;                                                                          \
	}                                                                                           \
                                                                                                \
	INLINE int64_t neuron_run_##SUF(const snn_neuron *p, const T *coef, T *v, T *cur, const T *x, T *out,      \
	                                int64_t lo, int64_t hi, const int kind, const int reset,    \
	                                const int before, const int uniform) {                      \
		int64_t spikes = 0;                                                                     \
		for (int64_t e = lo; e < hi;) {                                                         \
			const int64_t k = e % p->n;                                                         \
			int64_t len = p->n - k;                                                             \
			if (len > hi - e) {                                                                 \
				len = hi - e;                                                                   \
			}                                                                                   \
			spikes += neuron_seg_##SUF(p, coef, v + e, kind ? cur + e : NULL, x + e, out + e, len, k, \
			                           kind, reset, before, uniform);                           \
			e += len;                                                                           \
		}                                                                                       \
		return spikes;                                                                          \
	}                                                                                           \
                                                                                                \
	INLINE int64_t neuron_step_##SUF(const snn_neuron *p, const T *coef, T *v, T *cur, const T *x, T *out,     \
	                                 int64_t lo, int64_t hi) {                                  \
		NEURON_DISPATCH(SUF)                                                                    \
	}

// NEURON_DISPATCH turns the run-time flags into constants: one loop per
// kind, reset, before and uniform (before only matters when there is a
// reset).
#define NEURON_RUN(SUF, K, R, B, U) neuron_run_##SUF(p, coef, v, cur, x, out, lo, hi, K, R, B, U)
#define NEURON_U(SUF, K, R, B) (p->uniform ? NEURON_RUN(SUF, K, R, B, 1) : NEURON_RUN(SUF, K, R, B, 0))
#define NEURON_B(SUF, K, R) (p->before ? NEURON_U(SUF, K, R, 1) : NEURON_U(SUF, K, R, 0))
#define NEURON_R(SUF, K)                                        \
	(p->reset == SNN_RESET_NONE         ? NEURON_U(SUF, K, 0, 0) \
	 : p->reset == SNN_RESET_TO_V_RESET ? NEURON_B(SUF, K, 1)    \
	                                    : NEURON_B(SUF, K, 2))
#define NEURON_DISPATCH(SUF) return p->kind == 0 ? NEURON_R(SUF, 0) : NEURON_R(SUF, 1);

NEURON_SEG(float, f32)
NEURON_SEG(double, f64)

// SPMM defines spmm_SUF. The nonzero inputs of all rows are gathered first
// into (idx, val) lists, row by row and, within a row, by tile of
// SNN_TILE inputs: toff[t * rows + r] is where row r's nonzero inputs of
// tile t begin (toff[nt * rows + r] where the row's end). Then, for each
// block of CB output columns (nin x CB weights, contiguous), tile by tile
// (SNN_TILE x CB weights, 32 KiB, so that the tile stays in L1 while every
// row reads it), each row adds the tile's weight rows of its nonzero
// inputs to its running sums (acc, CB per row, kept between tiles), in
// ascending input order, one sum per column; after the last tile, y = bias
// + sum. goSpmm computes the same sums in the same order. When every
// nonzero input is 1 (spikes of amplitude 1, the usual case), the products
// are left out: 1 * w is w exactly, so the sums are the same, with half the
// arithmetic and no loads of the values.
#define SPMM(T, VT, SUF, CB)                                                                      \
	INLINE void spmm_blocks_##SUF(int64_t rows, int64_t nin, int64_t nout, const T *wp,           \
	                              const T *bias, T *y, const int32_t *idx, const T *val,          \
	                              const int64_t *toff, T *acc, const int ones) {                  \
		enum { L = sizeof(VT) / sizeof(T), NV = CB / L };                                         \
		const int64_t nt = (nin + SNN_TILE - 1) / SNN_TILE;                                       \
		for (int64_t cb = 0; cb < nout; cb += CB) {                                               \
			const T *restrict blk = wp + cb * nin; /* block cb/CB: nin rows of CB */              \
			const int64_t wd = nout - cb < CB ? nout - cb : CB;                                   \
			for (int64_t kt = 0; kt < nt; kt++) {                                                 \
				const int64_t *restrict ta = toff + kt * rows, *restrict tb = ta + rows;          \
				for (int64_t r = 0; r < rows; r++) {                                              \
					T *restrict ar = acc + r * CB;                                                \
					VT s[NV];                                                                     \
					for (int v = 0; v < NV; v++) {                                                \
						if (kt == 0) {                                                            \
							s[v] = (VT){0};                                                       \
						} else {                                                                  \
							__builtin_memcpy(&s[v], ar + v * L, sizeof s[v]);                     \
						}                                                                         \
					}                                                                             \
					const int64_t e = tb[r];                                                      \
					for (int64_t q = ta[r]; q < e; q++) {                                         \
						const T *w = blk + (int64_t)idx[q] * CB;                                  \
						for (int v = 0; v < NV; v++) {                                            \
							VT t;                                                                 \
							__builtin_memcpy(&t, w + v * L, sizeof t);                            \
							if (ones) {                                                           \
								s[v] += t;                                                        \
							} else {                                                              \
								s[v] += val[q] * t;                                               \
							}                                                                     \
						}                                                                         \
					}                                                                             \
					for (int v = 0; v < NV; v++) {                                                \
						__builtin_memcpy(ar + v * L, &s[v], sizeof s[v]);                         \
					}                                                                             \
				}                                                                                 \
			}                                                                                     \
			for (int64_t r = 0; r < rows; r++) {                                                  \
				T *restrict yr = y + r * nout + cb;                                               \
				const T *restrict ar = acc + r * CB;                                              \
				for (int64_t c = 0; c < wd; c++) {                                                \
					yr[c] = bias ? bias[cb + c] + ar[c] : ar[c];                                  \
				}                                                                                 \
			}                                                                                     \
		}                                                                                         \
	}                                                                                             \
                                                                                                  \
	INLINE int64_t spmm_##SUF(int64_t rows, int64_t nin, int64_t nout, const T *x, const T *wp,   \
	                          const T *bias, T *y, int32_t *idx, T *val, int64_t *toff, T *acc) { \
		const int64_t nt = (nin + SNN_TILE - 1) / SNN_TILE;                                       \
		int64_t m = 0;                                                                            \
		int ones = 1;                                                                             \
		for (int64_t r = 0; r < rows; r++) {                                                      \
			const T *xr = x + r * nin;                                                            \
			for (int64_t kt = 0; kt < nt; kt++) {                                                 \
				toff[kt * rows + r] = m;                                                          \
				const int64_t j1 = (kt + 1) * SNN_TILE < nin ? (kt + 1) * SNN_TILE : nin;         \
				for (int64_t j = kt * SNN_TILE; j < j1; j++) {                                    \
					if (xr[j] != 0) {                                                             \
						idx[m] = (int32_t)j;                                                      \
						val[m] = xr[j];                                                           \
						ones &= xr[j] == 1;                                                       \
						m++;                                                                      \
					}                                                                             \
				}                                                                                 \
			}                                                                                     \
			toff[nt * rows + r] = m;                                                              \
		}                                                                                         \
		if (ones) {                                                                               \
			spmm_blocks_##SUF(rows, nin, nout, wp, bias, y, idx, val, toff, acc, 1);              \
		} else {                                                                                  \
			spmm_blocks_##SUF(rows, nin, nout, wp, bias, y, idx, val, toff, acc, 0);              \
		}                                                                                         \
		return m;                                                                                 \
	}

// Vector types of 64 bytes (one AVX-512 register, two AVX2 ones, four SSE
// ones in the baseline copy): GCC lowers them to the copy's instructions.
typedef float snn_v16f __attribute__((vector_size(64)));
typedef double snn_v8d __attribute__((vector_size(64)));

// 32 floats or 16 doubles: two 64-byte vectors per row's sums, a 32 KiB tile
// of SNN_TILE inputs.
SPMM(float, snn_v16f, f32, SNN_COLS_F32)
SPMM(double, snn_v8d, f64, SNN_COLS_F64)

// COUNT defines count_SUF, compiled per instruction set like the kernels
// above (the baseline copy compares four floats at a time, the x86-64-v4
// one sixteen, into a mask).
#define COUNT(T, SUF)                                                                             \
	INLINE int64_t count_##SUF(const T *x, int64_t n) {                                           \
		int64_t c = 0;                                                                            \
		for (int64_t i = 0; i < n; i++) {                                                         \
			c += x[i] != 0;                                                                       \
		}                                                                                         \
		return c;                                                                                 \
	}

COUNT(float, f32)
COUNT(double, f64)

// VARIANT defines the entry points of one instruction-set copy.
#define VARIANT(ISA, ATTR)                                                                         \
	ATTR static int64_t neuron_f32_##ISA(const snn_neuron *p, const float *coef, float *v, float *cur,                \
	                                     const float *x, float *out, int64_t lo, int64_t hi) {     \
		return neuron_step_f32(p, coef, v, cur, x, out, lo, hi);                                         \
	}                                                                                              \
	ATTR static int64_t neuron_f64_##ISA(const snn_neuron *p, const double *coef, double *v, double *cur,              \
	                                     const double *x, double *out, int64_t lo, int64_t hi) {   \
		return neuron_step_f64(p, coef, v, cur, x, out, lo, hi);                                         \
	}                                                                                              \
	ATTR static int64_t spmm_f32_##ISA(int64_t rows, int64_t nin, int64_t nout, const float *x,    \
	                                   const float *wp, const float *bias, float *y, int32_t *idx, \
	                                   float *val, int64_t *toff, float *acc) {                    \
		return spmm_f32(rows, nin, nout, x, wp, bias, y, idx, val, toff, acc);                     \
	}                                                                                              \
	ATTR static int64_t spmm_f64_##ISA(int64_t rows, int64_t nin, int64_t nout, const double *x,   \
	                                   const double *wp, const double *bias, double *y,            \
	                                   int32_t *idx, double *val, int64_t *toff, double *acc) {    \
		return spmm_f64(rows, nin, nout, x, wp, bias, y, idx, val, toff, acc);                     \
	}                                                                                              \
	ATTR static int64_t count_f32_##ISA(const float *x, int64_t n) { return count_f32(x, n); }     \
	ATTR static int64_t count_f64_##ISA(const double *x, int64_t n) { return count_f64(x, n); }

VARIANT(base, )
#if SNN_X86_VARIANTS
VARIANT(avx2, __attribute__((target("avx2"))))
VARIANT(v4, __attribute__((target("arch=x86-64-v4"))))
#endif

int32_t snn_best_isa(void) {
#if SNN_X86_VARIANTS
	unsigned int f = sokr_cpu_features();
	if (f & SOKR_CPU_X86_64_V4) {
		return SNN_ISA_X86_64_V4;
	}
	if (f & SOKR_CPU_AVX2) {
		return SNN_ISA_AVX2;
	}
#endif
	return SNN_ISA_BASELINE;
}

static int32_t resolve(int32_t isa) {
	static int32_t best = 0;
	if (best == 0) { // a benign race: every thread computes the same value
		best = snn_best_isa();
	}
	return isa > best ? best : isa;
}

// PICK calls the variant isa selects (clamped to what the CPU runs).
#if SNN_X86_VARIANTS
#define PICK(NAME, ...)                        \
	switch (resolve(isa)) {                    \
	case SNN_ISA_X86_64_V4:                    \
		return NAME##_v4(__VA_ARGS__);         \
	case SNN_ISA_AVX2:                         \
		return NAME##_avx2(__VA_ARGS__);       \
	default:                                   \
		return NAME##_base(__VA_ARGS__);       \
	}
#else
#define PICK(NAME, ...)      \
	(void)resolve(isa);      \
	return NAME##_base(__VA_ARGS__);
#endif

int64_t snn_neuron_step_f32(int32_t isa, const snn_neuron *p, const float *coef, float *v,
                            float *cur, const float *x, float *out, int64_t lo, int64_t hi) {
	PICK(neuron_f32, p, coef, v, cur, x, out, lo, hi)
}

int64_t snn_neuron_step_f64(int32_t isa, const snn_neuron *p, const double *coef, double *v,
                            double *cur, const double *x, double *out, int64_t lo, int64_t hi) {
	PICK(neuron_f64, p, coef, v, cur, x, out, lo, hi)
}

int64_t snn_spmm_f32(int32_t isa, int64_t rows, int64_t nin, int64_t nout, const float *x,
                     const float *wp, const float *bias, float *y, int32_t *idx, float *val,
                     int64_t *toff, float *acc) {
	PICK(spmm_f32, rows, nin, nout, x, wp, bias, y, idx, val, toff, acc)
}

int64_t snn_spmm_f64(int32_t isa, int64_t rows, int64_t nin, int64_t nout, const double *x,
                     const double *wp, const double *bias, double *y, int32_t *idx, double *val,
                     int64_t *toff, double *acc) {
	PICK(spmm_f64, rows, nin, nout, x, wp, bias, y, idx, val, toff, acc)
}

int64_t snn_count_nonzero_f32(const float *x, int64_t n) {
	const int32_t isa = SNN_ISA_BEST;
	PICK(count_f32, x, n)
}

int64_t snn_count_nonzero_f64(const double *x, int64_t n) {
	const int32_t isa = SNN_ISA_BEST;
	PICK(count_f64, x, n)
}
