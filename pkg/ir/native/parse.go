package native

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sokr-rs/sokr/pkg/internal/edit"
	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// IR is the sokr.IR plugin for the native text format. It is stateless: the
// zero value, IR{}, is ready to use and equivalent to NewIR().
//
//	reg.RegisterIR(native.NewIR())
type IR struct{}

// NewIR returns the native IR plugin.
func NewIR() IR { return IR{} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
)

// Format returns "sokr.native/1".
func (IR) Format() string { return Format }

// Parse reads a program in the native text format, as the function Parse
// does, after checking that ctx is live. A cancelled or expired ctx gives
// sokr.ErrCancelled or sokr.ErrDeadlineExceeded; on error the Program is
// nil. The program keeps a copy of src (see ProgramSource).
func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*Program, error) {
		p, err := parse(ctx, src)
		if err == nil && p != nil {
			p.src = bytes.Clone(src) // the caller's bytes may change; ProgramSource hands these out
		}
		return p, err
	})
}

// Detect reports whether src is native text: its first line that is neither
// blank nor a comment is the header "sokr.native/1".
func (IR) Detect(src []byte) bool {
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if s := irparse.TrimSpace(irparse.StripComment(line)); len(s) > 0 {
			return string(s) == Format
		}
	}
	return false
}

// Parse reads a program in the native text format (see the package
// documentation), orders its nodes topologically and verifies it. Every
// error is a *sokr.ProgramError with the line and column (1-based, counted
// in bytes) of the fault.
func Parse(src []byte) (*Program, error) { return parse(context.Background(), src) }

// parse is Parse looking at ctx every irparse.PollEvery lines, and before
// and after ordering the nodes.
func parse(ctx context.Context, src []byte) (*Program, error) {
	poll := irparse.NewPoll(ctx)
	ps := parseState{names: map[string]int{}}
	lines := bytes.Split(src, []byte("\n"))
	sawHeader := false
	var toks []token
	for i, raw := range lines {
		if err := poll.Tick(); err != nil {
			return nil, err
		}
		lineNo := i + 1
		content := irparse.StripComment(raw)
		if !sawHeader {
			s := irparse.TrimSpace(content)
			if len(s) == 0 {
				continue
			}
			col := len(content) - len(bytes.TrimLeft(content, " \t\r")) + 1
			if err := checkHeader(s, lineNo, col); err != nil {
				return nil, err
			}
			sawHeader = true
			continue
		}
		var err error
		toks, err = lexLine(content, lineNo, toks[:0])
		if err != nil {
			return nil, err
		}
		if toks[0].kind == tokEOL {
			continue
		}
		if err := ps.statement(&parser{toks: toks}); err != nil {
			return nil, err
		}
	}
	if !sawHeader {
		return nil, errAt(1, 1, "missing header: a native program starts with the line %s", Format)
	}
	if err := poll.Check(); err != nil {
		return nil, err
	}
	last := lines[len(lines)-1]
	p, err := ps.finish(len(lines), len(last)+1)
	if err != nil {
		return nil, err
	}
	if err := poll.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkHeader checks the header line s found at line:col.
func checkHeader(s []byte, line, col int) error {
	switch {
	case string(s) == Format:
		return nil
	case bytes.HasPrefix(s, []byte("sokr.native/")):
		return errAt(line, col, "unsupported version %s: this reader reads %s", irparse.Quote(string(s)), Format)
	}
	return errAt(line, col, "missing header: a native program starts with the line %s, found %s", Format, irparse.Quote(string(s)))
}

// Tokens.

type tokKind uint8

const (
	tokEOL tokKind = iota
	tokWord
	tokColon
	tokEq
	tokComma
	tokLBrack
	tokRBrack
)

type token struct {
	kind      tokKind
	text      string // tokWord only
	line, col int
}

func (t token) String() string {
	switch t.kind {
	case tokEOL:
		return "end of line"
	case tokWord:
		return irparse.Quote(t.text)
	case tokColon:
		return "':'"
	case tokEq:
		return "'='"
	case tokComma:
		return "','"
	case tokLBrack:
		return "'['"
	}
	return "']'"
}

func (t token) errorf(format string, args ...any) error {
	return errAt(t.line, t.col, format, args...)
}

func errAt(line, col int, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: sokr.Position{Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
}

// isWordChar reports the bytes of names, dtypes, numbers and keywords.
func isWordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '+' || c == '-'
}

// lexLine appends the tokens of one comment-free line to toks, ending with
// a tokEOL just after the last non-blank byte.
func lexLine(line []byte, lineNo int, toks []token) ([]token, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		col := i + 1
		switch {
		case irparse.IsSpace(c):
			i++
			continue
		case isWordChar(c):
			j := i
			for j < len(line) && isWordChar(line[j]) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: string(line[i:j]), line: lineNo, col: col})
			i = j
			continue
		}
		var k tokKind
		switch c {
		case ':':
			k = tokColon
		case '=':
			k = tokEq
		case ',':
			k = tokComma
		case '[':
			k = tokLBrack
		case ']':
			k = tokRBrack
		default:
			r, size := utf8.DecodeRune(line[i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, errAt(lineNo, col, "unexpected byte 0x%02x", c)
			}
			return nil, errAt(lineNo, col, "unexpected character %s", strconv.QuoteRune(r))
		}
		toks = append(toks, token{kind: k, line: lineNo, col: col})
		i++
	}
	end := len(line)
	for end > 0 && irparse.IsSpace(line[end-1]) {
		end--
	}
	return append(toks, token{kind: tokEOL, line: lineNo, col: end + 1}), nil
}

// parser walks the tokens of one line.
type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOL {
		p.i++
	}
	return t
}

// expectEOL fails unless the line is used up; what names the statement.
func (p *parser) expectEOL(what string) error {
	if t := p.peek(); t.kind != tokEOL {
		return t.errorf("unexpected %s after %s", t, what)
	}
	return nil
}

// name reads a value name.
func (p *parser) name(what string) (token, error) {
	t := p.next()
	if t.kind != tokWord {
		return t, t.errorf("expected %s, found %s", what, t)
	}
	if err := checkName(t.text); err != nil {
		return t, t.errorf("%v", err)
	}
	return t, nil
}

// parseType reads DTYPE[dims].
func (p *parser) parseType() (Type, error) {
	dtok := p.next()
	if dtok.kind != tokWord {
		return Type{}, dtok.errorf("expected a type such as f32[2,3], found %s", dtok)
	}
	dt, ok := sokr.ParseDType(dtok.text)
	if !ok {
		return Type{}, dtok.errorf("unknown dtype %s (supported: %s)", irparse.Quote(dtok.text), listDTypes(supported))
	}
	if err := checkDTypeSupported(dt); err != nil {
		return Type{}, dtok.errorf("%v", err)
	}
	if t := p.next(); t.kind != tokLBrack {
		return Type{}, t.errorf("expected '[' after dtype %v (a scalar is %v[]), found %s", dt, dt, t)
	}
	shape := sokr.Shape{}
	if p.peek().kind == tokRBrack {
		p.next()
		return Type{DType: dt, Shape: shape}, nil
	}
	for {
		t := p.next()
		if t.kind != tokWord {
			return Type{}, t.errorf("expected a dimension, found %s", t)
		}
		d, err := parseDim(t.text)
		if err != nil {
			return Type{}, t.errorf("%v", err)
		}
		if len(shape) == MaxRank {
			return Type{}, t.errorf("type has more than %d dimensions", MaxRank)
		}
		shape = append(shape, d)
		t = p.next()
		if t.kind == tokRBrack {
			break
		}
		if t.kind != tokComma {
			return Type{}, t.errorf("expected ',' or ']' in the shape, found %s", t)
		}
	}
	typ := Type{DType: dt, Shape: shape}
	if err := checkType(typ); err != nil {
		return Type{}, dtok.errorf("%v", err)
	}
	return typ, nil
}

func parseDim(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("dimension %s is not a positive integer", irparse.Quote(s))
		}
	}
	d, err := strconv.Atoi(s)
	if err != nil || d > MaxElements {
		return 0, fmt.Errorf("dimension %s is too large (the limit is 2^40 elements)", irparse.Quote(s))
	}
	if d == 0 {
		return 0, errors.New("dimension 0: dimensions must be positive")
	}
	return d, nil
}

// parseInts reads [I, I, ...] for an attribute.
func (p *parser) parseInts(key string) ([]int, error) {
	if t := p.next(); t.kind != tokLBrack {
		return nil, t.errorf("expected '[' after %s=, found %s", key, t)
	}
	v := []int{}
	if p.peek().kind == tokRBrack {
		p.next()
		return v, nil
	}
	for {
		t := p.next()
		if t.kind != tokWord {
			return nil, t.errorf("expected an integer in %s, found %s", key, t)
		}
		n, err := strconv.Atoi(t.text)
		if err != nil {
			return nil, t.errorf("bad %s entry %s: want an integer", key, irparse.Quote(t.text))
		}
		if len(v) == MaxRank {
			return nil, t.errorf("%s has more than %d entries", key, MaxRank)
		}
		v = append(v, n)
		t = p.next()
		if t.kind == tokRBrack {
			return v, nil
		}
		if t.kind != tokComma {
			return nil, t.errorf("expected ',' or ']' in %s, found %s", key, t)
		}
	}
}

// parseLiteral reads a const literal of type t: one value (a splat, stored
// as a rank-0 tensor) or a nested list matching t's shape (stored in full).
func (p *parser) parseLiteral(t Type) (sokr.Tensor, error) {
	tok := p.peek()
	switch tok.kind {
	case tokWord:
		p.next()
		data, err := appendScalar(nil, t.DType, tok)
		if err != nil {
			return sokr.Tensor{}, err
		}
		return sokr.Tensor{DType: t.DType, Shape: sokr.Shape{}, Data: data}, nil
	case tokLBrack:
		if len(t.Shape) == 0 {
			return sokr.Tensor{}, tok.errorf("a %v constant takes a single value, not a list", t)
		}
		data, err := p.parseList(t, 0, nil)
		if err != nil {
			return sokr.Tensor{}, err
		}
		return sokr.Tensor{DType: t.DType, Shape: slices.Clone(t.Shape), Data: data}, nil
	}
	return sokr.Tensor{}, tok.errorf("expected a literal after const (a number, true, false or a nested list), found %s", tok)
}

// parseList reads the list for dimension depth of t, appending its
// elements to data. The recursion is bounded by t's rank.
func (p *parser) parseList(t Type, depth int, data []byte) ([]byte, error) {
	p.next() // '['
	want, last := t.Shape[depth], depth == len(t.Shape)-1
	for count := 0; ; count++ {
		tok := p.peek()
		if tok.kind == tokRBrack {
			if count < want {
				return nil, tok.errorf("dimension %d of %v has %d elements, the literal gives %d", depth, t, want, count)
			}
			p.next()
			return data, nil
		}
		if count > 0 {
			if tok.kind != tokComma {
				return nil, tok.errorf("expected ',' or ']' in the literal, found %s", tok)
			}
			p.next()
			if tok = p.peek(); tok.kind == tokRBrack {
				return nil, tok.errorf("expected a value after ',' in the literal, found ']'")
			}
		}
		if count == want {
			return nil, tok.errorf("dimension %d of %v has %d elements, the literal gives more", depth, t, want)
		}
		var err error
		switch {
		case last && tok.kind == tokWord:
			p.next()
			data, err = appendScalar(data, t.DType, tok)
		case last && tok.kind == tokLBrack:
			err = tok.errorf("the literal is nested deeper than %v (rank %d)", t, len(t.Shape))
		case last:
			err = tok.errorf("expected a value in the literal, found %s", tok)
		case tok.kind == tokLBrack:
			data, err = p.parseList(t, depth+1, data)
		default:
			err = tok.errorf("expected '[' for dimension %d of %v, found %s", depth+1, t, tok)
		}
		if err != nil {
			return nil, err
		}
	}
}

// appendScalar appends the value of the literal tok, in dtype dt and native
// byte order, to data.
func appendScalar(data []byte, dt sokr.DType, tok token) ([]byte, error) {
	ne, s := binary.NativeEndian, tok.text
	rangeErr := func(err error) bool {
		var ne *strconv.NumError
		return errors.As(err, &ne) && ne.Err == strconv.ErrRange
	}
	switch dt {
	case sokr.F32, sokr.F64:
		bits := 32
		if dt == sokr.F64 {
			bits = 64
		}
		v, err := strconv.ParseFloat(s, bits)
		if rangeErr(err) {
			return nil, tok.errorf("literal %s is out of range for %v", s, dt)
		}
		if err != nil {
			return nil, tok.errorf("bad literal %s for %v: want a number", irparse.Quote(s), dt)
		}
		if dt == sokr.F32 {
			return ne.AppendUint32(data, math.Float32bits(float32(v))), nil
		}
		return ne.AppendUint64(data, math.Float64bits(v)), nil
	case sokr.I32, sokr.I64:
		bits := 32
		if dt == sokr.I64 {
			bits = 64
		}
		v, err := strconv.ParseInt(s, 10, bits)
		if rangeErr(err) {
			return nil, tok.errorf("literal %s is out of range for %v", s, dt)
		}
		if err != nil {
			return nil, tok.errorf("bad literal %s for %v: want a decimal integer", irparse.Quote(s), dt)
		}
		if dt == sokr.I32 {
			return ne.AppendUint32(data, uint32(int32(v))), nil
		}
		return ne.AppendUint64(data, uint64(v)), nil
	case sokr.Bool:
		switch s {
		case "true":
			return append(data, 1), nil
		case "false":
			return append(data, 0), nil
		}
		return nil, tok.errorf("bad literal %s for bool: want true or false", irparse.Quote(s))
	}
	return nil, tok.errorf("no literals for dtype %v", dt)
}

// Statements.

// def is a parsed param or node definition, its operands not yet resolved.
type def struct {
	node     Node
	operands []token
}

type parseState struct {
	defs    []def
	names   map[string]int // name -> index in defs
	ret     []token        // the return statement's value names
	retSeen bool
	retPos  token
}

func (ps *parseState) statement(p *parser) error {
	first, second := p.toks[0], p.toks[1]
	if first.kind != tokWord {
		return first.errorf("expected a statement (param NAME: TYPE, NAME: TYPE = OP ..., or return NAME, ...), found %s", first)
	}
	switch {
	case first.text == "param" && (second.kind == tokWord || second.kind == tokEOL):
		return ps.param(p)
	case first.text == "return" && second.kind != tokColon:
		return ps.returns(p)
	}
	return ps.node(p)
}

func (ps *parseState) define(nameTok token, n Node, operands []token) error {
	if j, dup := ps.names[nameTok.text]; dup {
		prev := ps.defs[j].node.Pos
		return nameTok.errorf("duplicate name %s (first defined at %d:%d)", nameTok.text, prev.Line, prev.Col)
	}
	n.Name = nameTok.text
	n.Pos = sokr.Position{Line: nameTok.line, Col: nameTok.col}
	ps.names[n.Name] = len(ps.defs)
	ps.defs = append(ps.defs, def{node: n, operands: operands})
	return nil
}

// param parses "param NAME: TYPE".
func (ps *parseState) param(p *parser) error {
	p.next() // param
	nameTok, err := p.name("a parameter name")
	if err != nil {
		return err
	}
	if t := p.next(); t.kind != tokColon {
		return t.errorf("expected ':' and a type after param %s, found %s", nameTok.text, t)
	}
	typ, err := p.parseType()
	if err != nil {
		return err
	}
	if err := p.expectEOL("the type of param " + nameTok.text); err != nil {
		return err
	}
	return ps.define(nameTok, Node{Op: OpParam, Type: typ}, nil)
}

// returns parses "return NAME, ...".
func (ps *parseState) returns(p *parser) error {
	kw := p.next()
	if ps.retSeen {
		return kw.errorf("duplicate return (the first is at %d:%d)", ps.retPos.line, ps.retPos.col)
	}
	ps.retSeen, ps.retPos = true, kw
	if p.peek().kind == tokEOL {
		return kw.errorf("return needs at least one value")
	}
	for {
		t, err := p.name("a value name after return")
		if err != nil {
			return err
		}
		ps.ret = append(ps.ret, t)
		t = p.next()
		if t.kind == tokEOL {
			return nil
		}
		if t.kind != tokComma {
			return t.errorf("expected ',' or end of line after %s, found %s", ps.ret[len(ps.ret)-1].text, t)
		}
	}
}

// node parses "NAME: TYPE = OP ARG, ...[, key=[...]]" and
// "NAME: TYPE = const LITERAL".
func (ps *parseState) node(p *parser) error {
	nameTok, err := p.name("a value name")
	if err != nil {
		return err
	}
	if t := p.next(); t.kind != tokColon {
		return t.errorf("expected ':' and a type after %s (NAME: TYPE = OP ...), found %s", nameTok.text, t)
	}
	typ, err := p.parseType()
	if err != nil {
		return err
	}
	if t := p.next(); t.kind != tokEq {
		return t.errorf("expected '=' and an op after the type of %s, found %s", nameTok.text, t)
	}
	opTok := p.next()
	if opTok.kind != tokWord {
		return opTok.errorf("expected an op after '=', found %s", opTok)
	}
	op, ok := ParseOp(opTok.text)
	switch {
	case !ok:
		return opTok.errorf("unknown op %s%s", irparse.Quote(opTok.text), suggestOp(opTok.text))
	case op == OpParam:
		return opTok.errorf("param is not an op: declare inputs as param %s: %v", nameTok.text, typ)
	case op == OpConst:
		c, err := p.parseLiteral(typ)
		if err != nil {
			return err
		}
		if err := p.expectEOL("the literal"); err != nil {
			return err
		}
		return ps.define(nameTok, Node{Op: op, Type: typ, Const: c}, nil)
	}

	n := Node{Op: op, Type: typ}
	var operands []token
	var attr *token // the attribute's key, once seen
	for first := true; p.peek().kind != tokEOL; first = false {
		if !first {
			if t := p.next(); t.kind != tokComma {
				return t.errorf("expected ',' or end of line, found %s", t)
			}
		}
		t := p.next()
		if t.kind != tokWord {
			return t.errorf("expected an operand name or attribute, found %s", t)
		}
		if p.peek().kind == tokEq { // an attribute
			p.next()
			key := attrKey(op)
			switch {
			case key == "":
				return t.errorf("%v takes no attributes", op)
			case t.text != key:
				return t.errorf("unknown attribute %s: %v takes %s=[...]", irparse.Quote(t.text), op, key)
			case attr != nil:
				return t.errorf("duplicate attribute %s", key)
			}
			attr = &t
			if n.Axes, err = p.parseInts(key); err != nil {
				return err
			}
			continue
		}
		if attr != nil {
			return t.errorf("operand %s follows the %s attribute; attributes come last", t.text, attr.text)
		}
		if err := checkName(t.text); err != nil {
			return t.errorf("operand %s is not a value name (constants need their own line: c: f32[] = const 2)", irparse.Quote(t.text))
		}
		operands = append(operands, t)
	}
	if want := arity(op); len(operands) != want {
		return opTok.errorf("%v takes %s, got %d", op, plural(want, "operand"), len(operands))
	}
	if key := attrKey(op); key != "" && attr == nil {
		return opTok.errorf("%v needs %s=[...]", op, key)
	}
	return ps.define(nameTok, n, operands)
}

// finish resolves names, orders the nodes topologically, builds the
// Program and verifies it. eofLine:eofCol is where the source ends.
func (ps *parseState) finish(eofLine, eofCol int) (*Program, error) {
	lookup := func(t token) (int, error) {
		if i, ok := ps.names[t.text]; ok {
			return i, nil
		}
		return 0, t.errorf("undefined value %s%s", t.text, ps.suggestName(t.text))
	}
	n := len(ps.defs)
	users := make([][]int, n)
	indeg := make([]int, n)
	for i := range ps.defs {
		d := &ps.defs[i]
		d.node.Args = make([]int, len(d.operands))
		for k, t := range d.operands {
			a, err := lookup(t)
			if err != nil {
				return nil, err
			}
			d.node.Args[k] = a
			users[a] = append(users[a], i)
		}
		indeg[i] = len(d.operands)
	}
	if !ps.retSeen {
		return nil, errAt(eofLine, eofCol, "missing return statement (return NAME, ...)")
	}
	outs := make([]int, len(ps.ret))
	for k, t := range ps.ret {
		a, err := lookup(t)
		if err != nil {
			return nil, err
		}
		outs[k] = a
	}

	// Kahn's algorithm, always taking the ready node that comes first in
	// the source, so that source order survives where dependencies allow.
	ready := &intHeap{}
	for i := range n {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, n)
	at := make([]int, n) // source index -> index in Program.Nodes
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		at[i] = len(order)
		order = append(order, i)
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(order) < n {
		return nil, ps.cycleError(indeg)
	}

	p := &Program{Nodes: make([]Node, n), Outputs: make([]int, len(outs))}
	for k, i := range order {
		node := ps.defs[i].node
		for j, a := range node.Args {
			node.Args[j] = at[a]
		}
		p.Nodes[k] = node
		if node.Op == OpParam {
			p.Params = append(p.Params, i) // mapped below, kept in declaration order
		}
	}
	slices.Sort(p.Params)
	for k, i := range p.Params {
		p.Params[k] = at[i]
	}
	for k, i := range outs {
		p.Outputs[k] = at[i]
	}
	if err := Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}

// cycleError names the values of one cycle among the nodes Kahn's
// algorithm could not order (those with indeg > 0). Each such node has an
// operand that is also unordered, so following operands must loop.
func (ps *parseState) cycleError(indeg []int) error {
	start := slices.IndexFunc(indeg, func(d int) bool { return d > 0 })
	onPath := map[int]int{}
	var path []int
	cur := start
	for {
		if k, ok := onPath[cur]; ok {
			path = path[k:]
			break
		}
		onPath[cur] = len(path)
		path = append(path, cur)
		for _, a := range ps.defs[cur].node.Args {
			if indeg[a] > 0 {
				cur = a
				break
			}
		}
	}
	// Start the cycle at the value defined first, for a stable message.
	first := 0
	for k, i := range path {
		if i < path[first] {
			first = k
		}
	}
	path = append(path[first:], path[:first]...)
	names := make([]string, 0, len(path)+1)
	for _, i := range path {
		names = append(names, ps.defs[i].node.Name)
	}
	names = append(names, names[0])
	pos := ps.defs[path[0]].node.Pos
	return errAt(pos.Line, pos.Col, "values depend on each other in a cycle: %s (each uses the next)", strings.Join(names, " -> "))
}

// suggestName proposes a defined name close to an undefined one: within
// one edit for every three bytes, the closest, the first in byte order on a tie.
func (ps *parseState) suggestName(s string) string {
	if len(s) > 64 {
		return "" // not a typo, and too costly to compare
	}
	limit := len(s) / 3
	best, bestD := "", limit+1
	for name := range ps.names {
		d := edit.Distance(s, name, limit+1)
		if d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	if best == "" || bestD > limit {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func suggestOp(s string) string {
	best, bestD := "", 3
	for op := OpParam; op < numOps; op++ {
		if d := edit.Distance(strings.ToLower(s), op.String(), bestD); d < bestD {
			best, bestD = op.String(), d
		}
	}
	if best != "" {
		return " (did you mean " + best + "?)"
	}
	names := make([]string, 0, numOps)
	for op := OpConst; op < numOps; op++ {
		names = append(names, op.String())
	}
	return " (ops: " + strings.Join(names, ", ") + ")"
}

// intHeap is a min-heap of ints for container/heap.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
