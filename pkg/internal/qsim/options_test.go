package qsim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func program(qubits int) *circuit.Program { return &circuit.Program{Qubits: qubits} }

func TestParseOptionsDefaults(t *testing.T) {
	o, err := ParseOptions(program(3), sokr.Options{Seed: 9, HasSeed: true})
	require.NoError(t, err)
	assert.Equal(t, Options{Mode: ModeSample, Shots: DefaultShots, Precision: Complex128, Trajectories: DefaultTrajectories,
		Seed: 9, HasSeed: true, Method: MethodAuto}, *o)
	o, err = ParseOptions(program(FusionThreshold), sokr.Options{})
	require.NoError(t, err)
	assert.Equal(t, DefaultFusion, o.Fusion)
	assert.False(t, o.HasSeed)
}

func TestParseOptionsValues(t *testing.T) {
	o, err := ParseOptions(program(2), sokr.Options{Params: map[string]any{
		"mode": "observe", "shots": 10.0, "precision": "complex64", "fusion": 3, "trajectories": int64(7),
		"method": "trajectories", "observable": []any{map[string]any{"coef": []any{0.5, 1}, "paulis": "xz"}},
	}})
	require.NoError(t, err)
	assert.Equal(t, ModeObserve, o.Mode)
	assert.Equal(t, 10, o.Shots)
	assert.True(t, o.ShotsGiven)
	assert.Equal(t, Complex64, o.Precision)
	assert.Equal(t, 3, o.Fusion)
	assert.True(t, o.FusionGiven)
	assert.Equal(t, 7, o.Trajectories)
	assert.Equal(t, MethodTrajectories, o.Method)
	assert.Equal(t, []PauliTerm{{Coef: complex(0.5, 1), Paulis: "XZ"}}, o.Terms)
}

func TestParseOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"shot": 1}, `option "shot": unknown option`},
		{map[string]any{"mode": "run"}, `option "mode": got "run"`},
		{map[string]any{"precision": "float"}, `option "precision": got "float"`},
		{map[string]any{"method": "mps"}, `option "method": got "mps"`},
		{map[string]any{"shots": 0}, `option "shots": 0 is out of range [1, 1073741824]`},
		{map[string]any{"shots": 1.5}, `option "shots": got 1.5; want an integer`},
		{map[string]any{"shots": "10"}, `option "shots": got "10" (string); want an integer`},
		{map[string]any{"fusion": 6}, `option "fusion": 6 is out of range [0, 5]`},
		{map[string]any{"trajectories": -1}, `option "trajectories": -1 is out of range`},
		{map[string]any{"mode": "observe"}, `option "observable": observe mode needs an observable`},
		{map[string]any{"observable": []PauliTerm{{1, "ZZ"}}}, `option "observable": is for observe mode, not sample`},
		{map[string]any{"mode": "observe", "observable": []any{}}, `option "observable": has no terms`},
		{map[string]any{"mode": "observe", "observable": []PauliTerm{{1, "Z"}}}, `term 0 "Z" has 1 letters; the circuit has 2 qubits`},
		{map[string]any{"mode": "observe", "observable": []PauliTerm{{1, "ZQ"}}}, `term 0 "ZQ": 'Q' at 1 is not one of I, X, Y, Z`},
		{map[string]any{"mode": "observe", "observable": []any{map[string]any{"paulis": "ZZ", "c": 1}}}, `term 0 has unknown key "c"`},
		{map[string]any{"mode": "observe", "observable": []any{map[string]any{"paulis": "ZZ", "coef": "x"}}}, `term 0: "coef" must be [re, im]`},
		{map[string]any{"mode": "observe", "observable": 3}, `option "observable": got int`},
	} {
		_, err := ParseOptions(program(2), sokr.Options{Params: tc.params})
		var ie *sokr.InputError
		require.ErrorAs(t, err, &ie, "%v", tc.params)
		assert.Equal(t, -1, ie.Index)
		assert.Contains(t, err.Error(), tc.want, "%v", tc.params)
	}
}
