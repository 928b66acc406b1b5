package qsim

import (
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// PlanCosts are what a substrate's plan of a circuit allocates per part,
// in bytes, for PlanBytes: the substrates hold passes and gates in their
// own types, so each prices its own.
type PlanCosts struct {
	// Pass is a pass of k targets.
	Pass func(k int) int64
	// Block is a fused block of k qubits: its pass and what building it
	// takes.
	Block func(k int) int64
	// Gate is a gate's entry beyond its parameters and matrix, which
	// PlanBytes counts.
	Gate func(op *circuit.Op) int64
	// Collapse is a measurement's or a reset's, beyond its pass of one
	// qubit.
	Collapse int64
	// Step is one step of a per-shot remainder.
	Step int64
}

// PlanBytes bounds what planning p with blocks of at most fusion qubits
// allocates: the ops kept, every gate evaluated (its parameters, matrix
// and entry), its pass (alone, or its share of a fused block: FusedShare),
// a measurement's or reset's pass, a noise channel's operators and a pass
// per operator (at most 16, as a two-qubit Pauli channel's), and two
// steps per op.
func PlanBytes(p *circuit.Program, fusion int, c PlanCosts) int64 {
	var t footprint.Tally
	gmax := 1
	circuit.Walk(p.Ops, func(op *circuit.Op) {
		if op.Kind == circuit.OpGate {
			gmax = max(gmax, len(op.Qubits))
		}
	})
	var perFused int64
	if fusion >= 2 {
		perFused = FusedShare(gmax, fusion, c.Block)
	}
	ops := int64(0)
	circuit.Walk(p.Ops, func(op *circuit.Op) {
		ops++
		switch op.Kind {
		case circuit.OpGate:
			tq := len(op.Qubits) - op.Controls
			t.Add(footprint.Object(int64(8 * len(op.Params))))
			t.Add(footprint.Object(16 << (2 * tq)))
			t.Add(c.Gate(op))
			if fusion >= 2 && len(op.Qubits) <= fusion {
				t.Add(perFused)
			} else {
				t.Add(c.Pass(tq))
			}
		case circuit.OpMeasure, circuit.OpReset:
			t.Add(c.Pass(1) + c.Collapse)
		case circuit.OpChannel:
			q := len(op.Qubits)
			t.Add(footprint.Mul(16, footprint.Object(16<<(2*q))))
			t.Add(footprint.Mul(16, c.Pass(q)))
		}
	})
	t.Add(footprint.Object(footprint.Mul(ops, int64(unsafe.Sizeof(circuit.Op{})))))
	t.Add(footprint.Mul(ops, 2*c.Step))
	return t.Bytes()
}

// FusedShare bounds the share of one gate in the fused blocks of a
// circuit whose gates act on at most gmax qubits, fused into blocks of at
// most fusion qubits, a block of k costing block(k): it holds at least
// 1 + ⌈(k − gmax)/gmax⌉ gates, as each gate adds at most gmax qubits.
func FusedShare(gmax, fusion int, block func(k int) int64) int64 {
	var most int64
	for k := 1; k <= fusion; k++ {
		n := int64(1)
		if k > gmax {
			n += int64((k - 1) / gmax)
		}
		most = max(most, (block(k)+n-1)/n)
	}
	return most
}
