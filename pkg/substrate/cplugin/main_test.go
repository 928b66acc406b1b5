//go:build cgo

package cplugin_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

// The C sources the tests build with gcc, relative to this package.
const (
	includeDir    = "../../../bindings/c"
	exampleSource = "../../../bindings/c/examples/elementwise_plugin.c"
	probeSource   = "testdata/probe.c"
)

// buildDir holds every plugin the tests build; made by TestMain.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cplugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	builtMu sync.Mutex
	built   = map[string]string{}
)

// buildPlugin compiles src with gcc into a shared object (once per source
// and flags) and returns its path.
func buildPlugin(t testing.TB, src string, flags ...string) string {
	t.Helper()
	key := src + " " + strings.Join(flags, " ")
	builtMu.Lock()
	defer builtMu.Unlock()
	if p, ok := built[key]; ok {
		return p
	}
	out := filepath.Join(buildDir, fmt.Sprintf("lib%d.so", len(built)))
	args := append([]string{"-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-fast-math", "-fPIC", "-shared", "-pthread",
		"-I", includeDir, "-o", out, src}, flags...)
	cmd := exec.Command("gcc", append(args, "-lm")...)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "gcc %s: %s", strings.Join(args, " "), msg)
	built[key] = out
	return out
}

// examplePlugin is the path of bindings/c/examples/elementwise_plugin.c built.
func examplePlugin(t testing.TB) string { return buildPlugin(t, exampleSource) }

// probe builds testdata/probe.c with -DPROBE_<mode> (and the given extra
// flags) and returns its path.
func probe(t testing.TB, mode string, flags ...string) string {
	return buildPlugin(t, probeSource, append([]string{"-DPROBE_" + mode}, flags...)...)
}

// load loads path and closes the substrate when the test ends.
func load(t testing.TB, path string) *cplugin.Substrate {
	t.Helper()
	s, err := cplugin.Load(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}
