package qsim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestInputParams(t *testing.T) {
	p := &circuit.Program{Qubits: 1, Params: []string{"theta", "phi"}}
	vals, err := InputParams(p, []sokr.Tensor{sokr.Scalar(0.5), sokr.Scalar(float32(0.25))})
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, 0.25}, vals)

	_, err = InputParams(p, []sokr.Tensor{sokr.Scalar(0.5)})
	ie, ok := err.(*sokr.InputError)
	require.True(t, ok, "%v", err)
	assert.Equal(t, -1, ie.Index)
	assert.Contains(t, ie.Msg, "the circuit has 2 runtime parameters (theta, phi), got 1 inputs")

	for _, c := range []struct {
		in   sokr.Tensor
		want string
	}{
		{sokr.FromSlice([]float64{1, 2}, 2), "a scalar (rank 0) f64 or f32"},
		{sokr.Scalar(int32(1)), "a scalar f64 or f32"},
		{sokr.Scalar(math.Inf(1)), "is not finite"},
		{sokr.Scalar(math.NaN()), "is not finite"},
	} {
		_, err := InputParams(p, []sokr.Tensor{sokr.Scalar(0.5), c.in})
		ie, ok := err.(*sokr.InputError)
		require.True(t, ok, "%v", err)
		assert.Equal(t, 1, ie.Index)
		assert.Equal(t, "phi", ie.Name)
		assert.Contains(t, ie.Msg, c.want)
	}
}

// Pick draws from one uniform: index i owns [w_0+...+w_{i-1}, ... + w_i)
// of the total, and a weight of 0 is never drawn.
func TestPick(t *testing.T) {
	w := []float64{0, 1, 0, 3, 0}
	for seed := range uint64(50) {
		u := rand.New(rand.NewPCG(seed, 7)).Float64() * 4
		want := 1
		if u >= 1 {
			want = 3
		}
		assert.Equal(t, want, Pick(w, rand.New(rand.NewPCG(seed, 7))), "seed %d, u %v", seed, u)
	}
	assert.Equal(t, 2, Pick([]float64{0, 0, 1, 0}, rand.New(rand.NewPCG(1, 1))))
}

func TestKeyLayout(t *testing.T) {
	none := &circuit.Program{Qubits: 3, Clbits: 0, Ops: []circuit.Op{gateOp(circuit.H, 0, 0)}}
	measured, width, regs := KeyLayout(none)
	assert.False(t, measured)
	assert.Equal(t, 3, width)
	assert.JSONEq(t, `[{"name":"m","start":0,"size":3}]`, regs)

	bare := &circuit.Program{Qubits: 2, Clbits: 2, Ops: []circuit.Op{measureOp(0, 1)}}
	measured, width, regs = KeyLayout(bare)
	assert.True(t, measured)
	assert.Equal(t, 2, width)
	assert.JSONEq(t, `[{"name":"c","start":0,"size":2}]`, regs)

	named := &circuit.Program{Qubits: 2, Clbits: 3, CRegs: []circuit.Register{{Name: "a", Start: 0, Size: 1}, {Name: "b", Start: 1, Size: 2}},
		Ops: []circuit.Op{measureOp(0, 0)}}
	measured, width, regs = KeyLayout(named)
	assert.True(t, measured)
	assert.Equal(t, 3, width)
	assert.JSONEq(t, `[{"name":"a","start":0,"size":1},{"name":"b","start":1,"size":2}]`, regs)
}
