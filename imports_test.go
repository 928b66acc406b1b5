package sokr_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/sokr-rs/sokr/"

// TestImportRule enforces the layering of docs/ARCHITECTURE.md with
// `go list -deps`, so that it cannot rot:
//   - pkg/sokr/... uses only the standard library (and itself) and no cgo;
//   - an IR imports no substrate and no other IR, except the one IR a
//     front-end lowers to (lowersTo: OpenQASM is read into circuits);
//   - a substrate imports no other substrate;
//   - internal packages import no substrate (they may use pkg/sokr and the
//     IRs: pkg/internal/qsim plans circuits for statevec and vulkan).
func TestImportRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}{{"\t"}}{{join .Deps " "}}{{"\t"}}{{len .CgoFiles}}`, "./pkg/...").CombinedOutput()
	require.NoError(t, err, string(out))
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		require.Len(t, f, 3, line)
		pkg, deps, cgo := strings.TrimPrefix(f[0], module), strings.Fields(f[1]), f[2] != "0"
		checked++
		for _, d := range deps {
			local, isLocal := strings.CutPrefix(d, module)
			switch {
			case strings.HasPrefix(pkg, "pkg/sokr"):
				ok := isStd(d) || isLocal && strings.HasPrefix(local, "pkg/sokr")
				require.Truef(t, ok, "%s must use only the standard library; it imports %s", pkg, d)
				require.NotEqualf(t, "runtime/cgo", d, "%s must not use cgo", pkg)
			case strings.HasPrefix(pkg, "pkg/ir/"):
				require.Falsef(t, isLocal && strings.HasPrefix(local, "pkg/substrate/"), "IR %s imports substrate %s", pkg, d)
				other := isLocal && strings.HasPrefix(local, "pkg/ir/") && !within(local, pkg) && !within(local, lowersTo[within1(pkg)])
				require.Falsef(t, other, "IR %s imports another IR, %s", pkg, d)
			case strings.HasPrefix(pkg, "pkg/substrate/"):
				require.Falsef(t, isLocal && strings.HasPrefix(local, "pkg/substrate/") && !within(local, pkg), "substrate %s imports another substrate, %s", pkg, d)
			case strings.HasPrefix(pkg, "pkg/internal/"):
				require.Falsef(t, isLocal && strings.HasPrefix(local, "pkg/substrate/"), "internal package %s imports substrate %s", pkg, d)
			}
		}
		if strings.HasPrefix(pkg, "pkg/sokr") {
			require.Falsef(t, cgo, "%s must not use cgo", pkg)
		}
	}
	require.Greater(t, checked, 3, "go list found too few packages")
}

// lowersTo names, for a front-end IR, the IR its programs are made of.
var lowersTo = map[string]string{"pkg/ir/qasm": "pkg/ir/circuit", "pkg/ir/qir": "pkg/ir/circuit"}

// within1 returns the IR or substrate root of pkg ("pkg/ir/native" for
// "pkg/ir/native/x").
func within1(pkg string) string { return strings.Join(strings.SplitN(pkg, "/", 4)[:3], "/") }

// within reports whether dep is pkg itself or one of its subpackages
// (pkg/ir/native and pkg/ir/native/x are one IR).
func within(dep, pkg string) bool {
	if pkg == "" {
		return false
	}
	root := within1(pkg)
	return dep == root || strings.HasPrefix(dep, root+"/")
}

// isStd reports a standard-library import path (no dot in its first element).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
