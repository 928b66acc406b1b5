// Package irparse is what every IR plugin's Parse (and Lower) method does
// around its parser: check the context first, turn a context failure into
// sokr.ErrCancelled or sokr.ErrDeadlineExceeded, and hand back a nil
// sokr.Program on error.
//
// The last point is why the helper exists. Returning a nil *Program as a
// sokr.Program gives a non-nil interface that holds a nil pointer, so a
// caller's `p != nil` check passes and the next method call crashes; each
// IR used to carry its own copy of the wrapper, and one of them had this
// bug (and passed ctx.Err() through raw, which does not match
// sokr.ErrCancelled). One generic function removes the class of bug.
//
// Poll lets a long parse or lowering notice a cancelled or expired context
// without paying for a check on every step. Quote, StripComment, IsSpace
// and TrimSpace are the lexing helpers the line-oriented text formats
// (native, photonic) share.
package irparse

import (
	"context"
	"errors"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Run calls parse after checking that ctx is live, for an IR plugin's Parse
// or Lower method:
//
//	func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
//		return irparse.Run(ctx, func(ctx context.Context) (*Program, error) { return parse(ctx, src) })
//	}
//
// On error the Program is a nil interface, never a nil *T inside one. A
// context error from parse (raw or already converted) comes back matching
// sokr.ErrCancelled or sokr.ErrDeadlineExceeded, and also context.Canceled
// or context.DeadlineExceeded. A nil ctx counts as context.Background().
func Run[T any, P interface {
	*T
	sokr.Program
}](ctx context.Context, parse func(context.Context) (P, error)) (sokr.Program, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	p, err := parse(ctx)
	if err != nil {
		return nil, contextKind(ctx, err)
	}
	if p == nil {
		// A parser bug, not the user's: say so rather than return a nil
		// Program with a nil error.
		return nil, &sokr.ProgramError{Msg: "the parser returned no program and no error"}
	}
	return p, nil
}

// contextKind gives a raw context error the sokr kinds; other errors pass
// through.
func contextKind(ctx context.Context, err error) error {
	if errors.Is(err, sokr.ErrCancelled) || errors.Is(err, sokr.ErrDeadlineExceeded) {
		return err
	}
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if cerr := sokr.ContextError(ctx); cerr != nil {
		return cerr
	}
	// A context error from some other context (one the parser made):
	// still the kind the runtime documents.
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", sokr.ErrDeadlineExceeded, err)
	}
	return fmt.Errorf("%w: %w", sokr.ErrCancelled, err)
}

// PollEvery is how many Tick calls go by between two looks at the context.
// A look at a cancellable context takes a lock (tens of nanoseconds); one
// in 1024 steps keeps that under a percent of a parser's step, and even a
// slow step (a microsecond) notices cancellation within a millisecond.
const PollEvery = 1024

// Poll checks a context every PollEvery steps. The zero Poll never reports
// anything (it has no context).
type Poll struct {
	ctx context.Context
	n   uint32
}

// NewPoll returns a Poll of ctx; a nil ctx never expires.
func NewPoll(ctx context.Context) Poll { return Poll{ctx: ctx} }

// Tick counts one step and, every PollEvery steps, returns the context's
// error as sokr.ContextError gives it (nil while the context is live). A
// nil *Poll never reports anything.
func (p *Poll) Tick() error {
	if p == nil {
		return nil
	}
	if p.n++; p.n%PollEvery != 0 {
		return nil
	}
	return p.Check()
}

// Check looks at the context now.
func (p *Poll) Check() error {
	if p == nil || p.ctx == nil {
		return nil
	}
	return sokr.ContextError(p.ctx)
}
