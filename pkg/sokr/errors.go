package sokr

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the runtime returns matches exactly one of these
// with errors.Is; the concrete types below carry the detail.
var (
	// ErrNoCapableSubstrate: no registered substrate can fulfil the program.
	// The concrete error is a *NoCapableError listing every refusal.
	ErrNoCapableSubstrate = errors.New("sokr: no capable substrate")
	// ErrInvalidProgram: the program text or object is malformed or fails
	// verification. The concrete error is a *ProgramError with a position.
	ErrInvalidProgram = errors.New("sokr: invalid program")
	// ErrInvalidInput: the inputs given to Dispatch do not match the program
	// (count, dtype, shape). The concrete error is an *InputError.
	ErrInvalidInput = errors.New("sokr: invalid input")
	// ErrCancelled: the future was cancelled, by Future.Cancel or by the
	// dispatch context. It also matches context.Canceled.
	ErrCancelled = errors.New("sokr: cancelled")
	// ErrDeadlineExceeded: the dispatch deadline passed before completion.
	// It also matches context.DeadlineExceeded.
	ErrDeadlineExceeded = errors.New("sokr: deadline exceeded")
	// ErrSubstrateFault: a substrate failed while running: it panicked or
	// reported an internal failure. The concrete error is a *FaultError.
	ErrSubstrateFault = errors.New("sokr: substrate fault")
	// ErrClosed: the runtime was shut down; no new dispatches are accepted.
	ErrClosed = errors.New("sokr: runtime closed")
	// ErrRegistration: a plugin or substrate could not be registered (nil,
	// empty or duplicate name, or a failed start).
	ErrRegistration = errors.New("sokr: registration failed")
	// ErrAlreadyDone: Future.Cancel was called on a future that had already
	// completed; the completed result stands.
	ErrAlreadyDone = errors.New("sokr: future already completed")
	// ErrUnknownFormat: no IR plugin is registered for a format, or none
	// recognises the source.
	ErrUnknownFormat = errors.New("sokr: unknown program format")
)

// Position locates a fault in a program's source. Fields that do not apply
// to a format are zero: text IRs set Line and Col (1-based), graph IRs set
// Node, binary IRs set Offset and the Unit it counts in ("word" for
// SPIR-V's 32-bit words; empty means bytes).
type Position struct {
	Line   int
	Col    int
	Node   string
	Offset int64
	Unit   string
}

// IsZero reports whether p carries no location.
func (p Position) IsZero() bool { return p == Position{} }

// String renders the position as "line:col", "node NAME", "offset N",
// "UNIT N" or a combination.
func (p Position) String() string {
	var parts []string
	if p.Line > 0 {
		parts = append(parts, fmt.Sprintf("%d:%d", p.Line, p.Col))
	}
	if p.Node != "" {
		parts = append(parts, "node "+p.Node)
	}
	switch {
	case p.Unit != "":
		parts = append(parts, fmt.Sprintf("%s %d", p.Unit, p.Offset))
	case p.Offset > 0:
		parts = append(parts, fmt.Sprintf("offset %d", p.Offset))
	}
	return strings.Join(parts, ", ")
}

// ProgramError reports a malformed or invalid program. It matches
// ErrInvalidProgram.
type ProgramError struct {
	Format string   // IR format, e.g. "sokr.native/1"
	Pos    Position // where; zero when the fault is global
	Msg    string   // what, in words a user can act on
}

// Error describes the format, position and message.
func (e *ProgramError) Error() string {
	var b strings.Builder
	b.WriteString("sokr: invalid program")
	if e.Format != "" {
		b.WriteString(" (" + e.Format + ")")
	}
	if !e.Pos.IsZero() {
		b.WriteString(" at " + e.Pos.String())
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidProgram) true.
func (e *ProgramError) Is(target error) bool { return target == ErrInvalidProgram }

// InputError reports dispatch inputs that do not fit the program. It matches
// ErrInvalidInput.
type InputError struct {
	Index int    // position of the input, -1 when the fault is the count
	Name  string // the program's name for that input, if any
	Msg   string
}

// Error describes the input and what is wrong with it.
func (e *InputError) Error() string {
	switch {
	case e.Index < 0:
		return "sokr: invalid input: " + e.Msg
	case e.Name != "":
		return fmt.Sprintf("sokr: invalid input %d (%s): %s", e.Index, e.Name, e.Msg)
	default:
		return fmt.Sprintf("sokr: invalid input %d: %s", e.Index, e.Msg)
	}
}

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// NoCapableError lists why each substrate refused a program. It matches
// ErrNoCapableSubstrate.
type NoCapableError struct {
	Format string
	Offers []Offer // every substrate's answer, sorted by substrate name
	Policy error   // set when substrates were capable but the policy chose none
}

// Error describes every substrate's refusal.
func (e *NoCapableError) Error() string {
	var b strings.Builder
	b.WriteString("sokr: no capable substrate")
	if e.Format != "" {
		b.WriteString(" for " + e.Format)
	}
	sep := ": "
	switch {
	case e.Policy != nil:
		b.WriteString(": policy chose none: " + e.Policy.Error())
		sep = "; "
	case len(e.Offers) == 0:
		b.WriteString(": no substrates registered")
		return b.String()
	}
	// The refusals, also beside a policy error: a policy pinned to a
	// substrate that refused fails with that substrate's reason.
	for _, o := range e.Offers {
		if o.OK {
			continue
		}
		b.WriteString(sep + o.Substrate + ": " + o.Reason)
		sep = "; "
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoCapableSubstrate) true.
func (e *NoCapableError) Is(target error) bool { return target == ErrNoCapableSubstrate }

// FaultError reports a substrate that failed while running a program. A
// recovered panic sets Panic and Stack. It matches ErrSubstrateFault.
type FaultError struct {
	Substrate string
	Msg       string
	Panic     any    // the recovered value, nil when the substrate reported the fault
	Stack     string // goroutine stack at the panic, empty otherwise
	Err       error  // underlying cause, if any
}

// Error describes the substrate and the panic or message.
func (e *FaultError) Error() string {
	msg := e.Msg
	if e.Panic != nil {
		msg = fmt.Sprintf("panic: %v", e.Panic)
	}
	if e.Err != nil && msg == "" {
		msg = e.Err.Error()
	}
	return "sokr: substrate " + e.Substrate + " faulted: " + msg
}

// Is makes errors.Is(err, ErrSubstrateFault) true.
func (e *FaultError) Is(target error) bool { return target == ErrSubstrateFault }

// Unwrap returns the underlying cause.
func (e *FaultError) Unwrap() error { return e.Err }

// RegistrationError names the plugin that could not be registered. It
// matches ErrRegistration.
type RegistrationError struct {
	Name string
	Msg  string
	Err  error
}

// Error describes the name and why it was refused.
func (e *RegistrationError) Error() string {
	name := e.Name
	if name == "" {
		name = "(empty name)"
	}
	s := "sokr: register " + name + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrRegistration) true.
func (e *RegistrationError) Is(target error) bool { return target == ErrRegistration }

// Unwrap returns the underlying cause.
func (e *RegistrationError) Unwrap() error { return e.Err }

// ctxError carries a context failure as the runtime's own kind while still
// matching the context package's sentinel.
type ctxError struct {
	kind  error // ErrCancelled or ErrDeadlineExceeded
	cause error // context.Canceled, context.DeadlineExceeded, or a custom cause
}

func (e *ctxError) Error() string {
	if e.cause != nil && e.cause != context.Canceled && e.cause != context.DeadlineExceeded {
		return e.kind.Error() + ": " + e.cause.Error()
	}
	return e.kind.Error()
}

func (e *ctxError) Is(target error) bool {
	if target == e.kind {
		return true
	}
	if e.kind == ErrCancelled {
		return target == context.Canceled
	}
	return target == context.DeadlineExceeded
}

func (e *ctxError) Unwrap() error { return e.cause }

// ContextError converts a context's error into ErrCancelled or
// ErrDeadlineExceeded (which still match context.Canceled and
// context.DeadlineExceeded). It returns nil for a live context.
func ContextError(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	cause := context.Cause(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return &ctxError{kind: ErrDeadlineExceeded, cause: cause}
	}
	if cause != nil && (errors.Is(cause, ErrCancelled) || errors.Is(cause, ErrDeadlineExceeded)) {
		return cause
	}
	return &ctxError{kind: ErrCancelled, cause: cause}
}
