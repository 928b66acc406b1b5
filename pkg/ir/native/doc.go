// Package native is SOKR's own tensor dataflow IR, format "sokr.native/1":
// static shapes, five dtypes, elementwise math, comparisons and select,
// cast, broadcast, reshape, transpose, reductions, matmul and constants.
//
// # Overview
//
// A Program is a list of Nodes in topological order, each a named value
// with a static Type (a dtype and a shape): a param (an input), a constant
// or an operation on earlier nodes. Params lists the inputs in order and
// Outputs the results. Programs come from text (Parse, or the IR plugin
// NewIR for a sokr.Registry) or from Go (NewBuilder); both verify the
// program, and a verified Program is immutable and safe for concurrent use.
// Substrates such as cpu type-assert a sokr.Program to *Program to run it.
//
// The dtypes are f32, f64, i32, i64 and bool. Shapes have positive
// dimensions, at most MaxRank of them and at most MaxElements elements; a
// rank-0 shape ([]) is a scalar.
//
// # Text format
//
// A program reads like this:
//
//	sokr.native/1
//	param x: f32[1024]
//	param y: f32[1024]
//	a: f32[] = const 2
//	ax: f32[1024] = mul a, x
//	out: f32[1024] = add ax, y
//	s: f32[] = reduce_sum out, axes=[0]
//	w: f32[2,2] = const [[1,2],[3,4]]
//	t: f32[2,2] = transpose w, perm=[1,0]
//	return out, s
//
// The first line that is neither blank nor a comment is the header
// "sokr.native/1". Each later line holds one statement:
//
//	param NAME: TYPE                      an input, in declaration order
//	NAME: TYPE = OP ARG, ...[, key=[...]] an operation on earlier values
//	NAME: TYPE = const LITERAL            a constant
//	return NAME, ...                      the outputs (exactly one return)
//
// Names match [A-Za-z_][A-Za-z0-9_.]* and are unique. A type is
// DTYPE[d0,d1,...], f32[] for a scalar. The reductions take axes=[...]
// and transpose takes perm=[...]; no other op has attributes. A const
// literal is one value (a number, true or false), which fills the whole
// shape (a splat), or nested lists whose nesting matches the shape exactly:
// [[1,2],[3,4]] for f32[2,2]. Floats accept Go's syntax, including NaN,
// +Inf and -Inf; integers are decimal.
//
// Spaces and tabs between tokens, blank lines and comments ("#" to the end
// of the line) are ignored. Statements may come in any order, since the
// program is a dataflow graph: Parse orders the nodes topologically,
// keeping source order where the dependencies allow, and refuses cycles.
//
// Print (and String) writes the canonical form: the header, the params, the
// other nodes in Nodes order, the return; single spaces as above, floats in
// the shortest form that reads back exactly. Printing is a fixpoint:
// parsing printed text and printing again gives the same text.
//
// Every error from Parse, Verify and Builder.Build is a *sokr.ProgramError
// (matching sokr.ErrInvalidProgram). Parse errors carry the 1-based line
// and column (counted in bytes) of the offending token and name it:
//
//	sokr: invalid program (sokr.native/1) at 3:13: unknown op "ad" (did you mean add?)
//
// # Verification
//
// Verify checks the structure (unique valid names, operands defined
// earlier, params and outputs in range) and types each node by its op's
// rule; a node's declared type must be the one its rule gives:
//
//   - neg, abs, relu: f32, f64, i32 or i64; exp, log, sqrt, tanh, sigmoid,
//     sin, cos: f32 or f64. The result has the operand's type.
//   - add, sub, mul, div, pow, max, min: two operands of one numeric dtype
//     with equal shapes, or one of them rank 0 (it broadcasts implicitly).
//     The result has the other's shape.
//   - eq, ne, lt, le, gt, ge: as above (eq and ne also take bool), giving
//     bool.
//   - select c, a, b: c is bool, a and b share a dtype; the shapes are
//     equal or rank 0.
//   - cast: any dtype to any dtype, same shape.
//   - broadcast: NumPy's rules to the declared shape: operand dimensions
//     align with the result's trailing ones, each equal or 1.
//   - reshape: same dtype and element count.
//   - transpose: perm is a permutation of 0..rank-1; result dimension i is
//     operand dimension perm[i].
//   - reduce_sum, reduce_max, reduce_min: numeric; reduce_mean: f32 or f64.
//     The axes are distinct and in range, in any order (kept as written),
//     and are removed from the shape.
//   - matmul: [..., m, k] x [..., k, n] gives [..., m, n] for operands of
//     one numeric dtype, rank 2 or more, with identical batch dimensions.
//   - const: one element (a splat) or the full data, in the node's dtype.
//
// Verification errors carry the node's position and name.
//
// # Building in Go
//
// A Builder makes the same programs from Go, typing each value as it is
// added:
//
//	b := native.NewBuilder()
//	x := b.Param("x", sokr.F32, 1024)
//	y := b.Param("y", sokr.F32, 1024)
//	out := b.Scalar(sokr.F32, 2).Mul(x).Add(y).Named("out")
//	prog, err := b.Build(out, out.ReduceSum(0))
//
// Mistakes do not panic: the Builder records the first one, later calls
// return invalid Values, and Build returns the error, naming the call.
package native
