// Package facade is the Go side of SOKR's Python package: a small set of
// functions over simple types (int64, float64, string, bool, uintptr) that
// gopy turns into the extension module sokr._sokr. python/sokr/_native.py is
// its only importer; everything users touch is hand-written Python.
//
// Handles are int64 tickets: runtimes, programs and dispatches each live in a
// table here until the Python side frees them. A Go error becomes a Python
// RuntimeError whose message is the error as JSON (see errorJSON), from which
// python/sokr raises the matching SokrError subclass with every detail the
// core gave (position, each substrate's refusal).
//
// Two encodings cross: raw buffers (an address and a size: numpy arrays,
// read in place, and the records Read fills) and JSON for everything else.
//
// Completions reach Python without Go calling into Python: each dispatch's
// OnComplete appends its ticket to a queue, and one Python pump thread drains
// it in batches with Completed, which blocks (with the GIL released) until
// something completes. Read is the one way a result leaves Go, for one
// ticket or a batch.
//
// The files, by concern:
//
//   - handles.go: the handle tables and the default runtime;
//   - runtime.go: runtimes (make, close, describe);
//   - programs.go: parsing, program info and sources, capability;
//   - parse.go: bounded, cancellable parses;
//   - dispatch.go: dispatch, the completion queue, wait and cancel;
//   - spec.go: the JSON input specs of numpy buffers, read by hand;
//   - results.go: Read, the one read path for completed dispatches;
//   - errors.go: errors as JSON, by the core's kinds (sokr.KindOf);
//   - pyir.go, pysubstrate.go, pyjobs.go: IRs and substrates written in
//     Python;
//   - quantum.go, basis.go, draw.go, neuro.go: the domain front-ends'
//     needs;
//   - plugins.go: C plugins.
//
// Nothing here switches on an IR's program types: what the facade shows of
// a program (signature, source, description) comes from the optional
// abilities of pkg/sokr (sokr.Signaturer, sokr.Sourcer, sokr.Describer),
// and a domain value crosses in its columnar form when it has one
// (sokr.Tabular: photonic counts), so that a new IR needs no change here.
package facade

import (
	"time"
	"unsafe"
)

// bytesAt views n bytes of foreign (C or numpy) memory at addr. The memory
// is not Go's, so the garbage collector neither moves nor frees it; the
// caller keeps it alive. (Reading the address through a pointer, rather
// than converting the uintptr, tells vet this is deliberate.)
func bytesAt(addr uintptr, n int64) []byte {
	if n == 0 {
		return nil
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n)
}

// bytesAddr is the address of b's first byte.
func bytesAddr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// seconds converts Python's float seconds, capped at 1e9 s so that a huge
// timeout does not overflow.
func seconds(s float64) time.Duration {
	if s > 1e9 {
		s = 1e9
	}
	return time.Duration(s * float64(time.Second))
}

// unixSeconds is t in Unix seconds, as Python's time.time; 0 for no time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// pyError carries an error to Python as JSON in its message.
type pyError struct{ json string }

func (e *pyError) Error() string { return e.json }

// fail converts err for Python (see errorJSON).
func fail(err error) error { return &pyError{json: errorJSON(err)} }
