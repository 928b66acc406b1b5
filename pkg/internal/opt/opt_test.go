package opt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/opt"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestOptions(t *testing.T) {
	for _, v := range []any{2.5, float32(2.5), "2.5"} {
		f, err := opt.Number("dt", v)
		require.NoError(t, err)
		assert.Equal(t, 2.5, f)
	}
	_, err := opt.Number("dt", "fast")
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "dt", ie.Name)
	assert.EqualError(t, err, `sokr: invalid input: option "dt": must be a number, not fast (string)`)

	c, err := opt.Choice("solver", "exact", "euler", "exact")
	require.NoError(t, err)
	assert.Equal(t, "exact", c)
	_, err = opt.Choice("solver", "rk4", "euler", "exact")
	assert.ErrorContains(t, err, `option "solver": must be one of "euler", "exact", not rk4`)

	for _, v := range []any{"a.v, b", []string{"a.v", "b"}, []any{"a.v", "b"}} {
		p, err := opt.Probes("record", v)
		require.NoError(t, err)
		assert.Equal(t, []string{"a.v", "b"}, p)
	}
	_, err = opt.Probes("record", []any{"a", 1})
	assert.ErrorContains(t, err, "element 1 is 1 (int)")
}
