// Package cpu is SOKR's CPU substrate: it runs native tensor programs
// (sokr.native/1) on all of the host's cores.
//
// # Overview
//
//	rt := sokr.New()
//	rt.RegisterSubstrate(cpu.New())
//	res, err := rt.Run(ctx, prog, inputs)
//
// A program is compiled once into a plan, kept with the program
// (native.Program.Memo) and shared by every run. Runs are independent; any
// number may be in flight at once.
//
// # Fusion
//
// Chains of elementwise ops (unary, binary, compare, select, cast) are fused:
// an elementwise value used exactly once, by an elementwise op of the same
// shape, and not returned, is never stored. Each fused group runs as a small
// register program over blocks of elements that stay in cache, so a*x + y
// reads x and y once and writes its result once, with no temporary arrays.
// Rank-0 operands are broadcast.
//
// # Parallelism and BLAS
//
// Fused groups split their elements across workers (GOMAXPROCS by default,
// WithWorkers to change), reductions their outer dimension. Matrix products
// of f32 and f64 go through a CBLAS loaded at run time (OpenBLAS, BLIS, MKL
// or the reference CBLAS; SOKR_BLAS=/path/lib.so names one), and through a
// blocked, parallel Go kernel when none is installed or WithoutBLAS is given.
// Programs under a few thousand element operations run on the dispatching
// goroutine, which is faster than handing them to another.
//
// # Capability
//
// Capability refuses programs of other formats, dtypes it does not support,
// and programs whose run would allocate more than the memory budget (the
// runtime's in the default runtime, the machine's otherwise: see
// defaults.New; WithMemoryBudget to change),
// saying how much they need and naming the largest value. The memory
// figure counts everything a run allocates, worked out from the shapes
// alone: every stored result, splat constants expanded where a kernel or
// an output needs them whole, outputs copied, temporaries, per-worker
// scratch and matrix packing buffers; sums saturate rather than wrap.
// Accepted programs come with that Estimate of memory, and one of time, for
// policies; Dispatch refuses as Capability does. A BLAS's own buffers,
// which it allocates once per thread and keeps, are not counted.
//
// # Semantics
//
// Results are those of IEEE arithmetic in the program's dtypes; f32 sums
// accumulate in f64, and f32 transcendental functions are computed in f64
// and rounded. Integer division by zero gives 0 and integer overflow wraps
// (nothing traps); max and min propagate NaN, as NumPy's do. A cast from
// float to integer truncates toward zero, gives 0 for NaN and saturates
// out-of-range values at the integer's limits.
//
// # Kernels
//
// With cgo (the default), fused groups run in C compiled by gcc -O3 in
// three copies (x86-64 baseline, AVX2, AVX-512) chosen at run time by the
// CPU's features; the f64 transcendental functions then come from the C
// library (glibc's are correctly rounded or within an ulp or two). Without
// cgo, the same groups run as Go loops, with Go's math package.
package cpu
