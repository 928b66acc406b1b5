package circuittest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

func TestLayers(t *testing.T) {
	p := Layers(5, 3, 1)
	// 3 rotations per qubit per layer; cz on (0,1),(2,3), then (1,2),(3,4), then (0,1),(2,3).
	assert.Equal(t, 3*5*3+2+2+2, len(p.Ops))
	assert.Equal(t, 5, p.Qubits)
	var cz [][]int
	for _, o := range p.Ops {
		require.Equal(t, circuit.OpGate, o.Kind)
		if o.Controls == 1 {
			cz = append(cz, o.Qubits)
		}
	}
	assert.Equal(t, [][]int{{0, 1}, {2, 3}, {1, 2}, {3, 4}, {0, 1}, {2, 3}}, cz)
	assert.Equal(t, Layers(5, 3, 1).Ops, p.Ops, "the same seed, the same circuit")
	assert.NotEqual(t, Layers(5, 3, 2).Ops[0].Params, p.Ops[0].Params)
}
