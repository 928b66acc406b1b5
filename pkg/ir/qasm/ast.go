package qasm

// The syntax tree. The parser builds it for the whole program; the
// lowering (lower.go) walks it, unrolling loops and inlining gates.

// stmt is a statement.
type stmt interface{ at() pos }

// expr is an expression.
type expr interface{ at() pos }

type (
	// includeStmt: include "file";
	includeStmt struct {
		p    pos
		file string
	}
	// qubitDecl: qubit[n] q; qubit q; qreg q[n];
	qubitDecl struct {
		p    pos
		name string
		size expr // nil for one qubit
	}
	// classicalDecl declares a classical variable, constant, input or
	// output, a bit register included.
	classicalDecl struct {
		p        pos
		typ      *typeSpec
		name     string
		init     expr // nil without initialiser
		isConst  bool
		isInput  bool
		isOutput bool
	}
	// gateDef: gate name(params) qubits { body }
	gateDef struct {
		p      pos
		name   string
		params []string
		qubits []string
		body   []stmt
		lib    *library // the library that defines it, nil for the program's own
	}
	// opaqueDef: opaque name(params) qubits;
	opaqueDef struct {
		p       pos
		name    string
		nparams int
		nqubits int
	}
	// defStmt: def name(args) -> type { body }
	defStmt struct {
		p    pos
		name string
		args []defArg
		ret  *typeSpec
		body []stmt
	}
	// gateCall applies a gate: mods @ name(args) operands;
	gateCall struct {
		p        pos
		mods     []modifier
		name     string
		namePos  pos
		args     []expr
		operands []expr
	}
	// measureStmt: measure q -> c; c = measure q; measure q;
	measureStmt struct {
		p      pos
		src    expr
		target expr // nil when discarded
	}
	resetStmt struct {
		p        pos
		operands []expr
	}
	barrierStmt struct {
		p        pos
		operands []expr
	}
	ifStmt struct {
		p          pos
		cond       expr
		then, els  []stmt
		hasElse    bool
		qasm2Style bool // if(creg==n) op;
	}
	forStmt struct {
		p    pos
		typ  *typeSpec
		name string
		iter expr // *rangeExpr, *setExpr or another expression
		body []stmt
	}
	whileStmt struct {
		p    pos
		cond expr
		body []stmt
	}
	// assignStmt: target op value; op is "=" or a compound assignment.
	assignStmt struct {
		p      pos
		target expr
		op     string
		value  expr
	}
	exprStmt struct {
		p pos
		x expr
	}
	letStmt struct {
		p     pos
		name  string
		value expr
	}
	returnStmt struct {
		p     pos
		value expr // nil for a bare return
	}
	blockStmt struct {
		p    pos
		body []stmt
	}
	// loopCtlStmt is break or continue.
	loopCtlStmt struct {
		p    pos
		word string
	}
	// unsupportedStmt is a construct read only to be refused: pulse-level
	// calibration, timing, extern functions, switch, ...
	unsupportedStmt struct {
		p       pos
		feature string
		names   []string // identifiers it declares
		gate    string   // the gate a defcal calibrates
	}
)

// typeSpec is a classical or quantum type: name is bit, int, uint, float,
// angle, bool, complex, duration, stretch, array, creg, qubit or qreg.
type typeSpec struct {
	p      pos
	name   string
	size   expr      // the designator: bit[n], int[32]; nil when absent
	elem   *typeSpec // complex[float[64]], array[int[8], ...]
	dims   []expr    // array dimensions
	ndim   expr      // array[int, #dim=2] in subroutine arguments
	access string    // readonly or mutable for array arguments
}

// defArg is a subroutine argument.
type defArg struct {
	p    pos
	typ  *typeSpec
	name string
}

// modifier is ctrl, negctrl, inv or pow with its argument.
type modifier struct {
	p    pos
	name string
	arg  expr // nil when absent
}

type (
	// numLit is an integer or real literal. text is its source form.
	numLit struct {
		p     pos
		text  string
		isInt bool
	}
	// otherLit is a literal that has no value here: durations and
	// imaginary numbers.
	otherLit struct {
		p    pos
		kind string
		text string
	}
	strLit struct {
		p    pos
		text string
	}
	boolLit struct {
		p   pos
		val bool
	}
	ident struct {
		p    pos
		name string
	}
	hwQubit struct {
		p pos
		n int
	}
	unaryExpr struct {
		p  pos
		op string
		x  expr
	}
	binaryExpr struct {
		p    pos
		op   string
		x, y expr
	}
	callExpr struct {
		p    pos
		name string
		args []expr
	}
	castExpr struct {
		p   pos
		typ *typeSpec
		x   expr
	}
	// indexExpr is x[i], x[a:b], x[{...}] or x[i, j].
	indexExpr struct {
		p   pos
		x   expr
		idx []expr
	}
	rangeExpr struct {
		p                pos
		start, step, end expr // any may be nil
	}
	setExpr struct {
		p     pos
		elems []expr
	}
	measureExpr struct {
		p       pos
		operand expr
	}
	// durationofExpr and similar scope-taking forms are kept opaque.
	opaqueExpr struct {
		p       pos
		feature string
	}
)

func (s *includeStmt) at() pos     { return s.p }
func (s *qubitDecl) at() pos       { return s.p }
func (s *classicalDecl) at() pos   { return s.p }
func (s *gateDef) at() pos         { return s.p }
func (s *opaqueDef) at() pos       { return s.p }
func (s *defStmt) at() pos         { return s.p }
func (s *gateCall) at() pos        { return s.p }
func (s *measureStmt) at() pos     { return s.p }
func (s *resetStmt) at() pos       { return s.p }
func (s *barrierStmt) at() pos     { return s.p }
func (s *ifStmt) at() pos          { return s.p }
func (s *forStmt) at() pos         { return s.p }
func (s *whileStmt) at() pos       { return s.p }
func (s *assignStmt) at() pos      { return s.p }
func (s *exprStmt) at() pos        { return s.p }
func (s *letStmt) at() pos         { return s.p }
func (s *returnStmt) at() pos      { return s.p }
func (s *blockStmt) at() pos       { return s.p }
func (s *loopCtlStmt) at() pos     { return s.p }
func (s *unsupportedStmt) at() pos { return s.p }
func (e *numLit) at() pos          { return e.p }
func (e *otherLit) at() pos        { return e.p }
func (e *strLit) at() pos          { return e.p }
func (e *boolLit) at() pos         { return e.p }
func (e *ident) at() pos           { return e.p }
func (e *hwQubit) at() pos         { return e.p }
func (e *unaryExpr) at() pos       { return e.p }
func (e *binaryExpr) at() pos      { return e.p }
func (e *callExpr) at() pos        { return e.p }
func (e *castExpr) at() pos        { return e.p }
func (e *indexExpr) at() pos       { return e.p }
func (e *rangeExpr) at() pos       { return e.p }
func (e *setExpr) at() pos         { return e.p }
func (e *measureExpr) at() pos     { return e.p }
func (e *opaqueExpr) at() pos      { return e.p }
