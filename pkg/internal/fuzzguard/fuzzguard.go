// Package fuzzguard puts a time limit on each input of a fuzz target.
//
// Go's fuzzing has none. An input that hangs stalls its worker, and when
// -fuzztime runs out the coordinator stops without looking at it: the run
// passes (checked with go1.26). A fuzz body that starts each input with
// Start fails instead, two ways:
//
//   - the input gets a context that expires after Limit; a parser that
//     looks at its context returns ErrDeadlineExceeded, which Hang turns
//     into a failure, and done fails an input that ran past Limit anyway;
//     the fuzzer records the input under testdata/fuzz;
//   - an input still running at 3×Limit, one whose code never looks at
//     the context, makes a watchdog panic. The worker process dies, and the
//     fuzzer reports "fuzzing process hung or terminated unexpectedly",
//     fails, and records the input; re-running it with go test -run shows
//     the panic, which quotes the input.
//
// A body:
//
//	f.Fuzz(func(t *testing.T, src []byte) {
//		ctx, done := fuzzguard.Start(t, src)
//		defer done()
//		p, err := parse(ctx, src)
//		fuzzguard.Hang(t, err)
//		...
//	})
package fuzzguard

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// EnvLimit names the environment variable that overrides Limit (a Go
// duration, "5s"), for slow machines or a deliberately long look.
const EnvLimit = "SOKR_FUZZ_INPUT_LIMIT"

// The default limits. While fuzzing, inputs are small and the fuzz
// targets lower the parsers' limits, so each input takes milliseconds;
// one that takes 2 s is a hang (issue 15's slow inputs took 10 to 47 s).
// The seed corpus also runs under plain `go test`, maybe with -race (up to
// 20 times slower) on a loaded machine, so there the limit is looser.
const (
	fuzzingLimit = 2 * time.Second
	seedLimit    = 20 * time.Second
)

// watchdogFactor is how many limits an input may run before the watchdog
// kills the process: time for a parser that does look at its context to
// notice, return and fail cleanly first.
const watchdogFactor = 3

// Limit is the time one input may take: $SOKR_FUZZ_INPUT_LIMIT when set,
// else 2 s while fuzzing (-test.fuzz given) and 20 s otherwise.
func Limit() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(EnvLimit)); err == nil && d > 0 {
		return d
	}
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return fuzzingLimit
	}
	return seedLimit
}

// Start begins one input: ctx expires after Limit, and the watchdog is
// armed. Defer done: it disarms the watchdog, cancels ctx, and fails t
// when the input ran past Limit.
func Start(t testing.TB, input []byte) (ctx context.Context, done func()) {
	t.Helper()
	limit := Limit()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	watchdog := time.AfterFunc(watchdogFactor*limit, func() {
		panic(fmt.Sprintf("fuzzguard: %s: an input is still running after %v (the limit is %v): a hang that does not look at its context; the input (%d bytes): %s",
			t.Name(), watchdogFactor*limit, limit, len(input), quote(input)))
	})
	return ctx, func() {
		t.Helper()
		watchdog.Stop()
		cancel()
		if took := time.Since(start); took > limit {
			t.Fatalf("fuzzguard: the input took %v, more than the %v limit: a hang (%s sets the limit)", took.Round(time.Millisecond), limit, EnvLimit)
		}
	}
}

// Hang fails t when err is the input's context expiring (it matches
// context.DeadlineExceeded; sokr.ErrDeadlineExceeded does): the code under
// test noticed the limit, so the input is a hang, not a malformed input.
func Hang(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fuzzguard: the input ran into its %v limit: a hang: %v", Limit(), err)
	}
}

// quote renders at most 512 bytes of input as a Go string literal.
func quote(b []byte) string {
	const most = 512
	if len(b) > most {
		return fmt.Sprintf("%q...", b[:most])
	}
	return fmt.Sprintf("%q", b)
}
