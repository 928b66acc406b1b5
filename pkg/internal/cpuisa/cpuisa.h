// cpuisa.h: which of the C kernels' x86-64 variants this CPU and its OS run, for
// pkg/substrate/cpu (fused.c), snn and statevec (kernels.c), which include it by relative
// path. It reads CPUID and XGETBV itself instead of calling __builtin_cpu_supports, which
// needs __cpu_model from libgcc or LLVM's compiler-rt: zig's compiler-rt, whose C compiler
// builds the release wheel (scripts/wheel.sh), has none, and the link fails.
//
// The feature lists are the x86-64 psABI's micro-architecture levels ("x86-64 psABI",
// section 3.1.1, https://gitlab.com/x86-psABIs/x86-64-ABI), which GCC's and clang's
// target("arch=x86-64-v4") compile for; the bits are from the Intel SDM, vol. 2A, CPUID.
// A feature counts only if the OS saves its registers (XCR0), as GCC's libgcc checks too.
//
// Go's build cache does not see this file (it is outside the packages that include it):
// after editing it, run `go clean -cache`.

#ifndef SOKR_CPUISA_H
#define SOKR_CPUISA_H

#include <stdint.h>

// SOKR_X86_VARIANTS: whether this compiler builds the AVX2 and x86-64-v4 copies of the
// kernels. GCC 12 and clang 12 are the first to know the x86-64-v4 target.
#if defined(__x86_64__) && ((defined(__clang__) && __clang_major__ >= 12) || \
	(!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12))
#define SOKR_X86_VARIANTS 1
#else
#define SOKR_X86_VARIANTS 0
#endif

#if SOKR_X86_VARIANTS
#include <cpuid.h>

// What sokr_cpu_features reports.
#define SOKR_CPU_AVX2 1u      // __builtin_cpu_supports("avx2")
#define SOKR_CPU_FMA 2u       // __builtin_cpu_supports("fma")
#define SOKR_CPU_X86_64_V4 4u // __builtin_cpu_supports("x86-64-v4")

// sokr_cpu_features is the SOKR_CPU_ bits of what this CPU and its OS run.
static inline unsigned int sokr_cpu_features(void) {
	unsigned int a, b, c1, d, b7 = 0, c7, d7, cx = 0;
	if (!__get_cpuid(1, &a, &b, &c1, &d)) {
		return 0;
	}
	if (__get_cpuid_max(0, 0) >= 7) {
		__cpuid_count(7, 0, a, b7, c7, d7);
	}
	if (!__get_cpuid(0x80000001, &a, &b, &cx, &d)) {
		cx = 0;
	}
	// AVX state is usable when the OS has XSAVE on (OSXSAVE, 1:ECX bit 27) and saves the
	// SSE and AVX registers (XCR0 bits 1, 2).
	if (!(c1 & (1u << 27))) {
		return 0;
	}
	uint32_t xlo, xhi;
	__asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
	if ((xlo & 0x6) != 0x6 || !(c1 & (1u << 28))) { // and the CPU has AVX (1:ECX 28)
		return 0;
	}
	unsigned int f = 0;
	if (b7 & (1u << 5)) { // AVX2: 7:EBX bit 5
		f |= SOKR_CPU_AVX2;
	}
	if (c1 & (1u << 12)) { // FMA: 1:ECX bit 12
		f |= SOKR_CPU_FMA;
	}
	// x86-64-v2: SSE3 (1:ECX 0), SSSE3 (9), CMPXCHG16B (13), SSE4.1 (19), SSE4.2 (20),
	// POPCNT (23), LAHF/SAHF (0x80000001:ECX 0). v3 adds AVX, AVX2, FMA, MOVBE (1:ECX 22),
	// F16C (29), BMI1 and BMI2 (7:EBX 3, 8) and LZCNT (0x80000001:ECX 5). v4 adds AVX512F
	// (7:EBX 16), DQ (17), CD (28), BW (30) and VL (31), with the opmask and ZMM state saved
	// (XCR0 bits 5, 6, 7). macOS turns the AVX-512 state on only once a thread uses it, so
	// its XCR0 cannot tell: there the AVX2 copies are the best.
	const unsigned int c1v4 = (1u << 0) | (1u << 9) | (1u << 12) | (1u << 13) | (1u << 19) |
		(1u << 20) | (1u << 22) | (1u << 23) | (1u << 29);
	const unsigned int b7v4 = (1u << 3) | (1u << 5) | (1u << 8) | (1u << 16) | (1u << 17) |
		(1u << 28) | (1u << 30) | (1u << 31);
	const unsigned int cxv4 = (1u << 0) | (1u << 5);
#if !defined(__APPLE__)
	if ((c1 & c1v4) == c1v4 && (b7 & b7v4) == b7v4 && (cx & cxv4) == cxv4 && (xlo & 0xe0) == 0xe0) {
		f |= SOKR_CPU_X86_64_V4;
	}
#else
	(void)c1v4, (void)b7v4, (void)cxv4;
#endif
	(void)c7, (void)d7, (void)xhi;
	return f;
}
#endif

#endif
