// Package ulimit runs a test's helper program under an address-space
// limit (`ulimit -v`), for the tests that prove a run survives one.
//
// The helper is built apart from the test binary, without the race
// detector, whose shadow memory reserves more address space than any such
// limit allows:
//
//	bin := ulimit.Build(t, "./testdata/admission")
//	out, err := ulimit.Run(ctx, 5_000_000, bin, "-qubits", "27")
package ulimit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Build compiles the main package at pkg (relative to the test's package,
// "./testdata/NAME") into the test's temporary directory and returns the
// binary's path. It skips the test where `ulimit -v` is not Linux's.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("ulimit -v and /proc/self/statm are Linux's")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the child: %v", err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	build := exec.Command(gotool, "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Run runs bin with args under an address-space limit of kib KiB (the unit
// of `ulimit -v`) and returns its combined output. env is added to the
// test's environment.
func Run(ctx context.Context, kib int, env []string, bin string, args ...string) (string, error) {
	argv := append([]string{"-c", `ulimit -v "$1" && shift && exec "$@"`, "ulimit", strconv.Itoa(kib), bin}, args...)
	cmd := exec.CommandContext(ctx, "bash", argv...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
