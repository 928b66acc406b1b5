package qsim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// A block of k qubits is shared by the fewest gates it can hold:
// 1 + ⌈(k − gmax)/gmax⌉.
func TestFusedShare(t *testing.T) {
	block := func(k int) int64 { return int64(1000 << k) }
	// gmax 2, fusion 4: k=1: 2000/1, k=2: 4000/1, k=3: 8000/2, k=4: 16000/2.
	assert.Equal(t, int64(8000), FusedShare(2, 4, block))
	// gmax 1: a block of k holds k gates, each its k-th: 1000·2^k/k.
	assert.Equal(t, int64(4000), FusedShare(1, 4, block)) // k = 4: 16000/4
	assert.Equal(t, int64(6400), FusedShare(1, 5, block)) // k = 5: 32000/5
}

func TestPlanBytes(t *testing.T) {
	p := &circuit.Program{Qubits: 3, Clbits: 1, Ops: []circuit.Op{
		gateOp(circuit.H, 0, 0), gateOp(circuit.X, 2, 0, 1, 2), measureOp(0, 0),
		{Kind: circuit.OpChannel, Qubits: []int{1}},
	}}
	var gates []*circuit.Op
	c := PlanCosts{
		Pass:     func(k int) int64 { return int64(100 << k) },
		Block:    func(k int) int64 { return int64(10000 << k) },
		Gate:     func(op *circuit.Op) int64 { gates = append(gates, op); return 7 },
		Collapse: 3,
		Step:     5,
	}
	common := 2*footprint.Object(0) + footprint.Object(16<<2) + footprint.Object(16<<2) + 2*7 + // both gates: one target each
		200 + 3 + // the measurement
		16*footprint.Object(16<<2) + 16*200 + // the channel
		footprint.Object(4*int64(unsafe.Sizeof(circuit.Op{}))) + 4*2*5
	assert.Equal(t, common+2*200, PlanBytes(p, 0, c), "no fusion: a pass per gate")
	assert.Len(t, gates, 2)
	// Fusion 3: both gates (3 qubits at most) take FusedShare(3, 3) = 80000.
	assert.Equal(t, common+2*80000, PlanBytes(p, 3, c))
	// Fusion 2: the Toffoli is too wide to fuse.
	assert.Equal(t, common+FusedShare(3, 2, c.Block)+200, PlanBytes(p, 2, c))
}
