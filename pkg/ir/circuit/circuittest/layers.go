package circuittest

import (
	"math"
	"math/rand/v2"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// Layers returns the layered random circuit of the peer benchmarks
// (bench/quantum_vs_peers.py): each of depth layers puts rz·ry·rz with
// random angles on every qubit, then cz on alternate neighbouring pairs,
// starting at qubit 0 on even layers and 1 on odd ones.
func Layers(n, depth int, seed uint64) *circuit.Program {
	rng := rand.New(rand.NewPCG(seed, 0))
	p := &circuit.Program{Source: "circuittest.Layers", Qubits: n}
	rot := func(g circuit.Gate, q int) {
		a := circuit.Const((rng.Float64()*2 - 1) * math.Pi)
		p.Ops = append(p.Ops, circuit.Op{Kind: circuit.OpGate, Name: g.String(), Gate: g, Params: []circuit.Expr{a}, Qubits: []int{q}})
	}
	for layer := range depth {
		for q := range n {
			rot(circuit.RZ, q)
			rot(circuit.RY, q)
			rot(circuit.RZ, q)
		}
		for q := layer % 2; q+1 < n; q += 2 {
			p.Ops = append(p.Ops, circuit.Op{Kind: circuit.OpGate, Name: "cz", Gate: circuit.Z, Controls: 1, Qubits: []int{q, q + 1}})
		}
	}
	return p
}
