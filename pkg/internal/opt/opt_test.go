package opt_test

import (
	"encoding/json"
	"math"
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

func TestInt(t *testing.T) {
	for _, v := range []any{7, int32(7), int64(7), uint(7), uint32(7), uint64(7), 7.0, json.Number("7")} {
		n, err := opt.Int(v, 1, 10)
		require.NoError(t, err, "%T", v)
		assert.Equal(t, 7, n, "%T", v)
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{1.5, "got 1.5; want an integer"},
		{float64(1 << 54), "got 1.8014398509481984e+16; want an integer"},
		{json.Number("1e3"), "got 1e3; want an integer"},
		{"7", `got "7" (string); want an integer`},
		{11, "11 is out of range [1, 10]"},
		{uint64(math.MaxUint64), "9223372036854775807 is out of range [1, 10]"},
		{0, "0 is out of range [1, 10]"},
	} {
		_, err := opt.Int(c.v, 1, 10)
		assert.EqualError(t, err, c.want, "%#v", c.v)
	}
}

func TestUnknown(t *testing.T) {
	known := []string{"mode", "shots"}
	_, ok := opt.Unknown(map[string]any{"mode": 1, "shots": 2}, known)
	assert.False(t, ok)
	_, ok = opt.Unknown(nil, known)
	assert.False(t, ok)
	k, ok := opt.Unknown(map[string]any{"mode": 1, "zeta": 1, "beta": 2, "alpha": 3}, known)
	assert.True(t, ok)
	assert.Equal(t, "alpha", k, "the first in sorted order")
	k, ok = opt.Unknown(map[string]any{"": 1, "shots": 2}, known)
	assert.True(t, ok)
	assert.Empty(t, k, "an empty name is unknown too")
}
