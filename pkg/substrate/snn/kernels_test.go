package snn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomKernel returns a neuron kernel with random coefficients; inputs
// and states are drawn so that some neurons cross the threshold.
func randomKernel[F float](rng *rand.Rand, n int, kind int32, reset resetMode, before, uniform bool) *neuronKernel[F] {
	w := n
	if uniform {
		w = 1
	}
	k := &neuronKernel[F]{kind: kind, reset: reset, before: before, uniform: uniform, n: n, amp: 1.5, coef: make([]F, numCoef*w)}
	for i := range k.coef {
		k.coef[i] = F(rng.Float64())
	}
	return k
}

func randomFloats[F float](rng *rand.Rand, n int) []F {
	s := make([]F, n)
	for i := range s {
		s[i] = F(2 * rng.Float64())
		if rng.IntN(3) == 0 {
			s[i] = 0
		}
	}
	return s
}

// testNeuronKernels checks that the C kernels (every instruction-set
// variant) compute bit for bit what goNeuronStep does, for every kind,
// reset, spike timing and coefficient layout, over odd ranges.
func testNeuronKernels[F float](t *testing.T) {
	if !haveC {
		t.Skip("built without cgo: only the Go kernels exist")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n, batch = 37, 3
	for _, kind := range []int32{kindVoltage, kindCurrent} {
		for _, reset := range []resetMode{resetNone, resetToVReset, resetSubtract} {
			for _, before := range []bool{false, true} {
				for _, uniform := range []bool{false, true} {
					k := randomKernel[F](rng, n, kind, reset, before, uniform)
					v0, c0, x := randomFloats[F](rng, n*batch), randomFloats[F](rng, n*batch), randomFloats[F](rng, n*batch)
					lo, hi := 5, n*batch-4
					vg, cg, og := slices.Clone(v0), slices.Clone(c0), make([]F, n*batch)
					want := goNeuronStep(k, vg, cg, x, og, lo, hi)
					for isa := isaBaseline; isa <= bestISA; isa++ {
						name := fmt.Sprintf("kind %d reset %d before %v uniform %v isa %d", kind, reset, before, uniform, isa)
						vc, cc, oc := slices.Clone(v0), slices.Clone(c0), make([]F, n*batch)
						got := neuronStepISA(isa, k, vc, cc, x, oc, lo, hi)
						require.Equal(t, want, got, name)
						require.Equal(t, vg, vc, name)
						require.Equal(t, og, oc, name)
						if kind == kindCurrent {
							require.Equal(t, cg, cc, name)
						}
					}
					if reset != resetNone {
						require.Positive(t, want, "the test draws no spikes")
					}
				}
			}
		}
	}
}

func TestNeuronKernelsF32(t *testing.T) { testNeuronKernels[float32](t) }
func TestNeuronKernelsF64(t *testing.T) { testNeuronKernels[float64](t) }

// testSpmm checks the C event-driven propagation against goSpmm, bit for
// bit, with and without bias, over more rows than one gather group and
// output widths that leave a narrow last block.
func testSpmm[F float](t *testing.T) {
	if !haveC {
		t.Skip("built without cgo: only the Go kernels exist")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dims := range [][3]int{{1, 1, 1}, {71, 50, 70}, {9, 4096, 40}, {3, 129, 130}, {2, 5, 0}, {4, 0, 3}} {
		rows, nin, nout := dims[0], dims[1], dims[2]
		x, bias := randomFloats[F](rng, rows*nin), randomFloats[F](rng, nout)
		w := f64s(randomFloats[F](rng, nout*nin))
		wp := packWeight[F](w, nin, nout)
		for _, b := range [][]F{nil, bias} {
			want := make([]F, rows*nout)
			wantNNZ := goSpmm(rows, nin, nout, x, wp, b, want)
			require.Equal(t, goCountNonzero(x), wantNNZ)
			require.Equal(t, wantNNZ, countNonzero(x))
			for isa := isaBaseline; isa <= bestISA; isa++ {
				got := make([]F, rows*nout)
				var sc spmmScratch[F]
				nnz := spmmISA(isa, rows, nin, nout, x, wp, b, got, &sc)
				require.Equal(t, wantNNZ, nnz, "dims %v isa %d", dims, isa)
				require.Equal(t, want, got, "dims %v isa %d", dims, isa)
			}
		}
	}
}

func TestSpmmF32(t *testing.T) { testSpmm[float32](t) }
func TestSpmmF64(t *testing.T) { testSpmm[float64](t) }
