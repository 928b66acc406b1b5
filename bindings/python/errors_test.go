package facade

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// sentinels returns the names of the Err* variables pkg/sokr declares with
// errors.New, read from its source so that a new one cannot be missed.
func sentinels(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "pkg", "sokr")
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "Err") || i >= len(vs.Values) {
					continue
				}
				if call, ok := vs.Values[i].(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
						names = append(names, id.Name)
					}
				}
			}
			return true
		})
	}
	return names
}

func TestEveryCoreErrorHasAKind(t *testing.T) {
	byName := map[string]error{
		"ErrNoCapableSubstrate": sokr.ErrNoCapableSubstrate,
		"ErrInvalidProgram":     sokr.ErrInvalidProgram,
		"ErrInvalidInput":       sokr.ErrInvalidInput,
		"ErrDeadlineExceeded":   sokr.ErrDeadlineExceeded,
		"ErrCancelled":          sokr.ErrCancelled,
		"ErrSubstrateFault":     sokr.ErrSubstrateFault,
		"ErrClosed":             sokr.ErrClosed,
		"ErrRegistration":       sokr.ErrRegistration,
		"ErrAlreadyDone":        sokr.ErrAlreadyDone,
		"ErrUnknownFormat":      sokr.ErrUnknownFormat,
	}
	names := sentinels(t)
	require.NotEmpty(t, names)
	for _, name := range names {
		err, ok := byName[name]
		if !assert.True(t, ok, "pkg/sokr declares %s: add it to kinds in errors.go (and to this test)", name) {
			continue
		}
		var info errorInfo
		require.NoError(t, json.Unmarshal([]byte(errorJSON(err)), &info))
		assert.NotEqual(t, "error", info.Kind, "%s has no kind", name)
	}
	var listed []string
	require.NoError(t, json.Unmarshal([]byte(ErrorKinds()), &listed))
	assert.Len(t, listed, len(kinds)+1)
	assert.Equal(t, "error", listed[len(listed)-1])
	var info errorInfo
	require.NoError(t, json.Unmarshal([]byte(errorJSON(errors.New("other"))), &info))
	assert.Contains(t, listed, info.Kind)
}
