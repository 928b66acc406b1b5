package neuron

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestInitialState(t *testing.T) {
	kind, given, err := InitialState("v_leak")
	require.NoError(t, err)
	assert.Equal(t, InitialVLeak, kind)
	assert.Nil(t, given)

	kind, given, err = InitialState(map[string]any{"lif": map[string]any{"v": []any{0.5, 1}, "i": []float32{2}}})
	require.NoError(t, err)
	assert.Equal(t, InitialGiven, kind)
	assert.Equal(t, map[string]map[string][]float64{"lif": {"v": {0.5, 1}, "i": {2}}}, given)

	for v, msg := range map[any]string{
		"ones": `must be one of`,
		3:      `must be "zero", "v_leak" or a map`,
	} {
		_, _, err := InitialState(v)
		var ie *sokr.InputError
		require.ErrorAs(t, err, &ie, "%v", v)
		assert.Contains(t, err.Error(), msg)
		assert.Contains(t, err.Error(), "initial_state")
	}
	for _, c := range []struct {
		v   any
		msg string
	}{
		{map[string]any{"lif": 1}, `node "lif": want a map`},
		{map[string]any{"lif": map[string]any{"v": "x"}}, `node "lif", variable "v": want a list of numbers, not string`},
		{map[string]any{"lif": map[string]any{"v": []any{"x"}}}, `element 0 is x (string), not a number`},
		{map[string]any{"lif": map[string]any{"v": []float64{math.NaN()}}}, `element 0 is NaN: values must be finite`},
	} {
		_, _, err := InitialState(c.v)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.msg)
	}
}

func TestPositiveTaus(t *testing.T) {
	require.NoError(t, PositiveTaus([]float64{1e-3}, nil, []float64{2}))
	for _, bad := range []float64{0, -1, math.NaN()} {
		err := PositiveTaus([]float64{1}, []float64{bad})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "must be positive")
	}
}
