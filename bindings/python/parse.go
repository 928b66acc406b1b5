package facade

import (
	"context"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// A parse is bounded and cancellable: Python's _async calls return at once
// and parse on a worker thread, under the deadline of the dispatch they
// start (its timeout option), and cancelling their future cancels the
// parse. Python makes the parse's context when the call begins (NewParse),
// so that the deadline counts from there, parses under it (ParseIn), and
// frees it when the call has dispatched or failed (EndParse).

// parses are the contexts of the parses Python has begun, by token.
var parses = handles[*parseCtx]{}

type parseCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// NewParse makes a context for the parses of one call, ending timeout
// seconds from now (never when timeout <= 0), and returns its token.
func NewParse(timeout float64) int64 {
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, seconds(timeout))
		cancelParent := cancel
		cancel = func() { stop(); cancelParent() }
	}
	return parses.put(&parseCtx{ctx: ctx, cancel: cancel})
}

// CancelParse cancels the parses of token: ParseIn returns ErrCancelled at
// once. It reports whether the token was live.
func CancelParse(token int64) bool {
	p, ok := parses.get(token)
	if ok {
		p.cancel()
	}
	return ok
}

// EndParse frees token's context.
func EndParse(token int64) {
	if p, ok := parses.get(token); ok {
		p.cancel()
		parses.drop(token)
	}
}

// ParseIn is Parse under token's context: it returns when the parse ends or
// when the context does (cancelled, or past its deadline: then with an
// error matching ErrCancelled or ErrDeadlineExceeded), whichever comes
// first. The parsers check the context as they go; one that missed it
// finishes in the background and its program is dropped. An unknown token
// (0, or freed) parses with no deadline.
func ParseIn(token, rt int64, format string, addr uintptr, n int64) (int64, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return 0, fail(err)
	}
	ctx := context.Background()
	if p, ok := parses.get(token); ok {
		ctx = p.ctx
	}
	src := append([]byte(nil), bytesAt(addr, n)...)
	type parsed struct {
		p   sokr.Program
		err error
	}
	done := make(chan parsed, 1)
	go func() {
		p, err := parseSource(ctx, r, format, src)
		done <- parsed{p, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return 0, fail(res.err)
		}
		return programs.put(res.p), nil
	case <-ctx.Done():
		return 0, fail(sokr.ContextError(ctx))
	}
}

// parseSource parses src as format (detected when empty). The IR keeps
// the source with the program if it can give it back (sokr.Sourcer).
func parseSource(ctx context.Context, r *sokr.Runtime, format string, src []byte) (sokr.Program, error) {
	if format == "" {
		if ir, ok := r.Detect(src); ok {
			format = ir.Format()
		}
	}
	return r.Parse(ctx, format, src)
}

// StartDeferred starts the runtime's deferred substrates (the Vulkan
// devices; see sokr.Deferred), for a listing that shows what is there.
func StartDeferred(rt int64) error {
	r, err := runtimeFor(rt)
	if err != nil {
		return fail(err)
	}
	r.StartDeferred()
	return nil
}
