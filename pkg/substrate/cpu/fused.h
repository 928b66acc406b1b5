// fused.h: the C evaluator of fused elementwise groups (see fused.c and
// fused_cgo.go). It mirrors (*group).run and apply in fusion.go and
// elementwise.go, which remain the reference and the CGO_ENABLED=0 path.

#ifndef SOKR_FUSED_H
#define SOKR_FUSED_H

#include <stdint.h>

// SOKR_BLOCK is the number of elements evaluated per block: a register slot
// holds SOKR_BLOCK elements of up to 8 bytes.
#define SOKR_BLOCK 1024

// Ops. The Go side maps native.Op to these explicitly, so the numbering is
// independent of the IR's.
enum {
	SOKR_NEG = 1,
	SOKR_ABS,
	SOKR_EXP,
	SOKR_LOG,
	SOKR_SQRT,
	SOKR_TANH,
	SOKR_SIGMOID,
	SOKR_RELU,
	SOKR_SIN,
	SOKR_COS,
	SOKR_ADD,
	SOKR_SUB,
	SOKR_MUL,
	SOKR_DIV,
	SOKR_POW,
	SOKR_MAX,
	SOKR_MIN,
	SOKR_EQ,
	SOKR_NE,
	SOKR_LT,
	SOKR_LE,
	SOKR_GT,
	SOKR_GE,
	SOKR_SELECT,
	SOKR_CAST
};

// Element types (bool is one byte, 0 or 1).
enum {
	SOKR_F32 = 1,
	SOKR_F64,
	SOKR_I32,
	SOKR_I64,
	SOKR_BOOL
};

// sokr_instr is one instruction. Registers 0..nleaves-1 are the leaves;
// instruction k writes register nleaves+k, held in scratch slot dst (the
// last instruction writes the output instead and has dst -1).
typedef struct {
	int32_t op;
	int32_t dt;  // dtype of the operands (cast, select: of the data operand)
	int32_t out; // dtype of the result
	int32_t dst;
	int32_t args[3];
} sokr_instr;

// sokr_leaf is one input of a group: a full array read at the block's
// offset (data, element 0 of the whole array), or a scalar that is
// broadcast into scratch slot slot once per call (its size bytes are the
// first bytes of value, in memory order).
typedef struct {
	const void *data;
	uint64_t value;
	int32_t size; // element size in bytes
	int32_t slot; // scalar: its slot; full array: -1
} sokr_leaf;

// sokr_fused_scratch_bytes is the size of the scratch sokr_fused_run needs
// for a group with nregs registers (leaves + instructions) and nslots slots.
int64_t sokr_fused_scratch_bytes(int32_t nregs, int32_t nslots);

// sokr_fused_run evaluates the group over elements [lo, hi), writing the
// last instruction's result to out (element 0 of the whole result), with
// the best variant for this CPU.
void sokr_fused_run(const sokr_instr *code, int32_t ncode,
	const sokr_leaf *leaves, int32_t nleaves,
	void *out, int64_t lo, int64_t hi, void *scratch);

// Instruction-set variants of the evaluator (x86-64; elsewhere only the
// baseline), ordered: a CPU that runs one runs those below it.
enum {
	SOKR_ISA_BEST = 0,
	SOKR_ISA_BASELINE,
	SOKR_ISA_AVX2,
	SOKR_ISA_X86_64_V4
};

// sokr_fused_best_isa is the best variant this CPU and build support.
int32_t sokr_fused_best_isa(void);

// sokr_fused_run_isa is sokr_fused_run with the given variant. It returns 0,
// doing nothing, if the CPU or the build lacks it (the tests run every
// variant the machine has).
int32_t sokr_fused_run_isa(int32_t isa, const sokr_instr *code, int32_t ncode,
	const sokr_leaf *leaves, int32_t nleaves,
	void *out, int64_t lo, int64_t hi, void *scratch);

#endif
