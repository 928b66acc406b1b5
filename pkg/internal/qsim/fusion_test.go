package qsim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomGates returns gates on n qubits: one-, two- and three-qubit
// matrices, some controlled (on |0> or |1>), diagonal and permutation
// ones among them, and global phases.
func randomGates(rng *rand.Rand, n, count int) []Gate {
	var gs []Gate
	for range count {
		perm := rng.Perm(n)
		switch k := rng.IntN(6); k {
		case 0:
			gs = append(gs, Gate{Mat: []complex128{complex(0, 1)}}) // a global phase
		case 1:
			gs = append(gs, Gate{Qubits: perm[:2], NCtrl: 1, Neg: uint64(rng.IntN(2)), Mat: []complex128{0, 1, 1, 0}})
		case 2:
			gs = append(gs, Gate{Qubits: perm[:1], Mat: []complex128{1, 0, 0, complex(0.6, 0.8)}})
		default:
			nt := min(k-2, 3)
			gs = append(gs, Gate{Qubits: perm[:nt], Mat: randomMatrix(rng, 1<<nt)})
		}
	}
	return gs
}

// Fused passes, at every fusion size, act as the gates one by one.
func TestPassesMatchGates(t *testing.T) {
	const n = 6
	rng := rand.New(rand.NewPCG(1, 2))
	gates := randomGates(rng, n, 40)
	a0 := randomState(rng, n)
	want := append([]complex128(nil), a0...)
	phase := complex(1, 0)
	for _, g := range gates {
		if len(g.Qubits) == 0 {
			phase *= g.Mat[0]
			continue
		}
		applyDense(want, g.Targets(), g.Mat, g.Qubits[:g.NCtrl], g.Neg)
	}
	for i := range want {
		want[i] *= phase
	}
	for _, fusion := range []int{0, 1, 2, 3, 4, 5} {
		a := append([]complex128(nil), a0...)
		ps := Passes(gates, fusion)
		total := 0
		for _, p := range ps {
			assert.False(t, p.Noop)
			if fusion >= 2 {
				assert.LessOrEqual(t, len(p.Pos), max(fusion, 3), "fusion %d", fusion) // a lone 3-qubit gate keeps 3
			}
			total += p.Gates
			apply(p, a)
		}
		requireClose(t, want, a, "fusion")
		assert.LessOrEqual(t, total, len(gates))
		if fusion >= 3 {
			assert.Less(t, len(ps), len(gates)/2, "fusion %d fused little", fusion)
		}
	}
}

// The identity is dropped; a lone global phase becomes a pass of its own.
func TestPassesDropNoopsAndKeepPhase(t *testing.T) {
	assert.Empty(t, Passes([]Gate{{Qubits: []int{0}, Mat: Identity(2)}}, 0))
	ps := Passes([]Gate{{Mat: []complex128{-1}}}, 5)
	require.Len(t, ps, 1)
	assert.Equal(t, 0, ps[0].K)
	assert.Equal(t, []complex128{-1}, ps[0].Mat)
	// With a controlled gate only, the phase cannot be folded in.
	ps = Passes([]Gate{{Qubits: []int{0, 1}, NCtrl: 1, Mat: []complex128{0, 1, 1, 0}}, {Mat: []complex128{1i}}}, 0)
	require.Len(t, ps, 2)
}

// Every gate is in exactly one block, blocks keep to maxFused qubits
// (seed included), and a gate's predecessors on its qubits come first.
func TestFuseFromBlocks(t *testing.T) {
	const n = 8
	rng := rand.New(rand.NewPCG(5, 6))
	var gates []Gate
	for _, g := range randomGates(rng, n, 60) {
		if len(g.Qubits) > 0 {
			gates = append(gates, g)
		}
	}
	for _, seed := range [][]int{nil, {0}, {0, 1}} {
		blocks := FuseFrom(gates, 4, seed)
		order := make([]int, len(gates))
		pos := 0
		for _, blk := range blocks {
			on := map[int]bool{}
			for _, q := range seed {
				on[q] = true
			}
			for _, i := range blk {
				for _, q := range gates[i].Qubits {
					on[q] = true
				}
				order[i] = pos
				pos++
			}
			if len(blk) > 1 {
				assert.LessOrEqual(t, len(on), 4, "seed %v", seed)
			}
		}
		require.Equal(t, len(gates), pos)
		last := map[int]int{}
		for i, g := range gates {
			for _, q := range g.Qubits {
				if j, ok := last[q]; ok {
					assert.Less(t, order[j], order[i], "gate %d before gate %d on qubit %d", j, i, q)
				}
				last[q] = i
			}
		}
	}
	assert.Equal(t, FuseFrom(gates, 4, nil), Fuse(gates, 4))
}
