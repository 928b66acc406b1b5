// Package testcorpus finds the optional external test corpus for tests:
// QASMBench, the OpenQASM 3 examples and the full NIR paper set, which are
// third-party data too large (or licensed otherwise) to live in the
// repository. The small fixtures most tests need are in the repository's
// own testdata folders and never go through this package.
//
// The corpus is looked for in one place, in this order:
//
//   - $SOKR_TESTDATA, when set (a set variable that names no usable
//     folder is a mistake and fails the test);
//   - ../shared/testdata beside the repository root, where the project's
//     CI and development checkouts keep it.
//
// Where neither exists, a test that needs the corpus is skipped with one
// line saying why, except with CI=true, where it fails: CI always has the
// corpus, so its absence there is a broken setup, not a user's clone.
// python/tests/conftest.py applies the same rules to the Python tests.
package testcorpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// EnvVar names the environment variable that points at the corpus.
const EnvVar = "SOKR_TESTDATA"

// Dir returns the folder sub (such as "qasm/qasmbench" or "nir") of the
// corpus. Where the corpus is absent it skips tb, or fails it under
// CI=true; a corpus that is present but lacks sub fails tb.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	o := resolveHere(tb, sub)
	switch {
	case o.fatal != "":
		tb.Fatal(o.fatal)
	case o.skip != "":
		tb.Skip(o.skip)
	}
	return o.dir
}

// Lookup is Dir for tests that use the corpus as an extra and run without
// it (fuzz seeds): where the corpus is absent and CI is not set it returns
// "" and the test goes on.
func Lookup(tb testing.TB, sub string) string {
	tb.Helper()
	o := resolveHere(tb, sub)
	if o.fatal != "" {
		tb.Fatal(o.fatal)
	}
	return o.dir
}

// outcome is what resolve found: the folder, or why a test must fail or
// skip.
type outcome struct{ dir, fatal, skip string }

func resolveHere(tb testing.TB, sub string) outcome {
	tb.Helper()
	root, err := repoRoot()
	if err != nil {
		return outcome{fatal: err.Error()}
	}
	return resolve(sub, os.Getenv(EnvVar), root, inCI())
}

// resolve applies the rules of the package comment: env is $SOKR_TESTDATA
// ("" when unset) and root the repository root.
func resolve(sub, env, root string, ci bool) outcome {
	if env != "" {
		dir := filepath.Join(env, filepath.FromSlash(sub))
		if !isDir(dir) {
			return outcome{fatal: fmt.Sprintf("%s=%s, but %s is not a folder", EnvVar, env, dir)}
		}
		return outcome{dir: dir}
	}
	shared := filepath.Join(filepath.Dir(root), "shared", "testdata")
	if isDir(shared) {
		dir := filepath.Join(shared, filepath.FromSlash(sub))
		if !isDir(dir) {
			return outcome{fatal: fmt.Sprintf("the test corpus at %s has no %s", shared, sub)}
		}
		return outcome{dir: dir}
	}
	if ci {
		return outcome{fatal: fmt.Sprintf("CI is set but the test corpus (%s) is absent: set %s or check it out at %s", sub, EnvVar, shared)}
	}
	return outcome{skip: fmt.Sprintf("skipping: the optional test corpus (%s) is absent; set %s or put it at %s", sub, EnvVar, shared)}
}

// inCI reports whether CI is set to a true value (CI=true, as GitHub
// Actions and most CI systems set it).
func inCI() bool {
	ok, _ := strconv.ParseBool(os.Getenv("CI"))
	return ok
}

// repoRoot returns the nearest folder above the working directory (a test's
// package folder) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testcorpus: no go.mod above the working directory")
		}
		dir = parent
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
