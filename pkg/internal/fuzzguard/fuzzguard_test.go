package fuzzguard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
)

// childEnv selects what this test binary does when a test below starts it
// again as a child process: "ctx" waits for the input's context, "slow"
// sleeps past the limit without looking at it, "spin" never returns, and
// "hang" makes FuzzSelf hang on every input longer than one byte.
const childEnv = "FUZZGUARD_TEST_CHILD"

// FuzzSelf checks that a quick input passes with its context live. With
// FUZZGUARD_TEST_CHILD=hang (TestFuzzerFailsOnHang) it hangs instead.
func FuzzSelf(f *testing.F) {
	f.Add([]byte("a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, done := fuzzguard.Start(t, b)
		defer done()
		if os.Getenv(childEnv) == "hang" && len(b) > 1 {
			for {
				time.Sleep(time.Hour)
			}
		}
		require.NoError(t, ctx.Err())
	})
}

// asChild runs the child's body when this process is one (and returns
// true): a test below started it with childEnv set to mode.
func asChild(t *testing.T) bool {
	mode := os.Getenv(childEnv)
	if mode == "" || mode == "hang" {
		return false
	}
	ctx, done := fuzzguard.Start(t, []byte("the input"))
	defer done()
	switch mode {
	case "ctx":
		<-ctx.Done()
		fuzzguard.Hang(t, ctx.Err())
	case "slow":
		time.Sleep(2 * fuzzguard.Limit())
	case "spin":
		for {
			time.Sleep(time.Hour)
		}
	}
	return true
}

// child runs the calling test again in a child process, in mode, with a
// 100 ms limit, and returns its output; the child must fail.
func child(t *testing.T, mode string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, fuzzguard.EnvLimit+"=100ms")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child passed:\n%s", out)
	return string(out)
}

func TestLimit(t *testing.T) {
	t.Setenv(fuzzguard.EnvLimit, "")
	assert.Equal(t, 20*time.Second, fuzzguard.Limit(), "not fuzzing: the seed corpus's limit")
	t.Setenv(fuzzguard.EnvLimit, "350ms")
	assert.Equal(t, 350*time.Millisecond, fuzzguard.Limit())
	t.Setenv(fuzzguard.EnvLimit, "soon")
	assert.Equal(t, 20*time.Second, fuzzguard.Limit(), "an unreadable setting is ignored")
}

// TestInputThatHitsItsContext: code that looks at its context returns at
// the limit, and the input fails as a hang.
func TestInputThatHitsItsContext(t *testing.T) {
	if asChild(t) {
		return
	}
	out := child(t, "ctx")
	assert.Contains(t, out, "fuzzguard: the input ran into its 100ms limit: a hang: context deadline exceeded")
}

// TestInputPastItsLimit: an input that ends, but after the limit, fails.
func TestInputPastItsLimit(t *testing.T) {
	if asChild(t) {
		return
	}
	out := child(t, "slow")
	assert.Contains(t, out, "more than the 100ms limit: a hang (SOKR_FUZZ_INPUT_LIMIT sets the limit)")
}

// TestWatchdog: an input that never returns and never looks at its
// context kills the process, quoting the input.
func TestWatchdog(t *testing.T) {
	if asChild(t) {
		return
	}
	out := child(t, "spin")
	assert.Contains(t, out, `panic: fuzzguard: TestWatchdog: an input is still running after 300ms (the limit is 100ms): a hang that does not look at its context; the input (9 bytes): "the input"`)
}

// TestFuzzerFailsOnHang runs FuzzSelf under the fuzzer with inputs that
// hang: the run fails and records the input. Without fuzzguard the same
// run passes (the stalled worker is ignored when -fuzztime runs out).
func TestFuzzerFailsOnHang(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.fuzz=^FuzzSelf$", "-test.fuzztime=60s",
		"-test.parallel=1", "-test.fuzzcachedir="+filepath.Join(dir, "cache"))
	cmd.Dir = dir // the failing input is written under testdata/fuzz here
	cmd.Env = append(os.Environ(), childEnv+"=hang", fuzzguard.EnvLimit+"=100ms")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the fuzzer passed:\n%s", out)
	require.NoError(t, ctx.Err(), "the fuzzer itself hung:\n%s", out)
	assert.Contains(t, string(out), "fuzzing process hung or terminated unexpectedly")
	found, err := filepath.Glob(filepath.Join(dir, "testdata", "fuzz", "FuzzSelf", "*"))
	require.NoError(t, err)
	assert.NotEmpty(t, found, "no failing input recorded:\n%s", out)
}
