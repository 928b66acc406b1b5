package photonic

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sokr-rs/sokr/pkg/internal/edit"
	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// IR is the sokr.IR plugin for the photonic text format. It is stateless:
// the zero value, IR{}, is ready to use and equivalent to NewIR().
//
//	reg.RegisterIR(photonic.NewIR())
type IR struct{}

// NewIR returns the photonic IR plugin.
func NewIR() IR { return IR{} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
)

// Format returns "sokr.photonic/1".
func (IR) Format() string { return Format }

// Parse reads a program in the photonic text format, as the function
// Parse does, after checking that ctx is live. A cancelled or expired ctx
// gives sokr.ErrCancelled or sokr.ErrDeadlineExceeded; on error the
// Program is nil. The program keeps a copy of src (see ProgramSource).
func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*Program, error) {
		poll := irparse.NewPoll(ctx)
		p, err := parse(src, &poll)
		if err == nil && p != nil {
			p.src = bytes.Clone(src) // the caller's bytes may change; ProgramSource hands these out
		}
		return p, err
	})
}

// Detect reports whether src is photonic text: its first line that is
// neither blank nor a comment is the header "sokr.photonic/1".
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

// Parse reads a program in the photonic text format (see the package
// documentation) and verifies it. Every error is a *sokr.ProgramError with
// the line and column (1-based, counted in bytes) of the fault.
func Parse(src []byte) (*Program, error) { return parse(src, nil) }

func parse(src []byte, poll *irparse.Poll) (*Program, error) {
	lx := lexer{src: src, line: 1, col: 1, poll: poll}
	if err := lx.header(); err != nil {
		return nil, err
	}
	ps := parser{p: &Program{}}
	for {
		stmt, err := lx.statement()
		if err != nil {
			return nil, err
		}
		if stmt == nil {
			break
		}
		if err := ps.statement(stmt); err != nil {
			return nil, err
		}
	}
	// Faults of the whole program are reported at the end of the source.
	last := src[bytes.LastIndexByte(src, '\n')+1:]
	return ps.finish(bytes.Count(src, []byte("\n"))+1, len(last)+1)
}

// Tokens.

type tokKind uint8

const (
	tokEOL tokKind = iota // the end of a statement
	tokWord
	tokComma
	tokEq
	tokLBrack
	tokRBrack
	tokBar
	tokGt
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
	}
	return "'" + string(",=[]|>"[t.kind-tokComma]) + "'"
}

func (t token) pos() sokr.Position { return sokr.Position{Line: t.line, Col: t.col} }

func (t token) errorf(format string, args ...any) error {
	return errAt(t.line, t.col, format, args...)
}

func errAt(line, col int, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: sokr.Position{Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
}

// isWordChar reports the bytes of keywords, numbers, complex numbers
// ("0.5-0.5i", "1e-3") and angle expressions ("3*pi/4").
func isWordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '+' || c == '-' || c == '*' || c == '/'
}

// lexer cuts the source into statements: one per line, except that a line
// ending inside brackets continues on the next (a unitary's rows may sit
// on lines of their own).
type lexer struct {
	src       []byte
	off       int
	line, col int
	poll      *irparse.Poll
	toks      []token
}

// header reads up to the header line and checks it.
func (lx *lexer) header() error {
	for lx.off < len(lx.src) {
		line := lx.rest()
		content := irparse.StripComment(line)
		s := irparse.TrimSpace(content)
		if len(s) == 0 {
			lx.nextLine(len(line))
			continue
		}
		col := len(content) - len(bytes.TrimLeft(content, " \t\r")) + 1
		switch {
		case string(s) == Format:
		case bytes.HasPrefix(s, []byte("sokr.photonic/")):
			return errAt(lx.line, col, "unsupported version %s: this reader reads %s", irparse.Quote(string(s)), Format)
		default:
			return errAt(lx.line, col, "missing header: a photonic program starts with the line %s, found %s", Format, irparse.Quote(string(s)))
		}
		lx.nextLine(len(line))
		return nil
	}
	return errAt(1, 1, "missing header: a photonic program starts with the line %s", Format)
}

// rest returns the current line without its newline.
func (lx *lexer) rest() []byte {
	line := lx.src[lx.off:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return line
}

// nextLine moves past a line of n bytes and its newline.
func (lx *lexer) nextLine(n int) {
	lx.off += n
	if lx.off < len(lx.src) {
		lx.off++ // the newline
	}
	lx.line++
	lx.col = 1
}

// statement returns the tokens of the next statement, ending with tokEOL,
// or nil at the end of the source. The slice is reused by the next call.
func (lx *lexer) statement() ([]token, error) {
	lx.toks = lx.toks[:0]
	depth := 0
	var open, eol token
	for {
		if err := lx.poll.Tick(); err != nil {
			return nil, err
		}
		if lx.off >= len(lx.src) {
			switch {
			case depth > 0:
				return nil, open.errorf("'[' is never closed")
			case len(lx.toks) == 0:
				return nil, nil
			}
			return append(lx.toks, eol), nil
		}
		line := lx.rest()
		content := irparse.StripComment(line)
		for i := 0; i < len(content); {
			c := content[i]
			col := i + 1
			switch {
			case irparse.IsSpace(c):
				i++
				continue
			case isWordChar(c):
				j := i
				for j < len(content) && isWordChar(content[j]) {
					j++
				}
				lx.toks = append(lx.toks, token{kind: tokWord, text: string(content[i:j]), line: lx.line, col: col})
				i = j
				continue
			}
			t := token{line: lx.line, col: col}
			switch c {
			case ',':
				t.kind = tokComma
			case '=':
				t.kind = tokEq
			case '[':
				t.kind = tokLBrack
				if depth == 0 {
					open = t
				}
				depth++
			case ']':
				t.kind = tokRBrack
				depth--
			case '|':
				t.kind = tokBar
			case '>':
				t.kind = tokGt
			default:
				r, _ := utf8.DecodeRune(content[i:])
				return nil, errAt(lx.line, col, "unexpected character %q", r)
			}
			lx.toks = append(lx.toks, t)
			i++
		}
		if len(lx.toks) > 0 {
			eol = token{kind: tokEOL, line: lx.line, col: len(trimRight(content)) + 1}
		}
		lx.nextLine(len(line))
		if depth > 0 || len(lx.toks) == 0 {
			continue // blank, or the statement goes on inside brackets
		}
		return append(lx.toks, eol), nil
	}
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && irparse.IsSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parser builds a Program statement by statement.
type parser struct {
	p        *Program
	sawModes bool
	sawInput bool
	detected []bool // modes named by a detect statement
	toks     []token
	i        int
}

func (ps *parser) peek() token { return ps.toks[ps.i] }

func (ps *parser) next() token {
	t := ps.toks[ps.i]
	if t.kind != tokEOL {
		ps.i++
	}
	return t
}

// expect consumes a token of kind k, described as what in the message.
func (ps *parser) expect(k tokKind, what string) (token, error) {
	t := ps.next()
	if t.kind != k {
		return t, t.errorf("expected %s, found %v", what, t)
	}
	return t, nil
}

// end checks that the statement has no more tokens.
func (ps *parser) end() error {
	if t := ps.peek(); t.kind != tokEOL {
		return t.errorf("unexpected %v after the end of the statement", t)
	}
	return nil
}

var keywords = []string{"modes", "input", "bs", "ps", "unitary", "loss", "detect"}

func (ps *parser) statement(toks []token) error {
	ps.toks, ps.i = toks, 0
	kw := ps.next()
	if kw.kind != tokWord {
		return kw.errorf("expected a statement (%s), found %v", strings.Join(keywords, ", "), kw)
	}
	if kw.text != "modes" && !ps.sawModes {
		return kw.errorf("the first statement is modes N, which gives the number of modes; found %s", irparse.Quote(kw.text))
	}
	switch kw.text {
	case "modes":
		return ps.modes(kw)
	case "input":
		return ps.input(kw)
	case "bs", "ps", "unitary", "loss":
		if !ps.sawInput {
			return kw.errorf("a component before the input state: the input statement comes first")
		}
		if len(ps.p.Ops) >= MaxOps {
			return kw.errorf("more than %d components", MaxOps)
		}
		return ps.component(kw)
	case "detect":
		return ps.detect(kw)
	}
	return kw.errorf("unknown statement %s%s; the statements are %s", irparse.Quote(kw.text), suggest(kw.text, keywords), strings.Join(keywords, ", "))
}

// suggest returns " (did you mean X?)" for the closest of names, if close.
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := edit.Distance(s, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func (ps *parser) modes(kw token) error {
	if ps.sawModes {
		return kw.errorf("a second modes statement; the number of modes is given once")
	}
	t, err := ps.expect(tokWord, "the number of modes")
	if err != nil {
		return err
	}
	m, ok := parseInt(t.text, MaxModes)
	if !ok || m < 1 {
		return t.errorf("the number of modes is %s; want an integer from 1 to %d", irparse.Quote(t.text), MaxModes)
	}
	ps.p.Modes, ps.p.ModesPos, ps.sawModes = m, kw.pos(), true
	ps.detected = make([]bool, m)
	return ps.end()
}

func (ps *parser) input(kw token) error {
	if ps.sawInput {
		return kw.errorf("a second input statement; the input state is given once")
	}
	if _, err := ps.expect(tokBar, "'|' opening the input state, as in input |1,0,1>"); err != nil {
		return err
	}
	var s FockState
	total := 0
	for {
		t, err := ps.expect(tokWord, "a photon number")
		if err != nil {
			return err
		}
		k, ok := parseInt(t.text, MaxPhotons)
		if !ok {
			return t.errorf("photon number %s: want an integer from 0 to %d", irparse.Quote(t.text), MaxPhotons)
		}
		if total += k; total > MaxPhotons {
			return t.errorf("the input state has more than %d photons", MaxPhotons)
		}
		if len(s) == ps.p.Modes {
			return t.errorf("the input state has more than %d occupations, one per mode", ps.p.Modes)
		}
		s = append(s, k)
		sep := ps.next()
		if sep.kind == tokGt {
			break
		}
		if sep.kind != tokComma {
			return sep.errorf("expected ',' or '>' in the input state, found %v", sep)
		}
	}
	if len(s) != ps.p.Modes {
		return kw.errorf("the input state %s has %d modes, the program %d", s.String(), len(s), ps.p.Modes)
	}
	ps.p.Input, ps.p.InputPos, ps.sawInput = s, kw.pos(), true
	return ps.end()
}

// mode reads a mode number and checks its range.
func (ps *parser) mode() (int, error) {
	t, err := ps.expect(tokWord, "a mode number")
	if err != nil {
		return 0, err
	}
	m, ok := parseInt(t.text, MaxModes)
	if !ok {
		return 0, t.errorf("expected a mode number, found %s", irparse.Quote(t.text))
	}
	if m >= ps.p.Modes {
		return 0, t.errorf("mode %d is out of range: the program has modes 0 to %d", m, ps.p.Modes-1)
	}
	return m, nil
}

// modeList reads modes separated by commas while the next token is a
// number. A comma after the last mode is left for the caller when a
// key=value follows.
func (ps *parser) modeList(seen map[int]token) ([]int, error) {
	var modes []int
	for {
		t := ps.peek()
		if t.kind == tokWord && strings.HasPrefix(t.text, "-") && isDigits(t.text[1:]) {
			return nil, t.errorf("mode %s: mode numbers are non-negative", t.text)
		}
		if t.kind != tokWord || !isDigits(t.text) {
			return modes, nil
		}
		m, err := ps.mode()
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[m]; dup {
			return nil, t.errorf("mode %d is listed twice (first at %d:%d)", m, prev.line, prev.col)
		}
		seen[m] = t
		modes = append(modes, m)
		if ps.peek().kind != tokComma {
			return modes, nil
		}
		if len(ps.toks) > ps.i+1 && ps.toks[ps.i+1].kind == tokWord && !isDigits(ps.toks[ps.i+1].text) {
			return modes, nil // ", key=value" follows
		}
		ps.next()
	}
}

// keyValues reads ", key=value" pairs after the modes into vals, allowing
// only the keys of allowed.
func (ps *parser) keyValues(kw token, allowed []string, vals map[string]float64, first bool) error {
	for ps.peek().kind != tokEOL {
		if !first {
			if _, err := ps.expect(tokComma, "','"); err != nil {
				return err
			}
		}
		first = false
		key, err := ps.expect(tokWord, "a parameter name ("+strings.Join(allowed, ", ")+")")
		if err != nil {
			return err
		}
		known := false
		for _, a := range allowed {
			known = known || a == key.text
		}
		if !known {
			if isDigits(key.text) {
				return key.errorf("a mode after the parameters: list the modes first")
			}
			return key.errorf("%s has no parameter %s%s; its parameters are %s", kw.text, irparse.Quote(key.text), suggest(key.text, allowed), strings.Join(allowed, ", "))
		}
		if _, dup := vals[key.text]; dup {
			return key.errorf("parameter %s is given twice", key.text)
		}
		if _, err := ps.expect(tokEq, "'=' after "+key.text); err != nil {
			return err
		}
		v, err := ps.expect(tokWord, "a number for "+key.text)
		if err != nil {
			return err
		}
		x, err := parseReal(v.text)
		if err != nil {
			return v.errorf("%s = %s: %v", key.text, irparse.Quote(v.text), err)
		}
		vals[key.text] = x
	}
	return nil
}

var bsKeys = []string{"theta", "phi_tl", "phi_bl", "phi_tr", "phi_br"}

func (ps *parser) component(kw token) error {
	op := Op{Pos: kw.pos()}
	seen := map[int]token{}
	modes, err := ps.modeList(seen)
	if err != nil {
		return err
	}
	op.Modes = modes
	vals := map[string]float64{}
	switch kw.text {
	case "bs":
		op.Kind = OpBeamSplitter
		if len(modes) != 2 {
			return ps.countError(kw, "a beam splitter acts on two modes, as in bs 0, 1", len(modes))
		}
		if err := ps.keyValues(kw, bsKeys, vals, false); err != nil {
			return err
		}
		op.BS = BeamSplitter{Theta: DefaultTheta}
		if v, ok := vals["theta"]; ok {
			op.BS.Theta = v
		}
		op.BS.PhiTL, op.BS.PhiBL, op.BS.PhiTR, op.BS.PhiBR = vals["phi_tl"], vals["phi_bl"], vals["phi_tr"], vals["phi_br"]
	case "ps":
		op.Kind = OpPhaseShift
		if len(modes) != 1 {
			return ps.countError(kw, "a phase shifter acts on one mode, as in ps 0, phi=0.5", len(modes))
		}
		if err := ps.keyValues(kw, []string{"phi"}, vals, false); err != nil {
			return err
		}
		v, ok := vals["phi"]
		if !ok {
			return ps.peek().errorf("ps needs its phase, as in ps %d, phi=0.5", modes[0])
		}
		op.Phi = v
	case "loss":
		op.Kind = OpLoss
		if err := ps.keyValues(kw, []string{"eta"}, vals, len(modes) == 0); err != nil {
			return err
		}
		v, ok := vals["eta"]
		if !ok {
			return ps.peek().errorf("loss needs its transmissivity, as in loss eta=0.9 (every mode) or loss 0, 2, eta=0.9")
		}
		op.Eta = v
		if len(modes) == 0 {
			op.Modes = make([]int, ps.p.Modes)
			for i := range op.Modes {
				op.Modes[i] = i
			}
		}
	case "unitary":
		op.Kind = OpUnitary
		if len(modes) == 0 {
			return ps.countError(kw, "a unitary lists its modes, as in unitary 0, 1 = [[...], [...]]", 0)
		}
		if _, err := ps.expect(tokEq, "'=' and the matrix after the modes"); err != nil {
			return err
		}
		u, err := ps.matrix(len(modes))
		if err != nil {
			return err
		}
		op.U = u
	}
	if err := ps.end(); err != nil {
		return err
	}
	ps.p.Ops = append(ps.p.Ops, op)
	return nil
}

// countError reports a component with the wrong number of modes.
func (ps *parser) countError(kw token, want string, got int) error {
	return kw.errorf("%s; got %d mode(s)", want, got)
}

// matrix reads a k×k complex matrix [[a, b], [c, d]].
func (ps *parser) matrix(k int) ([]complex128, error) {
	open, err := ps.expect(tokLBrack, "'[' opening the matrix")
	if err != nil {
		return nil, err
	}
	u := make([]complex128, 0, k*k)
	for r := 0; ; r++ {
		if r == k {
			return nil, ps.peek().errorf("the matrix has more than %d rows, one per mode", k)
		}
		rowOpen, err := ps.expect(tokLBrack, "'[' opening row "+strconv.Itoa(r))
		if err != nil {
			return nil, err
		}
		for c := 0; ; c++ {
			t, err := ps.expect(tokWord, "a complex number")
			if err != nil {
				return nil, err
			}
			if c == k {
				return nil, t.errorf("row %d has more than %d entries, one per mode", r, k)
			}
			z, err := parseComplex(t.text)
			if err != nil {
				return nil, t.errorf("entry [%d][%d] = %s: %v", r, c, irparse.Quote(t.text), err)
			}
			u = append(u, z)
			sep := ps.next()
			if sep.kind == tokRBrack {
				if c+1 != k {
					return nil, rowOpen.errorf("row %d has %d entries; want %d, one per mode", r, c+1, k)
				}
				break
			}
			if sep.kind != tokComma {
				return nil, sep.errorf("expected ',' or ']' in row %d, found %v", r, sep)
			}
		}
		sep := ps.next()
		if sep.kind == tokRBrack {
			if r+1 != k {
				return nil, open.errorf("the matrix has %d rows; want %d, one per mode", r+1, k)
			}
			return u, nil
		}
		if sep.kind != tokComma {
			return nil, sep.errorf("expected ',' or ']' after row %d, found %v", r, sep)
		}
	}
}

func (ps *parser) detect(kw token) error {
	t, err := ps.expect(tokWord, "a detector (pnr or threshold)")
	if err != nil {
		return err
	}
	var d Detector
	switch t.text {
	case "pnr":
		d = PNR
	case "threshold":
		d = Threshold
	default:
		return t.errorf("unknown detector %s%s; the detectors are pnr (photon-number resolving) and threshold (click)", irparse.Quote(t.text), suggest(t.text, detectorNames[:]))
	}
	seen := map[int]token{}
	modes, err := ps.modeList(seen)
	if err != nil {
		return err
	}
	if err := ps.end(); err != nil {
		return err
	}
	if len(modes) == 0 {
		modes = make([]int, ps.p.Modes)
		for i := range modes {
			modes[i] = i
		}
	}
	if ps.p.Detectors == nil {
		ps.p.Detectors = make([]Detector, ps.p.Modes)
	}
	for _, m := range modes {
		if ps.detected[m] {
			return kw.errorf("mode %d already has a detector from an earlier detect statement", m)
		}
		ps.detected[m] = true
		ps.p.Detectors[m] = d
	}
	return nil
}

// finish checks what the statements left undone and verifies.
func (ps *parser) finish(line, col int) (*Program, error) {
	if !ps.sawModes {
		return nil, errAt(line, col, "the program has no modes statement: it starts with modes N after the header")
	}
	if !ps.sawInput {
		return nil, errAt(line, col, "the program has no input statement: give the input state, as in input |1,0>")
	}
	if ps.p.Detectors == nil {
		ps.p.Detectors = make([]Detector, ps.p.Modes)
	}
	if err := Verify(ps.p); err != nil {
		return nil, err
	}
	return ps.p, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseInt reads a decimal integer from 0 to most.
func parseInt(s string, most int) (int, bool) {
	if !isDigits(s) || len(s) > 10 {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v > most {
		return 0, false
	}
	return v, true
}

// parseReal reads a finite real: a Go float literal, or a multiple of pi
// written [-][X*]pi[/Y] with X and Y float literals ("pi/2", "-3*pi/4").
func parseReal(s string) (float64, error) {
	before, after, isPi := strings.Cut(s, "pi")
	if !isPi {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !finite(x) {
			return 0, fmt.Errorf("not a finite number (write a decimal like 0.5 or a multiple of pi like 3*pi/4)")
		}
		return x, nil
	}
	x := math.Pi
	switch {
	case before == "":
	case before == "-":
		x = -x
	case strings.HasSuffix(before, "*"):
		f, err := strconv.ParseFloat(before[:len(before)-1], 64)
		if err != nil || !finite(f) {
			return 0, fmt.Errorf("want X*pi with X a number")
		}
		x *= f
	default:
		return 0, fmt.Errorf("want pi, -pi, X*pi, pi/Y or X*pi/Y")
	}
	switch {
	case after == "":
	case strings.HasPrefix(after, "/"):
		f, err := strconv.ParseFloat(after[1:], 64)
		if err != nil || !finite(f) || f == 0 {
			return 0, fmt.Errorf("want pi/Y with Y a non-zero number")
		}
		x /= f
	default:
		return 0, fmt.Errorf("want pi, -pi, X*pi, pi/Y or X*pi/Y")
	}
	if !finite(x) {
		return 0, fmt.Errorf("the value is not finite")
	}
	return x, nil
}

// parseComplex reads a finite complex number in Go's syntax: "0.5",
// "-0.5i", "0.5+0.5i", "1e-3-2i".
func parseComplex(s string) (complex128, error) {
	z, err := strconv.ParseComplex(s, 128)
	if err != nil || !finite(real(z)) || !finite(imag(z)) {
		return 0, fmt.Errorf("not a finite complex number (write 0.5, 0.5i or 0.5-0.5i)")
	}
	return z, nil
}
