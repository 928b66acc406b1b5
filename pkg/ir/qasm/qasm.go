package qasm

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The formats of the two IR plugins (Program.Source).
const (
	Format2 = "openqasm/2"
	Format3 = "openqasm/3"
)

// Parse reads an OpenQASM program and lowers it to a circuit. The version
// comes from the header (OPENQASM 2.0; or OPENQASM 3; / 3.0;); without
// one the program is OpenQASM 3, as that specification says. Errors are
// *sokr.ProgramError values with the 1-based line and column (counted in
// characters) of the fault. Constructs that parse but cannot be simulated
// are listed in the Program's Unsupported field instead.
func Parse(src []byte) (*circuit.Program, error) { return parse(context.Background(), src, 0) }

// IR is the sokr.IR plugin for one OpenQASM version.
type IR struct{ version int }

// NewIR2 returns the plugin for OpenQASM 2.0, format "openqasm/2".
// It reads header-less sources as OpenQASM 2.
func NewIR2() IR { return IR{version: 2} }

// NewIR3 returns the plugin for OpenQASM 3, format "openqasm/3".
func NewIR3() IR { return IR{version: 3} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
)

// Format returns "openqasm/2" or "openqasm/3".
func (ir IR) Format() string { return formatOf(ir.version) }

// Parse reads a program of the plugin's version, after checking that ctx
// is live. A header naming the other version is an error. A cancelled or
// expired ctx gives sokr.ErrCancelled or sokr.ErrDeadlineExceeded; on
// error the Program is nil. The circuit keeps a copy of src in its Text.
func (ir IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*circuit.Program, error) {
		p, err := parse(ctx, src, ir.version)
		if err == nil && p != nil {
			p.Text = bytes.Clone(src) // for ProgramSource; the caller's bytes may change
		}
		return p, err
	})
}

// Detect reports whether src is OpenQASM of the plugin's version: its
// header names that version, or, for OpenQASM 3, it has no header and
// starts with a statement only OpenQASM reads (include "...", qubit,
// qreg, gate, input, ...). A source that starts with OPENQASM is always
// claimed, a malformed header too ("OPENQASM 3 3;", "OPENQASM 4;": by the
// OpenQASM 3 plugin unless it names 2), so that the parser says what is
// wrong and where rather than "unknown program format".
func (ir IR) Detect(src []byte) bool {
	l := lexer{src: src, line: 1, col: 1}
	t0, t1, t2 := l.next(), l.next(), l.next()
	if t0.is("OPENQASM") {
		if v, ok := versionOf(t1); ok {
			return v == ir.version
		}
		return ir.version == 3
	}
	if ir.version != 3 || t0.kind != tIdent {
		return false
	}
	switch t0.text {
	case "include", "defcalgrammar":
		return t1.kind == tString && t2.is(";")
	case "qubit", "bit", "creg", "qreg":
		return t1.kind == tIdent || t1.is("[")
	case "gate", "def", "extern", "input", "output", "const", "opaque":
		return t1.kind == tIdent
	}
	return false
}

func formatOf(version int) string {
	if version == 2 {
		return Format2
	}
	return Format3
}

// versionOf reads the version number of a header.
func versionOf(t token) (int, bool) {
	if t.kind != tInt && t.kind != tFloat {
		return 0, false
	}
	major, minor, _ := strings.Cut(t.text, ".")
	if minor != "" && strings.Trim(minor, "0123456789") != "" {
		return 0, false
	}
	switch major {
	case "2":
		return 2, true
	case "3":
		return 3, true
	}
	return 0, false
}

// parse reads a program; want is the version a plugin insists on (0:
// any, from the header). Parsing and lowering look at ctx every
// irparse.PollEvery statements, loop iterations and ops.
func parse(ctx context.Context, src []byte, want int) (*circuit.Program, error) {
	poll := irparse.NewPoll(ctx)
	toks := lex(src)
	version, start := want, 0
	if version == 0 {
		version = 3
	}
	if toks[0].is("OPENQASM") {
		v, ok := versionOf(toks[1])
		switch {
		case toks[1].kind == tIllegal:
			return nil, programError(version, toks[1].pos, toks[1].text)
		case toks[1].kind != tInt && toks[1].kind != tFloat:
			return nil, programError(version, toks[1].pos, "expected a version number after OPENQASM, found "+toks[1].describe())
		case !ok:
			return nil, programError(version, toks[1].pos, "unsupported OpenQASM version "+toks[1].text+": SOKR reads 2.0 and 3")
		case want != 0 && v != want:
			return nil, programError(want, toks[1].pos, "the program declares OpenQASM "+toks[1].text+"; read it as "+formatOf(v))
		case !toks[2].is(";"):
			t := toks[2]
			if t.kind == tIllegal {
				return nil, programError(v, t.pos, t.text)
			}
			return nil, programError(v, t.pos, "expected \";\" after the OPENQASM version, found "+t.describe())
		}
		version, start = v, 3
	}
	p := &parser{toks: toks, i: start, version: version, poll: &poll}
	stmts, err := p.parseProgram()
	if err != nil {
		return nil, toProgramError(version, err)
	}
	hwMax := -1
	for _, t := range toks {
		if t.kind == tHWQubit {
			n, err := strconv.Atoi(t.text)
			if err != nil || n >= circuit.MaxQubits {
				return nil, programError(version, t.pos, "physical qubit $"+t.text+": at most "+strconv.Itoa(circuit.MaxQubits)+" qubits are allowed")
			}
			hwMax = max(hwMax, n)
		}
	}
	l := newLowerer(version, formatOf(version))
	l.poll = &poll
	if err := l.lowerProgram(stmts, hwMax); err != nil {
		return nil, toProgramError(version, err)
	}
	if err := l.prog.Validate(); err != nil {
		var pe *sokr.ProgramError
		if errors.As(err, &pe) {
			pe.Format = formatOf(version)
			if pe.Pos.Line == 0 {
				pe.Pos = sokr.Position{Line: 1, Col: 1}
			}
			return nil, pe
		}
		return nil, programError(version, pos{1, 1}, err.Error())
	}
	return l.prog, nil
}

func programError(version int, p pos, msg string) error {
	return &sokr.ProgramError{Format: formatOf(version), Pos: sokr.Position{Line: p.line, Col: p.col}, Msg: msg}
}

// toProgramError converts the lowering's errors; a cancelled or expired
// context's stays as it is.
func toProgramError(version int, err error) error {
	if errors.Is(err, sokr.ErrCancelled) || errors.Is(err, sokr.ErrDeadlineExceeded) {
		return err
	}
	var se *syntaxError
	if errors.As(err, &se) {
		return programError(version, se.p, se.msg)
	}
	var ue *unsupportedError
	if errors.As(err, &ue) {
		return programError(version, ue.p, "unsupported: "+ue.feature)
	}
	switch {
	case errors.Is(err, errBreak), errors.Is(err, errContinue):
		return programError(version, pos{1, 1}, "break or continue outside a loop")
	case errors.Is(err, errReturn):
		return programError(version, pos{1, 1}, "return outside a subroutine")
	}
	return programError(version, pos{1, 1}, err.Error())
}
