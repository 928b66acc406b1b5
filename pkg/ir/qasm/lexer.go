package qasm

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF      tokKind = iota
	tIdent            // names and keywords
	tInt              // integer literal (decimal, 0b, 0o, 0x)
	tFloat            // real literal
	tImag             // imaginary literal (1.5im)
	tDuration         // duration literal (100ns)
	tString           // "..." or '...'
	tHWQubit          // $3
	tPunct            // operators and punctuation
	tIllegal          // a character or literal that is not OpenQASM
)

// pos is a 1-based source position; columns count characters.
type pos struct{ line, col int }

// token is one lexical token. text holds identifiers, punctuation, the
// digits of numbers (underscores removed), string contents, or for
// tIllegal the error message.
type token struct {
	kind tokKind
	text string
	pos  pos
}

func (t token) is(s string) bool { return (t.kind == tPunct || t.kind == tIdent) && t.text == s }

// describe names a token in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return "string \"" + t.text + "\""
	case tHWQubit:
		return "\"$" + t.text + "\""
	}
	return "\"" + t.text + "\""
}

// puncts are the operators, longest first within each leading character.
var puncts = []string{
	"**=", "<<=", ">>=", "...",
	"**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++",
	"+=", "-=", "*=", "/=", "%=", "^=", "&=", "|=", "~=",
	"+", "-", "*", "/", "%", "^", "&", "|", "~", "!", "<", ">", "=",
	"@", ".", ",", ";", ":", "(", ")", "[", "]", "{", "}",
}

// punctsByByte lists puncts by their first byte.
var punctsByByte = func() (t [256][]string) {
	for _, s := range puncts {
		t[s[0]] = append(t[s[0]], s)
	}
	return t
}()

// timeUnits are OpenQASM 3's duration units.
var timeUnits = map[string]bool{"dt": true, "ns": true, "us": true, "µs": true, "ms": true, "s": true}

// lex splits src into tokens, ending with tEOF. Comments and #pragma lines
// are dropped; a malformed literal becomes a tIllegal token carrying the
// reason, so that the parser reports it only where it matters (the body
// of a defcal is skipped unread).
func lex(src []byte) []token {
	l := lexer{src: src, line: 1, col: 1}
	toks := make([]token, 0, len(src)/2+1)
	for {
		t := l.next()
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks
		}
	}
}

type lexer struct {
	src       []byte
	i         int
	line, col int
}

func (l *lexer) peek(k int) byte {
	if l.i+k < len(l.src) {
		return l.src[l.i+k]
	}
	return 0
}

// advance moves over n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for n > 0 && l.i < len(l.src) {
		r, size := utf8.DecodeRune(l.src[l.i:])
		l.i += size
		n -= size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

func (l *lexer) next() token {
	if bad, ok := l.skipSpace(); !ok {
		return token{kind: tIllegal, text: "unterminated /* comment", pos: bad}
	}
	p := pos{l.line, l.col}
	if l.i >= len(l.src) {
		return token{kind: tEOF, pos: p}
	}
	c := l.src[l.i]
	switch {
	case isDigit(c) || c == '.' && isDigit(l.peek(1)):
		return l.number(p)
	case c == '"' || c == '\'':
		return l.str(p, c)
	case c == '$':
		j := l.i + 1
		for j < len(l.src) && isDigit(l.src[j]) {
			j++
		}
		if j == l.i+1 {
			l.advance(1)
			return token{kind: tIllegal, text: "\"$\" must be followed by a physical qubit number", pos: p}
		}
		t := token{kind: tHWQubit, text: string(l.src[l.i+1 : j]), pos: p}
		l.advance(j - l.i)
		return t
	case c == '#':
		if l.hasWord("#pragma") {
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
			return l.next()
		}
		if l.hasWord("#dim") {
			l.advance(4)
			return token{kind: tIdent, text: "#dim", pos: p}
		}
		l.advance(1)
		return token{kind: tIllegal, text: "unexpected \"#\"", pos: p}
	}
	if r, size := utf8.DecodeRune(l.src[l.i:]); isIdentStart(r) {
		j := l.i + size
		for j < len(l.src) {
			r, size := utf8.DecodeRune(l.src[j:])
			if !isIdentStart(r) && !unicode.IsDigit(r) {
				break
			}
			j += size
		}
		t := token{kind: tIdent, text: string(l.src[l.i:j]), pos: p}
		l.advance(j - l.i)
		return t
	} else if r == utf8.RuneError && size <= 1 {
		l.advance(1)
		return token{kind: tIllegal, text: "invalid UTF-8", pos: p}
	}
	for _, s := range punctsByByte[c] {
		if l.i+len(s) <= len(l.src) && string(l.src[l.i:l.i+len(s)]) == s {
			l.advance(len(s))
			return token{kind: tPunct, text: s, pos: p}
		}
	}
	r, size := utf8.DecodeRune(l.src[l.i:])
	l.advance(size)
	return token{kind: tIllegal, text: "unexpected character " + quoteRune(r), pos: p}
}

func quoteRune(r rune) string {
	if unicode.IsPrint(r) {
		return "\"" + string(r) + "\""
	}
	return fmt.Sprintf("U+%04X", r)
}

func (l *lexer) hasWord(w string) bool {
	if l.i+len(w) > len(l.src) || string(l.src[l.i:l.i+len(w)]) != w {
		return false
	}
	if l.i+len(w) < len(l.src) {
		r, _ := utf8.DecodeRune(l.src[l.i+len(w):])
		return !isIdentStart(r) && !unicode.IsDigit(r)
	}
	return true
}

// skipSpace skips white space and comments. It reports false, with the
// comment's start, for an unterminated block comment.
func (l *lexer) skipSpace() (pos, bool) {
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance(1)
		case c == '/' && l.peek(1) == '/':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.peek(1) == '*':
			start := pos{l.line, l.col}
			end := bytes.Index(l.src[l.i+2:], []byte("*/"))
			if end < 0 {
				l.advance(len(l.src) - l.i)
				return start, false
			}
			l.advance(end + 4)
		default:
			return pos{}, true
		}
	}
	return pos{}, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && unicode.IsLetter(r)
}

// digits scans digits accepted by ok, allowing single underscores between
// two digits, and returns them without underscores.
func (l *lexer) digits(j int, ok func(byte) bool) (string, int) {
	var b []byte
	for j < len(l.src) {
		c := l.src[j]
		if ok(c) {
			b = append(b, c)
			j++
			continue
		}
		if c == '_' && len(b) > 0 && j+1 < len(l.src) && ok(l.src[j+1]) {
			j++
			continue
		}
		break
	}
	return string(b), j
}

// number scans an integer, real, imaginary or duration literal.
func (l *lexer) number(p pos) token {
	j := l.i
	if l.src[j] == '0' && j+1 < len(l.src) {
		var ok func(byte) bool
		switch l.src[j+1] {
		case 'b', 'B':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'x', 'X':
			ok = func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
		}
		if ok != nil {
			d, end := l.digits(j+2, ok)
			if d == "" {
				l.advance(2)
				return token{kind: tIllegal, text: "malformed integer literal " + string(l.src[j:j+2]), pos: p}
			}
			t := token{kind: tInt, text: string(l.src[j:j+2]) + d, pos: p}
			l.advance(end - l.i)
			return t
		}
	}
	intPart, j := l.digits(j, isDigit)
	text, kind := intPart, tInt
	if j < len(l.src) && l.src[j] == '.' && !(j+1 < len(l.src) && l.src[j+1] == '.') {
		frac, end := l.digits(j+1, isDigit)
		text, kind, j = text+"."+frac, tFloat, end
	}
	if j < len(l.src) && (l.src[j] == 'e' || l.src[j] == 'E') {
		k := j + 1
		if k < len(l.src) && (l.src[k] == '+' || l.src[k] == '-') {
			k++
		}
		if exp, end := l.digits(k, isDigit); exp != "" {
			text, kind, j = text+"e"+string(l.src[j+1:k])+exp, tFloat, end
		}
	}
	// A unit or "im" right after the number makes a duration or imaginary.
	k := j
	for k < len(l.src) {
		r, size := utf8.DecodeRune(l.src[k:])
		if !isIdentStart(r) {
			break
		}
		k += size
	}
	suffix := string(l.src[j:k])
	switch {
	case timeUnits[suffix]:
		kind, text, j = tDuration, text+suffix, k
	case suffix == "im":
		kind, j = tImag, k
	}
	t := token{kind: kind, text: text, pos: p}
	l.advance(j - l.i)
	return t
}

// str scans a string literal delimited by q on one line.
func (l *lexer) str(p pos, q byte) token {
	j := l.i + 1
	for j < len(l.src) && l.src[j] != q && l.src[j] != '\n' {
		j++
	}
	if j >= len(l.src) || l.src[j] != q {
		l.advance(j - l.i)
		return token{kind: tIllegal, text: "unterminated string", pos: p}
	}
	t := token{kind: tString, text: string(l.src[l.i+1 : j]), pos: p}
	l.advance(j + 1 - l.i)
	return t
}
