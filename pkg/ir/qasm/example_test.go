package qasm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// An OpenQASM 2 Bell pair: library gates map to the circuit table, cx to
// X with one control.
func ExampleParse() {
	src := `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
`
	p, err := qasm.Parse([]byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Source, p.Qubits, "qubits", p.Clbits, "bits")
	for _, o := range p.Ops {
		fmt.Println(o.Kind, o.Name, o.Gate, "controls:", o.Controls, "qubits:", o.Qubits)
	}
	// Output:
	// openqasm/2 2 qubits 2 bits
	// gate h h controls: 0 qubits: [0]
	// gate cx x controls: 1 qubits: [0 1]
	// measure measure invalid controls: 0 qubits: [0]
	// measure measure invalid controls: 0 qubits: [1]
}

// OpenQASM 3 inputs become runtime parameters; loops unroll; modifiers
// become controls and inverses.
func ExampleParse_openQASM3() {
	src := `OPENQASM 3;
include "stdgates.inc";
input float theta;
qubit[3] q;
for int i in [0:1] {
  ctrl @ rx(theta / 2) q[i], q[i + 1];
}
inv @ s q[2];
`
	p, err := qasm.Parse([]byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("params:", p.Params)
	for _, o := range p.Ops {
		fmt.Println(o.Name, o.Gate, o.Params, o.Qubits[:o.Controls], o.Targets())
	}
	// Output:
	// params: [theta]
	// rx rx [($0 / 2)] [0] [1]
	// rx rx [($0 / 2)] [1] [2]
	// sdg sdg [] [] [2]
}

// Pulse-level and timing constructs parse, and are listed so that a
// substrate can refuse the program naming the reason.
func ExampleParse_unsupported() {
	src := `include "stdgates.inc";
qubit q;
defcalgrammar "openpulse";
x q;
delay[100ns] q;
`
	p, err := qasm.Parse([]byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range p.Unsupported {
		fmt.Println(u.Pos, u.Feature)
	}
	// Output:
	// 3:1 defcalgrammar (pulse-level calibration)
	// 5:1 delay (timing)
}

// Errors say what is wrong and where.
func ExampleParse_error() {
	src := `OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
hh q[0];
`
	_, err := qasm.Parse([]byte(src))
	fmt.Println(err)
	var pe *sokr.ProgramError
	if errors.As(err, &pe) {
		fmt.Println(pe.Pos.Line, pe.Pos.Col)
	}
	fmt.Println(errors.Is(err, sokr.ErrInvalidProgram))
	// Output:
	// sokr: invalid program (openqasm/3) at 4:1: unknown gate "hh" (did you mean "h"?)
	// 4 1
	// true
}

// The IR plugins recognise their sources for a sokr.Registry.
func ExampleNewIR3() {
	ir := qasm.NewIR3()
	src := []byte("include \"stdgates.inc\";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n")
	fmt.Println(ir.Format(), ir.Detect(src), qasm.NewIR2().Detect(src))
	p, err := ir.Parse(context.Background(), src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Format(), p.(*circuit.Program).Source, p.Requirements().Features)
	// Output:
	// openqasm/3 true false
	// sokr.circuit/1 openqasm/3 [gate:cx gate:h]
}

// NewIR2 reads OpenQASM 2.0.
func ExampleNewIR2() {
	ir := qasm.NewIR2()
	src := []byte("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nu3(0.1, 0.2, 0.3) q[0];\n")
	fmt.Println(ir.Format(), ir.Detect(src))
	p, err := ir.Parse(context.Background(), src)
	fmt.Println(p.(*circuit.Program).Ops[0].Gate, err)
	// Output:
	// openqasm/2 true
	// u3 <nil>
}
