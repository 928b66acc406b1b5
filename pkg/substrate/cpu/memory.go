package cpu

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// runOverhead bounds what a run allocates whatever its program: the job's
// goroutine and closures, the result and its slices (measured at a few
// KiB by TestEstimateCoversTheRun on tiny programs).
const runOverhead = 8 << 10

// stepOverhead bounds the small allocations of one step besides its
// parallel loop: gather's index, strides, a reduction's sorted axes.
const stepOverhead = 512

// memory is what one run of a plan allocates, worked out from the shapes
// alone: no splat constant is expanded to find it, and every sum
// saturates (footprint), so that a program of 2^40-element values gets a
// figure no budget admits instead of one that wrapped around.
type memory struct {
	// fixed does not depend on the substrate: every step's result (a run
	// keeps all of them until it ends), splat constants expanded where a
	// kernel needs them whole, outputs copied, temporaries, bookkeeping.
	fixed int64
	// perWorker is the largest scratch one worker of a step holds: fused
	// groups' register blocks (Go and C evaluators), reductions'
	// accumulators.
	perWorker int64
	// loops counts the parallel loops a run may start (parallel.Overhead
	// each).
	loops int64
	// goMatmul is what float matrix products allocate in the Go kernel:
	// the run's workspace as it grows (kernels.WorkspaceGrowth) and every
	// call's loops. With a BLAS they are not made.
	goMatmul int64
	// intMatmul is what integer products allocate (always the Go kernel).
	intMatmul int64
	// largest is the node whose value (or expansion, or copy) takes the
	// most, for the message of a refusal; -1 when there is none.
	largest      int
	largestBytes int64
}

// account works out pl's memory.
func (pl *plan) account() memory {
	nodes := pl.prog.Nodes
	m := memory{largest: -1}
	var fixed footprint.Tally
	fixed.Add(runOverhead)
	// vals and owned: a tensor header and a flag per node; the output list.
	fixed.Object(footprint.Mul(len(nodes), int(unsafe.Sizeof(sokr.Tensor{}))))
	fixed.Object(int64(len(nodes)))
	fixed.Object(footprint.Mul(len(pl.prog.Outputs), int(unsafe.Sizeof(sokr.Output{}))))
	value := func(i int, bytes int64) {
		fixed.Object(bytes)
		if bytes > m.largestBytes {
			m.largest, m.largestBytes = i, bytes
		}
	}
	owned := make([]bool, len(nodes)) // after the run: data allocated by it
	expand := func(i int) {           // run.full
		if pl.splat[i] && !owned[i] {
			owned[i] = true
			value(i, nodes[i].Type.Bytes())
		}
	}
	var goMM kernels.WorkspaceGrowth
	var intMM footprint.Tally
	for _, st := range pl.steps {
		n := &nodes[st.node]
		fixed.Add(stepOverhead)
		if n.Op == native.OpReshape {
			expand(n.Args[0])
			continue
		}
		value(st.node, n.Type.Bytes())
		owned[st.node] = true
		m.loops++
		switch {
		case st.group != nil:
			m.perWorker = max(m.perWorker, groupScratch(st.group))
		case n.Op == native.OpBroadcast || n.Op == native.OpTranspose:
			expand(n.Args[0])
		case n.Op.IsReduce():
			expand(n.Args[0])
			in := nodes[n.Args[0]].Type
			if !contiguousAxes(n.Axes) {
				fixed.Object(in.Bytes()) // the transposed copy
				fixed.Object(footprint.Mul(len(in.Shape), 2*8))
			}
			// Each chunk accumulates one row of the kept inner axes in f64.
			m.perWorker = max(m.perWorker, footprint.Object(footprint.Mul(8, innerSize(in.Shape, n.Axes))))
		case n.Op == native.OpMatmul:
			expand(n.Args[0])
			expand(n.Args[1])
			as, bs := nodes[n.Args[0]].Type.Shape, nodes[n.Args[1]].Type.Shape
			r := len(as)
			mm, k, nn, batch := as[r-2], as[r-1], bs[len(bs)-1], as[:r-2].NumElements()
			if n.Type.DType == sokr.F32 || n.Type.DType == sokr.F64 {
				goMM.Add(n.Type.DType.Size(), mm, k, nn, batch)
			} else {
				intMM.Add(footprint.Mul(int64(batch), kernels.IntMatmulScratch(mm, k, nn)))
			}
		}
	}
	m.goMatmul, m.intMatmul = goMM.Bytes(), intMM.Bytes()
	// execute copies an output that the run did not allocate (a parameter,
	// a constant, a reshape's view) or whose data an earlier output holds.
	held := map[int]bool{} // data already returned, by the node that holds it
	for _, idx := range pl.prog.Outputs {
		expand(idx)
		d := pl.dataOf(idx)
		if !owned[idx] || held[d] {
			value(idx, nodes[idx].Type.Bytes())
		}
		held[d] = true
	}
	m.fixed = fixed.Bytes()
	return m
}

// dataOf is the node whose buffer holds node i's data in a run: a
// reshape's operand's (a view of it), else i's own.
func (pl *plan) dataOf(i int) int {
	for pl.prog.Nodes[i].Op == native.OpReshape {
		i = pl.prog.Nodes[i].Args[0]
	}
	return i
}

// bytes is what a run on s allocates.
func (m *memory) bytes(s *Substrate) int64 {
	var t footprint.Tally
	t.Add(m.fixed)
	t.Add(footprint.Mul(int64(s.workers), m.perWorker))
	t.Add(footprint.Mul(m.loops, parallel.Overhead(s.workers)))
	t.Add(m.intMatmul)
	if s.blas == nil {
		t.Add(m.goMatmul)
	}
	return t.Bytes()
}

// refusal explains a run over the budget, naming the largest value.
func (pl *plan) refusal(need, budget int64) string {
	msg := fmt.Sprintf("needs %s of memory, its budget is %s (see cpu.WithMemoryBudget)", footprint.Format(need), footprint.Format(budget))
	if m := &pl.mem; m.largest >= 0 {
		n := &pl.prog.Nodes[m.largest]
		what := "value"
		if n.Op == native.OpConst {
			what = "constant"
		}
		msg += fmt.Sprintf("; the largest %s, %s: %v, takes %s", what, n.Name, n.Type, footprint.Format(m.largestBytes))
	}
	return msg
}

// groupScratch bounds one worker's scratch for a fused group: the Go
// evaluator's register blocks and their views (scratch), and the C
// evaluator's scratch and leaf table (cScratch), both of which a worker
// may hold.
func groupScratch(g *group) int64 {
	regs := len(g.leaves) + len(g.code)
	var t footprint.Tally
	t.Add(footprint.Mul(int64(regs), footprint.Object(blockLen*8)))
	t.Object(footprint.Mul(regs, 24+24)) // views and the blocks' headers
	// C: the register table, a staging block and one slot per register at
	// most (sokr_fused_scratch_bytes), and the leaf table.
	t.Object(footprint.Add(footprint.Mul(regs, 8), 64, footprint.Mul(regs+1, blockLen*8)))
	t.Object(footprint.Mul(len(g.leaves), 32))
	t.Add(256) // the scratch structs
	return t.Bytes()
}

// contiguousAxes reports reduction axes that form one block (reduce then
// needs no transposed copy).
func contiguousAxes(axes []int) bool {
	if len(axes) == 0 {
		return true
	}
	lo, hi := slices.Min(axes), slices.Max(axes)
	return hi-lo == len(axes)-1
}

// innerSize is the number of elements after the last reduced axis, once
// reduce has moved the reduced axes last when they are not contiguous:
// the length of a reduction's per-chunk accumulator.
func innerSize(in sokr.Shape, axes []int) int {
	switch {
	case len(axes) == 0:
		return in.NumElements()
	case !contiguousAxes(axes):
		return 1
	}
	return in[slices.Max(axes)+1:].NumElements()
}
