package facade

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadPlugin builds the example C plugin, loads it into a runtime, runs
// a program on it, and checks that a refused plugin is a registration
// error naming the path, listed among the runtime's failures.
func TestLoadPlugin(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "libsokr_elementwise.so")
	out, err := exec.Command("gcc", "-std=c11", "-O2", "-fno-fast-math", "-fPIC", "-shared", "-pthread", "-I", "../c",
		"-o", plugin, "../c/examples/elementwise_plugin.c", "-lm").CombinedOutput()
	require.NoError(t, err, "%s", out)

	rt, err := NewRuntime("", "", "")
	require.NoError(t, err)
	defer CloseRuntime(rt, 10)
	name, err := LoadPlugin(rt, plugin)
	require.NoError(t, err)
	assert.Equal(t, "c-elementwise", name)

	b := []byte(axpy)
	prog, err := Parse(rt, "", addr(b), int64(len(b)))
	require.NoError(t, err)
	defer FreeProgram(prog)
	x := []float32{1, 2, 3, 4}
	ticket, err := Dispatch(rt, prog, inputs(spec("f32", "4", x), spec("f32", "4", x)), "c-elementwise", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	state, rec, _ := readRec(t, ticket, RecordHeader+16)
	require.Positive(t, state, "the fast record")
	assert.Equal(t, []float32{3, 6, 9, 12}, float32s(rec[RecordHeader:]))
	runtime.KeepAlive(x)

	_, err = LoadPlugin(rt, plugin)
	e := errInfo(t, err)
	assert.Equal(t, "registration", e.Kind)
	assert.Contains(t, e.Message, "a substrate with this name is already registered")

	notPlugin := filepath.Join(dir, "empty.so")
	require.NoError(t, os.WriteFile(notPlugin, nil, 0o644))
	_, err = LoadPlugin(rt, notPlugin)
	e = errInfo(t, err)
	assert.Equal(t, "registration", e.Kind)
	assert.Contains(t, e.Message, notPlugin)

	js, err := Info(rt)
	require.NoError(t, err)
	var in info
	require.NoError(t, json.Unmarshal([]byte(js), &in))
	assert.Contains(t, in.Failures, "cplugin:"+notPlugin)
	var names []string
	for _, s := range in.Substrates {
		names = append(names, s.Name)
	}
	assert.Contains(t, names, "c-elementwise")
}
