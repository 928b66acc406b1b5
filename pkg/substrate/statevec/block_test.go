package statevec

import (
	"fmt"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
)

// Cache-blocked runs (chunks made small so that small states split into
// many) give the states of unblocked runs and of the reference, on random
// circuits over the whole gate table (controlled gates, negative controls,
// gates on the highest and lowest qubits), in both precisions, at odd and
// even qubit counts, with one worker and several.
func TestBlockedMatchesUnblocked(t *testing.T) {
	for _, n := range []int{11, 12, 13} { // chunks of 8 or 9 qubits (c128), 8 to 10 (c64)
		rng := rand.New(rand.NewPCG(uint64(n), 99))
		p := circuittest.Random(rng, n, 8)
		want, err := circuittest.State(p, nil)
		require.NoError(t, err)
		for _, workers := range []int{1, 3} {
			for _, blockBytes := range []int{2048, 4096, 8192} {
				blocked := New(Config{Workers: workers, MinParallel: 1, BlockBytes: blockBytes})
				plain := New(Config{Workers: workers, MinParallel: 1, BlockBytes: -1})
				for _, fusion := range []int{0, 2, 4, 5} {
					for _, prec := range []string{"complex128", "complex64"} {
						tol := 1e-10
						if prec == "complex64" {
							tol = 1e-4
						}
						msg := fmt.Sprintf("n=%d workers=%d block=%d fusion=%d %s", n, workers, blockBytes, fusion, prec)
						params := map[string]any{"fusion": fusion, "precision": prec}
						res := mustRun(t, blocked, p, map[string]any{"fusion": fusion, "precision": prec, "mode": "state"})
						if blockingFor(n, map[string]int{"complex128": 16, "complex64": 8}[prec], fusion, blockBytes).qubits > 0 {
							require.NotEqual(t, res.Meta["sweeps"], res.Meta["fused_gates"], "%s: not blocked", msg)
						}
						got := stateOf(t, blocked, p, params)
						requireStatesClose(t, want, got, tol, msg)
						requireStatesClose(t, stateOf(t, plain, p, params), got, tol, msg+" (against unblocked)")
					}
				}
			}
		}
	}
}

// A circuit of layers of one-qubit gates and a brickwork of cz, the
// benchmark's shape, blocked into several stages, some of whose lanes are
// not the lowest qubits (gathered with a transpose).
func TestBlockedBrickwork(t *testing.T) {
	const n = 14
	b := newCircuit(n, 0)
	rng := rand.New(rand.NewPCG(5, 5))
	for layer := range 10 {
		for q := range n {
			b.gate(circuit.U3, 0, []int{q}, rng.Float64()*3, rng.Float64()*3, rng.Float64()*3)
		}
		for q := layer % 2; q+1 < n; q += 2 {
			b.gate(circuit.Z, 1, []int{q, q + 1})
		}
	}
	b.gate(circuit.X, 3, []int{n - 1, 0, 5, 7}) // controls on the highest and lowest qubits
	b.gate(circuit.GPhase, 0, []int{}, 0.7)
	p := b.build(t)
	want, err := circuittest.State(p, nil)
	require.NoError(t, err)
	for _, prec := range []string{"complex128", "complex64"} {
		tol := 1e-10
		if prec == "complex64" {
			tol = 1e-4
		}
		s := New(Config{Workers: 2, MinParallel: 1, BlockBytes: 4096})
		pl, err := compile(p, nil, 5, true, blockingFor(n, map[string]int{"complex128": 16, "complex64": 8}[prec], 5, 4096))
		require.NoError(t, err)
		transposed := 0
		for _, ps := range pl.Prefix {
			if ps.stage != nil && ps.stage.lane != nil {
				transposed++
			}
		}
		require.Greater(t, pl.sweeps, 2, prec)
		require.Positive(t, transposed, "%s: no stage gathers with a transpose", prec)
		requireStatesClose(t, want, stateOf(t, s, p, map[string]any{"precision": prec}), tol, prec)
	}
}

// The kernels across lanes compute what the Go kernels compute, for passes
// of every kind and size on qubits above the lanes.
func TestLaneKernelsMatchGo(t *testing.T) {
	if !haveNative {
		t.Skip("built without cgo: the Go kernels are the only ones")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const n = 10
	tested := 0
	for range 4 {
		for _, tc := range randomPasses(rng, n) {
			for isa := isaBaseline; isa <= isaV4; isa++ {
				if isa > bestISA() {
					continue
				}
				state := randomState(rng, n)
				nb := len(state) >> len(tc.p.Pos)
				if tc.p.lanes128 != nil {
					want := append([]complex128(nil), state...)
					got := append([]complex128(nil), state...)
					runPassGo(tc.p, want, 0, nb)
					require.True(t, runLanesISA(tc.p, got, 0, nb/2, isa))
					require.True(t, runLanesISA(tc.p, got, nb/2, nb, isa))
					for i := range want {
						require.LessOrEqual(t, cmplx.Abs(want[i]-got[i]), 1e-15, "%s isa=%d complex128 amplitude %d", tc.name, isa, i)
					}
					tested++
				}
				if tc.p.lanes64 != nil {
					want, got := toC64(state), toC64(state)
					runPassGo(tc.p, want, 0, nb)
					require.True(t, runLanesISA(tc.p, got, 0, nb, isa))
					for i := range want {
						require.LessOrEqual(t, cmplx.Abs(complex128(want[i]-got[i])), 1e-6, "%s isa=%d complex64 amplitude %d", tc.name, isa, i)
					}
					tested++
				}
			}
		}
	}
	require.Greater(t, tested, 50)
}

// The C gather and scatter (sv_gather) move the amplitudes the Go ones
// move, for stages copied in runs and stages transposed into lanes.
func TestGatherMatchesGo(t *testing.T) {
	const n = 12
	rng := rand.New(rand.NewPCG(21, 22))
	state := randomState(rng, n)
	for _, ampBytes := range []int{16, 8} {
		blk := blockingFor(n, ampBytes, 3, 1<<9*ampBytes) // 9-qubit chunks
		require.Equal(t, 9, blk.qubits)
		for _, on := range [][]int{{5}, {n - 1}, {0}, {1, 7}, {2, n - 2}} {
			st := newStage([]gate{{Qubits: on, Mat: qsim.Identity(1 << len(on))}}, on, n, blk).stage
			for c := range 1 << (n - 9) {
				base := deposit(c, st.outer)
				if ampBytes == 16 {
					checkGather(t, st, state, base, fmt.Sprint(on))
				} else {
					checkGather(t, st, toC64(state), base, fmt.Sprint(on))
				}
			}
		}
	}
}

func checkGather[T amp](t *testing.T, st *stage, state []T, base int, msg string) {
	t.Helper()
	size := 1 << len(st.qubits)
	want, got := make([]T, size), make([]T, size)
	gatherChunkGo(st, state, want, base, false)
	gatherChunk(st, state, got, base, false)
	require.Equal(t, want, got, msg)
	// Chunk bit i is qubit st.qubits[i].
	for i, v := range want {
		idx := base
		for b, q := range st.qubits {
			idx |= (i >> b & 1) << q
		}
		require.Equal(t, state[idx], v, "%s: chunk element %d", msg, i)
	}
	back, backGo := slices.Clone(state), slices.Clone(state)
	for i := range got {
		got[i] *= 2
	}
	gatherChunk(st, back, got, base, true)
	gatherChunkGo(st, backGo, got, base, true)
	require.Equal(t, backGo, back, msg)
}

// A stage stops taking chunks once its stop function says so (a cancelled
// run), rather than finishing a sweep that takes seconds on large states.
func TestStageStops(t *testing.T) {
	const n = 12
	x := newSim[complex128](n, 1, 1)
	x.reset()
	blk := blockingFor(n, 16, 3, 4096) // 8-qubit chunks: 16 of them
	p := newStage([]gate{{Qubits: []int{n - 1}, Mat: []complex128{0, 1, 1, 0}}}, []int{n - 1}, n, blk)
	calls := 0
	x.applyStop(p, func() bool { calls++; return calls > 2 })
	// Two chunks ran: the one holding |0...0> moved it to |10...0>.
	require.Equal(t, complex128(0), x.a[0])
	require.Equal(t, complex128(1), x.a[1<<(n-1)])
	require.Equal(t, 3, calls)
}

// Unblocked passes across lanes give bit-identical states whatever the
// number of workers: each amplitude goes through the same kernel.
func TestLanesIndependentOfWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	p := circuittest.Random(rng, 12, 10)
	for _, prec := range []string{"complex128", "complex64"} {
		params := map[string]any{"precision": prec, "fusion": 3}
		one := stateOf(t, New(Config{Workers: 1, BlockBytes: -1}), p, params)
		for _, w := range []int{2, 3, 5} {
			got := stateOf(t, New(Config{Workers: w, MinParallel: 1, BlockBytes: -1}), p, params)
			require.Equal(t, one, got, "%s, %d workers", prec, w)
		}
	}
}

// Dynamic circuits (mid-circuit measurement, reset, a branch) run their
// per-shot gates through blocked stages too, with the counts of unblocked
// runs (the same seed draws the same outcomes).
func TestBlockedDynamicCircuit(t *testing.T) {
	const n = 12
	rng := rand.New(rand.NewPCG(31, 32))
	b := newCircuit(n, 3)
	for q := range n {
		b.gate(circuit.U3, 0, []int{q}, rng.Float64()*3, rng.Float64()*3, rng.Float64()*3)
	}
	b.cx(0, n-1).measure(n-1, 0).reset(n - 1)
	b.ifBits([]int{0}, 1, func(b *builder) {
		for q := range n {
			b.gate(circuit.RY, 0, []int{q}, 0.4+0.1*float64(q))
		}
		b.cx(3, 9)
	})
	for q := range n - 1 {
		b.cx(q, q+1)
	}
	b.measure(0, 1).measure(n-1, 2)
	p := b.build(t)
	for _, prec := range []string{"complex128", "complex64"} {
		params := map[string]any{"shots": 300, "precision": prec}
		blocked := mustRun(t, New(Config{Workers: 2, MinParallel: 1, BlockBytes: 2048}), p, params, 5)
		plain := mustRun(t, New(Config{Workers: 2, MinParallel: 1, BlockBytes: -1}), p, params, 5)
		require.Equal(t, countsOf(t, plain), countsOf(t, blocked), prec)
	}
	// The remainder's passes are stages.
	pl, err := compile(p, nil, 5, false, blockingFor(n, 8, 5, 2048))
	require.NoError(t, err)
	stages := 0
	var walk func([]step)
	walk = func(ss []step) {
		for _, s := range ss {
			if s.Kind == qsim.StepPass && s.Pass.stage != nil {
				stages++
			}
			walk(s.Then)
			walk(s.Else)
		}
	}
	walk(pl.Rest)
	require.Positive(t, stages)
}
