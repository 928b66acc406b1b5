package qasm

import (
	"fmt"
	"strconv"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
)

// maxDepth bounds the nesting of blocks and expressions, so that hostile
// input cannot exhaust the stack.
const maxDepth = 200

// syntaxError is a parse or lowering fault at a position. The parser
// panics with it and parse recovers it (as encoding/json and text/template
// do); everything else returns it.
type syntaxError struct {
	p   pos
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.p.line, e.p.col, e.msg) }

func errorAt(p pos, format string, args ...any) *syntaxError {
	return &syntaxError{p: p, msg: fmt.Sprintf(format, args...)}
}

// keywords3 are OpenQASM 3's reserved words: they name no variable.
var keywords3 = map[string]bool{
	"OPENQASM": true, "include": true, "defcalgrammar": true, "def": true, "cal": true, "defcal": true,
	"gate": true, "extern": true, "box": true, "let": true, "break": true, "continue": true, "if": true,
	"else": true, "end": true, "return": true, "for": true, "while": true, "in": true, "switch": true,
	"case": true, "default": true, "input": true, "output": true, "const": true, "readonly": true,
	"mutable": true, "qreg": true, "qubit": true, "creg": true, "bool": true, "bit": true, "int": true,
	"uint": true, "float": true, "angle": true, "complex": true, "array": true, "void": true,
	"duration": true, "stretch": true, "gphase": true, "inv": true, "pow": true, "ctrl": true,
	"negctrl": true, "#dim": true, "durationof": true, "delay": true, "reset": true, "measure": true,
	"barrier": true, "true": true, "false": true, "opaque": true, "sizeof": true,
}

// keywords2 are OpenQASM 2's reserved words.
var keywords2 = map[string]bool{
	"OPENQASM": true, "include": true, "qreg": true, "creg": true, "gate": true, "opaque": true,
	"measure": true, "reset": true, "barrier": true, "if": true,
}

// scalarTypes are the classical type keywords.
var scalarTypes = map[string]bool{
	"bit": true, "int": true, "uint": true, "float": true, "angle": true, "bool": true,
	"complex": true, "duration": true, "stretch": true,
}

type parser struct {
	toks    []token
	i       int
	version int // 2 or 3
	depth   int
	poll    *irparse.Poll // nil for the built-in libraries
}

// abort carries a context's error out of the parser as a panic, as
// syntaxError does.
type abort struct{ err error }

// parseProgram parses the statements of a program whose header (if any)
// has been consumed.
func (p *parser) parseProgram() (stmts []stmt, err error) {
	defer func() {
		if r := recover(); r != nil {
			switch e := r.(type) {
			case *syntaxError:
				err = e
			case abort:
				err = e.err
			default:
				panic(r)
			}
		}
	}()
	for p.cur().kind != tEOF {
		stmts = append(stmts, p.statement())
	}
	return stmts, nil
}

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) peekTok(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind == tIllegal {
		panic(errorAt(t.pos, "%s", t.text))
	}
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(t token, format string, args ...any) {
	if t.kind == tIllegal {
		panic(errorAt(t.pos, "%s", t.text))
	}
	panic(errorAt(t.pos, format, args...))
}

// expect consumes the punctuation or keyword s.
func (p *parser) expect(s, context string) token {
	t := p.cur()
	if !t.is(s) {
		p.fail(t, "expected %q %s, found %s", s, context, t.describe())
	}
	return p.advance()
}

func (p *parser) accept(s string) bool {
	if p.cur().is(s) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) isKeyword(s string) bool {
	if p.version == 2 {
		return keywords2[s]
	}
	return keywords3[s]
}

// name consumes an identifier that is not a reserved word.
func (p *parser) name(what string) token {
	t := p.cur()
	if t.kind != tIdent || p.isKeyword(t.text) {
		p.fail(t, "expected %s, found %s", what, t.describe())
	}
	return p.advance()
}

func (p *parser) enter(at pos) {
	if p.depth++; p.depth > maxDepth {
		panic(errorAt(at, "nesting deeper than %d levels", maxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

// statement parses one statement.
func (p *parser) statement() stmt {
	if err := p.poll.Tick(); err != nil {
		panic(abort{err})
	}
	t := p.cur()
	p.enter(t.pos)
	defer p.leave()
	if t.is("@") && p.peekTok(1).kind == tIdent && p.version == 3 {
		// An annotation: ignored up to the end of its line.
		for p.cur().kind != tEOF && p.cur().pos.line == t.pos.line {
			p.i++
		}
		if p.cur().kind == tEOF {
			p.fail(p.cur(), "expected a statement after the annotation, found end of input")
		}
		return p.statement()
	}
	if t.is("{") && p.version == 3 {
		return &blockStmt{p: t.pos, body: p.block()}
	}
	if t.kind == tIdent {
		if p.version == 2 {
			return p.statement2(t)
		}
		if s := p.keywordStatement(t); s != nil {
			return s
		}
		return p.identStatement(t)
	}
	if p.version == 3 && t.kind != tEOF && !t.is(";") && !t.is("}") {
		x := p.expression()
		p.expect(";", "after the expression")
		return &exprStmt{p: t.pos, x: x}
	}
	p.fail(t, "expected a statement, found %s", t.describe())
	return nil
}

// statement2 parses an OpenQASM 2 statement.
func (p *parser) statement2(t token) stmt {
	switch t.text {
	case "OPENQASM":
		p.fail(t, "the OPENQASM header must be the first statement")
	case "include":
		return p.include()
	case "qreg":
		return p.oldDecl(true)
	case "creg":
		return p.oldDecl(false)
	case "gate":
		return p.gateDef()
	case "opaque":
		return p.opaque()
	case "measure":
		return p.measure()
	case "reset":
		p.advance()
		return &resetStmt{p: t.pos, operands: p.operandList(true, "reset")}
	case "barrier":
		p.advance()
		return &barrierStmt{p: t.pos, operands: p.operandList(true, "barrier")}
	case "if":
		return p.if2()
	}
	if keywords3[t.text] && t.text != "U" {
		if n := p.peekTok(1); n.kind != tIdent && !n.is("(") {
			p.fail(t, "%q is OpenQASM 3 syntax, but the program declares OPENQASM 2.0", t.text)
		}
	}
	return p.gateCall(t.pos, nil)
}

// keywordStatement parses an OpenQASM 3 statement that starts with a
// keyword, or returns nil.
func (p *parser) keywordStatement(t token) stmt {
	switch t.text {
	case "OPENQASM":
		p.fail(t, "the OPENQASM header must be the first statement")
	case "include":
		return p.include()
	case "qubit":
		p.advance()
		var size expr
		if p.accept("[") {
			size = p.expression()
			p.expect("]", "after the qubit count")
		}
		n := p.name("a qubit register name")
		p.expect(";", "after the qubit declaration")
		return &qubitDecl{p: t.pos, name: n.text, size: size}
	case "qreg":
		return p.oldDecl(true)
	case "creg":
		return p.oldDecl(false)
	case "const":
		p.advance()
		return p.classicalDecl(t.pos, "const")
	case "input", "output":
		p.advance()
		return p.classicalDecl(t.pos, t.text)
	case "gate":
		return p.gateDef()
	case "opaque":
		return p.opaque()
	case "def":
		return p.def()
	case "measure":
		return p.measure()
	case "reset":
		p.advance()
		return &resetStmt{p: t.pos, operands: p.operandList(true, "reset")}
	case "barrier":
		p.advance()
		return &barrierStmt{p: t.pos, operands: p.operandList(false, "barrier")}
	case "if":
		return p.ifStmt()
	case "for":
		return p.forStmt()
	case "while":
		p.advance()
		p.expect("(", "after while")
		cond := p.expression()
		p.expect(")", "after the while condition")
		return &whileStmt{p: t.pos, cond: cond, body: p.body()}
	case "let":
		p.advance()
		n := p.name("a name after let")
		p.expect("=", "after the let name")
		v := p.expression()
		for p.cur().is("++") {
			op := p.advance()
			v = &binaryExpr{p: op.pos, op: "++", x: v, y: p.expression()}
		}
		p.expect(";", "after the let statement")
		return &letStmt{p: t.pos, name: n.text, value: v}
	case "return":
		p.advance()
		var v expr
		switch {
		case p.cur().is(";"):
		case p.cur().is("measure"):
			m := p.advance()
			v = &measureExpr{p: m.pos, operand: p.operand()}
		default:
			v = p.expression()
		}
		p.expect(";", "after return")
		return &returnStmt{p: t.pos, value: v}
	case "break", "continue":
		p.advance()
		p.expect(";", "after "+t.text)
		return &loopCtlStmt{p: t.pos, word: t.text}
	case "end":
		p.advance()
		p.expect(";", "after end")
		return &unsupportedStmt{p: t.pos, feature: "end (program termination)"}
	case "defcalgrammar":
		p.advance()
		if s := p.cur(); s.kind != tString {
			p.fail(s, "expected the grammar name as a string after defcalgrammar, found %s", s.describe())
		}
		p.advance()
		p.expect(";", "after defcalgrammar")
		return &unsupportedStmt{p: t.pos, feature: "defcalgrammar (pulse-level calibration)"}
	case "defcal":
		return p.defcal()
	case "cal":
		p.advance()
		p.skipBraces("cal")
		return &unsupportedStmt{p: t.pos, feature: "cal (pulse-level calibration)"}
	case "extern":
		return p.extern()
	case "box":
		p.advance()
		if p.accept("[") {
			p.expression()
			p.expect("]", "after the box duration")
		}
		p.block()
		return &unsupportedStmt{p: t.pos, feature: "box (timing)"}
	case "delay":
		p.advance()
		p.expect("[", "after delay")
		p.expression()
		p.expect("]", "after the delay duration")
		p.operandList(false, "delay")
		return &unsupportedStmt{p: t.pos, feature: "delay (timing)"}
	case "switch":
		return p.switchStmt()
	case "ctrl", "negctrl", "inv", "pow":
		if n := p.peekTok(1); n.is("@") || n.is("(") {
			return p.gateCall(t.pos, p.modifiers())
		}
	case "gphase":
		return p.gateCall(t.pos, nil)
	case "else", "in", "case", "default", "void", "readonly", "mutable", "#dim", "true", "false", "sizeof", "durationof":
		if t.text != "true" && t.text != "false" && t.text != "sizeof" && t.text != "durationof" {
			p.fail(t, "unexpected %q", t.text)
		}
		return nil
	}
	if scalarTypes[t.text] || t.text == "array" {
		// A declaration, unless it is a cast at the start of an expression.
		if n := p.peekTok(1); n.is("(") {
			return nil
		}
		return p.classicalDecl(t.pos, "")
	}
	return nil
}

// identStatement parses a statement that starts with a name: a gate call,
// an assignment or an expression.
func (p *parser) identStatement(t token) stmt {
	n := p.peekTok(1)
	switch {
	case n.is("@"):
		p.fail(t, "%q is not a gate modifier (ctrl, negctrl, inv, pow)", t.text)
	case n.kind == tIdent && !keywords3[t.text] || n.kind == tHWQubit:
		return p.gateCall(t.pos, nil)
	case n.is("("):
		// name(args) then operands: a gate call; then ";": a call.
		save := p.i
		p.advance()
		p.advance()
		p.enter(n.pos)
		if !p.cur().is(")") {
			p.expressionList(")")
		}
		p.leave()
		p.expect(")", "after the arguments")
		next := p.cur()
		p.i = save
		if next.kind == tIdent || next.kind == tHWQubit {
			return p.gateCall(t.pos, nil)
		}
	}
	x := p.postfix()
	if op := p.cur(); op.kind == tPunct && isAssignOp(op.text) {
		p.advance()
		var v expr
		if p.cur().is("measure") {
			if op.text != "=" {
				p.fail(p.cur(), "measure needs a plain \"=\" assignment")
			}
			m := p.advance()
			v = &measureExpr{p: m.pos, operand: p.operand()}
			p.expect(";", "after the measurement")
			return &measureStmt{p: t.pos, src: v.(*measureExpr).operand, target: x}
		}
		v = p.expression()
		p.expect(";", "after the assignment")
		return &assignStmt{p: t.pos, target: x, op: op.text, value: v}
	}
	x = p.continueExpression(x)
	p.expect(";", "after the expression")
	return &exprStmt{p: t.pos, x: x}
}

func isAssignOp(s string) bool {
	switch s {
	case "=", "+=", "-=", "*=", "/=", "%=", "**=", "^=", "&=", "|=", "<<=", ">>=", "~=":
		return true
	}
	return false
}

// body parses the body of an if, else, for or while: a block or a single
// statement.
func (p *parser) body() []stmt {
	if p.cur().is("{") {
		return p.block()
	}
	if t := p.cur(); t.is(";") {
		p.fail(t, "expected a statement or a block, found \";\"")
	}
	return []stmt{p.statement()}
}

// block parses { statements }.
func (p *parser) block() []stmt {
	open := p.expect("{", "to open a block")
	p.enter(open.pos)
	defer p.leave()
	var out []stmt
	for !p.cur().is("}") {
		if p.cur().kind == tEOF {
			p.fail(p.cur(), "unclosed \"{\" opened at %d:%d", open.pos.line, open.pos.col)
		}
		out = append(out, p.statement())
	}
	p.advance()
	return out
}

// skipBraces skips a balanced { ... } whose contents are not OpenQASM
// (calibration grammars).
func (p *parser) skipBraces(what string) {
	open := p.expect("{", "to open the "+what+" body")
	depth := 1
	for depth > 0 {
		t := p.cur()
		switch {
		case t.kind == tEOF:
			p.fail(t, "unclosed %s body opened at %d:%d", what, open.pos.line, open.pos.col)
		case t.is("{"):
			depth++
		case t.is("}"):
			depth--
		}
		p.i++
	}
}

func (p *parser) include() stmt {
	t := p.advance()
	f := p.cur()
	if f.kind != tString {
		p.fail(f, "expected a file name in quotes after include, found %s", f.describe())
	}
	p.advance()
	p.expect(";", "after the include")
	return &includeStmt{p: t.pos, file: f.text}
}

// oldDecl parses qreg name[n]; or creg name[n]; (the size is optional in
// OpenQASM 3).
func (p *parser) oldDecl(quantum bool) stmt {
	t := p.advance()
	n := p.name("a register name after " + t.text)
	var size expr
	if p.version == 2 || p.cur().is("[") {
		p.expect("[", "after the register name")
		size = p.expression()
		p.expect("]", "after the register size")
	}
	p.expect(";", "after the register declaration")
	if quantum {
		return &qubitDecl{p: t.pos, name: n.text, size: size}
	}
	return &classicalDecl{p: t.pos, typ: &typeSpec{p: t.pos, name: "bit", size: size}, name: n.text}
}

// classicalDecl parses TYPE name [= init]; after an optional const,
// input or output qualifier.
func (p *parser) classicalDecl(at pos, qual string) stmt {
	t := p.cur()
	if t.kind != tIdent || !scalarTypes[t.text] && t.text != "array" && !(qual == "output" && t.text == "qubit") {
		p.fail(t, "expected a classical type, found %s", t.describe())
	}
	if t.text == "qubit" {
		p.fail(t, "a qubit cannot be an output")
	}
	typ := p.typeSpec(false)
	n := p.name("a variable name")
	d := &classicalDecl{p: at, typ: typ, name: n.text, isConst: qual == "const", isInput: qual == "input", isOutput: qual == "output"}
	if qual == "const" || qual == "" {
		if p.accept("=") {
			switch {
			case p.cur().is("measure") && qual == "":
				m := p.advance()
				d.init = &measureExpr{p: m.pos, operand: p.operand()}
			case p.cur().is("{") && typ.name == "array":
				d.init = p.arrayLiteral()
			default:
				d.init = p.expression()
			}
		} else if qual == "const" {
			p.fail(p.cur(), "a const declaration needs a value: expected \"=\", found %s", p.cur().describe())
		}
	}
	p.expect(";", "after the declaration")
	return d
}

// arrayLiteral parses { a, b, ... } with nested braces.
func (p *parser) arrayLiteral() expr {
	open := p.expect("{", "to open the array")
	p.enter(open.pos)
	defer p.leave()
	s := &setExpr{p: open.pos}
	for {
		if p.cur().is("{") {
			s.elems = append(s.elems, p.arrayLiteral())
		} else {
			s.elems = append(s.elems, p.expression())
		}
		if !p.accept(",") {
			break
		}
	}
	p.expect("}", "to close the array")
	return s
}

// typeSpec parses a classical type. allowRef permits the forms of
// subroutine and extern arguments (array[T, #dim=n], creg[n], qubit[n]).
func (p *parser) typeSpec(allowRef bool) *typeSpec {
	t := p.advance()
	ts := &typeSpec{p: t.pos, name: t.text}
	switch t.text {
	case "bit", "int", "uint", "float", "angle", "qubit", "creg":
		if p.accept("[") {
			ts.size = p.expression()
			p.expect("]", "after the size of "+t.text)
		}
	case "bool", "duration", "stretch":
		if p.cur().is("[") {
			p.fail(p.cur(), "%s takes no size", t.text)
		}
	case "complex":
		if p.accept("[") {
			if !p.cur().is("float") {
				p.fail(p.cur(), "complex takes a float type, as in complex[float[64]]; found %s", p.cur().describe())
			}
			ts.elem = p.typeSpec(false)
			p.expect("]", "after the complex component type")
		}
	case "array":
		p.expect("[", "after array")
		e := p.cur()
		if e.kind != tIdent || !scalarTypes[e.text] {
			p.fail(e, "expected the array's element type, found %s", e.describe())
		}
		ts.elem = p.typeSpec(false)
		p.expect(",", "after the array's element type")
		if p.cur().is("#dim") {
			if !allowRef {
				p.fail(p.cur(), "#dim is allowed only in subroutine arguments")
			}
			p.advance()
			p.expect("=", "after #dim")
			ts.ndim = p.expression()
		} else {
			for {
				ts.dims = append(ts.dims, p.expression())
				if !p.accept(",") {
					break
				}
			}
		}
		p.expect("]", "after the array dimensions")
	default:
		p.fail(t, "expected a type, found %s", t.describe())
	}
	return ts
}

// gateDef parses gate name(params) qubits { body }.
func (p *parser) gateDef() stmt {
	t := p.advance()
	n := p.name("a gate name")
	g := &gateDef{p: t.pos, name: n.text}
	if p.accept("(") {
		if !p.cur().is(")") {
			for {
				g.params = append(g.params, p.name("a parameter name").text)
				if !p.accept(",") {
					break
				}
			}
		}
		p.expect(")", "after the gate parameters")
	}
	if !p.cur().is("{") {
		for {
			g.qubits = append(g.qubits, p.name("a qubit argument name").text)
			if !p.accept(",") {
				break
			}
		}
	}
	if len(g.qubits) == 0 {
		p.fail(p.cur(), "gate %s needs at least one qubit argument", g.name)
	}
	g.body = p.block()
	return g
}

// opaque parses opaque name(params) qubits;
func (p *parser) opaque() stmt {
	t := p.advance()
	n := p.name("a gate name")
	o := &opaqueDef{p: t.pos, name: n.text}
	if p.accept("(") {
		if !p.cur().is(")") {
			for {
				p.name("a parameter name")
				o.nparams++
				if !p.accept(",") {
					break
				}
			}
		}
		p.expect(")", "after the gate parameters")
	}
	for {
		p.name("a qubit argument name")
		o.nqubits++
		if !p.accept(",") {
			break
		}
	}
	p.expect(";", "after the opaque declaration")
	return o
}

// def parses a subroutine definition.
func (p *parser) def() stmt {
	t := p.advance()
	n := p.name("a subroutine name")
	d := &defStmt{p: t.pos, name: n.text}
	p.expect("(", "after the subroutine name")
	if !p.cur().is(")") {
		for {
			a := defArg{p: p.cur().pos}
			access := ""
			if p.cur().is("readonly") || p.cur().is("mutable") {
				access = p.advance().text
			}
			tt := p.cur()
			if tt.kind != tIdent || !(scalarTypes[tt.text] || tt.text == "array" || tt.text == "qubit" || tt.text == "qreg" || tt.text == "creg") {
				p.fail(tt, "expected an argument type, found %s", tt.describe())
			}
			if tt.text == "qreg" || tt.text == "creg" {
				// Old style: qreg name[n].
				p.advance()
				a.typ = &typeSpec{p: tt.pos, name: map[string]string{"qreg": "qubit", "creg": "bit"}[tt.text]}
				a.name = p.name("an argument name").text
				if p.accept("[") {
					a.typ.size = p.expression()
					p.expect("]", "after the register size")
				}
			} else {
				a.typ = p.typeSpec(true)
				a.name = p.name("an argument name").text
			}
			a.typ.access = access
			d.args = append(d.args, a)
			if !p.accept(",") {
				break
			}
		}
	}
	p.expect(")", "after the subroutine arguments")
	if p.accept("->") {
		d.ret = p.typeSpec(false)
	}
	d.body = p.block()
	return d
}

// defcal parses a calibration definition; its body is not OpenQASM and is
// skipped.
func (p *parser) defcal() stmt {
	t := p.advance()
	n := p.cur()
	if n.kind != tIdent {
		p.fail(n, "expected the calibrated gate's name, found %s", n.describe())
	}
	gate := n.text
	p.advance()
	if p.cur().is("(") {
		depth := 0
		for {
			c := p.cur()
			if c.kind == tEOF {
				p.fail(c, "unclosed \"(\" in defcal")
			}
			p.i++
			if c.is("(") {
				depth++
			} else if c.is(")") {
				if depth--; depth == 0 {
					break
				}
			}
		}
	}
	for !p.cur().is("{") && !p.cur().is("->") {
		o := p.cur()
		if o.kind != tIdent && o.kind != tHWQubit {
			p.fail(o, "expected a qubit in the defcal, found %s", o.describe())
		}
		p.advance()
		if !p.accept(",") {
			break
		}
	}
	if p.accept("->") {
		p.typeSpec(false)
	}
	p.skipBraces("defcal")
	return &unsupportedStmt{p: t.pos, feature: "defcal (pulse-level calibration)", gate: gate}
}

// extern parses extern name(types) -> type;
func (p *parser) extern() stmt {
	t := p.advance()
	n := p.name("an extern function name")
	p.expect("(", "after the extern name")
	if !p.cur().is(")") {
		for {
			tt := p.cur()
			if tt.kind != tIdent || !(scalarTypes[tt.text] || tt.text == "array" || tt.text == "creg") {
				p.fail(tt, "expected an argument type, found %s", tt.describe())
			}
			p.typeSpec(true)
			if !p.accept(",") {
				break
			}
		}
	}
	p.expect(")", "after the extern arguments")
	if p.accept("->") {
		p.typeSpec(false)
	}
	p.expect(";", "after the extern declaration")
	return &unsupportedStmt{p: t.pos, feature: "extern functions", names: []string{n.text}}
}

// switchStmt parses switch (x) { case a, b { } default { } }.
func (p *parser) switchStmt() stmt {
	t := p.advance()
	p.expect("(", "after switch")
	p.expression()
	p.expect(")", "after the switch value")
	p.expect("{", "to open the switch body")
	for !p.accept("}") {
		c := p.cur()
		switch {
		case c.is("case"):
			p.advance()
			p.expressionList("{")
			p.block()
		case c.is("default"):
			p.advance()
			p.block()
		default:
			p.fail(c, "expected case or default in the switch, found %s", c.describe())
		}
	}
	return &unsupportedStmt{p: t.pos, feature: "switch"}
}

// measure parses measure q [-> c];
func (p *parser) measure() stmt {
	t := p.advance()
	m := &measureStmt{p: t.pos, src: p.operand()}
	if p.accept("->") {
		m.target = p.operand()
	} else if p.version == 2 {
		p.expect("->", "after the measured qubits (OpenQASM 2 writes measure q -> c;)")
	}
	p.expect(";", "after the measurement")
	return m
}

// ifStmt parses if (cond) body [else body].
func (p *parser) ifStmt() stmt {
	t := p.advance()
	p.expect("(", "after if")
	cond := p.expression()
	p.expect(")", "after the if condition")
	s := &ifStmt{p: t.pos, cond: cond, then: p.body()}
	if p.accept("else") {
		s.hasElse = true
		s.els = p.body()
	}
	return s
}

// if2 parses OpenQASM 2's if(creg==n) op;
func (p *parser) if2() stmt {
	t := p.advance()
	p.expect("(", "after if")
	c := p.name("a classical register name")
	eq := p.expect("==", "in the if condition (OpenQASM 2 compares a register with ==)")
	v := p.cur()
	if v.kind != tInt {
		p.fail(v, "expected an integer in the if condition, found %s", v.describe())
	}
	p.advance()
	p.expect(")", "after the if condition")
	op := p.cur()
	if !op.is("measure") && !op.is("reset") && (op.kind != tIdent || keywords2[op.text]) {
		p.fail(op, "expected a gate, measure or reset after if(...), found %s", op.describe())
	}
	cond := &binaryExpr{p: eq.pos, op: "==", x: &ident{p: c.pos, name: c.text}, y: &numLit{p: v.pos, text: v.text, isInt: true}}
	return &ifStmt{p: t.pos, cond: cond, then: []stmt{p.statement()}, qasm2Style: true}
}

// forStmt parses for TYPE name in ITER body.
func (p *parser) forStmt() stmt {
	t := p.advance()
	tt := p.cur()
	if tt.kind != tIdent || !scalarTypes[tt.text] {
		p.fail(tt, "expected the loop variable's type (as in for int i in [0:3]), found %s", tt.describe())
	}
	typ := p.typeSpec(false)
	n := p.name("the loop variable name")
	p.expect("in", "after the loop variable")
	var iter expr
	switch c := p.cur(); {
	case c.is("["):
		p.advance()
		iter = p.rangeOrExpr()
		if _, ok := iter.(*rangeExpr); !ok {
			p.fail(c, "expected a range [start:end] or [start:step:end]")
		}
		p.expect("]", "after the loop range")
	case c.is("{"):
		iter = p.setLiteral()
	default:
		iter = p.expression()
	}
	return &forStmt{p: t.pos, typ: typ, name: n.text, iter: iter, body: p.body()}
}

// setLiteral parses {a, b, c}.
func (p *parser) setLiteral() *setExpr {
	open := p.expect("{", "to open the set")
	s := &setExpr{p: open.pos, elems: p.expressionList("}")}
	p.expect("}", "to close the set")
	return s
}

// modifiers parses ctrl @, negctrl(n) @, inv @, pow(k) @ ...
func (p *parser) modifiers() []modifier {
	var mods []modifier
	for {
		t := p.cur()
		if t.kind != tIdent || !(t.text == "ctrl" || t.text == "negctrl" || t.text == "inv" || t.text == "pow") {
			return mods
		}
		p.advance()
		m := modifier{p: t.pos, name: t.text}
		if p.cur().is("(") {
			if t.text == "inv" {
				p.fail(p.cur(), "inv takes no argument")
			}
			p.advance()
			m.arg = p.expression()
			p.expect(")", "after the "+t.text+" argument")
		} else if t.text == "pow" {
			p.fail(p.cur(), "pow needs an exponent, as in pow(2) @")
		}
		p.expect("@", "after the gate modifier "+t.text)
		mods = append(mods, m)
	}
}

// gateCall parses name(args) operands; after any modifiers.
func (p *parser) gateCall(at pos, mods []modifier) stmt {
	n := p.cur()
	if n.kind != tIdent || p.isKeyword(n.text) && n.text != "gphase" {
		p.fail(n, "expected a gate name, found %s", n.describe())
	}
	p.advance()
	g := &gateCall{p: at, mods: mods, name: n.text, namePos: n.pos}
	if p.accept("(") {
		if !p.cur().is(")") {
			g.args = p.expressionList(")")
		}
		p.expect(")", "after the gate arguments")
	}
	if c := p.cur(); c.is("@") {
		p.fail(c, "%q is not a gate modifier: modifiers (ctrl, negctrl, inv, pow) come before the gate", n.text)
	}
	g.operands = p.operandList(false, "gate")
	return g
}

// operandList parses the comma-separated qubit operands of a statement
// named what, and the ";" that ends it. need says at least one is
// required.
func (p *parser) operandList(need bool, what string) []expr {
	var ops []expr
	if !need && p.cur().is(";") {
		p.advance()
		return nil
	}
	for {
		ops = append(ops, p.operand())
		if !p.accept(",") {
			break
		}
	}
	p.expect(";", "after the "+what+" operands")
	return ops
}

// operand parses a qubit or bit operand: name, name[index], $n.
func (p *parser) operand() expr {
	t := p.cur()
	var x expr
	switch {
	case t.kind == tHWQubit:
		p.advance()
		x = p.hwQubit(t)
	case t.kind == tIdent && !p.isKeyword(t.text):
		p.advance()
		x = &ident{p: t.pos, name: t.text}
	default:
		p.fail(t, "expected a qubit or bit operand, found %s", t.describe())
	}
	for p.cur().is("[") {
		x = p.index(x)
	}
	return x
}

func (p *parser) hwQubit(t token) expr {
	n, err := strconv.Atoi(t.text)
	if err != nil || n >= 1<<20 {
		p.fail(t, "physical qubit $%s is out of range", t.text)
	}
	return &hwQubit{p: t.pos, n: n}
}

// index parses [i], [a:b], [{..}], [i, j] after x.
func (p *parser) index(x expr) expr {
	open := p.advance()
	p.enter(open.pos)
	defer p.leave()
	ix := &indexExpr{p: open.pos, x: x}
	if p.cur().is("{") {
		ix.idx = append(ix.idx, p.setLiteral())
	} else {
		for {
			ix.idx = append(ix.idx, p.rangeOrExpr())
			if !p.accept(",") {
				break
			}
		}
	}
	p.expect("]", "to close the index")
	return ix
}

// rangeOrExpr parses an expression or a range a:b, a:s:b, :, a:, :b.
func (p *parser) rangeOrExpr() expr {
	at := p.cur().pos
	var parts []expr
	for {
		var e expr
		if !p.cur().is(":") && !p.cur().is("]") && !p.cur().is(",") {
			e = p.expression()
		}
		parts = append(parts, e)
		if !p.accept(":") {
			break
		}
		if len(parts) == 3 {
			p.fail(p.cur(), "a range has at most three parts (start:step:end)")
		}
	}
	switch len(parts) {
	case 1:
		if parts[0] == nil {
			p.fail(p.cur(), "expected an index, found %s", p.cur().describe())
		}
		return parts[0]
	case 2:
		return &rangeExpr{p: at, start: parts[0], end: parts[1]}
	}
	if parts[1] == nil {
		p.fail(p.cur(), "a range step cannot be empty")
	}
	return &rangeExpr{p: at, start: parts[0], step: parts[1], end: parts[2]}
}

// expressionList parses comma-separated expressions up to (not
// including) close.
func (p *parser) expressionList(close string) []expr {
	var xs []expr
	for {
		xs = append(xs, p.expression())
		if !p.accept(",") {
			break
		}
		if p.cur().is(close) {
			p.fail(p.cur(), "expected an expression after \",\", found %s", p.cur().describe())
		}
	}
	return xs
}

// Binary operator precedence, lowest first (OpenQASM 3). OpenQASM 2 has
// only + - * / and ^ (power).
var precedence3 = map[string]int{
	"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
	"<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}

var precedence2 = map[string]int{"+": 9, "-": 9, "*": 10, "/": 10}

func (p *parser) expression() expr { return p.binary(1) }

// continueExpression finishes an expression whose first operand (a
// postfix expression) has been parsed.
func (p *parser) continueExpression(x expr) expr { return p.binaryFrom(x, 1) }

func (p *parser) binary(minPrec int) expr {
	return p.binaryFrom(p.unary(), minPrec)
}

func (p *parser) binaryFrom(x expr, minPrec int) expr {
	prec := precedence3
	if p.version == 2 {
		prec = precedence2
	}
	for {
		t := p.cur()
		pr, ok := prec[t.text]
		if t.kind != tPunct || !ok || pr < minPrec {
			return x
		}
		p.advance()
		p.enter(t.pos)
		y := p.binary(pr + 1)
		p.leave()
		x = &binaryExpr{p: t.pos, op: t.text, x: x, y: y}
	}
}

func (p *parser) unary() expr {
	t := p.cur()
	if t.is("-") || t.is("+") || p.version == 3 && (t.is("!") || t.is("~")) {
		p.advance()
		p.enter(t.pos)
		defer p.leave()
		x := p.unary()
		if t.text == "+" {
			return x
		}
		return &unaryExpr{p: t.pos, op: t.text, x: x}
	}
	return p.power()
}

// power parses a ** b (OpenQASM 3) or a ^ b (OpenQASM 2), right
// associative and tighter than unary minus on its left.
func (p *parser) power() expr {
	x := p.postfix()
	op := "**"
	if p.version == 2 {
		op = "^"
	}
	if t := p.cur(); t.is(op) {
		p.advance()
		p.enter(t.pos)
		defer p.leave()
		return &binaryExpr{p: t.pos, op: "**", x: x, y: p.unary()}
	}
	return x
}

// postfix parses a primary expression followed by indices.
func (p *parser) postfix() expr {
	x := p.primary()
	for p.cur().is("[") {
		x = p.index(x)
	}
	return x
}

func (p *parser) primary() expr {
	t := p.cur()
	switch t.kind {
	case tInt, tFloat:
		p.advance()
		return &numLit{p: t.pos, text: t.text, isInt: t.kind == tInt}
	case tImag:
		p.advance()
		return &otherLit{p: t.pos, kind: "complex numbers", text: t.text}
	case tDuration:
		p.advance()
		return &otherLit{p: t.pos, kind: "durations (timing)", text: t.text}
	case tString:
		if p.version == 2 {
			break
		}
		p.advance()
		return &strLit{p: t.pos, text: t.text}
	case tHWQubit:
		if p.version == 2 {
			break
		}
		p.advance()
		return p.hwQubit(t)
	case tPunct:
		if t.is("(") {
			p.advance()
			p.enter(t.pos)
			x := p.expression()
			p.leave()
			p.expect(")", "to close the parenthesis")
			return x
		}
	case tIdent:
		return p.identExpr(t)
	}
	p.fail(t, "expected an expression, found %s", t.describe())
	return nil
}

func (p *parser) identExpr(t token) expr {
	switch {
	case p.version == 3 && (t.text == "true" || t.text == "false"):
		p.advance()
		return &boolLit{p: t.pos, val: t.text == "true"}
	case p.version == 3 && (scalarTypes[t.text] || t.text == "array"):
		typ := p.typeSpec(false)
		p.expect("(", "after the type "+t.text+" (a cast)")
		p.enter(t.pos)
		x := p.expression()
		p.leave()
		p.expect(")", "to close the cast")
		return &castExpr{p: t.pos, typ: typ, x: x}
	case p.version == 3 && t.text == "durationof":
		p.advance()
		p.expect("(", "after durationof")
		p.block()
		p.expect(")", "after the durationof scope")
		return &opaqueExpr{p: t.pos, feature: "durationof (timing)"}
	case t.text == "measure":
		p.fail(t, "measure must be the whole right-hand side of an assignment")
	case p.isKeyword(t.text) && t.text != "sizeof":
		p.fail(t, "expected an expression, found the keyword %q", t.text)
	}
	p.advance()
	if p.cur().is("(") {
		open := p.advance()
		p.enter(open.pos)
		var args []expr
		if !p.cur().is(")") {
			args = p.expressionList(")")
		}
		p.leave()
		p.expect(")", "after the arguments of "+t.text)
		return &callExpr{p: t.pos, name: t.text, args: args}
	}
	return &ident{p: t.pos, name: t.text}
}
