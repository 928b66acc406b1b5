package sokr

import (
	"context"
	"fmt"
	"strings"
)

// Parse reads a program of the given format from src. With an empty format
// the format is detected: the first IR (in format order) whose Detect accepts
// src parses it. A panic inside a parser becomes a *ProgramError.
func (r *Runtime) Parse(ctx context.Context, format string, src []byte) (p Program, err error) {
	var ir IR
	if format == "" {
		var ok bool
		if ir, ok = r.Detect(src); !ok {
			return nil, fmt.Errorf("%w: no registered IR recognises this source (registered: %s)", ErrUnknownFormat, r.formats())
		}
	} else {
		var ok bool
		if ir, ok = r.IR(format); !ok {
			return nil, fmt.Errorf("%w: %q (registered: %s)", ErrUnknownFormat, format, r.formats())
		}
	}
	defer func() {
		if v := recover(); v != nil {
			p, err = nil, &ProgramError{Format: ir.Format(), Msg: fmt.Sprintf("the parser crashed: %v", v)}
		}
	}()
	return ir.Parse(ctx, src)
}

// Detect returns the IR that Parse with an empty format would use for src:
// the first (in format order) whose Detect accepts it.
//
//	if ir, ok := rt.Detect(src); ok { fmt.Println(ir.Format()) } // "openqasm/2"
func (r *Runtime) Detect(src []byte) (IR, bool) {
	for _, cand := range r.IRs() {
		if d, ok := cand.(Detector); ok && d.Detect(src) {
			return cand, true
		}
	}
	return nil, false
}

// Lower turns obj into a Program: a Program is returned as it is, text or
// bytes are parsed with format detection, and any other object goes to the
// first IR (in format order) whose Lowerer accepts it.
func (r *Runtime) Lower(ctx context.Context, obj any) (Program, error) {
	switch o := obj.(type) {
	case Program:
		return o, nil
	case []byte:
		return r.Parse(ctx, "", o)
	case string:
		return r.Parse(ctx, "", []byte(o))
	}
	for _, ir := range r.IRs() {
		if l, ok := ir.(Lowerer); ok && l.Accepts(obj) {
			return l.Lower(ctx, obj)
		}
	}
	return nil, fmt.Errorf("%w: no registered IR accepts a %T (registered: %s)", ErrUnknownFormat, obj, r.formats())
}

func (r *Runtime) formats() string {
	irs := r.IRs()
	if len(irs) == 0 {
		return "none"
	}
	f := make([]string, len(irs))
	for i, ir := range irs {
		f[i] = ir.Format()
	}
	return strings.Join(f, ", ")
}
