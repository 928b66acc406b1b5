//go:build cgo

package cpu

// The C evaluator of fused groups (fused.c): the same register program as
// (*group).run, with loops the C compiler vectorizes. Builds without cgo
// use the Go evaluator (fused_go.go).

/*
#cgo CFLAGS: -O3 -fno-fast-math
#cgo LDFLAGS: -lm
#include "fused.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// haveNative reports that this build has the C evaluator.
const haveNative = true

// nativeMin is the fewest elements worth a C call: below it the call and
// the pinning of the inputs cost more than the Go loops.
const nativeMin = 64

// nativeGroup is a group translated for the C evaluator, built on first use
// and then shared, read-only, by every run of the plan.
type nativeGroup struct {
	once sync.Once
	ok   bool // every op and dtype of the group has a C kernel
	code []C.sokr_instr
	// leaves is the template of the C leaves: size and slot; the data
	// pointer (full arrays) or value (scalars) is filled in per call.
	leaves       []C.sokr_leaf
	scratchWords int // the C scratch, in 8-byte words
}

// cScratch is one worker's C scratch and the per-call leaf table. Only the
// leaves' data pointers are Go pointers; they are pinned for the duration
// of the call and cleared after it.
type cScratch struct {
	buf    []uint64
	leaves []C.sokr_leaf
	pin    runtime.Pinner
}

// cScratchFree keeps idle scratches. A buffered channel rather than a
// sync.Pool: a pool is emptied by every other GC (and drops items at random
// under the race detector), and a run of a big group allocates enough to
// trigger GCs, so a pool would allocate new scratches (tens of KiB) run after
// run.
var cScratchFree = make(chan *cScratch, 4*max(runtime.GOMAXPROCS(0), 2))

func getCScratch() *cScratch {
	select {
	case cs := <-cScratchFree:
		return cs
	default:
		return new(cScratch)
	}
}

func putCScratch(cs *cScratch) {
	select {
	case cScratchFree <- cs:
	default: // more workers than usual: let it go
	}
}

// runGroup evaluates g over [lo, hi) with the C evaluator, or with the Go
// one for tiny ranges and groups the C evaluator does not cover.
func runGroup(g *group, vals []sokr.Tensor, out []byte, lo, hi int, sc *scratch) {
	if hi-lo < nativeMin || !runNative(g, vals, out, lo, hi) {
		g.run(vals, out, lo, hi, sc)
	}
}

// runNative evaluates g over [lo, hi) in C. It reports false, having done
// nothing, when the group has an op or dtype the C code does not cover or an
// operand is not aligned to its element size.
func runNative(g *group, vals []sokr.Tensor, out []byte, lo, hi int) bool {
	return runNativeISA(g, vals, out, lo, hi, C.SOKR_ISA_BEST)
}

// Instruction-set variants of the C evaluator, for the tests.
const (
	isaBaseline = C.SOKR_ISA_BASELINE
	isaAVX2     = C.SOKR_ISA_AVX2
	isaV4       = C.SOKR_ISA_X86_64_V4
)

// bestISA is the best variant of the C evaluator this CPU runs.
func bestISA() int { return cBestISA }

var cBestISA = int(C.sokr_fused_best_isa())

// runNativeISA is runNative with the given variant of the C evaluator; it
// reports false if the CPU lacks it.
func runNativeISA(g *group, vals []sokr.Tensor, out []byte, lo, hi int, isa int) bool {
	if isa > cBestISA {
		return false
	}
	ng := &g.nat
	ng.once.Do(func() { ng.build(g) })
	if !ng.ok {
		return false
	}
	if hi <= lo {
		return true
	}
	// Check everything before pinning: a panic between Pin and Unpin would
	// leak the pins.
	outSize := g.code[len(g.code)-1].out.Size()
	if uintptr(unsafe.Pointer(unsafe.SliceData(out)))%uintptr(outSize) != 0 {
		return false
	}
	_ = out[hi*outSize-1] // the C code writes out[lo*outSize : hi*outSize]
	for i := range g.leaves {
		lf := &g.leaves[i]
		data, size := vals[lf.node].Data, lf.dt.Size()
		if lf.scalar {
			_ = data[size-1]
			continue
		}
		if uintptr(unsafe.Pointer(unsafe.SliceData(data)))%uintptr(size) != 0 {
			return false
		}
		_ = data[hi*size-1] // the C code reads data[lo*size : hi*size]
	}

	cs := getCScratch()
	if len(cs.buf) < ng.scratchWords {
		cs.buf = make([]uint64, ng.scratchWords)
	}
	if cap(cs.leaves) < len(ng.leaves) {
		cs.leaves = make([]C.sokr_leaf, len(ng.leaves))
	}
	leaves := cs.leaves[:len(ng.leaves)]
	copy(leaves, ng.leaves)
	for i := range g.leaves {
		lf := &g.leaves[i]
		data := vals[lf.node].Data
		if lf.scalar {
			var v uint64
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), 8), data[:lf.dt.Size()])
			leaves[i].value = C.uint64_t(v)
			continue
		}
		p := unsafe.Pointer(unsafe.SliceData(data))
		cs.pin.Pin(p) // a no-op for data outside the Go heap
		leaves[i].data = p
	}
	C.sokr_fused_run_isa(C.int32_t(isa), &ng.code[0], C.int32_t(len(ng.code)), &leaves[0], C.int32_t(len(leaves)),
		unsafe.Pointer(unsafe.SliceData(out)), C.int64_t(lo), C.int64_t(hi), unsafe.Pointer(&cs.buf[0]))
	cs.pin.Unpin()
	for i := range leaves {
		leaves[i].data = nil // no stale Go pointers in memory passed to C next time
	}
	putCScratch(cs)
	return true
}

var cOps = map[native.Op]C.int32_t{
	native.OpNeg: C.SOKR_NEG, native.OpAbs: C.SOKR_ABS, native.OpExp: C.SOKR_EXP,
	native.OpLog: C.SOKR_LOG, native.OpSqrt: C.SOKR_SQRT, native.OpTanh: C.SOKR_TANH,
	native.OpSigmoid: C.SOKR_SIGMOID, native.OpRelu: C.SOKR_RELU, native.OpSin: C.SOKR_SIN,
	native.OpCos: C.SOKR_COS,
	native.OpAdd: C.SOKR_ADD, native.OpSub: C.SOKR_SUB, native.OpMul: C.SOKR_MUL,
	native.OpDiv: C.SOKR_DIV, native.OpPow: C.SOKR_POW, native.OpMax: C.SOKR_MAX,
	native.OpMin: C.SOKR_MIN,
	native.OpEq:  C.SOKR_EQ, native.OpNe: C.SOKR_NE, native.OpLt: C.SOKR_LT,
	native.OpLe: C.SOKR_LE, native.OpGt: C.SOKR_GT, native.OpGe: C.SOKR_GE,
	native.OpSelect: C.SOKR_SELECT, native.OpCast: C.SOKR_CAST,
}

var cDTypes = map[sokr.DType]C.int32_t{
	sokr.F32: C.SOKR_F32, sokr.F64: C.SOKR_F64, sokr.I32: C.SOKR_I32,
	sokr.I64: C.SOKR_I64, sokr.Bool: C.SOKR_BOOL,
}

// build translates g. Scratch slots are assigned by liveness: a broadcast
// scalar keeps its slot; an instruction's result takes a free slot, which
// is freed after the instruction that reads it last (never for an operand
// of the writing instruction itself, as a cast may widen).
func (ng *nativeGroup) build(g *group) {
	nl, nc := len(g.leaves), len(g.code)
	if nl == 0 || nc == 0 {
		return
	}
	lastUse := make([]int, nl+nc)
	for r := range lastUse {
		lastUse[r] = -1
	}
	for k := range g.code {
		in := &g.code[k]
		for a := range argCount(in.op) {
			r := in.args[a]
			if r < 0 || r >= nl+k {
				return // not a register written before k
			}
			lastUse[r] = k
		}
	}
	slot := make([]int, nl+nc)
	var free []int
	nslots := 0
	alloc := func() int {
		if len(free) > 0 {
			s := free[len(free)-1]
			free = free[:len(free)-1]
			return s
		}
		nslots++
		return nslots - 1
	}
	leaves := make([]C.sokr_leaf, nl)
	for r, lf := range g.leaves {
		if _, ok := cDTypes[lf.dt]; !ok {
			return
		}
		leaves[r] = C.sokr_leaf{size: C.int32_t(lf.dt.Size()), slot: -1}
		if lf.scalar {
			s := alloc()
			slot[r] = s
			leaves[r].slot = C.int32_t(s)
		}
	}
	code := make([]C.sokr_instr, nc)
	for k := range g.code {
		in := &g.code[k]
		op, okOp := cOps[in.op]
		dt, okDT := cDTypes[in.dt]
		out, okOut := cDTypes[in.out]
		if !okOp || !okDT || !okOut {
			return
		}
		ci := C.sokr_instr{op: op, dt: dt, out: out, dst: -1}
		dst := nl + k
		if k < nc-1 {
			slot[dst] = alloc()
			ci.dst = C.int32_t(slot[dst])
		}
		n := argCount(in.op)
		for a := range n { // unused args stay 0, a valid register
			ci.args[a] = C.int32_t(in.args[a])
		}
		for a := range n {
			r := in.args[a]
			if r >= nl && lastUse[r] == k {
				free = append(free, slot[r])
				lastUse[r] = -2 // freed (an operand may appear twice)
			}
		}
		if k < nc-1 && lastUse[dst] == -1 {
			free = append(free, slot[dst]) // never read
		}
		code[k] = ci
	}
	ng.code, ng.leaves = code, leaves
	ng.scratchWords = int((C.sokr_fused_scratch_bytes(C.int32_t(nl+nc), C.int32_t(nslots)) + 7) / 8)
	ng.ok = true
}
