package sokr_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// sentinelNames returns the names of the Err* variables this package declares
// with errors.New, read from its source so that a new one cannot be missed.
func sentinelNames(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	ents, err := os.ReadDir(".")
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
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

func TestEverySentinelHasItsOwnKind(t *testing.T) {
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
	names := sentinelNames(t)
	require.NotEmpty(t, names)
	kinds := sokr.ErrorKinds()
	seen := map[sokr.ErrorKind]string{}
	for _, name := range names {
		err, ok := byName[name]
		if !assert.True(t, ok, "this package declares %s: give it a kind in kinds.go (and add it to this test)", name) {
			continue
		}
		k := sokr.KindOf(fmt.Errorf("wrapped: %w", err))
		assert.NotEqual(t, sokr.ErrorKindOther, k, "%s has no kind", name)
		assert.Contains(t, kinds, k, "ErrorKinds lists %s's kind", name)
		if prev, dup := seen[k]; dup {
			t.Errorf("%s and %s share the kind %q", prev, name, k)
		}
		seen[k] = name
	}
	assert.Len(t, kinds, len(seen)+1, "one kind per sentinel, and ErrorKindOther")
	assert.Equal(t, sokr.ErrorKindOther, kinds[len(kinds)-1])
}

func TestKindOf(t *testing.T) {
	assert.Equal(t, sokr.ErrorKind(""), sokr.KindOf(nil))
	assert.Equal(t, sokr.ErrorKindOther, sokr.KindOf(errors.New("other")))
	assert.Equal(t, sokr.ErrorKindInvalidProgram, sokr.KindOf(&sokr.ProgramError{Msg: "x"}))
	assert.Equal(t, sokr.ErrorKindInvalidInput, sokr.KindOf(&sokr.InputError{Index: 1}))
	assert.Equal(t, sokr.ErrorKindNoCapableSubstrate, sokr.KindOf(&sokr.NoCapableError{}))
	assert.Equal(t, sokr.ErrorKindSubstrateFault, sokr.KindOf(&sokr.FaultError{Substrate: "s"}))
	assert.Equal(t, sokr.ErrorKindRegistration, sokr.KindOf(&sokr.RegistrationError{Name: "n"}))
	// A raw context error counts as the runtime's own kind, and a deadline
	// is a deadline, not a cancellation.
	assert.Equal(t, sokr.ErrorKindCancelled, sokr.KindOf(context.Canceled))
	assert.Equal(t, sokr.ErrorKindCancelled, sokr.KindOf(fmt.Errorf("run: %w", context.Canceled)))
	assert.Equal(t, sokr.ErrorKindDeadlineExceeded, sokr.KindOf(context.DeadlineExceeded))
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	assert.Equal(t, sokr.ErrorKindDeadlineExceeded, sokr.KindOf(sokr.ContextError(ctx)))
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	assert.Equal(t, sokr.ErrorKindCancelled, sokr.KindOf(sokr.ContextError(ctx2)))
}
