package facade

import (
	"bytes"
	"context"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// pyProgram is a program of a Python IR: its bytes, opaque to Go.
type pyProgram struct {
	format string
	src    []byte
}

func (p *pyProgram) Format() string                  { return p.format }
func (p *pyProgram) Requirements() sokr.Requirements { return sokr.Requirements{} }

// ProgramSource returns the bytes: they are the source.
func (p *pyProgram) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: p.format, Bytes: p.src}, true
}

// pyIR is a Python IR plugin's format: Parse keeps the bytes.
type pyIR struct{ format string }

func (ir pyIR) Format() string { return ir.format }
func (ir pyIR) Parse(_ context.Context, src []byte) (sokr.Program, error) {
	return &pyProgram{format: ir.format, src: bytes.Clone(src)}, nil
}

// RegisterPyIR registers format, a Python IR plugin's, in runtime rt (0:
// the default runtime): programs of it are held as bytes, for substrates
// written in Python.
func RegisterPyIR(rt int64, format string) error {
	r, err := runtimeFor(rt)
	if err != nil {
		return fail(err)
	}
	if err := r.RegisterIR(pyIR{format: format}); err != nil {
		return fail(err)
	}
	return nil
}

// UnregisterPyIR removes a format RegisterPyIR added; it reports whether
// there was one (a built-in IR of that name is left alone).
func UnregisterPyIR(rt int64, format string) bool {
	r, err := runtimeFor(rt)
	if err != nil {
		return false
	}
	if ir, ok := r.IR(format); !ok || ir != (pyIR{format: format}) {
		return false
	}
	return r.UnregisterIR(format)
}
