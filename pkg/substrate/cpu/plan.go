package cpu

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// plan is a native program compiled for this substrate: the order in which
// steps run, which elementwise chains are fused, and the memory it needs.
// A plan is immutable and shared by all runs of its program.
type plan struct {
	prog   *native.Program
	steps  []step
	fused  []bool        // per node: computed inside a fused group, never stored
	consts []sokr.Tensor // per node: a constant's full data (splats expanded lazily)
	splat  []bool        // per node: a one-element constant of a larger shape
	// mem is the memory a run allocates (see account).
	mem memory
	// work counts element operations, for estimates and the inline
	// threshold (saturating, like mem).
	work int64
	// unsupported says why the substrate cannot run the program ("" if it
	// can), found once here rather than on every Capability call.
	unsupported string
}

// step computes one stored node.
type step struct {
	node  int
	group *group // set for a fused elementwise group rooted at node
}

// group is a fused chain of elementwise ops evaluated block by block with no
// temporaries the size of the data. Registers 0..len(leaves)-1 hold the
// group's inputs; each instruction writes the next register; the last
// instruction's register is the group's result.
type group struct {
	n      int // elements of the result
	leaves []leaf
	code   []instr
	nat    nativeGroup // the group translated for the C evaluator (fused_cgo.go)
}

// leaf is a value a group reads: a stored node, full-sized or a scalar that
// is broadcast.
type leaf struct {
	node   int
	scalar bool
	dt     sokr.DType
}

type instr struct {
	op   native.Op
	dt   sokr.DType // dtype of the operands (for cast and select: of the data operand)
	out  sokr.DType // dtype of the result
	args [3]int     // registers
}

const planKey = "cpu.plan/1"

// compile returns p's plan, building it once per program.
func compile(p *native.Program) *plan {
	return p.Memo(planKey, func() any { return newPlan(p) }).(*plan)
}

func newPlan(p *native.Program) *plan {
	nodes := p.Nodes
	pl := &plan{
		prog:   p,
		fused:  make([]bool, len(nodes)),
		consts: make([]sokr.Tensor, len(nodes)),
		splat:  make([]bool, len(nodes)),
	}
	users := make([][]int, len(nodes))
	for i := range nodes {
		for _, a := range nodes[i].Args {
			users[a] = append(users[a], i)
		}
	}
	isOutput := make([]bool, len(nodes))
	for _, o := range p.Outputs {
		isOutput[o] = true
	}
	// A node fuses into its user when it is elementwise, used exactly once,
	// by an elementwise op of the same shape, and not returned.
	for i := range nodes {
		n := &nodes[i]
		if !n.Op.IsElementwise() || isOutput[i] || len(users[i]) != 1 {
			continue
		}
		u := &nodes[users[i][0]]
		if u.Op.IsElementwise() && u.Type.Shape.Equal(n.Type.Shape) && len(n.Type.Shape) > 0 {
			pl.fused[i] = true
		}
	}
	for i := range nodes {
		n := &nodes[i]
		if !supportedDTypes[n.Type.DType] && pl.unsupported == "" {
			pl.unsupported = fmt.Sprintf("value %s has dtype %v, which this substrate does not support", n.Name, n.Type.DType)
		}
		pl.work = footprint.Add(pl.work, int64(n.Type.Shape.NumElements()))
		switch {
		case n.Op == native.OpParam:
			continue
		case n.Op == native.OpConst:
			pl.consts[i] = n.Const
			pl.splat[i] = n.Type.Shape.NumElements() != 1 && len(n.Const.Data) == n.Type.DType.Size()
			continue
		case pl.fused[i]:
			continue
		}
		st := step{node: i}
		if n.Op.IsElementwise() {
			st.group = pl.newGroup(i)
		}
		if n.Op == native.OpMatmul {
			a := nodes[n.Args[0]].Type.Shape
			pl.work = footprint.Add(pl.work, footprint.Mul(n.Type.Shape.NumElements(), a[len(a)-1]))
		}
		pl.steps = append(pl.steps, st)
	}
	pl.mem = pl.account()
	return pl
}

// newGroup gathers root and the nodes fused into it, in dependency order.
func (pl *plan) newGroup(root int) *group {
	nodes := pl.prog.Nodes
	g := &group{n: nodes[root].Type.Shape.NumElements()}
	reg := map[int]int{} // node -> register
	var code []instr
	var visit func(i int) int
	visit = func(i int) int {
		if r, ok := reg[i]; ok {
			return r
		}
		n := &nodes[i]
		if i != root && !pl.fused[i] {
			// Leaves are numbered first; instructions are renumbered below.
			r := -1 - len(g.leaves)
			g.leaves = append(g.leaves, leaf{
				node:   i,
				scalar: n.Type.Shape.NumElements() == 1 && g.n != 1 || pl.splat[i],
				dt:     n.Type.DType,
			})
			reg[i] = r
			return r
		}
		in := instr{op: n.Op, out: n.Type.DType}
		for k, a := range n.Args {
			in.args[k] = visit(a)
		}
		in.dt = nodes[n.Args[len(n.Args)-1]].Type.DType
		if n.Op == native.OpCast {
			in.dt = nodes[n.Args[0]].Type.DType
		}
		code = append(code, in)
		r := len(code) - 1
		reg[i] = r
		return r
	}
	visit(root)
	// Registers: leaves 0..L-1, then instruction k writes L+k.
	l := len(g.leaves)
	for k := range code {
		in := &code[k]
		nargs := argCount(in.op)
		for a := 0; a < nargs; a++ {
			if r := in.args[a]; r < 0 {
				in.args[a] = -1 - r
			} else {
				in.args[a] = l + r
			}
		}
	}
	g.code = code
	return g
}

func argCount(op native.Op) int {
	switch {
	case op == native.OpSelect:
		return 3
	case op.IsBinary() || op.IsCompare():
		return 2
	}
	return 1
}
