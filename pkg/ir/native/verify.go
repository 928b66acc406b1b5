package native

import (
	"fmt"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Limits on types. They keep the arithmetic on sizes inside int64 and turn
// absurd programs (often fuzzed or mistyped ones) into errors rather than
// allocation failures.
const (
	// MaxRank is the largest number of dimensions a type may have
	// (NumPy's limit since 2.0).
	MaxRank = 64
	// MaxElements is the largest number of elements a value may have.
	// Eight bytes each makes 8 TiB, beyond any single machine today.
	MaxElements = 1 << 40
)

// Verify checks that p is a well-formed native program: node names are
// valid and unique, every operand refers to an earlier node (topological
// order), Params lists exactly the OpParam nodes, Outputs is not empty,
// constants hold the data their type needs, and each node's declared Type is
// the one its op gives for its operands (see the package documentation for
// the rules). The error is a *sokr.ProgramError carrying the offending
// node's Pos, with Pos.Node set to its name.
func Verify(p *Program) error {
	if p == nil {
		return &sokr.ProgramError{Format: Format, Msg: "nil program"}
	}
	seen := make(map[string]int, len(p.Nodes))
	argTypes := make([]Type, 0, 3)
	for i := range p.Nodes {
		n := &p.Nodes[i]
		fail := func(format string, args ...any) error {
			pos := n.Pos
			pos.Node = n.Name
			return &sokr.ProgramError{Format: Format, Pos: pos, Msg: fmt.Sprintf(format, args...)}
		}
		if n.Name == "" {
			return fail("node %d has no name", i)
		}
		if err := checkName(n.Name); err != nil {
			return fail("%v", err)
		}
		if j, dup := seen[n.Name]; dup {
			return fail("duplicate name %s (nodes %d and %d)", n.Name, j, i)
		}
		seen[n.Name] = i
		if n.Op == OpInvalid || n.Op >= numOps {
			return fail("invalid op %v", n.Op)
		}
		if err := checkType(n.Type); err != nil {
			return fail("%v", err)
		}
		if want := arity(n.Op); len(n.Args) != want {
			return fail("%v takes %s, got %d", n.Op, plural(want, "operand"), len(n.Args))
		}
		argTypes = argTypes[:0]
		for k, a := range n.Args {
			if a < 0 || a >= i {
				return fail("operand %d refers to node %d, which is not defined before node %d", k, a, i)
			}
			argTypes = append(argTypes, p.Nodes[a].Type)
		}
		if attrKey(n.Op) == "" && len(n.Axes) > 0 {
			return fail("%v takes no attributes, has axes %v", n.Op, n.Axes)
		}
		if n.Op == OpConst {
			if err := checkConst(n.Type, n.Const); err != nil {
				return fail("%v", err)
			}
		} else if n.Const.DType != sokr.InvalidDType || n.Const.Shape != nil || n.Const.Data != nil {
			return fail("%v node holds constant data", n.Op)
		}
		got, err := inferType(n.Op, argTypes, n.Axes, n.Type)
		if err != nil {
			return fail("%v", err)
		}
		if !sameType(got, n.Type) {
			return fail("%v gives %v, but %s is declared %v", n.Op, got, n.Name, n.Type)
		}
	}

	isParam := make([]bool, len(p.Nodes))
	for k, idx := range p.Params {
		if idx < 0 || idx >= len(p.Nodes) {
			return &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("param %d refers to node %d, out of range", k, idx)}
		}
		n := &p.Nodes[idx]
		pos := n.Pos
		pos.Node = n.Name
		if n.Op != OpParam {
			return &sokr.ProgramError{Format: Format, Pos: pos, Msg: fmt.Sprintf("param %d refers to %s, a %v node, not a param", k, n.Name, n.Op)}
		}
		if isParam[idx] {
			return &sokr.ProgramError{Format: Format, Pos: pos, Msg: fmt.Sprintf("param %s is listed twice", n.Name)}
		}
		isParam[idx] = true
	}
	for i := range p.Nodes {
		if n := &p.Nodes[i]; n.Op == OpParam && !isParam[i] {
			return &sokr.ProgramError{Format: Format, Pos: sokr.Position{Line: n.Pos.Line, Col: n.Pos.Col, Node: n.Name},
				Msg: fmt.Sprintf("param node %s is missing from Params", n.Name)}
		}
	}

	if len(p.Outputs) == 0 {
		return &sokr.ProgramError{Format: Format, Msg: "program has no outputs"}
	}
	for k, idx := range p.Outputs {
		if idx < 0 || idx >= len(p.Nodes) {
			return &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("output %d refers to node %d, out of range", k, idx)}
		}
	}
	return nil
}

// inferType applies op's typing rule to the operand types args. Ops whose
// result is not fixed by their operands take the missing part from want:
// param and const take all of it, cast its dtype, broadcast and reshape its
// shape. The result is checked against the type limits. Verify and the
// Builder both type nodes through this one function.
func inferType(op Op, args []Type, axes []int, want Type) (Type, error) {
	t, err := applyRule(op, args, axes, want)
	if err != nil {
		return Type{}, err
	}
	if err := checkType(t); err != nil {
		return Type{}, err
	}
	return t, nil
}

func applyRule(op Op, args []Type, axes []int, want Type) (Type, error) {
	if len(args) != arity(op) {
		return Type{}, fmt.Errorf("%v takes %s, got %d", op, plural(arity(op), "operand"), len(args))
	}
	switch {
	case op == OpParam || op == OpConst:
		return want, nil
	case op.IsUnary():
		a := args[0]
		if err := checkDType(op, a.DType, unaryAccepts(op)); err != nil {
			return Type{}, err
		}
		return a, nil
	case op.IsBinary() || op.IsCompare():
		a, b := args[0], args[1]
		if a.DType != b.DType {
			return Type{}, fmt.Errorf("%v operands differ in dtype: %v and %v", op, a.DType, b.DType)
		}
		accepts := numeric
		if op == OpEq || op == OpNe {
			accepts = append(numeric[:len(numeric):len(numeric)], sokr.Bool)
		}
		if err := checkDType(op, a.DType, accepts); err != nil {
			return Type{}, err
		}
		shape, ok := commonShape(a.Shape, b.Shape)
		if !ok {
			return Type{}, fmt.Errorf("%v operand shapes %v and %v differ (only a rank-0 operand broadcasts implicitly; use broadcast)", op, a.Shape, b.Shape)
		}
		dt := a.DType
		if op.IsCompare() {
			dt = sokr.Bool
		}
		return Type{DType: dt, Shape: shape}, nil
	case op == OpSelect:
		c, a, b := args[0], args[1], args[2]
		if c.DType != sokr.Bool {
			return Type{}, fmt.Errorf("select condition must be bool, got %v", c.DType)
		}
		if a.DType != b.DType {
			return Type{}, fmt.Errorf("select branches differ in dtype: %v and %v", a.DType, b.DType)
		}
		shape, ok := commonShape(c.Shape, a.Shape)
		if ok {
			shape, ok = commonShape(shape, b.Shape)
		}
		if !ok {
			return Type{}, fmt.Errorf("select operand shapes %v, %v and %v differ (only rank-0 operands broadcast implicitly)", c.Shape, a.Shape, b.Shape)
		}
		return Type{DType: a.DType, Shape: shape}, nil
	case op == OpCast:
		return Type{DType: want.DType, Shape: args[0].Shape}, nil
	case op == OpBroadcast:
		if err := checkBroadcast(args[0].Shape, want.Shape); err != nil {
			return Type{}, err
		}
		return Type{DType: args[0].DType, Shape: want.Shape}, nil
	case op == OpReshape:
		from, to := args[0].Shape, want.Shape
		if nf, nt := numElements(from), numElements(to); nf != nt {
			return Type{}, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", from, nf, to, nt)
		}
		return Type{DType: args[0].DType, Shape: want.Shape}, nil
	case op == OpTranspose:
		a := args[0]
		if len(axes) != len(a.Shape) {
			return Type{}, fmt.Errorf("transpose perm %v has %d entries, operand %v has rank %d", formatInts(axes), len(axes), a, len(a.Shape))
		}
		shape := make(sokr.Shape, len(axes))
		used := make([]bool, len(axes))
		for i, ax := range axes {
			if ax < 0 || ax >= len(axes) || used[ax] {
				return Type{}, fmt.Errorf("transpose perm %v is not a permutation of 0..%d", formatInts(axes), len(axes)-1)
			}
			used[ax] = true
			shape[i] = a.Shape[ax]
		}
		return Type{DType: a.DType, Shape: shape}, nil
	case op.IsReduce():
		a := args[0]
		accepts := numeric
		if op == OpReduceMean {
			accepts = floats
		}
		if err := checkDType(op, a.DType, accepts); err != nil {
			return Type{}, err
		}
		removed := make([]bool, len(a.Shape))
		for _, ax := range axes {
			if ax < 0 || ax >= len(a.Shape) {
				return Type{}, fmt.Errorf("%v axis %d is out of range for operand %v (rank %d)", op, ax, a, len(a.Shape))
			}
			if removed[ax] {
				return Type{}, fmt.Errorf("%v axis %d is listed twice", op, ax)
			}
			removed[ax] = true
		}
		shape := make(sokr.Shape, 0, len(a.Shape)-len(axes))
		for i, d := range a.Shape {
			if !removed[i] {
				shape = append(shape, d)
			}
		}
		return Type{DType: a.DType, Shape: shape}, nil
	case op == OpMatmul:
		a, b := args[0], args[1]
		if a.DType != b.DType {
			return Type{}, fmt.Errorf("matmul operands differ in dtype: %v and %v", a.DType, b.DType)
		}
		if err := checkDType(op, a.DType, numeric); err != nil {
			return Type{}, err
		}
		ra, rb := len(a.Shape), len(b.Shape)
		if ra < 2 || rb < 2 {
			return Type{}, fmt.Errorf("matmul needs operands of rank 2 or more, got %v and %v", a.Shape, b.Shape)
		}
		if !a.Shape[:ra-2].Equal(b.Shape[:rb-2]) {
			return Type{}, fmt.Errorf("matmul batch dimensions differ: %v and %v", a.Shape[:ra-2], b.Shape[:rb-2])
		}
		if k1, k2 := a.Shape[ra-1], b.Shape[rb-2]; k1 != k2 {
			return Type{}, fmt.Errorf("matmul inner dimensions differ: %v x %v (%d vs %d)", a.Shape, b.Shape, k1, k2)
		}
		shape := append(sokr.Shape{}, a.Shape[:ra-1]...)
		shape = append(shape, b.Shape[rb-1])
		return Type{DType: a.DType, Shape: shape}, nil
	}
	return Type{}, fmt.Errorf("invalid op %v", op)
}

var (
	floats  = []sokr.DType{sokr.F32, sokr.F64}
	numeric = []sokr.DType{sokr.F32, sokr.F64, sokr.I32, sokr.I64}
	// supported lists the dtypes of this IR, in the order messages name them.
	supported = []sokr.DType{sokr.F32, sokr.F64, sokr.I32, sokr.I64, sokr.Bool}
)

func unaryAccepts(op Op) []sokr.DType {
	switch op {
	case OpNeg, OpAbs, OpRelu:
		return numeric
	}
	return floats
}

// arity is the number of operands op takes.
func arity(op Op) int {
	switch {
	case op.IsBinary() || op.IsCompare() || op == OpMatmul:
		return 2
	case op == OpSelect:
		return 3
	case op == OpParam || op == OpConst || op == OpInvalid || op >= numOps:
		return 0
	}
	return 1
}

// attrKey is the text name of op's Axes attribute, "" when it has none.
func attrKey(op Op) string {
	switch {
	case op.IsReduce():
		return "axes"
	case op == OpTranspose:
		return "perm"
	}
	return ""
}

func checkDType(op Op, dt sokr.DType, accepts []sokr.DType) error {
	for _, a := range accepts {
		if a == dt {
			return nil
		}
	}
	return fmt.Errorf("%v takes %s, got %v", op, listDTypes(accepts), dt)
}

func listDTypes(dts []sokr.DType) string {
	names := make([]string, len(dts))
	for i, d := range dts {
		names[i] = d.String()
	}
	return orList(names)
}

// orList renders ["a", "b", "c"] as "a, b or c".
func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// commonShape applies the elementwise shape rule: equal shapes, or a rank-0
// operand that broadcasts to the other.
func commonShape(a, b sokr.Shape) (sokr.Shape, bool) {
	switch {
	case len(a) == 0:
		return b, true
	case len(b) == 0:
		return a, true
	}
	return a, a.Equal(b)
}

func checkBroadcast(from, to sokr.Shape) error {
	if len(to) < len(from) {
		return fmt.Errorf("cannot broadcast %v to %v: the result has lower rank", from, to)
	}
	off := len(to) - len(from)
	for i, d := range from {
		if d != 1 && d != to[off+i] {
			return fmt.Errorf("cannot broadcast %v to %v: operand dimension %d is %d, want %d or 1", from, to, i, d, to[off+i])
		}
	}
	return nil
}

// checkType checks that t is a type of this IR: a supported dtype, positive
// dimensions, at most MaxRank of them and at most MaxElements elements.
func checkType(t Type) error {
	if err := checkDTypeSupported(t.DType); err != nil {
		return err
	}
	return checkShape(t.Shape)
}

// checkShape checks that s has positive dimensions, at most MaxRank of them
// and at most MaxElements elements.
func checkShape(s sokr.Shape) error {
	if len(s) > MaxRank {
		return fmt.Errorf("shape has rank %d; the limit is %d", len(s), MaxRank)
	}
	n := int64(1)
	for _, d := range s {
		if d < 1 {
			return fmt.Errorf("shape %v has dimension %d; dimensions must be positive", s, d)
		}
		if int64(d) > MaxElements || n > MaxElements/int64(d) {
			return fmt.Errorf("shape %v has more than 2^40 elements", s)
		}
		n *= int64(d)
	}
	return nil
}

func checkDTypeSupported(dt sokr.DType) error {
	for _, s := range supported {
		if dt == s {
			return nil
		}
	}
	if dt.Valid() {
		return fmt.Errorf("dtype %v is not supported by %s (supported: %s)", dt, Format, listDTypes(supported))
	}
	return fmt.Errorf("invalid dtype %v", dt)
}

// numElements counts the elements of a shape that passed checkType.
func numElements(s sokr.Shape) int64 {
	n := int64(1)
	for _, d := range s {
		n *= int64(d)
	}
	return n
}

func sameType(a, b Type) bool { return a.DType == b.DType && a.Shape.Equal(b.Shape) }

// checkConst checks a constant's data against its node's type t (which
// passed checkType): one element (a splat, with a one-element shape) or t's
// full data (with t's shape), in t's dtype; bools are 0 or 1.
func checkConst(t Type, c sokr.Tensor) error {
	if c.DType != t.DType {
		return fmt.Errorf("constant data is %v, the node is %v", c.DType, t.DType)
	}
	size := int64(t.DType.Size())
	var want int64
	switch {
	case c.Shape.Equal(t.Shape):
		want = numElements(t.Shape)
	case isOneElement(c.Shape):
		want = 1
	default:
		return fmt.Errorf("constant data has shape %v; want %v or one element", c.Shape, t.Shape)
	}
	if int64(len(c.Data)) != want*size {
		return fmt.Errorf("constant %v needs %d bytes of data, has %d", c, want*size, len(c.Data))
	}
	if c.DType == sokr.Bool {
		for i, v := range c.Data {
			if v > 1 {
				return fmt.Errorf("bool constant holds %d at element %d; want 0 or 1", v, i)
			}
		}
	}
	return nil
}

func isOneElement(s sokr.Shape) bool {
	for _, d := range s {
		if d != 1 {
			return false
		}
	}
	return true
}

// checkName checks that s is a value name: [A-Za-z_][A-Za-z0-9_.]*.
func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("empty name")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if letter || i > 0 && (c == '.' || '0' <= c && c <= '9') {
			continue
		}
		return fmt.Errorf("invalid name %q: names match [A-Za-z_][A-Za-z0-9_.]*", s)
	}
	return nil
}

// formatInts renders ints as in the text format: "[1,0]".
func formatInts(v []int) string { return sokr.Shape(v).String() }
