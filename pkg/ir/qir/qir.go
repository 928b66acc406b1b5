package qir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the format name of QIR programs (circuit.Program.Source).
const Format = "qir/1"

// IR is the sokr.IR plugin for QIR in LLVM text form.
type IR struct{}

// NewIR returns the QIR plugin, format "qir/1".
func NewIR() IR { return IR{} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
)

// Format returns "qir/1".
func (IR) Format() string { return Format }

// Parse reads a QIR program after checking that ctx is live. A cancelled
// or expired ctx gives sokr.ErrCancelled or sokr.ErrDeadlineExceeded; on
// error the Program is nil. The circuit keeps a copy of src in its Text.
func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*circuit.Program, error) {
		p, err := parse(ctx, src)
		if err == nil && p != nil {
			p.Text = bytes.Clone(src) // for ProgramSource; the caller's bytes may change
		}
		return p, err
	})
}

// Detect reports whether src looks like QIR: LLVM text that defines a
// function and calls a __quantum__qis__ or __quantum__rt__ function. No
// other built-in format contains either.
func (IR) Detect(src []byte) bool {
	return bytes.Contains(src, []byte("define ")) &&
		(bytes.Contains(src, []byte("@__quantum__qis__")) || bytes.Contains(src, []byte("@__quantum__rt__")))
}

// Parse reads a QIR program in LLVM text form and lowers it to a circuit.
// Errors are *sokr.ProgramError values with the 1-based line and column;
// instructions that parse but have no circuit meaning are listed in the
// Program's Unsupported field instead.
func Parse(src []byte) (*circuit.Program, error) { return parse(context.Background(), src) }

// srcLine is one line of source, comment removed and trimmed; col is the
// 1-based column (in characters) of its first character.
type srcLine struct {
	text string
	no   int
	col  int
}

func (l srcLine) pos() sokr.Position { return sokr.Position{Line: l.no, Col: l.col} }

type parseError struct {
	pos sokr.Position
	msg string
}

func (e *parseError) Error() string { return e.msg }

func errorf(p sokr.Position, format string, args ...any) error {
	return &parseError{pos: p, msg: fmt.Sprintf(format, args...)}
}

// function is a define: its name, attributes and body lines.
type function struct {
	name  string
	attrs string // the attribute text: inline and from its #N groups
	head  srcLine
	body  []srcLine
}

// splitLines cuts src into lines without comments (a ';' outside a
// string constant starts one) and blank lines.
func splitLines(src []byte) []srcLine {
	var out []srcLine
	for i, raw := range strings.Split(string(src), "\n") {
		inStr := false
		cut := len(raw)
		for j := 0; j < len(raw); j++ {
			switch raw[j] {
			case '"':
				inStr = !inStr
			case ';':
				if !inStr {
					cut = j
				}
			}
			if cut != len(raw) {
				break
			}
		}
		line := strings.TrimRight(raw[:cut], " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" {
			continue
		}
		col := utf8.RuneCountInString(line[:len(line)-len(trimmed)]) + 1
		out = append(out, srcLine{text: trimmed, no: i + 1, col: col})
	}
	return out
}

var attrGroupRE = regexp.MustCompile(`^attributes\s+#(\d+)\s*=\s*\{(.*)\}$`)

// readModule finds the functions and attribute groups of a module.
func readModule(lines []srcLine) ([]function, error) {
	groups := map[string]string{}
	var funcs []function
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := l.text
		switch {
		case strings.HasPrefix(t, "define "):
			f, next, err := readFunction(lines, i)
			if err != nil {
				return nil, err
			}
			funcs = append(funcs, f)
			i = next
		case strings.HasPrefix(t, "attributes "):
			m := attrGroupRE.FindStringSubmatch(t)
			if m == nil {
				return nil, errorf(l.pos(), "malformed attribute group: want attributes #N = { ... }")
			}
			groups[m[1]] = m[2]
		case strings.HasPrefix(t, "declare "), strings.HasPrefix(t, "source_filename"),
			strings.HasPrefix(t, "target "), strings.HasPrefix(t, "!"), strings.HasPrefix(t, "@"),
			strings.HasPrefix(t, "%"), strings.HasPrefix(t, "module asm"), strings.HasPrefix(t, "$"):
			// Declarations, globals (output labels), types and metadata
			// carry nothing the circuit needs.
		default:
			return nil, errorf(l.pos(), "expected a top-level LLVM entity (define, declare, a global, attributes, metadata), found %q", clip(t))
		}
	}
	for i := range funcs {
		for _, ref := range attrRefRE.FindAllStringSubmatch(funcs[i].attrs, -1) {
			funcs[i].attrs += " " + groups[ref[1]]
		}
	}
	return funcs, nil
}

var (
	attrRefRE = regexp.MustCompile(`#(\d+)`)
	defineRE  = regexp.MustCompile(`^define\b[^@]*@("[^"]*"|[-\w.$]+)\s*\(`)
)

// readFunction reads the define at lines[i] up to its closing brace and
// returns the index of that brace's line.
func readFunction(lines []srcLine, i int) (function, int, error) {
	head := lines[i]
	m := defineRE.FindStringSubmatchIndex(head.text)
	if m == nil {
		return function{}, 0, errorf(head.pos(), "malformed define: want define <type> @name(<params>) ... {")
	}
	name := strings.Trim(head.text[m[2]:m[3]], `"`)
	close, err := matchParen(head.text, m[1]-1)
	if err != nil {
		return function{}, 0, errorf(head.pos(), "define @%s: %v", name, err)
	}
	rest := strings.TrimSpace(head.text[close+1:])
	f := function{name: name, head: head}
	if !strings.HasSuffix(rest, "{") {
		return function{}, 0, errorf(head.pos(), "define @%s: expected \"{\" at the end of the line", name)
	}
	f.attrs = strings.TrimSuffix(rest, "{")
	for j := i + 1; j < len(lines); j++ {
		if lines[j].text == "}" {
			return f, j, nil
		}
		f.body = append(f.body, lines[j])
	}
	return function{}, 0, errorf(head.pos(), "define @%s has no closing \"}\"", name)
}

// matchParen returns the index of the ')' that closes the '(' at open.
func matchParen(s string, open int) (int, error) {
	depth, inStr := 0, false
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '"':
			inStr = !inStr
		case '(':
			if !inStr {
				depth++
			}
		case ')':
			if !inStr {
				if depth--; depth == 0 {
					return i, nil
				}
			}
		}
	}
	return 0, errors.New("unbalanced parentheses")
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

var kvRE = regexp.MustCompile(`"([^"]+)"(?:\s*=\s*"([^"]*)")?`)

// attr returns the value of the first of names among a function's
// string attributes.
func attr(attrs string, names ...string) (string, bool) {
	kv := map[string]string{}
	for _, m := range kvRE.FindAllStringSubmatch(attrs, -1) {
		if _, seen := kv[m[1]]; !seen {
			kv[m[1]] = m[2]
		}
	}
	for _, n := range names {
		if v, ok := kv[n]; ok {
			return v, true
		}
	}
	return "", false
}

// entryPoint picks the function to run: the one with the "entry_point"
// attribute, or the only one defined.
func entryPoint(funcs []function, lines []srcLine) (*function, error) {
	var entries []*function
	for i := range funcs {
		if _, ok := attr(funcs[i].attrs, "entry_point", "EntryPoint"); ok {
			entries = append(entries, &funcs[i])
		}
	}
	switch {
	case len(entries) == 1:
		return entries[0], nil
	case len(entries) > 1:
		return nil, errorf(entries[1].head.pos(), "a second entry point @%s (the first is @%s): QIR programs have one", entries[1].name, entries[0].name)
	case len(funcs) == 1:
		return &funcs[0], nil
	case len(funcs) == 0:
		p := sokr.Position{Line: 1, Col: 1}
		if len(lines) > 0 {
			p = lines[0].pos()
		}
		return nil, errorf(p, "no function is defined: a QIR program defines its entry point")
	}
	return nil, errorf(funcs[1].head.pos(), "%d functions and none has the \"entry_point\" attribute", len(funcs))
}

// count reads a required-count attribute; -1 when absent.
func count(f *function, limit int, names ...string) (int, error) {
	v, ok := attr(f.attrs, names...)
	if !ok {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > limit {
		return 0, errorf(f.head.pos(), "attribute %q=%q: want a count from 0 to %d", names[0], v, limit)
	}
	return n, nil
}

// parse reads and lowers a program, looking at ctx every
// irparse.PollEvery lines and emitted blocks.
func parse(ctx context.Context, src []byte) (*circuit.Program, error) {
	p, err := parseProgram(ctx, src)
	if err != nil {
		if errors.Is(err, sokr.ErrCancelled) || errors.Is(err, sokr.ErrDeadlineExceeded) ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		var pe *parseError
		if errors.As(err, &pe) {
			return nil, &sokr.ProgramError{Format: Format, Pos: pe.pos, Msg: pe.msg}
		}
		var ce *sokr.ProgramError
		if errors.As(err, &ce) {
			ce.Format = Format
			if ce.Pos.Line == 0 {
				ce.Pos = sokr.Position{Line: 1, Col: 1}
			}
			return nil, ce
		}
		return nil, &sokr.ProgramError{Format: Format, Pos: sokr.Position{Line: 1, Col: 1}, Msg: err.Error()}
	}
	return p, nil
}

func parseProgram(ctx context.Context, src []byte) (*circuit.Program, error) {
	if !utf8.Valid(src) {
		return nil, errorf(sokr.Position{Line: 1, Col: 1}, "the source is not valid UTF-8")
	}
	poll := irparse.NewPoll(ctx)
	lines := splitLines(src)
	funcs, err := readModule(lines)
	if err != nil {
		return nil, err
	}
	f, err := entryPoint(funcs, lines)
	if err != nil {
		return nil, err
	}
	nq, err := count(f, circuit.MaxQubits, "required_num_qubits", "num_required_qubits", "requiredQubits")
	if err != nil {
		return nil, err
	}
	nr, err := count(f, circuit.MaxClbits, "required_num_results", "num_required_results", "requiredResults")
	if err != nil {
		return nil, err
	}
	l := &lowerer{poll: &poll, declQubits: nq, declResults: nr, defined: map[string]bool{}, conds: map[string]circuit.Cond{}, ints: map[string]intVal{}}
	for _, g := range funcs {
		l.defined[g.name] = true
	}
	if err := l.readBlocks(f); err != nil {
		return nil, err
	}
	ops, err := l.emit(0, len(l.blocks))
	if err != nil {
		return nil, err
	}
	prog := &circuit.Program{Source: Format, Ops: ops, Unsupported: l.unsupported}
	prog.Qubits, prog.Clbits = l.usedQubits, l.usedResults
	if nq >= 0 {
		prog.Qubits = nq
	}
	if nr >= 0 {
		prog.Clbits = nr
	}
	if prog.Qubits > 0 {
		prog.QRegs = []circuit.Register{{Name: "q", Size: prog.Qubits}}
	}
	if prog.Clbits > 0 {
		prog.CRegs = []circuit.Register{{Name: "c", Size: prog.Clbits}}
	}
	if err := prog.Validate(); err != nil {
		return nil, err
	}
	return prog, nil
}

// gateSpec is a QIR gate function: the circuit gate, its controls and
// parameters (QIR passes the double angles first, then the qubits).
type gateSpec struct {
	name     string
	gate     circuit.Gate
	controls int
}

// gateFuncs maps the part of a __quantum__qis__ name after that prefix to
// its gate (QIR spec, "Quantum Instruction Set": the names CUDA-Q, Q# and
// the qir-alliance examples use).
var gateFuncs = map[string]gateSpec{
	"h__body": {"h", circuit.H, 0}, "x__body": {"x", circuit.X, 0}, "y__body": {"y", circuit.Y, 0},
	"z__body": {"z", circuit.Z, 0}, "s__body": {"s", circuit.S, 0}, "s__adj": {"sdg", circuit.Sdg, 0},
	"t__body": {"t", circuit.T, 0}, "t__adj": {"tdg", circuit.Tdg, 0},
	"rx__body": {"rx", circuit.RX, 0}, "ry__body": {"ry", circuit.RY, 0}, "rz__body": {"rz", circuit.RZ, 0},
	"cnot__body": {"cx", circuit.X, 1}, "cx__body": {"cx", circuit.X, 1}, "cy__body": {"cy", circuit.Y, 1},
	"cz__body": {"cz", circuit.Z, 1}, "swap__body": {"swap", circuit.Swap, 0},
	"ccx__body": {"ccx", circuit.X, 2}, "ccnot__body": {"ccx", circuit.X, 2},
	"u3__body": {"u3", circuit.U3, 0}, "r1__body": {"r1", circuit.P, 0},
	"rxx__body": {"rxx", circuit.RXX, 0}, "ryy__body": {"ryy", circuit.RYY, 0}, "rzz__body": {"rzz", circuit.RZZ, 0},
}

// recordFuncs are the output-recording and setup runtime functions: they
// change nothing in the circuit.
var recordFuncs = map[string]bool{
	"initialize": true, "result_record_output": true, "array_record_output": true,
	"tuple_record_output": true, "bool_record_output": true, "int_record_output": true,
	"double_record_output": true,
}

// negate returns the condition that holds exactly when c does not.
func negate(c circuit.Cond) circuit.Cond {
	c.Cmp = [...]circuit.CmpOp{circuit.Eq: circuit.Ne, circuit.Ne: circuit.Eq, circuit.Lt: circuit.Ge,
		circuit.Le: circuit.Gt, circuit.Gt: circuit.Le, circuit.Ge: circuit.Lt}[c.Cmp]
	if len(c.Clbits) == 1 && c.Cmp == circuit.Ne && c.Value <= 1 {
		c.Cmp, c.Value = circuit.Eq, 1-c.Value // one bit: "!= 1" reads better as "== 0"
	}
	return c
}

// intVal is an integer built from result bits (adaptive profile integer
// computation): bit k of the value is result bits[k], or 0 where bits[k]
// is -1.
type intVal struct{ bits []int }

// block is a basic block: its ops and its terminator.
type block struct {
	label string
	line  srcLine
	ops   []circuit.Op
	// term: "ret", "br" (to then), "cbr" (then / els on c).
	term      string
	then, els int
	c         circuit.Cond
	termLine  srcLine // the terminator's line
	// phis are the block's i1 phi nodes; phiBranch names the one its
	// conditional branch reads, and busy is set when the block does
	// anything else (which rules out threading it away).
	phis      map[string]phi
	phiBranch string
	busy      bool
}

// phi is an i1 phi node: its incoming values by predecessor label.
type phi struct {
	line     srcLine
	incoming map[string]string
}

type lowerer struct {
	poll                    *irparse.Poll
	declQubits, declResults int
	usedQubits, usedResults int
	defined                 map[string]bool
	conds                   map[string]circuit.Cond
	ints                    map[string]intVal
	blocks                  []*block
	unsupported             []circuit.Unsupported
	ipdom                   []int
	emitted                 int
	pendingTargets          []pendingBranch
}

type pendingBranch struct {
	blk       *block
	then, els string
	line      srcLine
}

func (l *lowerer) unsupportedAt(ln srcLine, format string, args ...any) {
	l.unsupported = append(l.unsupported, circuit.Unsupported{Feature: fmt.Sprintf(format, args...), Pos: ln.pos()})
}

var labelRE = regexp.MustCompile(`^([-\w.$]+|"[^"]*")\s*:$`)

// readBlocks splits the entry point's body into blocks and lowers their
// instructions.
func (l *lowerer) readBlocks(f *function) error {
	cur := &block{label: "", line: f.head}
	labels := map[string]int{}
	for _, ln := range f.body {
		if err := l.poll.Tick(); err != nil {
			return err
		}
		if m := labelRE.FindStringSubmatch(ln.text); m != nil {
			name := strings.Trim(m[1], `"`)
			if cur.term == "" {
				if len(cur.ops) > 0 || cur.label != "" || len(l.blocks) > 0 {
					return errorf(ln.pos(), "block %q is not terminated before label %q", cur.label, name)
				}
				// An empty, label-less entry: the label names the entry block.
			} else {
				l.blocks = append(l.blocks, cur)
			}
			if _, dup := labels[name]; dup {
				return errorf(ln.pos(), "label %q is defined twice", name)
			}
			labels[name] = len(l.blocks)
			cur = &block{label: name, line: ln}
			continue
		}
		if cur.term != "" {
			return errorf(ln.pos(), "instruction after the block's terminator (a new block needs a label)")
		}
		if err := l.instruction(cur, ln); err != nil {
			return err
		}
	}
	if cur.term == "" {
		return errorf(cur.line.pos(), "the last block of @%s has no terminator (ret or br)", f.name)
	}
	l.blocks = append(l.blocks, cur)
	for _, pb := range l.pendingTargets {
		t, ok := labels[pb.then]
		if !ok {
			return errorf(pb.line.pos(), "branch to undefined label %%%s", pb.then)
		}
		pb.blk.then = t
		if pb.blk.term == "cbr" {
			e, ok := labels[pb.els]
			if !ok {
				return errorf(pb.line.pos(), "branch to undefined label %%%s", pb.els)
			}
			pb.blk.els = e
		}
	}
	if l.blocks[0].label == "" {
		if _, taken := labels["0"]; !taken {
			l.blocks[0].label = "0" // LLVM numbers an unnamed entry block %0 when there are no unnamed arguments
		}
	}
	l.threadPhis()
	// Forward branches only: a branch to this or an earlier block would be
	// a loop, which the circuit IR has only in its while form.
	for i, b := range l.blocks {
		if (b.term == "br" || b.term == "cbr") && (b.then <= i || b.term == "cbr" && b.els <= i) {
			l.unsupportedAt(b.termLine, "QIR backward branch (a loop)")
			b.term = "ret"
		}
	}
	return l.postDominators()
}

// postDominators computes each block's immediate post-dominator (index
// len(blocks) is the exit). With forward branches only, the block order
// is a topological order, so one backward pass suffices (Cooper, Harvey
// and Kennedy, "A Simple, Fast Dominance Algorithm", 2001, on the reverse
// graph).
func (l *lowerer) postDominators() error {
	n := len(l.blocks)
	var err error
	l.ipdom = make([]int, n+1)
	l.ipdom[n] = n
	intersect := func(a, b int) int {
		for a != b && err == nil {
			for a < b {
				a = l.ipdom[a]
			}
			for b < a {
				b = l.ipdom[b]
			}
			err = l.poll.Tick()
		}
		return a
	}
	for i := n - 1; i >= 0; i-- {
		b := l.blocks[i]
		switch b.term {
		case "ret":
			l.ipdom[i] = n
		case "br":
			l.ipdom[i] = b.then
		case "cbr":
			l.ipdom[i] = intersect(b.then, b.els)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxEmitted bounds the ops emit builds: a block reached on paths that
// do not nest (x -> a, b; a -> c; b -> c, d) is copied into each, which an
// adversarial graph can make exponential. At some 256 bytes an op (circuit
// counts MaxOpBytes the same way) this keeps the lowering within
// MaxOpBytes.
const maxEmitted = circuit.MaxOpBytes / 256

// emit lowers the blocks from start up to (not including) stop, which
// post-dominates start.
func (l *lowerer) emit(start, stop int) ([]circuit.Op, error) {
	var ops []circuit.Op
	for b := start; b != stop && b < len(l.blocks); {
		if err := l.poll.Tick(); err != nil {
			return nil, err
		}
		blk := l.blocks[b]
		if l.emitted += len(blk.ops) + 1; l.emitted > maxEmitted {
			return nil, errorf(blk.line.pos(), "more than %d operations once the branches are lowered", maxEmitted)
		}
		ops = append(ops, blk.ops...)
		switch blk.term {
		case "ret":
			return ops, nil
		case "br":
			b = blk.then
		case "cbr":
			join := l.ipdom[b]
			then, err := l.emit(blk.then, join)
			if err != nil {
				return nil, err
			}
			els, err := l.emit(blk.els, join)
			if err != nil {
				return nil, err
			}
			c := blk.c
			if len(then) == 0 && len(els) > 0 {
				then, els, c = els, nil, negate(c)
			}
			if len(then) > 0 {
				ops = append(ops, circuit.Op{Kind: circuit.OpIf, Cond: c, Then: then, Else: els, Pos: blk.termLine.pos()})
			}
			b = join
		}
	}
	return ops, nil
}

var (
	assignRE = regexp.MustCompile(`^%([-\w.$]+)\s*=\s*(.*)$`)
	callRE   = regexp.MustCompile(`^(?:(?:tail|musttail|notail)\s+)?call\b[^@]*@([-\w.$]+)\s*\(`)
)

// instruction lowers one instruction into blk.
func (l *lowerer) instruction(blk *block, ln srcLine) error {
	t := ln.text
	dest := ""
	if m := assignRE.FindStringSubmatch(t); m != nil {
		dest, t = m[1], m[2]
	}
	op, _, _ := strings.Cut(t, " ")
	switch op {
	case "ret":
		blk.term = "ret"
		return nil
	case "br":
		return l.branch(blk, ln, strings.TrimSpace(strings.TrimPrefix(t, "br")))
	case "call", "tail", "musttail", "notail":
		return l.call(blk, ln, dest, t)
	case "xor", "icmp":
		if dest != "" && l.negation(dest, op, t) {
			return nil
		}
		if dest != "" && op == "icmp" && l.compare(dest, t) {
			return nil
		}
	case "zext", "shl", "or", "add":
		if dest != "" && l.integer(dest, op, t) {
			return nil
		}
	case "phi":
		if m := phiRE.FindStringSubmatch(t); dest != "" && m != nil {
			ph := phi{line: ln, incoming: map[string]string{}}
			for _, in := range phiInRE.FindAllStringSubmatch(m[1], -1) {
				ph.incoming[strings.Trim(in[2], `"`)] = in[1]
			}
			if blk.phis == nil {
				blk.phis = map[string]phi{}
			}
			blk.phis[dest] = ph
			return nil
		}
	}
	if op != "call" && op != "tail" {
		blk.busy = true
	}
	l.unsupportedAt(ln, "QIR instruction %q", op)
	return nil
}

var (
	phiRE   = regexp.MustCompile(`^phi\s+i1\s+((?:\[\s*[^\]]*\]\s*,?\s*)+)$`)
	phiInRE = regexp.MustCompile(`\[\s*(%[-\w.$]+|true|false)\s*,\s*%([-\w.$]+|"[^"]*")\s*\]`)
	xorRE   = regexp.MustCompile(`^xor\s+i1\s+(%[-\w.$]+|true|false|1|0)\s*,\s*(%[-\w.$]+|true|false|1|0)$`)
	icmpRE  = regexp.MustCompile(`^icmp\s+(eq|ne)\s+i1\s+(%[-\w.$]+|true|false|1|0)\s*,\s*(%[-\w.$]+|true|false|1|0)$`)
)

// negation records dest as a condition derived from a read result by xor
// with a constant or an i1 comparison with one.
func (l *lowerer) negation(dest, op, t string) bool {
	var a, b string
	eq := false
	if op == "xor" {
		m := xorRE.FindStringSubmatch(t)
		if m == nil {
			return false
		}
		a, b = m[1], m[2]
	} else {
		m := icmpRE.FindStringSubmatch(t)
		if m == nil {
			return false
		}
		eq, a, b = m[1] == "eq", m[2], m[3]
	}
	if strings.HasPrefix(b, "%") {
		a, b = b, a
	}
	c, ok := l.conds[strings.TrimPrefix(a, "%")]
	if !ok || strings.HasPrefix(b, "%") {
		return false
	}
	one := b == "true" || b == "1"
	// xor with 1 negates; icmp eq with 0 negates; icmp ne with 1 negates.
	if op == "xor" && one || op == "icmp" && eq != one {
		c = negate(c)
	}
	l.conds[dest] = c
	return true
}

var (
	zextRE  = regexp.MustCompile(`^zext\s+i1\s+%([-\w.$]+)\s+to\s+i(\d+)$`)
	binRE   = regexp.MustCompile(`^(shl|or|add)\s+(?:(?:nuw|nsw|disjoint)\s+)*i(\d+)\s+(%[-\w.$]+|\d+)\s*,\s*(%[-\w.$]+|\d+)$`)
	icmpIRE = regexp.MustCompile(`^icmp\s+(eq|ne|ult|ule|ugt|uge)\s+i(\d+)\s+(%[-\w.$]+|\d+)\s*,\s*(%[-\w.$]+|\d+)$`)
)

// integer records dest as an integer made of result bits: zext of a read
// result, shl by a constant, or or add of two such values whose bits do
// not overlap (so that add is or). Anything else is not recorded.
func (l *lowerer) integer(dest, op, t string) bool {
	if op == "zext" {
		m := zextRE.FindStringSubmatch(t)
		if m == nil {
			return false
		}
		c, ok := l.conds[m[1]]
		// Only a plain read: bit = result.
		if !ok || len(c.Clbits) != 1 || c.Cmp != circuit.Eq || c.Value != 1 {
			return false
		}
		l.ints[dest] = intVal{bits: []int{c.Clbits[0]}}
		return true
	}
	m := binRE.FindStringSubmatch(t)
	if m == nil {
		return false
	}
	a, aok := l.ints[strings.TrimPrefix(m[3], "%")]
	if !aok {
		return false
	}
	if m[1] == "shl" {
		k, err := strconv.Atoi(m[4])
		if err != nil || k < 0 || k+len(a.bits) > 64 {
			return false
		}
		bits := make([]int, k, k+len(a.bits))
		for i := range bits {
			bits[i] = -1
		}
		l.ints[dest] = intVal{bits: append(bits, a.bits...)}
		return true
	}
	b, bok := l.ints[strings.TrimPrefix(m[4], "%")]
	if !bok {
		return false
	}
	bits := make([]int, max(len(a.bits), len(b.bits)))
	for i := range bits {
		x, y := -1, -1
		if i < len(a.bits) {
			x = a.bits[i]
		}
		if i < len(b.bits) {
			y = b.bits[i]
		}
		if x >= 0 && y >= 0 {
			return false // overlapping bits: a carry or an or of two results
		}
		bits[i] = max(x, y)
	}
	l.ints[dest] = intVal{bits: bits}
	return true
}

// compare records dest as a condition: an unsigned comparison of an
// integer made of result bits with a constant. The bits must be results
// from bit 0 up, with no constant-zero bit between them: the circuit's
// condition reads consecutive positions of a list of classical bits.
func (l *lowerer) compare(dest, t string) bool {
	m := icmpIRE.FindStringSubmatch(t)
	if m == nil {
		return false
	}
	pred, x, y := m[1], m[3], m[4]
	if !strings.HasPrefix(x, "%") {
		x, y = y, x
		pred = map[string]string{"eq": "eq", "ne": "ne", "ult": "ugt", "ule": "uge", "ugt": "ult", "uge": "ule"}[pred]
	}
	v, ok := l.ints[strings.TrimPrefix(x, "%")]
	if !ok || strings.HasPrefix(y, "%") {
		return false
	}
	k, err := strconv.ParseUint(y, 10, 64)
	if err != nil {
		return false
	}
	bits := v.bits
	for len(bits) > 0 && bits[len(bits)-1] < 0 {
		bits = bits[:len(bits)-1]
	}
	if len(bits) == 0 {
		return false
	}
	for _, b := range bits {
		if b < 0 {
			return false
		}
	}
	cmp := map[string]circuit.CmpOp{"eq": circuit.Eq, "ne": circuit.Ne, "ult": circuit.Lt, "ule": circuit.Le, "ugt": circuit.Gt, "uge": circuit.Ge}[pred]
	l.conds[dest] = circuit.Cond{Clbits: slices.Clone(bits), Cmp: cmp, Value: k}
	return true
}

var (
	brRE  = regexp.MustCompile(`^label\s+%([-\w.$]+|"[^"]*")$`)
	cbrRE = regexp.MustCompile(`^i1\s+(%[-\w.$]+|true|false)\s*,\s*label\s+%([-\w.$]+|"[^"]*")\s*,\s*label\s+%([-\w.$]+|"[^"]*")$`)
)

func (l *lowerer) branch(blk *block, ln srcLine, rest string) error {
	blk.termLine = ln
	if m := brRE.FindStringSubmatch(rest); m != nil {
		blk.term = "br"
		l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: strings.Trim(m[1], `"`), line: ln})
		return nil
	}
	m := cbrRE.FindStringSubmatch(rest)
	if m == nil {
		return errorf(ln.pos(), "malformed br: want br label %%L or br i1 %%c, label %%T, label %%F")
	}
	then, els := strings.Trim(m[2], `"`), strings.Trim(m[3], `"`)
	switch m[1] {
	case "true":
		blk.term = "br"
		l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: then, line: ln})
		return nil
	case "false":
		blk.term = "br"
		l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: els, line: ln})
		return nil
	}
	c, ok := l.conds[strings.TrimPrefix(m[1], "%")]
	if _, isPhi := blk.phis[strings.TrimPrefix(m[1], "%")]; !ok && isPhi {
		blk.term, blk.phiBranch = "cbr", strings.TrimPrefix(m[1], "%")
		l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: then, els: els, line: ln})
		return nil
	}
	if !ok {
		// The value is not a measurement result the circuit can test: the
		// program is refused, and lowering follows the true edge.
		l.unsupportedAt(ln, "QIR branch on %s, which is not a read measurement result", m[1])
		blk.term = "br"
		l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: then, line: ln})
		return nil
	}
	blk.term, blk.c = "cbr", c
	l.pendingTargets = append(l.pendingTargets, pendingBranch{blk: blk, then: then, els: els, line: ln})
	return nil
}

// arg is one call argument: a static pointer (null or inttoptr), a
// number, a variable or something else (a global, getelementptr).
type arg struct {
	kind  byte // 'p' pointer index, 'f' double, 'i' integer, 'v' variable, 'o' other
	typ   string
	index int64
	f     float64
	name  string
}

var inttoptrRE = regexp.MustCompile(`^inttoptr\s*\(\s*i64\s+(-?\d+)\s+to\s+[^)]*\)$`)

func splitArgs(s string) []string {
	var out []string
	depth, start, inStr := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inStr = !inStr
		case '(', '[', '{', '<':
			if !inStr {
				depth++
			}
		case ')', ']', '}', '>':
			if !inStr {
				depth--
			}
		case ',':
			if !inStr && depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if last := strings.TrimSpace(s[start:]); last != "" || len(out) > 0 {
		out = append(out, last)
	}
	return out
}

// paramAttrs are LLVM parameter attributes that may follow an argument's
// type; they do not change its value.
var paramAttrs = map[string]bool{
	"noundef": true, "nonnull": true, "readonly": true, "writeonly": true, "readnone": true,
	"nocapture": true, "zeroext": true, "signext": true, "inreg": true, "immarg": true,
}

func parseArg(s string) arg {
	typ, v, _ := strings.Cut(s, " ")
	v = strings.TrimSpace(v)
	for {
		w, rest, _ := strings.Cut(v, " ")
		if !paramAttrs[w] {
			break
		}
		v = strings.TrimSpace(rest)
	}
	a := arg{kind: 'o', typ: typ}
	switch {
	case v == "null":
		a.kind = 'p'
	case inttoptrRE.MatchString(v):
		n, err := strconv.ParseInt(inttoptrRE.FindStringSubmatch(v)[1], 10, 64)
		if err == nil {
			a.kind, a.index = 'p', n
		}
	case strings.HasPrefix(v, "%"):
		a.kind, a.name = 'v', v[1:]
	case typ == "double" || typ == "float":
		if f, ok := parseFloat(v); ok {
			a.kind, a.f = 'f', f
		}
	case strings.HasPrefix(typ, "i") && typ != "i8*":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			a.kind, a.index = 'i', n
		}
	}
	return a
}

// parseFloat reads an LLVM floating-point constant: decimal (3.0e-01) or
// the 0x form that holds a double's IEEE bits (LLVM LangRef, "Simple
// Constants").
func parseFloat(v string) (float64, bool) {
	if strings.HasPrefix(v, "0x") && len(v) == 18 {
		bits, err := strconv.ParseUint(v[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return math.Float64frombits(bits), true
	}
	if strings.HasPrefix(v, "0x") || strings.ContainsAny(v, "_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// call lowers a call instruction.
func (l *lowerer) call(blk *block, ln srcLine, dest, t string) error {
	m := callRE.FindStringSubmatchIndex(t)
	if m == nil {
		return errorf(ln.pos(), "malformed call: want call <type> @name(<args>)")
	}
	name := t[m[2]:m[3]]
	close, err := matchParen(t, m[1]-1)
	if err != nil {
		return errorf(ln.pos(), "call @%s: %v", name, err)
	}
	raw := splitArgs(t[m[1]:close])
	args := make([]arg, len(raw))
	for i, r := range raw {
		args[i] = parseArg(r)
	}
	switch {
	case strings.HasPrefix(name, "__quantum__qis__"):
		return l.qis(blk, ln, dest, strings.TrimPrefix(name, "__quantum__qis__"), args)
	case strings.HasPrefix(name, "__quantum__rt__"):
		rt := strings.TrimPrefix(name, "__quantum__rt__")
		switch {
		case rt == "read_result":
			return l.readResult(ln, dest, name, args)
		case recordFuncs[rt]:
			if rt == "result_record_output" {
				if len(args) < 1 {
					return errorf(ln.pos(), "@%s takes a result", name)
				}
				if _, err := l.result(ln, name, args[0]); err != nil {
					return err
				}
			}
			return nil
		}
		l.unsupportedAt(ln, "QIR runtime function @%s", name)
		return nil
	case name == "generalizedInvokeWithRotationsControlsTargets":
		return l.generalized(blk, ln, name, raw, args)
	case l.defined[name]:
		l.unsupportedAt(ln, "QIR call to @%s (calls to defined functions are not inlined)", name)
		return nil
	}
	l.unsupportedAt(ln, "QIR call to @%s", name)
	return nil
}

func (l *lowerer) readResult(ln srcLine, dest, name string, args []arg) error {
	if len(args) != 1 {
		return errorf(ln.pos(), "@%s takes one result, got %d arguments", name, len(args))
	}
	r, err := l.result(ln, name, args[0])
	if err != nil {
		return err
	}
	if dest != "" {
		l.conds[dest] = circuit.Cond{Clbits: []int{r}, Cmp: circuit.Eq, Value: 1}
	}
	return nil
}

// qubit returns the static qubit index of a pointer argument.
func (l *lowerer) qubit(ln srcLine, fn string, a arg) (int, error) {
	if a.kind != 'p' {
		return 0, errorf(ln.pos(), "@%s: expected a static qubit (null or inttoptr (i64 N to ...)), found %s", fn, describe(a))
	}
	limit := circuit.MaxQubits
	if l.declQubits >= 0 {
		limit = l.declQubits
	}
	if a.index < 0 || a.index >= int64(limit) {
		return 0, errorf(ln.pos(), "@%s: qubit %d out of range: the program has %d qubits", fn, a.index, limit)
	}
	l.usedQubits = max(l.usedQubits, int(a.index)+1)
	return int(a.index), nil
}

// result returns the static result index of a pointer argument.
func (l *lowerer) result(ln srcLine, fn string, a arg) (int, error) {
	if a.kind != 'p' {
		return 0, errorf(ln.pos(), "@%s: expected a static result (null or inttoptr (i64 N to ...)), found %s", fn, describe(a))
	}
	limit := circuit.MaxClbits
	if l.declResults >= 0 {
		limit = l.declResults
	}
	if a.index < 0 || a.index >= int64(limit) {
		return 0, errorf(ln.pos(), "@%s: result %d out of range: the program has %d results", fn, a.index, limit)
	}
	l.usedResults = max(l.usedResults, int(a.index)+1)
	return int(a.index), nil
}

func describe(a arg) string {
	switch a.kind {
	case 'v':
		return "the value %" + a.name
	case 'f', 'i':
		return "a number"
	}
	return "an argument of type " + a.typ
}

// qis lowers a call to a __quantum__qis__ function (fn without prefix).
func (l *lowerer) qis(blk *block, ln srcLine, dest, fn string, args []arg) error {
	full := "__quantum__qis__" + fn
	switch fn {
	case "mz__body", "mresetz__body":
		if len(args) != 2 {
			return errorf(ln.pos(), "@%s takes a qubit and a result, got %d arguments", full, len(args))
		}
		q, err := l.qubit(ln, full, args[0])
		if err != nil {
			return err
		}
		r, err := l.result(ln, full, args[1])
		if err != nil {
			return err
		}
		blk.ops = append(blk.ops, circuit.Op{Kind: circuit.OpMeasure, Name: "measure", Qubits: []int{q}, Clbit: r, Pos: ln.pos()})
		if fn == "mresetz__body" {
			blk.ops = append(blk.ops, circuit.Op{Kind: circuit.OpReset, Name: "reset", Qubits: []int{q}, Pos: ln.pos()})
		}
		return nil
	case "reset__body":
		if len(args) != 1 {
			return errorf(ln.pos(), "@%s takes one qubit, got %d arguments", full, len(args))
		}
		q, err := l.qubit(ln, full, args[0])
		if err != nil {
			return err
		}
		blk.ops = append(blk.ops, circuit.Op{Kind: circuit.OpReset, Name: "reset", Qubits: []int{q}, Pos: ln.pos()})
		return nil
	case "read_result__body":
		return l.readResult(ln, dest, full, args)
	}
	g, ok := gateFuncs[fn]
	if !ok {
		l.unsupportedAt(ln, "QIR quantum instruction @%s", full)
		return nil
	}
	np, nq := g.gate.NumParams(), g.controls+g.gate.Targets()
	if len(args) != np+nq {
		return errorf(ln.pos(), "@%s takes %d arguments, got %d", full, np+nq, len(args))
	}
	op := circuit.Op{Kind: circuit.OpGate, Name: g.name, Gate: g.gate, Controls: g.controls, Pos: ln.pos()}
	for _, a := range args[:np] {
		if a.kind != 'f' {
			if a.kind == 'v' {
				l.unsupportedAt(ln, "QIR computed angle %%%s in @%s", a.name, full)
				return nil
			}
			return errorf(ln.pos(), "@%s: expected a double constant angle, found %s", full, describe(a))
		}
		op.Params = append(op.Params, circuit.Const(a.f))
	}
	for _, a := range args[np:] {
		q, err := l.qubit(ln, full, a)
		if err != nil {
			return err
		}
		op.Qubits = append(op.Qubits, q)
	}
	blk.ops = append(blk.ops, op)
	return nil
}

var funcRefRE = regexp.MustCompile(`^ptr\s+@([-\w.$]+)$`)

// generalized lowers CUDA-Q's generalizedInvokeWithRotationsControlsTargets
// (nvq++'s QIR for controlled gates: counts of rotations, control arrays,
// control qubits and targets, the gate's __ctl function, then the
// rotations, controls and targets) to one gate with its controls.
func (l *lowerer) generalized(blk *block, ln srcLine, name string, raw []string, args []arg) error {
	if len(args) < 5 {
		return errorf(ln.pos(), "@%s takes at least 5 arguments, got %d", name, len(args))
	}
	var n [4]int
	for i := range n {
		if args[i].kind != 'i' || args[i].index < 0 || args[i].index > 64 {
			return errorf(ln.pos(), "@%s: argument %d must be a count from 0 to 64", name, i+1)
		}
		n[i] = int(args[i].index)
	}
	m := funcRefRE.FindStringSubmatch(raw[4])
	if m == nil {
		return errorf(ln.pos(), "@%s: argument 5 must be a function (ptr @name)", name)
	}
	fn := m[1]
	if n[1] != 0 {
		l.unsupportedAt(ln, "QIR controlled @%s on qubit arrays", fn)
		return nil
	}
	key, ok := strings.CutPrefix(fn, "__quantum__qis__")
	if ok {
		switch {
		case strings.HasSuffix(key, "__ctladj"):
			key = strings.TrimSuffix(key, "__ctladj") + "__adj"
		case strings.HasSuffix(key, "__ctl"):
			key = strings.TrimSuffix(key, "__ctl") + "__body"
		default:
			ok = false
		}
	}
	g, known := gateFuncs[key]
	if !ok || !known || g.controls != 0 {
		l.unsupportedAt(ln, "QIR controlled gate @%s", fn)
		return nil
	}
	rest := args[5:]
	if len(rest) != n[0]+n[2]+n[3] || n[0] != g.gate.NumParams() || n[3] != g.gate.Targets() {
		return errorf(ln.pos(), "@%s of @%s: %d rotations, %d controls and %d targets do not fit its %d arguments (the gate takes %d angles and %d targets)",
			name, fn, n[0], n[2], n[3], len(rest), g.gate.NumParams(), g.gate.Targets())
	}
	op := circuit.Op{Kind: circuit.OpGate, Name: g.name, Gate: g.gate, Controls: n[2], Pos: ln.pos()}
	if n[2] > 0 {
		op.Name = strings.Repeat("c", n[2]) + g.name
	}
	for _, a := range rest[:n[0]] {
		if a.kind != 'f' {
			l.unsupportedAt(ln, "QIR computed angle in @%s", fn)
			return nil
		}
		op.Params = append(op.Params, circuit.Const(a.f))
	}
	for _, a := range rest[n[0]:] {
		q, err := l.qubit(ln, fn, a)
		if err != nil {
			return err
		}
		op.Qubits = append(op.Qubits, q)
	}
	blk.ops = append(blk.ops, op)
	return nil
}

// threadPhis removes the blocks that only branch on an i1 phi (what
// nvq++ emits for `if a and b`): each predecessor jumps straight to the
// successor its incoming value picks (a constant), or branches there on
// its incoming read result (when it reached the block unconditionally).
// A phi that cannot be threaded so is recorded as unsupported, and the
// branch on it follows its true edge.
func (l *lowerer) threadPhis() {
	// The predecessors of each block that has a phi, found in one pass
	// (a scan of all blocks per phi would be quadratic).
	type predEdge struct {
		p    *block
		edge int // 0: p's true (or only) edge, 1: its false edge
	}
	preds := map[int][]predEdge{}
	for _, p := range l.blocks {
		for e, target := range []int{p.then, p.els} {
			if p.term == "ret" || p.term == "br" && e == 1 || len(l.blocks[target].phis) == 0 {
				continue
			}
			preds[target] = append(preds[target], predEdge{p, e})
		}
	}
	for bi, b := range l.blocks {
		if b.phiBranch == "" {
			for _, ph := range b.phis {
				l.unsupportedAt(ph.line, "QIR phi whose value is not branched on at once")
				break
			}
			continue
		}
		ph := b.phis[b.phiBranch]
		ok := !b.busy && len(b.ops) == 0 && len(b.phis) == 1
		type edit struct {
			p      *block
			els    bool // the edge is p's false edge
			cond   *circuit.Cond
			toThen bool
		}
		var edits []edit
		for _, pe := range preds[bi] {
			if !ok {
				break
			}
			p, e := pe.p, pe.edge
			v, has := ph.incoming[p.label]
			switch {
			case !has, len(p.phis) > 0:
				// A phi block after a phi block: threading the first
				// would give the second predecessors preds does not list.
				ok = false
			case v == "true" || v == "false":
				edits = append(edits, edit{p: p, els: e == 1, toThen: v == "true"})
			default:
				c, isCond := l.conds[strings.TrimPrefix(v, "%")]
				if !isCond || p.term != "br" {
					ok = false
					continue
				}
				edits = append(edits, edit{p: p, cond: &c})
			}
		}
		if !ok || len(edits) == 0 {
			l.unsupportedAt(ph.line, "QIR phi that SOKR cannot thread into the branches before it")
			b.term = "br"
			continue
		}
		for _, e := range edits {
			switch {
			case e.cond != nil:
				e.p.term, e.p.c, e.p.then, e.p.els = "cbr", *e.cond, b.then, b.els
			case e.els:
				e.p.els = map[bool]int{true: b.then, false: b.els}[e.toThen]
			default:
				e.p.then = map[bool]int{true: b.then, false: b.els}[e.toThen]
			}
		}
	}
}
