package facade

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// stuckIR parses format "stuck/1" by waiting for release, whatever its
// context says: a parser that does not check it.
type stuckIR struct {
	entered chan struct{}
	release chan struct{}
}

func (ir *stuckIR) Format() string { return "stuck/1" }

func (ir *stuckIR) Parse(context.Context, []byte) (sokr.Program, error) {
	ir.entered <- struct{}{}
	<-ir.release
	return sokrtest.Program{Fmt: "stuck/1"}, nil
}

func parseIn(token, rt int64, format, src string) (int64, error) {
	b := []byte(src)
	defer runtime.KeepAlive(b)
	return ParseIn(token, rt, format, addr(b), int64(len(b)))
}

func TestParseInDeadlineAndCancel(t *testing.T) {
	rt, err := NewRuntime(`["cpu"]`, "", "")
	require.NoError(t, err)
	defer func() { require.NoError(t, CloseRuntime(rt, 5)) }()
	r, _ := runtimes.get(rt)
	ir := &stuckIR{entered: make(chan struct{}, 4), release: make(chan struct{})}
	require.NoError(t, r.RegisterIR(ir))
	defer close(ir.release)

	// A parse that finishes in time gives a program.
	tok := NewParse(60)
	prog, err := parseIn(tok, rt, "", axpy)
	require.NoError(t, err)
	FreeProgram(prog)
	EndParse(tok)

	// Past its deadline, a parser that ignores its context is left behind:
	// ParseIn returns the deadline's error.
	tok = NewParse(0.05)
	_, err = parseIn(tok, rt, "stuck/1", "x")
	assert.Equal(t, "deadline_exceeded", errInfo(t, err).Kind)
	EndParse(tok)

	// Cancelled while it runs.
	tok = NewParse(0)
	errc := make(chan error, 1)
	go func() {
		_, err := parseIn(tok, rt, "stuck/1", "x")
		errc <- err
	}()
	<-ir.entered
	assert.True(t, CancelParse(tok))
	assert.Equal(t, "cancelled", errInfo(t, <-errc).Kind)
	EndParse(tok)
	assert.False(t, CancelParse(tok), "a freed token")

	// Cancelled before it starts; an unknown token has no deadline.
	tok = NewParse(0)
	CancelParse(tok)
	_, err = parseIn(tok, rt, "", axpy)
	assert.Equal(t, "cancelled", errInfo(t, err).Kind)
	EndParse(tok)
	prog, err = parseIn(0, rt, "", axpy)
	require.NoError(t, err)
	FreeProgram(prog)

	// Parse errors come through as they are.
	_, err = parseIn(0, rt, "", "sokr.native/1\nreturn x\n")
	assert.Equal(t, "invalid_program", errInfo(t, err).Kind)
}
