package snn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// benchLIF is the Open Neuromorphic benchmark's neuron: LIF with τ = 10 ms
// (uniform parameters), threshold 1, at dt = 1 ms.
func benchLIF(n int) *neuronParams {
	return &neuronParams{model: modelLIF, tau: fill(n, 1e-2), r: fill(n, 1), vLeak: fill(n, 0), vThresh: fill(n, 1), vReset: fill(n, 0)}
}

// BenchmarkLIFKernel times the LIF state update alone on one core: 16 x
// 4096 neurons, in cache, as the C kernel (best instruction set) and the Go
// fallback, uniform and per-neuron parameters.
func BenchmarkLIFKernel(b *testing.B) {
	const n, batch = 4096, 16
	rng := rand.New(rand.NewPCG(1, 1))
	sem := semantics{dt: 1e-3, solver: SolverEuler, reset: ResetToVReset, spikeTiming: SpikeAfterUpdate, amplitude: 1}
	for _, uniform := range []bool{true, false} {
		p := benchLIF(n)
		if !uniform {
			p.tau = randSlice(rng, n, 5e-3, 2e-2)
		}
		k, err := neuronCoefficients[float32](p, sem)
		if err != nil {
			b.Fatal(err)
		}
		v, x, out := make([]float32, n*batch), make([]float32, n*batch), make([]float32, n*batch)
		for i := range x {
			x[i] = float32(rng.Float64() * 0.3)
		}
		for _, impl := range []string{"c", "go"} {
			if impl == "c" && !haveC {
				continue
			}
			b.Run(fmt.Sprintf("uniform=%v/%s", uniform, impl), func(b *testing.B) {
				for b.Loop() {
					if impl == "c" {
						neuronStep(k, v, nil, x, out, 0, len(v))
					} else {
						goNeuronStep(k, v, nil, x, out, 0, len(v))
					}
				}
				b.ReportMetric(float64(b.N)*float64(len(v))/b.Elapsed().Seconds(), "updates/s")
			})
		}
	}
}

// workload is the Open Neuromorphic benchmark on CPU: Linear(n, n) + LIF,
// batch 16, 500 steps, n = 4096, with Bernoulli input spikes of the given
// activity.
func workload(n, batch, steps int, activity float64) (*network, sokr.Tensor) {
	rng := rand.New(rand.NewPCG(7, uint64(activity*1000)))
	w := make([]float64, n*n)
	for i := range w {
		w[i] = rng.NormFloat64() * 8 / math.Sqrt(float64(n)) // input std ≈ 2.5 at 10% activity: the LIF fires
	}
	units := []*unit{
		{name: "input", op: opInput, inShape: []int{n}, outShape: []int{n}},
		{name: "linear", op: opAffine, inShape: []int{n}, outShape: []int{n}, weight: w, inputs: []source{{unit: 0}}},
		{name: "lif", op: opNeuron, inShape: []int{n}, outShape: []int{n}, neuron: benchLIF(n), inputs: []source{{unit: 1}}},
		{name: "output", op: opOutput, inShape: []int{n}, outShape: []int{n}, inputs: []source{{unit: 2}}},
	}
	net, _ := order(units)
	net.inputs, net.outputs = []int{net.unitNamed("input")}, []int{net.unitNamed("output")}
	x := make([]float32, steps*batch*n)
	for i := range x {
		if rng.Float64() < activity {
			x[i] = 1
		}
	}
	return net, sokr.FromSlice(x, steps, batch, n)
}

// BenchmarkWorkload times the whole workload (compile and simulate, as a
// dispatch does) at 10% and 100% input activity with each propagation.
// Run with -benchtime=1x -count=5 and compare with bench/neuro_peers.py.
func BenchmarkWorkload(b *testing.B) {
	const n, batch, steps = 4096, 16, 500
	lib, _ := blas.Load()
	for _, activity := range []float64{0.1, 1} {
		net, x := workload(n, batch, steps, activity)
		for _, prop := range []string{PropagationAuto, PropagationEvent, PropagationDense} {
			b.Run(fmt.Sprintf("activity=%g/%s", activity, prop), func(b *testing.B) {
				if activity == 1 && prop == PropagationEvent {
					b.Skip("event-driven propagation of dense input is many times slower than sgemm (BenchmarkPropagation)")
				}
				sem, err := parseSemantics(map[string]any{"dt": 1e-3, "propagation": prop})
				if err != nil {
					b.Fatal(err)
				}
				var used string
				for b.Loop() {
					c, err := compile[float32](net, sem)
					if err != nil {
						b.Fatal(err)
					}
					_, cnt, err := simulate(context.Background(), c, newState(c, batch), []sokr.Tensor{x}, steps, runtime.GOMAXPROCS(0), lib)
					if err != nil {
						b.Fatal(err)
					}
					used = cnt.propagation()
				}
				per := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(n*batch*steps)/per, "neuron-updates/s")
				b.ReportMetric(per, "s/run")
				b.Logf("activity %g, %s propagation (ran %s): %v per run", activity, prop, used, time.Duration(per*1e9))
			})
		}
	}
}
