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
// output widths that leave a narrow last block, with inputs of any value
// and with spikes of amplitude 1 (the C kernel's path without products).
func testSpmm[F float](t *testing.T) {
	if !haveC {
		t.Skip("built without cgo: only the Go kernels exist")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		dims   [3]int
		spikes bool
	}{
		{[3]int{1, 1, 1}, false}, {[3]int{71, 50, 70}, false}, {[3]int{9, 4096, 40}, false}, {[3]int{3, 129, 130}, false},
		{[3]int{2, 5, 0}, false}, {[3]int{4, 0, 3}, false},
		{[3]int{1, 1, 1}, true}, {[3]int{71, 50, 70}, true}, {[3]int{9, 4096, 40}, true}, {[3]int{33, 300, 97}, true},
	} {
		dims := c.dims
		rows, nin, nout := dims[0], dims[1], dims[2]
		x, bias := randomFloats[F](rng, rows*nin), randomFloats[F](rng, nout)
		if c.spikes {
			for i := range x {
				x[i] = 0
				if rng.IntN(5) == 0 {
					x[i] = 1
				}
			}
		}
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
				require.Equal(t, wantNNZ, nnz, "dims %v spikes %v isa %d", dims, c.spikes, isa)
				require.Equal(t, want, got, "dims %v spikes %v isa %d", dims, c.spikes, isa)
			}
		}
	}
}

func TestSpmmF32(t *testing.T) { testSpmm[float32](t) }
func TestSpmmF64(t *testing.T) { testSpmm[float64](t) }

// TestPackWeightWorkers checks the packed weight against its definition,
// wp[b][j][c] = w[b·cols+c, j] with zeros past nout, on one worker and on
// several (whole blocks each), for widths that leave a narrow last block.
func TestPackWeightWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dims := range [][2]int{{1, 1}, {7, 33}, {50, 70}, {129, 200}, {3, 0}, {0, 5}} {
		nin, nout := dims[0], dims[1]
		w := randSlice(rng, nin*nout, -1, 1)
		cols := spmmCols[float32]()
		nb := (nout + cols - 1) / cols
		want := make([]float32, nb*nin*cols)
		for b := range nb {
			for j := range nin {
				for c := range cols {
					if o := b*cols + c; o < nout {
						want[(b*nin+j)*cols+c] = float32(w[o*nin+j])
					}
				}
			}
		}
		for _, workers := range []int{1, 2, 3, 8} {
			require.Equal(t, want, packWeightOn[float32](w, nin, nout, workers), "dims %v workers %d", dims, workers)
		}
		require.Equal(t, want, packWeight[float32](w, nin, nout), "dims %v", dims)
	}
}
