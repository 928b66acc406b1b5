package testcorpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResolve walks every rule of the package comment on folders made for
// the test: a repository at base/repo, the corpus at base/shared/testdata.
func TestResolve(t *testing.T) {
	mk := func(t *testing.T, withShared bool) (root, shared string) {
		base := t.TempDir()
		root = filepath.Join(base, "repo")
		require.NoError(t, os.MkdirAll(root, 0o755))
		shared = filepath.Join(base, "shared", "testdata")
		if withShared {
			require.NoError(t, os.MkdirAll(filepath.Join(shared, "qasm", "qasmbench"), 0o755))
		}
		return root, shared
	}
	env := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(env, "nir"), 0o755))

	t.Run("the variable wins over ../shared", func(t *testing.T) {
		root, _ := mk(t, true)
		assert.Equal(t, outcome{dir: filepath.Join(env, "nir")}, resolve("nir", env, root, false))
	})
	t.Run("a set variable without the folder fails, in or out of CI", func(t *testing.T) {
		root, _ := mk(t, true)
		for _, ci := range []bool{false, true} {
			o := resolve("qasm/qasmbench", env, root, ci)
			assert.Empty(t, o.dir)
			assert.Empty(t, o.skip)
			assert.Contains(t, o.fatal, EnvVar+"="+env)
			assert.Contains(t, o.fatal, filepath.Join(env, "qasm", "qasmbench"))
		}
	})
	t.Run("../shared/testdata beside the repository", func(t *testing.T) {
		root, shared := mk(t, true)
		assert.Equal(t, outcome{dir: filepath.Join(shared, "qasm", "qasmbench")}, resolve("qasm/qasmbench", "", root, false))
		o := resolve("nir", "", root, false)
		assert.Equal(t, "the test corpus at "+shared+" has no nir", o.fatal, "a corpus that lacks a part is broken, not absent")
	})
	t.Run("absent: skip with one line, or fail under CI", func(t *testing.T) {
		root, shared := mk(t, false)
		o := resolve("nir", "", root, false)
		assert.Empty(t, o.dir)
		assert.Empty(t, o.fatal)
		assert.Contains(t, o.skip, "the optional test corpus (nir) is absent")
		assert.Contains(t, o.skip, EnvVar)
		assert.Contains(t, o.skip, shared)
		assert.NotContains(t, o.skip, "\n")
		o = resolve("nir", "", root, true)
		assert.Empty(t, o.dir)
		assert.Empty(t, o.skip)
		assert.Contains(t, o.fatal, "CI is set but the test corpus (nir) is absent")
	})
}

// TestDirFromEnv goes through Dir and Lookup as tests do, with the corpus
// named by the variable.
func TestDirFromEnv(t *testing.T) {
	env := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(env, "qasm", "openqasm3"), 0o755))
	t.Setenv(EnvVar, env)
	assert.Equal(t, filepath.Join(env, "qasm", "openqasm3"), Dir(t, "qasm/openqasm3"))
	assert.Equal(t, filepath.Join(env, "qasm", "openqasm3"), Lookup(t, "qasm/openqasm3"))
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "": false, "false": false, "0": false, "yes": false} {
		t.Setenv("CI", v)
		assert.Equal(t, want, inCI(), "CI=%q", v)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	require.NoError(t, err)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(mod), "module github.com/sokr-rs/sokr\n"))
}
