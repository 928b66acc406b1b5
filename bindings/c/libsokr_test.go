package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// libDir holds libsokr.so, built once by TestMain as `make libsokr` does.
var libDir string

func TestMain(m *testing.M) {
	code, err := func() (int, error) {
		dir, err := os.MkdirTemp("", "libsokr-test-")
		if err != nil {
			return 1, err
		}
		defer os.RemoveAll(dir)
		script, err := filepath.Abs("libsokr.map")
		if err != nil {
			return 1, err
		}
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-ldflags=-extldflags=-Wl,--version-script="+script,
			"-o", filepath.Join(dir, "libsokr.so"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("go build -buildmode=c-shared: %v\n%s", err, out)
		}
		libDir = dir
		return m.Run(), nil
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

func gcc(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("gcc", append([]string{"-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-fast-math", "-I", "."}, args...)...).CombinedOutput()
	require.NoError(t, err, "gcc %s: %s", strings.Join(args, " "), out)
}

// TestHostProgram builds libsokr.so, the example plugin and the example C
// host, and runs the host: through libsokr it loads the plugin, asks for
// capability, dispatches on the built-in cpu substrate and on the plugin,
// waits, reads the outputs, gets a typed error, and sees every callback.
func TestHostProgram(t *testing.T) {
	dir := libDir
	plugin := filepath.Join(t.TempDir(), "libsokr_elementwise.so")
	gcc(t, "-fPIC", "-shared", "-pthread", "-o", plugin, "examples/elementwise_plugin.c", "-lm")
	host := filepath.Join(t.TempDir(), "host")
	gcc(t, "-o", host, "examples/host.c", "-L", dir, "-lsokr", "-Wl,-rpath,"+dir)

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, `abi 1.0
offer cpu: yes
offer photonic: no
offer snn: no
offer statevec: no
ran on cpu
out = 3 5 7 9
total = 24
bad inputs: status -3: sokr: invalid input 0 (x): want f32[4], got f64[4]
callbacks 1
`},
		{[]string{plugin}, `abi 1.0
loaded c-elementwise
offer c-elementwise: yes
offer cpu: yes
offer photonic: no
offer snn: no
offer statevec: no
ran on c-elementwise
out = 3 5 7 9
total = 24
bad inputs: status -3: sokr: invalid input 0 (x): want f32[4], got f64[4]
callbacks 1
`},
		{[]string{plugin, "cpu", "2000"}, `abi 1.0
loaded c-elementwise
offer c-elementwise: yes
offer cpu: yes
offer photonic: no
offer snn: no
offer statevec: no
ran on cpu
out = 3 5 7 9
total = 24
bad inputs: status -3: sokr: invalid input 0 (x): want f32[4], got f64[4]
callbacks 1
`},
	} {
		cmd := exec.Command(host, c.args...)
		// The offers listed must not depend on this machine's GPUs: no Vulkan.
		cmd.Env = append(os.Environ(), "SOKR_PLUGIN_PATH=", "SOKR_VULKAN_LOADER=/nonexistent/libvulkan.so.1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "host %v: %s", c.args, stderr.String())
		assert.Equal(t, c.want, string(out), "host %v", c.args)
		if len(c.args) > 2 {
			assert.Regexp(t, `round trip: \d+ ns/op over 2000 dispatches`, stderr.String())
		}
	}
}

// TestExports checks that libsokr.so exports exactly the host functions
// declared in sokr.h: no Go runtime or internal symbol leaks, none is
// missing from the version script.
func TestExports(t *testing.T) {
	header, err := os.ReadFile("sokr.h")
	require.NoError(t, err)
	var declared []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z_0-9 ]+[ *])(sokr_[a-z_0-9]+)\(`).FindAllSubmatch(header, -1) {
		if !strings.HasPrefix(string(m[1]), "static ") { // inline helpers are not exported
			declared = append(declared, string(m[2]))
		}
	}
	slices.Sort(declared)
	require.Len(t, declared, 21)

	out, err := exec.Command("nm", "-D", "--defined-only", filepath.Join(libDir, "libsokr.so")).Output()
	require.NoError(t, err)
	var exported []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		exported = append(exported, f[len(f)-1])
	}
	slices.Sort(exported)
	assert.Equal(t, declared, exported)
}
