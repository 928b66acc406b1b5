// Package circuittest has helpers for testing circuit front-ends and
// simulators: a deliberately naive dense reference simulator and a random
// circuit generator. The reference shares no code with any substrate.
package circuittest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// State returns the state vector that p's gates produce from |0...0> with
// the runtime parameter values params. Barriers are skipped; any other
// non-gate op is an error. It is slow (O(2^n) per gate, with allocation)
// and meant for up to about 14 qubits.
func State(p *circuit.Program, params []float64) ([]complex128, error) {
	psi := make([]complex128, 1<<p.Qubits)
	psi[0] = 1
	for i := range p.Ops {
		o := &p.Ops[i]
		switch o.Kind {
		case circuit.OpBarrier:
			continue
		case circuit.OpGate:
		default:
			return nil, fmt.Errorf("circuittest: op %d is a %s; State simulates gates only", i, o.Kind)
		}
		vals := make([]float64, len(o.Params))
		for j, e := range o.Params {
			vals[j] = e.Eval(params)
		}
		psi = Apply(psi, o.Gate.Matrix(vals), o.Qubits[:o.Controls], o.NegControls, o.Targets())
	}
	return psi, nil
}

// Apply returns m applied to targets of psi where the controls hold
// (control j on |0> when bit j of neg is set). m is 2^k x 2^k row-major
// with index bit j the state of targets[j]; with no targets it is a phase.
func Apply(psi []complex128, m []complex128, controls []int, neg uint64, targets []int) []complex128 {
	out := make([]complex128, len(psi))
	d := 1 << len(targets)
	for i, a := range psi {
		if a == 0 {
			continue
		}
		on := true
		for j, c := range controls {
			if (i>>c&1 == 1) == (neg>>j&1 == 1) {
				on = false
			}
		}
		if !on {
			out[i] += a
			continue
		}
		col, base := 0, i
		for j, t := range targets {
			col |= (i >> t & 1) << j
			base &^= 1 << t
		}
		for row := range d {
			k := base
			for j, t := range targets {
				k |= (row >> j & 1) << t
			}
			out[k] += m[row*d+col] * a
		}
	}
	return out
}

// Random returns a random circuit of depth layers on n qubits: each layer
// puts a random one-qubit gate (with random angles) on every qubit and a
// random two-qubit gate (cx, cz, swap, rzz, cp, crx, or a Toffoli) on a
// random pair. It has no measurements.
func Random(rng *rand.Rand, n, depth int) *circuit.Program {
	p := &circuit.Program{Source: "random", Qubits: n}
	one := []circuit.Gate{circuit.H, circuit.X, circuit.Y, circuit.Z, circuit.S, circuit.T, circuit.Sdg,
		circuit.SX, circuit.RX, circuit.RY, circuit.RZ, circuit.P, circuit.U2, circuit.U3}
	angle := func() circuit.Expr { return circuit.Const((rng.Float64()*2 - 1) * 2 * math.Pi) }
	for range depth {
		for q := range n {
			g := one[rng.IntN(len(one))]
			ps := make([]circuit.Expr, g.NumParams())
			for j := range ps {
				ps[j] = angle()
			}
			p.Ops = append(p.Ops, circuit.Op{Kind: circuit.OpGate, Name: g.String(), Gate: g, Params: ps, Qubits: []int{q}})
		}
		if n < 2 {
			continue
		}
		a, b := rng.IntN(n), rng.IntN(n-1)
		if b >= a {
			b++
		}
		var o circuit.Op
		switch rng.IntN(7) {
		case 0:
			o = circuit.Op{Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{a, b}}
		case 1:
			o = circuit.Op{Name: "cz", Gate: circuit.Z, Controls: 1, Qubits: []int{a, b}}
		case 2:
			o = circuit.Op{Name: "swap", Gate: circuit.Swap, Qubits: []int{a, b}}
		case 3:
			o = circuit.Op{Name: "rzz", Gate: circuit.RZZ, Qubits: []int{a, b}, Params: []circuit.Expr{angle()}}
		case 4:
			o = circuit.Op{Name: "cp", Gate: circuit.P, Controls: 1, Qubits: []int{a, b}, Params: []circuit.Expr{angle()}}
		case 5:
			o = circuit.Op{Name: "crx", Gate: circuit.RX, Controls: 1, Qubits: []int{a, b}, Params: []circuit.Expr{angle()}}
		default:
			if n < 3 {
				o = circuit.Op{Name: "cy", Gate: circuit.Y, Controls: 1, Qubits: []int{a, b}}
				break
			}
			c := rng.IntN(n)
			for c == a || c == b {
				c = rng.IntN(n)
			}
			o = circuit.Op{Name: "ccx", Gate: circuit.X, Controls: 2, Qubits: []int{a, b, c}}
		}
		o.Kind = circuit.OpGate
		p.Ops = append(p.Ops, o)
	}
	if err := p.Validate(); err != nil {
		panic(err) // a bug in Random
	}
	return p
}
