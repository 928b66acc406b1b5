package facade

import (
	"fmt"
	"slices"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// MeasuredInBasis returns a new program handle: circuit prog without its
// measurements, then measured in the basis of paulis (one of I, X, Y, Z
// per qubit, character k for qubit k): each qubit that is not I is turned
// from its basis to Z's and measured, in qubit order, into the one
// classical register "b". Sampling it gives the counts behind a sampled
// expectation of those Paulis, as CUDA-Q's ObserveResult.counts reports
// them. Programs that measure mid-circuit or branch are refused: their
// measurements cannot be taken out.
func MeasuredInBasis(prog int64, paulis string) (int64, error) {
	p, err := programFor(prog)
	if err != nil {
		return 0, fail(err)
	}
	c, ok := p.(*circuit.Program)
	if !ok {
		return 0, fail(&sokr.ProgramError{Format: p.Format(), Msg: "only quantum circuits are measured in a basis, not " + p.Format()})
	}
	if len(paulis) > c.Qubits {
		return 0, fail(&sokr.InputError{Index: -1, Msg: fmt.Sprintf("%d Paulis for %d qubits", len(paulis), c.Qubits)})
	}
	if c.Dynamic() {
		return 0, fail(&sokr.InputError{Index: -1, Msg: "the kernel measures mid-circuit, branches or is noisy: its measurements cannot be taken out to measure it in a basis"})
	}
	ops := slices.DeleteFunc(slices.Clone(c.Ops), func(o circuit.Op) bool { return o.Kind == circuit.OpMeasure })
	var measured []int
	for q, b := range []byte(paulis) {
		// The names start with "basis:" so that noise rules for h and sdg
		// do not apply: the change of basis belongs to the measurement.
		switch b {
		case 'I':
			continue
		case 'X':
			ops = append(ops, circuit.Op{Kind: circuit.OpGate, Name: "basis:h", Gate: circuit.H, Qubits: []int{q}})
		case 'Y':
			ops = append(ops, circuit.Op{Kind: circuit.OpGate, Name: "basis:sdg", Gate: circuit.Sdg, Qubits: []int{q}},
				circuit.Op{Kind: circuit.OpGate, Name: "basis:h", Gate: circuit.H, Qubits: []int{q}})
		case 'Z':
		default:
			return 0, fail(&sokr.InputError{Index: -1, Msg: fmt.Sprintf("Pauli %q at qubit %d: want I, X, Y or Z", b, q)})
		}
		measured = append(measured, q)
	}
	for i, q := range measured {
		ops = append(ops, circuit.Op{Kind: circuit.OpMeasure, Name: "measure", Qubits: []int{q}, Clbit: i})
	}
	n := &circuit.Program{Source: c.Source, Qubits: c.Qubits, Clbits: len(measured), QRegs: c.QRegs,
		CRegs: []circuit.Register{{Name: "b", Start: 0, Size: len(measured)}}, Params: c.Params, Ops: ops,
		Unsupported: c.Unsupported}
	if err := n.Validate(); err != nil {
		return 0, fail(err)
	}
	return programs.put(n), nil
}
