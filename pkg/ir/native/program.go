package native

import (
	"fmt"
	"sync"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the IR format name of native programs.
const Format = "sokr.native/1"

// Op is an operation of the native IR.
type Op uint8

// The operations. Their text names are given by String.
const (
	OpInvalid Op = iota
	OpParam      // an input, in signature order
	OpConst      // a constant: one element (splat) or the full data
	// Elementwise unary.
	OpNeg
	OpAbs
	OpExp
	OpLog
	OpSqrt
	OpTanh
	OpSigmoid
	OpRelu
	OpSin
	OpCos
	// Elementwise binary arithmetic.
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpPow
	OpMax
	OpMin
	// Elementwise comparison, giving bool.
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	// OpSelect picks, per element, args[1] where args[0] is true, else args[2].
	OpSelect
	// OpCast converts to the result dtype.
	OpCast
	// OpBroadcast expands to the result shape by NumPy's rules (align
	// trailing dimensions; a dimension of 1 or a missing one is repeated).
	OpBroadcast
	// OpReshape reinterprets the elements in the result shape (same count).
	OpReshape
	// OpTranspose permutes dimensions: result dim i is operand dim Axes[i].
	OpTranspose
	// Reductions over Axes; the reduced dimensions are removed.
	OpReduceSum
	OpReduceMax
	OpReduceMin
	OpReduceMean
	// OpMatmul is batched matrix product: [..., m, k] x [..., k, n] ->
	// [..., m, n], with identical batch dimensions.
	OpMatmul
	numOps
)

var opNames = [numOps]string{
	"invalid", "param", "const",
	"neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos",
	"add", "sub", "mul", "div", "pow", "max", "min",
	"eq", "ne", "lt", "le", "gt", "ge",
	"select", "cast", "broadcast", "reshape", "transpose",
	"reduce_sum", "reduce_max", "reduce_min", "reduce_mean",
	"matmul",
}

// String returns the op's name in the text format.
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// ParseOp returns the op with text name s.
func ParseOp(s string) (Op, bool) {
	for i := OpParam; i < numOps; i++ {
		if opNames[i] == s {
			return i, true
		}
	}
	return OpInvalid, false
}

// IsUnary reports an elementwise op with one operand.
func (o Op) IsUnary() bool { return o >= OpNeg && o <= OpCos }

// IsBinary reports an elementwise arithmetic op with two operands.
func (o Op) IsBinary() bool { return o >= OpAdd && o <= OpMin }

// IsCompare reports an elementwise comparison.
func (o Op) IsCompare() bool { return o >= OpEq && o <= OpGe }

// IsReduce reports a reduction.
func (o Op) IsReduce() bool { return o >= OpReduceSum && o <= OpReduceMean }

// IsElementwise reports an op that maps elements to elements with no change
// of shape (scalar operands broadcast): unary, binary, compare, select, cast.
func (o Op) IsElementwise() bool {
	return o.IsUnary() || o.IsBinary() || o.IsCompare() || o == OpSelect || o == OpCast
}

// Type is a value's static type.
type Type struct {
	DType sokr.DType
	Shape sokr.Shape
}

// String renders the type as in the text format: "f32[2,3]".
func (t Type) String() string { return t.DType.String() + t.Shape.String() }

// Bytes is the size of a value of this type.
func (t Type) Bytes() int64 { return int64(t.DType.Size()) * int64(t.Shape.NumElements()) }

// Node is one value of a program: a parameter, a constant or an operation.
type Node struct {
	Name  string
	Op    Op
	Type  Type
	Args  []int       // operands, as indices into Program.Nodes
	Axes  []int       // reduce: the axes; transpose: the permutation
	Const sokr.Tensor // OpConst: one element (a splat) or Type's full data
	Pos   sokr.Position
}

// Program is a verified native program. Nodes are in topological order
// (operands before their users); Params and Outputs index into Nodes.
// A Program is immutable once built and safe for concurrent use.
type Program struct {
	Nodes   []Node
	Params  []int
	Outputs []int

	// src is the text the IR plugin parsed, for ProgramSource.
	src []byte

	reqOnce sync.Once
	req     sokr.Requirements
	memo    sync.Map
}

var _ sokr.Program = (*Program)(nil)
var _ sokr.InputChecker = (*Program)(nil)

// Format returns "sokr.native/1".
func (p *Program) Format() string { return Format }

// Requirements lists the ops ("op:matmul") and dtypes ("dtype:f64") the
// program uses, its memory footprint if every value were materialised
// (memory_bytes) and its arithmetic work (flops).
func (p *Program) Requirements() sokr.Requirements {
	p.reqOnce.Do(func() {
		seen := map[string]bool{}
		var feats []string
		add := func(f string) {
			if !seen[f] {
				seen[f] = true
				feats = append(feats, f)
			}
		}
		var mem, flops int64
		for i := range p.Nodes {
			n := &p.Nodes[i]
			add("op:" + n.Op.String())
			add("dtype:" + n.Type.DType.String())
			mem += n.Type.Bytes()
			flops += nodeFLOPs(p, n)
		}
		p.req = sokr.Requirements{Features: feats, Quantities: map[string]int64{
			sokr.QuantityMemoryBytes: mem,
			sokr.QuantityFLOPs:       flops,
		}}
	})
	return p.req
}

func nodeFLOPs(p *Program, n *Node) int64 {
	switch {
	case n.Op == OpMatmul:
		a := p.Nodes[n.Args[0]].Type.Shape
		return 2 * int64(n.Type.Shape.NumElements()) * int64(a[len(a)-1])
	case n.Op.IsElementwise():
		return int64(n.Type.Shape.NumElements())
	case n.Op.IsReduce():
		return int64(p.Nodes[n.Args[0]].Type.Shape.NumElements())
	}
	return 0
}

// CheckInputs verifies count, dtype, shape and data length of dispatch
// inputs against the program's parameters.
func (p *Program) CheckInputs(inputs []sokr.Tensor) error {
	if len(inputs) != len(p.Params) {
		return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("program takes %d inputs, got %d", len(p.Params), len(inputs))}
	}
	for i, idx := range p.Params {
		n := &p.Nodes[idx]
		in := inputs[i]
		if in.DType != n.Type.DType || !in.Shape.Equal(n.Type.Shape) {
			return &sokr.InputError{Index: i, Name: n.Name, Msg: fmt.Sprintf("want %v, got %v", n.Type, in)}
		}
		if err := in.Check(); err != nil {
			return &sokr.InputError{Index: i, Name: n.Name, Msg: err.Error()}
		}
	}
	return nil
}

// Memo returns the value stored under key, computing it with build on first
// use. Substrates use it to keep compiled plans with the program, so that
// they are freed with it.
func (p *Program) Memo(key any, build func() any) any {
	if v, ok := p.memo.Load(key); ok {
		return v
	}
	v, _ := p.memo.LoadOrStore(key, build())
	return v
}
