//go:build cgo

package cplugin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

// TestRefusedPlugins loads one broken plugin per refusal case: each is a
// *LoadError of its kind, matching sokr.ErrRegistration, with a message
// that says what is wrong.
func TestRefusedPlugins(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "notelf.so")
	require.NoError(t, os.WriteFile(notELF, []byte(strings.Repeat("not a shared object\n", 100)), 0o644))
	cases := []struct {
		name, path string
		kind       error
		msg        string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.so"), cplugin.ErrOpen, "cannot open shared object file"},
		{"not a shared object", notELF, cplugin.ErrOpen, "invalid ELF header"},
		{"missing symbol", probe(t, "NO_SYMBOL"), cplugin.ErrMissingSymbol, "missing symbol sokr_plugin_query_v1"},
		{"wrong major", probe(t, "WRONG_MAJOR"), cplugin.ErrVersion, "the plugin answered ABI version 2.0; this host speaks 1.0"},
		{"refused version", probe(t, "REFUSE_VERSION"), cplugin.ErrVersion, "the plugin refused ABI version 1.0"},
		{"NULL slot", probe(t, "NULL_DISPATCH"), cplugin.ErrNullSlot, "sokr_plugin_v1.dispatch is NULL"},
		{"struct too small", probe(t, "SMALL_STRUCT"), cplugin.ErrStructTooSmall, "struct_size is 24 bytes; ABI 1.x needs at least 112"},
		{"bad name", probe(t, "BAD_NAME"), cplugin.ErrInvalidPlugin, `substrate name "has space" is empty or has white space`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := cplugin.Load(c.path)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, c.kind)
			assert.ErrorIs(t, err, sokr.ErrRegistration)
			var le *cplugin.LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, c.path, le.Path)
			assert.Contains(t, err.Error(), c.path)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// TestRegisterPath loads a directory holding good and broken plugins: the
// broken ones are recorded as failures, the good ones run, and a plugin
// loaded twice is refused by name.
func TestRegisterPath(t *testing.T) {
	dir := t.TempDir()
	link := func(src, name string) string {
		dst := filepath.Join(dir, name)
		require.NoError(t, os.Symlink(src, dst))
		return dst
	}
	good := link(examplePlugin(t), "a_elementwise.so")
	major := link(probe(t, "WRONG_MAJOR"), "b_major.so")
	link(probe(t, "ECHO"), "c_echo.txt") // not *.so: ignored
	missing := filepath.Join(t.TempDir(), "missing.so")

	rt := sokr.New()
	subs, err := cplugin.RegisterPath(rt.Registry, dir+string(os.PathListSeparator)+missing+string(os.PathListSeparator)+good)
	require.Error(t, err)
	assert.ErrorIs(t, err, cplugin.ErrVersion)
	assert.ErrorIs(t, err, cplugin.ErrOpen)
	require.Len(t, subs, 1)
	assert.Equal(t, "c-elementwise", subs[0].Name())
	t.Cleanup(func() { require.NoError(t, subs[0].Close()) })

	failures := rt.Failures()
	assert.Len(t, failures, 3)
	assert.ErrorIs(t, failures["cplugin:"+major], cplugin.ErrVersion)
	assert.ErrorIs(t, failures["cplugin:"+missing], cplugin.ErrOpen)
	assert.Contains(t, failures["cplugin:"+good].Error(), "a substrate with this name is already registered")

	res, err := rt.Run(context.Background(), parse(t, "param x: f32[2]\ny: f32[2] = neg x\nreturn y"), []sokr.Tensor{sokr.FromSlice([]float32{1, -2})})
	require.NoError(t, err)
	assert.Equal(t, []float32{-1, 2}, sokr.View[float32](res.Outputs[0].Tensor))
}

// TestDefaultsLoadEnvPath checks that the default runtime picks up the
// plugins of SOKR_PLUGIN_PATH and records those that fail.
func TestDefaultsLoadEnvPath(t *testing.T) {
	bad := probe(t, "SMALL_STRUCT")
	t.Setenv(cplugin.EnvPath, examplePlugin(t)+string(os.PathListSeparator)+bad)
	rt, err := defaults.New()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close(context.Background())) })
	s, ok := rt.Substrate("c-elementwise")
	require.True(t, ok, "substrates: %v, failures: %v", rt.Substrates(), rt.Failures())
	assert.Equal(t, examplePlugin(t), s.Describe()["plugin_path"])
	assert.Equal(t, "1.0", s.Describe()["abi_version"])
	assert.ErrorIs(t, rt.Failures()["cplugin:"+bad], cplugin.ErrStructTooSmall)

	res, err := rt.Run(context.Background(), parse(t, "param x: f32[3]\ns: f32[] = reduce_sum x, axes=[0]\nreturn s"),
		[]sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3})}, sokr.On("c-elementwise"))
	require.NoError(t, err)
	assert.Equal(t, []float32{6}, sokr.View[float32](res.Outputs[0].Tensor))
}

// TestRelativePathsAreNotSearched checks that a bare file name and a "."
// entry of SOKR_PLUGIN_PATH load the file in the working directory, not a
// library of that name on the system path: the plugin is copied to
// ./libc.so.6, the name of a library every Linux process has, which dlopen
// would otherwise find loaded already (and refuse: it exports no query).
func TestRelativePathsAreNotSearched(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(examplePlugin(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "libc.so.6"), src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.so"), src, 0o755))
	t.Chdir(dir)

	s := load(t, "libc.so.6")
	want := filepath.Join(dir, "libc.so.6")
	assert.Equal(t, "c-elementwise", s.Name())
	assert.Equal(t, want, s.Path())
	assert.Equal(t, want, s.Describe()["plugin_path"])

	rt := sokr.New()
	subs, err := cplugin.RegisterPath(rt.Registry, ".")
	require.NoError(t, err)
	require.Len(t, subs, 1)
	t.Cleanup(func() { require.NoError(t, subs[0].Close()) })
	assert.Equal(t, filepath.Join(dir, "plugin.so"), subs[0].Path())

	_, err = cplugin.Register(rt.Registry, "missing.so")
	require.ErrorIs(t, err, cplugin.ErrOpen)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing.so"))
	assert.Contains(t, rt.Failures(), "cplugin:"+filepath.Join(dir, "missing.so"))
}

// TestStatus checks the status names and the mapping of the core's errors.
func TestStatus(t *testing.T) {
	assert.Equal(t, "SOKR_ERR_VERSION", cplugin.StatusVersion.String())
	assert.Equal(t, "SOKR_UNSUPPORTED", cplugin.StatusUnsupported.String())
	assert.Equal(t, "sokr_status(-99)", cplugin.Status(-99).String())
	assert.Equal(t, cplugin.StatusOK, cplugin.StatusOf(nil))
	assert.Equal(t, cplugin.StatusInvalidProgram, cplugin.StatusOf(&sokr.ProgramError{Msg: "x"}))
	assert.Equal(t, cplugin.StatusDeadlineExceeded, cplugin.StatusOf(context.DeadlineExceeded))
	assert.Equal(t, cplugin.StatusCancelled, cplugin.StatusOf(context.Canceled))
	assert.Equal(t, cplugin.StatusCancelled, cplugin.StatusOf(fmt.Errorf("plugin: %w", context.Canceled)))
	assert.Equal(t, cplugin.StatusVersion, cplugin.StatusOf(fmt.Errorf("x: %w", cplugin.ErrVersion)))
	assert.Equal(t, cplugin.StatusAlreadyDone, cplugin.StatusOf(sokr.ErrAlreadyDone))
	assert.Equal(t, cplugin.StatusVersion, cplugin.StatusOf(&cplugin.LoadError{Kind: cplugin.ErrVersion}))
	assert.Equal(t, cplugin.StatusRegistration, cplugin.StatusOf(&cplugin.LoadError{Kind: cplugin.ErrNullSlot}))
	assert.Equal(t, cplugin.StatusInternal, cplugin.StatusOf(errors.New("?")))
}
