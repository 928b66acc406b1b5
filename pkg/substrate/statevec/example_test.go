package statevec_test

import (
	"context"
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
)

// bellPair builds H on qubit 0 and CNOT 0 -> 1, measured into bits 0 and 1.
func bellPair(measure bool) *circuit.Program {
	p := &circuit.Program{Qubits: 2, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{0}},
		{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{0, 1}},
	}}
	if measure {
		p.Clbits = 2
		p.CRegs = []circuit.Register{{Name: "c", Start: 0, Size: 2}}
		p.Ops = append(p.Ops,
			circuit.Op{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 0},
			circuit.Op{Kind: circuit.OpMeasure, Qubits: []int{1}, Clbit: 1})
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

func runtimeWithStatevec() *sokr.Runtime {
	rt := sokr.New()
	if err := rt.RegisterSubstrate(statevec.New(statevec.Config{})); err != nil {
		panic(err)
	}
	return rt
}

// Sampling a Bell pair: only 00 and 11 occur.
func Example() {
	rt := runtimeWithStatevec()
	res, err := rt.Run(context.Background(), bellPair(true), nil, sokr.Seed(1), sokr.Param("shots", 1000))
	if err != nil {
		panic(err)
	}
	counts := res.Outputs[0].Value.(map[string]int64)
	fmt.Println(len(counts), counts["00"]+counts["11"], res.Meta["method"], res.Meta["registers"])
	// Output: 2 1000 sampled [{"name":"c","start":0,"size":2}]
}

// Counts keys put classical bit 0 on the right.
func Example_bitOrder() {
	p := &circuit.Program{Qubits: 3, Clbits: 3, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "x", Gate: circuit.X, Qubits: []int{0}},
		{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 0},
		{Kind: circuit.OpMeasure, Qubits: []int{1}, Clbit: 1},
		{Kind: circuit.OpMeasure, Qubits: []int{2}, Clbit: 2},
	}}
	res, err := runtimeWithStatevec().Run(context.Background(), p, nil, sokr.Param("shots", 10))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Outputs[0].Value)
	// Output: map[001:10]
}

// Expectation values of Pauli terms: the string's character k acts on
// qubit k. Coefficients are left to the caller.
func Example_observe() {
	terms := []statevec.PauliTerm{{Coef: 0.5, Paulis: "ZZ"}, {Coef: 1, Paulis: "XX"}, {Coef: 1, Paulis: "ZI"}}
	res, err := runtimeWithStatevec().Run(context.Background(), bellPair(false), nil,
		sokr.Param("mode", "observe"), sokr.Param("observable", terms))
	if err != nil {
		panic(err)
	}
	e := sokr.View[float64](res.Outputs[0].Tensor)
	fmt.Printf("%.3f %.3f %.3f groups=%s\n", e[0], e[1], math.Abs(e[2]), res.Meta["groups"])
	// Output: 1.000 1.000 0.000 groups=2
}

// The final state vector; amplitude i has qubit q in bit q of i.
func Example_state() {
	res, err := runtimeWithStatevec().Run(context.Background(), bellPair(false), nil, sokr.Param("mode", "state"))
	if err != nil {
		panic(err)
	}
	for _, a := range sokr.View[complex128](res.Outputs[0].Tensor) {
		fmt.Printf("%.4f ", real(a))
	}
	fmt.Println()
	// Output: 0.7071 0.0000 0.0000 0.7071
}

// Noise by trajectories: a bit flip of probability 1 after X returns |0>.
func Example_noise() {
	p := &circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{
		{Kind: circuit.OpGate, Name: "x", Gate: circuit.X, Qubits: []int{0}},
		{Kind: circuit.OpMeasure, Qubits: []int{0}, Clbit: 0},
	}}
	noisy, err := circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "x", Channel: circuit.Channel{Kind: circuit.BitFlip, P: 1}}})
	if err != nil {
		panic(err)
	}
	res, err := runtimeWithStatevec().Run(context.Background(), noisy, nil, sokr.Seed(3), sokr.Param("shots", 100))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Outputs[0].Value, res.Meta["method"])
	// Output: map[0:100] density_matrix
}

// Capability says how many qubits fit when a circuit is too large.
func ExampleSubstrate_Capability() {
	s := statevec.New(statevec.Config{MemoryBudget: 1 << 30})
	o := s.Capability(context.Background(), &circuit.Program{Qubits: 32})
	fmt.Println(o.OK, o.Reason)
	// Output: false needs 32 qubits (64 GiB as complex128, 32 GiB as complex64); this substrate holds at most 26 qubits in 1 GiB (27 as complex64)
}

// A substrate with its own name and memory budget; Describe reports what
// fits.
func ExampleNew() {
	s := statevec.New(statevec.Config{Name: "statevec-small", MemoryBudget: 64 << 20})
	d := s.Describe()
	fmt.Println(s.Name(), s.Kind(), d["max_qubits"], d["max_qubits_c64"])
	// Output: statevec-small qpu 22 23
}
