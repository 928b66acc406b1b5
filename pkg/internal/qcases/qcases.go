// Package qcases is a table of OpenQASM 3 test circuits, written for
// SOKR's tests, for comparing circuit simulators with each other (vulkan's
// GPU runner with statevec, and statevec with itself across options): every
// standard gate, controls and negative controls, fusion blocks of five
// qubits, global phases, runtime parameters, and circuits on enough qubits
// that a state split over several device buffers has gates across and
// controls on both sides of the split. It holds text only: a test parses
// it with pkg/ir/qasm.
package qcases

import (
	"fmt"
	"strings"
)

// Case is a test circuit.
type Case struct {
	Name string
	// QASM is the program's source.
	QASM string
	// Params are values for the program's inputs, in order.
	Params []float64
	// Dynamic marks a circuit with mid-circuit measurement, reset, if or
	// while: sampled by trajectories, not comparable amplitude by
	// amplitude.
	Dynamic bool
}

const head = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n"

// Unitary are circuits without mid-circuit measurement: their final
// states can be compared amplitude by amplitude.
func Unitary() []Case {
	cs := []Case{
		{Name: "bell", QASM: head + "qubit[2] q;\nh q[0];\ncx q[0], q[1];\n"},
		{Name: "one-qubit gates", QASM: head + `qubit[3] q;
h q[0]; h q[1]; h q[2];
x q[0]; y q[1]; z q[2];
s q[0]; sdg q[1]; t q[2]; tdg q[0];
sx q[1];
rx(0.3) q[0]; ry(-1.1) q[1]; rz(2.5) q[2];
p(0.7) q[0]; phase(0.2) q[1];
u1(0.4) q[2]; u2(0.1, 0.9) q[0]; u3(0.5, 1.5, -0.5) q[1];
U(0.25, 0.75, 1.25) q[2];
id q[0];
`},
		{Name: "two- and three-qubit gates", QASM: head + `qubit[4] q;
h q[0]; h q[1]; h q[2]; h q[3];
cx q[0], q[1]; cy q[1], q[2]; cz q[2], q[3];
cp(0.3) q[3], q[0]; cphase(0.6) q[0], q[2];
crx(0.4) q[1], q[3]; cry(0.9) q[3], q[1]; crz(-0.8) q[2], q[0];
ch q[0], q[3]; swap q[1], q[2];
cu(0.1, 0.2, 0.3, 0.4) q[2], q[1];
ccx q[0], q[1], q[2]; cswap q[3], q[0], q[1];
rx(0.5) q[0]; ry(0.6) q[1]; rz(0.7) q[2]; ry(0.8) q[3];
`},
		{Name: "controls and negative controls", QASM: head + `qubit[5] q;
h q[0]; h q[1]; h q[2]; ry(0.3) q[3]; rx(1.2) q[4];
ctrl @ x q[0], q[3];
negctrl @ x q[1], q[4];
ctrl(2) @ h q[0], q[1], q[2];
negctrl(2) @ ry(0.7) q[3], q[4], q[0];
ctrl @ negctrl @ rz(0.9) q[2], q[0], q[1];
ctrl @ swap q[4], q[0], q[3];
inv @ s q[2];
pow(0.5) @ x q[1];
`},
		{Name: "global phase", QASM: head + `qubit[2] q;
h q[0];
gphase(0.4);
ctrl @ gphase(0.9) q[0];
negctrl @ gphase(-0.3) q[1];
cx q[0], q[1];
`},
		{Name: "runtime parameters", QASM: head + `input float theta;
input float phi;
qubit[3] q;
h q[0];
rx(theta) q[1];
ry(2 * phi) q[2];
cx q[0], q[2];
crz(theta - phi) q[1], q[0];
`, Params: []float64{0.37, -1.2}},
		{Name: "fusion blocks of five", QASM: head + fusionBlocks()},
		{Name: "controls across the state (15 qubits)", QASM: head + wide(15)},
	}
	return cs
}

// fusionBlocks is a 7-qubit circuit whose gates fall in windows of five
// qubits, so that fusion builds 5-qubit blocks (and some smaller ones).
func fusionBlocks() string {
	var b strings.Builder
	b.WriteString("qubit[7] q;\n")
	for layer := range 4 {
		for i := range 7 {
			fmt.Fprintf(&b, "ry(%.3f) q[%d];\n", 0.1*float64(i+1)+0.37*float64(layer), i)
		}
		for i := range 4 {
			fmt.Fprintf(&b, "cx q[%d], q[%d];\n", i+layer%3, i+layer%3+1)
		}
		fmt.Fprintf(&b, "cz q[%d], q[%d];\nt q[%d];\n", layer%7, (layer+4)%7, (layer+2)%7)
	}
	return b.String()
}

// wide is an n-qubit circuit (n >= 15) with gates on low and high qubits,
// controls on both sides of bit 13 (the least a state chunk holds when it
// is split) and targets across it.
func wide(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "qubit[%d] q;\n", n)
	for i := range n {
		fmt.Fprintf(&b, "ry(%.3f) q[%d];\n", 0.2+0.13*float64(i), i)
	}
	top := n - 1
	fmt.Fprintf(&b, "cx q[0], q[%d];\ncx q[%d], q[1];\n", top, top)
	fmt.Fprintf(&b, "ctrl @ h q[%d], q[2];\nnegctrl @ rx(0.4) q[3], q[%d];\n", top-1, top)
	fmt.Fprintf(&b, "ccx q[1], q[13], q[5];\nctrl(2) @ ry(0.9) q[12], q[%d], q[0];\n", top)
	fmt.Fprintf(&b, "negctrl @ ctrl @ swap q[4], q[%d], q[6], q[%d];\n", top, top-2)
	fmt.Fprintf(&b, "cp(0.8) q[%d], q[7];\ncz q[13], q[12];\nswap q[0], q[%d];\n", top, top)
	for i := range n {
		fmt.Fprintf(&b, "rz(%.3f) q[%d];\nh q[%d];\n", 0.3*float64(i%5), i, i)
	}
	return b.String()
}

// Dynamic are circuits that sample by trajectories: mid-circuit
// measurement, reset, if/else and while.
func Dynamic() []Case {
	return []Case{
		{Name: "measure then gate", Dynamic: true, QASM: head + `qubit[2] q;
bit[2] c;
h q[0];
c[0] = measure q[0];
cx q[0], q[1];
h q[0];
c[1] = measure q[1];
`},
		{Name: "reset", Dynamic: true, QASM: head + `qubit[2] q;
bit[2] c;
h q[0]; ry(0.7) q[1];
cx q[0], q[1];
reset q[0];
ry(1.1) q[0];
c = measure q;
`},
		{Name: "if else", Dynamic: true, QASM: head + `qubit[3] q;
bit[3] c;
ry(1.2) q[0];
c[0] = measure q[0];
if (c[0]) { x q[1]; ry(0.5) q[2]; } else { h q[2]; }
c[1] = measure q[1];
c[2] = measure q[2];
`},
		{Name: "if that measures its own bit", Dynamic: true, QASM: head + `qubit[2] q;
bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) { reset q[0]; c[0] = measure q[0]; x q[1]; }
c[1] = measure q[1];
`},
		{Name: "nested branches and a loop in a branch", Dynamic: true, QASM: head + `qubit[3] q;
bit[3] c;
h q[0];
c[0] = measure q[0];
if (c[0] == 1) {
  h q[1];
  c[1] = measure q[1];
  if (c[1] == 1) {
    ry(0.8) q[2];
    if (c[0] == 1) { z q[2]; h q[2]; }
  } else {
    h q[2];
  }
} else {
  x q[1];
  c[2] = measure q[2];
  while (c[2] == 0) { h q[2]; c[2] = measure q[2]; }
}
c = measure q;
`},
		{Name: "while (repeat until success)", Dynamic: true, QASM: head + `qubit[2] q;
bit[2] c;
ry(1.0) q[0];
c[0] = measure q[0];
while (c[0]) { reset q[0]; ry(1.0) q[0]; c[0] = measure q[0]; }
h q[1];
c[1] = measure q[1];
`},
	}
}
