// fused.c: the C evaluator of fused elementwise groups. It computes exactly
// what (*group).run and apply (fusion.go, elementwise.go) compute, but its
// loops are vectorized by the C compiler: the evaluator is compiled for the
// x86-64 baseline, AVX2 and x86-64-v4, every kernel inlined into each copy,
// and the best copy for the CPU runs (see SOKR_X86_VARIANTS).
//
// Semantics (the same as the Go path):
//   - float ops are IEEE; f32 transcendental functions (exp, log, tanh,
//     sigmoid, sin, cos, pow) are computed in double and rounded, as the Go
//     code does; max and min propagate NaN and order -0 below +0 (Go's
//     builtin max and min).
//   - integer arithmetic wraps (done in unsigned arithmetic, so it needs no
//     -fwrapv, which cgo does not accept); division truncates, x/0 gives 0,
//     x/-1 gives -x (wrapping, no trap); pow by squaring, a negative
//     exponent giving 0 except for bases 1 and -1.
//   - float to integer casts truncate toward zero, NaN gives 0 and values
//     out of range saturate; any to bool is x != 0; bool to number is 0/1.
//
// Only NaN payloads may differ from the Go path (both are NaN).
//
// cgo accepts only -O3 of the flags this file would like (-fwrapv,
// -fno-math-errno, -ffp-contract=off are refused), so the code does not
// depend on them: wrapping is unsigned arithmetic, sqrt uses SSE directly on
// x86-64 (with math-errno, sqrtf is a call that does not vectorize), and no
// kernel has a multiply feeding an add that could be contracted into an FMA.

#include "fused.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__FAST_MATH__)
#error "fused.c needs IEEE semantics: do not build it with -ffast-math"
#endif

#define INLINE static inline __attribute__((always_inline))

// ISA variants. The evaluator is compiled once per instruction set, each
// copy inlining every kernel so that its loops are vectorized for that set,
// and sokr_fused_run picks the best the CPU supports (what GCC's
// target_clones does, but without an ifunc, which musl lacks, and with
// every variant callable by the tests through sokr_fused_run_isa). The
// x86-64-v4 (AVX-512) copy only helps the casts between floats and i64,
// which have no AVX2 instructions (8x faster in cache); the other loops run
// as fast with AVX2. None of the kernels has a multiply feeding an add, so
// no variant can contract one into an FMA (-ffp-contract cannot be set
// from cgo).
// Compilers before GCC 12 and clang 12, and other architectures, build the
// baseline only (SOKR_X86_VARIANTS, in cpuisa.h with the CPU check).
#include "../../internal/cpuisa/cpuisa.h"

// MAP1 and MAP2 apply expr to x = a[i] (and y = b[i]) for i in [0, n),
// writing d[i].
#define MAP1(expr)                                       \
	do {                                                 \
		for (int64_t i = 0; i < n; i++) {                \
			__typeof__(a[0]) x = a[i];                   \
			d[i] = (expr);                               \
		}                                                \
	} while (0)
#define MAP2(expr)                                       \
	do {                                                 \
		for (int64_t i = 0; i < n; i++) {                \
			__typeof__(a[0]) x = a[i];                   \
			__typeof__(b[0]) y = b[i];                   \
			d[i] = (expr);                               \
		}                                                \
	} while (0)

INLINE uint32_t bits32(float x) {
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}
INLINE float float32frombits(uint32_t u) {
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}
INLINE uint64_t bits64(double x) {
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}
INLINE double float64frombits(uint64_t u) {
	double x;
	memcpy(&x, &u, sizeof x);
	return x;
}

// Go's max and min (runtime fmax and fmin): y if y is NaN, else x if x is
// NaN; of ±0 and ±0, max is -0 only if both are, min is -0 if either is.
INLINE float max32(float x, float y) {
	float z = float32frombits(bits32(x) & bits32(y));
	return y != y ? y : y > x ? y : x == y ? z : x;
}
INLINE float min32(float x, float y) {
	float z = float32frombits(bits32(x) | bits32(y));
	return y != y ? y : y < x ? y : x == y ? z : x;
}
INLINE double max64(double x, double y) {
	double z = float64frombits(bits64(x) & bits64(y));
	return y != y ? y : y > x ? y : x == y ? z : x;
}
INLINE double min64(double x, double y) {
	double z = float64frombits(bits64(x) | bits64(y));
	return y != y ? y : y < x ? y : x == y ? z : x;
}

// sqrt_f32 and sqrt_f64: correctly rounded square roots. (float)sqrt(x) is
// exactly what the Go path's float32(math.Sqrt(float64(x))) gives.
#if defined(__x86_64__)
INLINE void sqrt_f32(float *restrict d, const float *restrict a, int64_t n) {
	int64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		_mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(a + i)));
	}
	for (; i < n; i++) {
		_mm_store_ss(d + i, _mm_sqrt_ss(_mm_load_ss(a + i)));
	}
}
INLINE void sqrt_f64(double *restrict d, const double *restrict a, int64_t n) {
	int64_t i = 0;
	for (; i + 2 <= n; i += 2) {
		_mm_storeu_pd(d + i, _mm_sqrt_pd(_mm_loadu_pd(a + i)));
	}
	for (; i < n; i++) {
		_mm_store_sd(d + i, _mm_sqrt_sd(_mm_setzero_pd(), _mm_load_sd(a + i)));
	}
}
#else
INLINE void sqrt_f32(float *restrict d, const float *restrict a, int64_t n) {
	MAP1(sqrtf(x));
}
INLINE void sqrt_f64(double *restrict d, const double *restrict a, int64_t n) {
	MAP1(sqrt(x));
}
#endif

// Float kernels. T is the element type; transcendental functions are
// computed in double for both widths.
#define DEF_FLOAT(SUF, T, FABS, MAX, MIN)                                        \
	INLINE void unary_##SUF(int op, T *restrict d, const T *restrict a,          \
		int64_t n) {                                                             \
		switch (op) {                                                            \
		case SOKR_NEG: MAP1(-x); break;                                          \
		case SOKR_ABS: MAP1(FABS(x)); break;                                     \
		case SOKR_EXP: MAP1((T)exp((double)x)); break;                           \
		case SOKR_LOG: MAP1((T)log((double)x)); break;                           \
		case SOKR_SQRT: sqrt_##SUF(d, a, n); break;                              \
		case SOKR_TANH: MAP1((T)tanh((double)x)); break;                         \
		case SOKR_SIGMOID: MAP1((T)(1.0 / (1.0 + exp(-(double)x)))); break;      \
		case SOKR_RELU: MAP1(x > 0 ? x : (T)0); break;                           \
		case SOKR_SIN: MAP1((T)sin((double)x)); break;                           \
		case SOKR_COS: MAP1((T)cos((double)x)); break;                           \
		}                                                                        \
	}                                                                            \
	INLINE void binary_##SUF(int op, T *restrict d, const T *restrict a,         \
		const T *restrict b, int64_t n) {                                        \
		switch (op) {                                                            \
		case SOKR_ADD: MAP2(x + y); break;                                       \
		case SOKR_SUB: MAP2(x - y); break;                                       \
		case SOKR_MUL: MAP2(x * y); break;                                       \
		case SOKR_DIV: MAP2(x / y); break;                                       \
		case SOKR_POW: MAP2((T)pow((double)x, (double)y)); break;                \
		case SOKR_MAX: MAP2(MAX(x, y)); break;                                   \
		case SOKR_MIN: MAP2(MIN(x, y)); break;                                   \
		}                                                                        \
	}

DEF_FLOAT(f32, float, fabsf, max32, min32)
DEF_FLOAT(f64, double, fabs, max64, min64)

// Integer kernels. Arithmetic that may overflow is done in UT, the unsigned
// type of the same width, so that it wraps; converting back to T keeps the
// low bits (GCC and C23 define it so).
#define DEF_INT(SUF, T, UT)                                                      \
	INLINE T ipow_##SUF(T x, T e) {                                              \
		if (e < 0) {                                                             \
			if (x == 1) {                                                        \
				return 1;                                                        \
			}                                                                    \
			if (x == -1) {                                                       \
				return e % 2 == 0 ? 1 : -1;                                      \
			}                                                                    \
			return 0;                                                            \
		}                                                                        \
		UT r = 1, b = (UT)x;                                                     \
		while (e > 0) {                                                          \
			if (e & 1) {                                                         \
				r *= b;                                                          \
			}                                                                    \
			b *= b;                                                              \
			e >>= 1;                                                             \
		}                                                                        \
		return (T)r;                                                             \
	}                                                                            \
	INLINE void unary_##SUF(int op, T *restrict d, const T *restrict a,          \
		int64_t n) {                                                             \
		switch (op) {                                                            \
		case SOKR_NEG: MAP1((T)(0 - (UT)x)); break;                              \
		case SOKR_ABS: MAP1(x < 0 ? (T)(0 - (UT)x) : x); break;                  \
		case SOKR_RELU: MAP1(x > 0 ? x : (T)0); break;                           \
		}                                                                        \
	}                                                                            \
	INLINE void binary_##SUF(int op, T *restrict d, const T *restrict a,         \
		const T *restrict b, int64_t n) {                                        \
		switch (op) {                                                            \
		case SOKR_ADD: MAP2((T)((UT)x + (UT)y)); break;                          \
		case SOKR_SUB: MAP2((T)((UT)x - (UT)y)); break;                          \
		case SOKR_MUL: MAP2((T)((UT)x * (UT)y)); break;                          \
		case SOKR_DIV:                                                           \
			MAP2(y == 0 ? (T)0 : y == -1 ? (T)(0 - (UT)x) : (T)(x / y));         \
			break;                                                               \
		case SOKR_POW: MAP2(ipow_##SUF(x, y)); break;                            \
		case SOKR_MAX: MAP2(x > y ? x : y); break;                               \
		case SOKR_MIN: MAP2(x < y ? x : y); break;                               \
		}                                                                        \
	}

DEF_INT(i32, int32_t, uint32_t)
DEF_INT(i64, int64_t, uint64_t)

// Comparisons give bool bytes (0 or 1).
#define DEF_COMPARE(SUF, T)                                                      \
	INLINE void compare_##SUF(int op, uint8_t *restrict d, const T *restrict a,  \
		const T *restrict b, int64_t n) {                                        \
		switch (op) {                                                            \
		case SOKR_EQ: MAP2((uint8_t)(x == y)); break;                            \
		case SOKR_NE: MAP2((uint8_t)(x != y)); break;                            \
		case SOKR_LT: MAP2((uint8_t)(x < y)); break;                             \
		case SOKR_LE: MAP2((uint8_t)(x <= y)); break;                            \
		case SOKR_GT: MAP2((uint8_t)(x > y)); break;                             \
		case SOKR_GE: MAP2((uint8_t)(x >= y)); break;                            \
		}                                                                        \
	}

DEF_COMPARE(f32, float)
DEF_COMPARE(f64, double)
DEF_COMPARE(i32, int32_t)
DEF_COMPARE(i64, int64_t)
DEF_COMPARE(u8, uint8_t)

#define DEF_SELECT(SUF, T)                                                       \
	INLINE void select_##SUF(T *restrict d, const uint8_t *restrict c,           \
		const T *restrict a, const T *restrict b, int64_t n) {                   \
		for (int64_t i = 0; i < n; i++) {                                        \
			T x = a[i], y = b[i];                                                \
			d[i] = c[i] ? x : y;                                                 \
		}                                                                        \
	}

DEF_SELECT(u8, uint8_t)
DEF_SELECT(u32, uint32_t)
DEF_SELECT(u64, uint64_t)

// Float to integer: truncation toward zero, NaN gives 0, values out of
// range saturate. The conversion only ever sees in-range values (others are
// replaced by 0 first), so it is defined C; the conditions are computed
// before the selects so that the loops vectorize under -ftrapping-math.
#define DEF_F2I(NAME, S, T, LO, HI, TMIN, TMAX)                                  \
	INLINE T NAME(S x) {                                                         \
		int above = x >= (S)(HI), below = x < (S)(LO);                           \
		int in = x >= (S)(LO) && x < (S)(HI);                                    \
		S y = in ? x : (S)0;                                                     \
		T t = (T)y;                                                              \
		t = above ? (T)(TMAX) : t;                                               \
		return below ? (T)(TMIN) : t;                                            \
	}

DEF_F2I(f32_to_i32, float, int32_t, -2147483648.0, 2147483648.0, INT32_MIN, INT32_MAX)
DEF_F2I(f64_to_i32, double, int32_t, -2147483648.0, 2147483648.0, INT32_MIN, INT32_MAX)
DEF_F2I(f32_to_i64, float, int64_t, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
DEF_F2I(f64_to_i64, double, int64_t, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)

// cast_from_<src> converts n elements of a (of type S) to dtype to.
#define DEF_CAST_FLOAT(SUF, S)                                                   \
	INLINE void cast_from_##SUF(int to, void *restrict dst,                      \
		const S *restrict a, int64_t n) {                                        \
		switch (to) {                                                            \
		case SOKR_F32: { float *restrict d = dst; MAP1((float)x); break; }       \
		case SOKR_F64: { double *restrict d = dst; MAP1((double)x); break; }     \
		case SOKR_I32: { int32_t *restrict d = dst; MAP1(SUF##_to_i32(x)); break; } \
		case SOKR_I64: { int64_t *restrict d = dst; MAP1(SUF##_to_i64(x)); break; } \
		case SOKR_BOOL: { uint8_t *restrict d = dst; MAP1((uint8_t)(x != 0)); break; } \
		}                                                                        \
	}

// Integer to integer keeps the low bits (i64 to i32 wraps).
#define DEF_CAST_INT(SUF, S)                                                     \
	INLINE void cast_from_##SUF(int to, void *restrict dst,                      \
		const S *restrict a, int64_t n) {                                        \
		switch (to) {                                                            \
		case SOKR_F32: { float *restrict d = dst; MAP1((float)x); break; }       \
		case SOKR_F64: { double *restrict d = dst; MAP1((double)x); break; }     \
		case SOKR_I32: { int32_t *restrict d = dst; MAP1((int32_t)x); break; }   \
		case SOKR_I64: { int64_t *restrict d = dst; MAP1((int64_t)x); break; }   \
		case SOKR_BOOL: { uint8_t *restrict d = dst; MAP1((uint8_t)(x != 0)); break; } \
		}                                                                        \
	}

DEF_CAST_FLOAT(f32, float)
DEF_CAST_FLOAT(f64, double)
DEF_CAST_INT(i32, int32_t)
DEF_CAST_INT(i64, int64_t)

// bool to number is the low bit (as the Go path's s&1); bool to bool is
// x != 0.
INLINE void cast_from_bool(int to, void *restrict dst, const uint8_t *restrict a,
	int64_t n) {
	switch (to) {
	case SOKR_F32: { float *restrict d = dst; MAP1((float)(x & 1)); break; }
	case SOKR_F64: { double *restrict d = dst; MAP1((double)(x & 1)); break; }
	case SOKR_I32: { int32_t *restrict d = dst; MAP1((int32_t)(x & 1)); break; }
	case SOKR_I64: { int64_t *restrict d = dst; MAP1((int64_t)(x & 1)); break; }
	case SOKR_BOOL: { uint8_t *restrict d = dst; MAP1((uint8_t)(x != 0)); break; }
	}
}

INLINE int dtype_size(int dt) {
	switch (dt) {
	case SOKR_F32:
	case SOKR_I32:
		return 4;
	case SOKR_F64:
	case SOKR_I64:
		return 8;
	case SOKR_BOOL:
		return 1;
	}
	return 0;
}

// apply runs one instruction over n elements (apply in elementwise.go).
INLINE void apply(const sokr_instr *in, void *d, const void *a, const void *b,
	const void *c, int64_t n) {
	int op = in->op;
	if (op >= SOKR_NEG && op <= SOKR_COS) {
		switch (in->dt) {
		case SOKR_F32: unary_f32(op, d, a, n); break;
		case SOKR_F64: unary_f64(op, d, a, n); break;
		case SOKR_I32: unary_i32(op, d, a, n); break;
		case SOKR_I64: unary_i64(op, d, a, n); break;
		}
	} else if (op >= SOKR_ADD && op <= SOKR_MIN) {
		switch (in->dt) {
		case SOKR_F32: binary_f32(op, d, a, b, n); break;
		case SOKR_F64: binary_f64(op, d, a, b, n); break;
		case SOKR_I32: binary_i32(op, d, a, b, n); break;
		case SOKR_I64: binary_i64(op, d, a, b, n); break;
		}
	} else if (op >= SOKR_EQ && op <= SOKR_GE) {
		switch (in->dt) {
		case SOKR_F32: compare_f32(op, d, a, b, n); break;
		case SOKR_F64: compare_f64(op, d, a, b, n); break;
		case SOKR_I32: compare_i32(op, d, a, b, n); break;
		case SOKR_I64: compare_i64(op, d, a, b, n); break;
		case SOKR_BOOL: compare_u8(op, d, a, b, n); break;
		}
	} else if (op == SOKR_SELECT) {
		switch (dtype_size(in->dt)) {
		case 1: select_u8(d, a, b, c, n); break;
		case 4: select_u32(d, a, b, c, n); break;
		case 8: select_u64(d, a, b, c, n); break;
		}
	} else if (op == SOKR_CAST) {
		switch (in->dt) {
		case SOKR_F32: cast_from_f32(in->out, d, a, n); break;
		case SOKR_F64: cast_from_f64(in->out, d, a, n); break;
		case SOKR_I32: cast_from_i32(in->out, d, a, n); break;
		case SOKR_I64: cast_from_i64(in->out, d, a, n); break;
		case SOKR_BOOL: cast_from_bool(in->out, d, a, n); break;
		}
	}
}

// splat fills n elements of d with the size-byte value held in the first
// bytes of v (in memory order, as the Go side copied them).
INLINE void splat(void *restrict dst, uint64_t v, int size, int64_t n) {
	switch (size) {
	case 1: {
		uint8_t *restrict d = dst;
		uint8_t x;
		memcpy(&x, &v, sizeof x);
		for (int64_t i = 0; i < n; i++) {
			d[i] = x;
		}
		break;
	}
	case 4: {
		uint32_t *restrict d = dst;
		uint32_t x;
		memcpy(&x, &v, sizeof x);
		for (int64_t i = 0; i < n; i++) {
			d[i] = x;
		}
		break;
	}
	case 8: {
		uint64_t *restrict d = dst;
		for (int64_t i = 0; i < n; i++) {
			d[i] = v;
		}
		break;
	}
	}
}

// The scratch holds the register table (one pointer per register), then
// the slots, SOKR_BLOCK elements of 8 bytes each.
static int64_t regs_bytes(int32_t nregs) {
	return ((int64_t)nregs * (int64_t)sizeof(void *) + 63) & ~(int64_t)63;
}

// The scratch holds the register table, then a staging block for the
// group's result (see STREAM_BYTES), then the slots.
int64_t sokr_fused_scratch_bytes(int32_t nregs, int32_t nslots) {
	return regs_bytes(nregs) + (int64_t)(nslots + 1) * SOKR_BLOCK * 8;
}

// Results of at least STREAM_BYTES per call are written with non-temporal
// (streaming) stores: computed into the staging block, which stays in L1,
// then copied out without first reading the destination's cache lines
// ("read for ownership"), which would otherwise add a third of the memory
// traffic of a*x + y. Smaller results stay cached for whoever reads them next.
#define STREAM_BYTES (4 << 20)

#if defined(__x86_64__)
// stream_copy copies n bytes to dst with 16-byte streaming stores (SSE2, in
// every x86-64), after an ordinary copy of the unaligned head.
INLINE void stream_copy(char *restrict dst, const char *restrict src, int64_t n) {
	int64_t head = (int64_t)((16 - ((uintptr_t)dst & 15)) & 15);
	if (head > n) {
		head = n;
	}
	memcpy(dst, src, (size_t)head);
	int64_t i = head;
	for (; i + 16 <= n; i += 16) {
		_mm_stream_si128((__m128i *)(dst + i), _mm_loadu_si128((const __m128i *)(src + i)));
	}
	memcpy(dst + i, src + i, (size_t)(n - i));
}
#define SOKR_STREAM 1
#else
#define SOKR_STREAM 0
#endif

// run_blocks is the evaluator, inlined into each ISA variant below.
INLINE void run_blocks(const sokr_instr *code, int32_t ncode,
	const sokr_leaf *leaves, int32_t nleaves,
	void *out, int64_t lo, int64_t hi, void *scratch) {
	const void **regs = scratch;
	char *stage = (char *)scratch + regs_bytes(nleaves + ncode);
	char *slots = stage + SOKR_BLOCK * 8;
	// Scalar leaves are broadcast into their slots once per call, as far as
	// the first (longest) block needs.
	int64_t width = hi - lo < SOKR_BLOCK ? hi - lo : SOKR_BLOCK;
	for (int32_t r = 0; r < nleaves; r++) {
		const sokr_leaf *lf = &leaves[r];
		if (lf->slot >= 0) {
			void *s = slots + (int64_t)lf->slot * SOKR_BLOCK * 8;
			splat(s, lf->value, lf->size, width);
			regs[r] = s;
		}
	}
	const sokr_instr *last = &code[ncode - 1];
	int64_t outsize = dtype_size(last->out);
	int stream = SOKR_STREAM && (hi - lo) * outsize >= STREAM_BYTES;
	for (int64_t b = lo; b < hi; b += SOKR_BLOCK) {
		int64_t n = hi - b < SOKR_BLOCK ? hi - b : SOKR_BLOCK;
		for (int32_t r = 0; r < nleaves; r++) {
			const sokr_leaf *lf = &leaves[r];
			if (lf->slot < 0) {
				regs[r] = (const char *)lf->data + b * lf->size;
			}
		}
		for (int32_t k = 0; k < ncode; k++) {
			const sokr_instr *in = &code[k];
			void *d = in != last ? slots + (int64_t)in->dst * SOKR_BLOCK * 8
				: stream ? stage
				: (char *)out + b * outsize;
			regs[nleaves + k] = d;
			apply(in, d, regs[in->args[0]], regs[in->args[1]], regs[in->args[2]], n);
		}
#if SOKR_STREAM
		if (stream) {
			stream_copy((char *)out + b * outsize, stage, n * outsize);
		}
#endif
	}
#if SOKR_STREAM
	if (stream) {
		_mm_sfence(); // streaming stores are weakly ordered: publish them before returning
	}
#endif
}

#define RUN_ARGS const sokr_instr *code, int32_t ncode, const sokr_leaf *leaves, \
	int32_t nleaves, void *out, int64_t lo, int64_t hi, void *scratch
#define RUN_CALL code, ncode, leaves, nleaves, out, lo, hi, scratch

static void run_baseline(RUN_ARGS) {
	run_blocks(RUN_CALL);
}

#if SOKR_X86_VARIANTS
__attribute__((target("avx2"))) static void run_avx2(RUN_ARGS) {
	run_blocks(RUN_CALL);
}

__attribute__((target("arch=x86-64-v4"))) static void run_v4(RUN_ARGS) {
	run_blocks(RUN_CALL);
}
#endif

int32_t sokr_fused_best_isa(void) {
#if SOKR_X86_VARIANTS
	unsigned int f = sokr_cpu_features();
	if (f & SOKR_CPU_X86_64_V4) {
		return SOKR_ISA_X86_64_V4;
	}
	if (f & SOKR_CPU_AVX2) {
		return SOKR_ISA_AVX2;
	}
#endif
	return SOKR_ISA_BASELINE;
}

int32_t sokr_fused_run_isa(int32_t isa, RUN_ARGS) {
	if (isa == SOKR_ISA_BEST) {
		isa = sokr_fused_best_isa();
	}
	if (isa > sokr_fused_best_isa()) {
		return 0;
	}
	if (hi <= lo || ncode <= 0) {
		return 1;
	}
	switch (isa) {
	case SOKR_ISA_BASELINE:
		run_baseline(RUN_CALL);
		return 1;
#if SOKR_X86_VARIANTS
	case SOKR_ISA_AVX2:
		run_avx2(RUN_CALL);
		return 1;
	case SOKR_ISA_X86_64_V4:
		run_v4(RUN_CALL);
		return 1;
#endif
	}
	return 0;
}

void sokr_fused_run(RUN_ARGS) {
	sokr_fused_run_isa(SOKR_ISA_BEST, RUN_CALL);
}
