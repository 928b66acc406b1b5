package statevec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
)

// Random circuits against the naive dense reference (circuittest.State),
// amplitude by amplitude, at every fusion size, in both precisions, on one
// worker and with the parallel paths forced on small states.
func TestRandomCircuitsMatchReference(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 8, 12}
	subs := map[string]*Substrate{
		"serial":   New(Config{Workers: 1}),
		"parallel": New(Config{Workers: 3, MinParallel: 1}),
	}
	for _, n := range sizes {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		depth := 12
		if n == 12 {
			depth = 6
		}
		p := circuittest.Random(rng, n, depth)
		want, err := circuittest.State(p, nil)
		require.NoError(t, err)
		for name, s := range subs {
			for _, fusion := range []int{0, 2, 3, 5} {
				for _, prec := range []string{"complex128", "complex64"} {
					tol := 1e-10
					if prec == "complex64" {
						tol = 1e-4
					}
					msg := fmt.Sprintf("n=%d %s fusion=%d %s", n, name, fusion, prec)
					got := stateOf(t, s, p, map[string]any{"fusion": fusion, "precision": prec})
					requireStatesClose(t, want, got, tol, msg)
					var norm float64
					for _, a := range got {
						norm += real(a)*real(a) + imag(a)*imag(a)
					}
					require.InDelta(t, 1, norm, 10*tol, "%s: norm", msg)
				}
			}
		}
	}
}

func TestFusedBlocksStayWithinLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	p := circuittest.Random(rng, 10, 20)
	for _, fusion := range []int{2, 3, 4, 5} {
		pl, err := compile(p, nil, fusion, true, blocking{})
		require.NoError(t, err)
		for _, ps := range pl.Prefix {
			require.LessOrEqual(t, ps.K, max(fusion, 3), "fusion %d", fusion) // a lone Toffoli keeps its 3 qubits
		}
		require.Less(t, pl.fused, pl.Gates, "fusion %d fused nothing", fusion)
	}
	_ = math.Pi
}

// Every gate of the table, negative controls, multi-controlled gates wider
// than the fusion limit and a global phase, against the reference.
func TestAllGatesMatchReference(t *testing.T) {
	b := newCircuit(6, 0)
	for q := range 6 {
		b.h(q)
	}
	angle := 0.3
	for g := circuit.I; g <= circuit.RZZ; g++ {
		ps := make([]float64, g.NumParams())
		for i := range ps {
			angle += 0.7
			ps[i] = angle
		}
		qs := []int{1, 4}[:g.Targets()]
		b.gate(g, 0, qs, ps...)
		// Controlled on 0 and 5, the first on |0>.
		b.gate(g, 2, append([]int{0, 5}, []int{3, 2}[:g.Targets()]...), ps...)
		b.p.Ops[len(b.p.Ops)-1].NegControls = 1
	}
	b.gate(circuit.X, 5, []int{0, 1, 2, 3, 4, 5}) // a 5-control Toffoli: wider than fusion 3
	b.gate(circuit.GPhase, 0, []int{}, 0.4)
	b.gate(circuit.GPhase, 2, []int{2, 3}, 0.9)
	p := b.build(t)
	want, err := circuittest.State(p, nil)
	require.NoError(t, err)
	s := New(Config{Workers: 2, MinParallel: 1})
	for _, fusion := range []int{0, 3, 5} {
		got := stateOf(t, s, p, map[string]any{"fusion": fusion})
		requireStatesClose(t, want, got, 1e-10, fmt.Sprintf("fusion %d", fusion))
	}
}

func TestZeroQubits(t *testing.T) {
	p := newCircuit(0, 0).gate(circuit.GPhase, 0, []int{}, 1).build(t)
	s := New(Config{})
	assert.Equal(t, map[string]int64{"": 5}, countsOf(t, mustRun(t, s, p, map[string]any{"shots": 5})))
	st := stateOf(t, s, p, nil)
	require.Len(t, st, 1)
	assert.InDelta(t, math.Cos(1), real(st[0]), 1e-12)
}
