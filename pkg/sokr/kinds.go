package sokr

import (
	"context"
	"errors"
)

// ErrorKind names a kind of error: one per sentinel (ErrCancelled is
// "cancelled"), the same names in every front-end (Python's exception
// classes, libsokr's status codes), so that each maps from this one table
// instead of keeping its own.
type ErrorKind string

// The error kinds.
const (
	ErrorKindNoCapableSubstrate ErrorKind = "no_capable_substrate" // ErrNoCapableSubstrate
	ErrorKindInvalidProgram     ErrorKind = "invalid_program"      // ErrInvalidProgram
	ErrorKindInvalidInput       ErrorKind = "invalid_input"        // ErrInvalidInput
	ErrorKindDeadlineExceeded   ErrorKind = "deadline_exceeded"    // ErrDeadlineExceeded or context.DeadlineExceeded
	ErrorKindCancelled          ErrorKind = "cancelled"            // ErrCancelled or context.Canceled
	ErrorKindSubstrateFault     ErrorKind = "substrate_fault"      // ErrSubstrateFault
	ErrorKindClosed             ErrorKind = "closed"               // ErrClosed
	ErrorKindRegistration       ErrorKind = "registration"         // ErrRegistration
	ErrorKindAlreadyDone        ErrorKind = "already_done"         // ErrAlreadyDone
	ErrorKindUnknownFormat      ErrorKind = "unknown_format"       // ErrUnknownFormat
	// ErrorKindOther is an error of none of the core's kinds.
	ErrorKindOther ErrorKind = "error"
)

// errorKinds maps the sentinels to their kinds, most specific first: a
// deadline is also a cancellation to the context package, and a raw
// context error (from a substrate that returned ctx.Err()) counts as the
// runtime's own.
var errorKinds = [...]struct {
	err  error
	kind ErrorKind
}{
	{ErrNoCapableSubstrate, ErrorKindNoCapableSubstrate},
	{ErrInvalidProgram, ErrorKindInvalidProgram},
	{ErrInvalidInput, ErrorKindInvalidInput},
	{ErrDeadlineExceeded, ErrorKindDeadlineExceeded},
	{context.DeadlineExceeded, ErrorKindDeadlineExceeded},
	{ErrCancelled, ErrorKindCancelled},
	{context.Canceled, ErrorKindCancelled},
	{ErrSubstrateFault, ErrorKindSubstrateFault},
	{ErrClosed, ErrorKindClosed},
	{ErrRegistration, ErrorKindRegistration},
	{ErrAlreadyDone, ErrorKindAlreadyDone},
	{ErrUnknownFormat, ErrorKindUnknownFormat},
}

// KindOf names err's kind: the first of the sentinels (in the order of
// ErrorKinds) that err matches with errors.Is, ErrorKindOther for an error of
// none of them, "" for nil.
//
//	switch sokr.KindOf(err) { case sokr.ErrorKindCancelled: ... }
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return ErrorKindOther
}

// ErrorKinds lists every kind KindOf gives for a non-nil error, ErrorKindOther
// last, so that a front-end's test can check it has an answer for each.
func ErrorKinds() []ErrorKind {
	out := make([]ErrorKind, 0, len(errorKinds)+1)
	for _, k := range errorKinds {
		if len(out) == 0 || out[len(out)-1] != k.kind {
			out = append(out, k.kind)
		}
	}
	return append(out, ErrorKindOther)
}
