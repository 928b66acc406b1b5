//go:build cgo

package vulkan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

// BenchmarkNative runs native programs on this machine's first Vulkan device
// and on cpu: wall time per run, and the GPU's own kernel time (gpu-ns/op).
//
//	go test -run '^$' -bench Native ./pkg/substrate/vulkan
func BenchmarkNative(b *testing.B) {
	s, err := sharedGPU()
	if err != nil {
		b.Skipf("no Vulkan here: %v", err)
	}
	const n = 1 << 22
	progs := map[string]string{
		"reduce_sum": fmt.Sprintf("param x: f32[%d]\ns: f32[] = reduce_sum x, axes=[0]\nreturn s", n),
		"chain":      fmt.Sprintf("param x: f32[%d]\ne: f32[%d] = exp x\nt: f32[%d] = tanh e\ns: f32[] = reduce_sum t, axes=[0]\nreturn s", n, n, n),
		"matmul":     "param a: f32[512,512]\nparam b: f32[512,512]\nc: f32[512,512] = matmul a, b\nreturn c",
	}
	for _, name := range []string{"reduce_sum", "chain", "matmul"} {
		p := parse(b, progs[name])
		var inputs []sokr.Tensor
		for _, i := range p.Params {
			inputs = append(inputs, sokr.NewTensor(sokr.F32, p.Nodes[i].Type.Shape...))
		}
		for _, sub := range []sokr.Substrate{s, cpu.New()} {
			b.Run(name+"/"+sub.Name(), func(b *testing.B) {
				rt := sokr.New()
				require.NoError(b, rt.RegisterSubstrate(sub))
				defer rt.UnregisterSubstrate(sub.Name())
				var gpuNs float64
				for b.Loop() {
					res, err := rt.Run(context.Background(), p, inputs)
					require.NoError(b, err)
					g, _ := strconv.ParseFloat(res.Meta["gpu_time_ns"], 64)
					gpuNs += g
				}
				if sub == s {
					b.ReportMetric(gpuNs/float64(b.N), "gpu-ns/op")
				}
			})
		}
	}
}

// BenchmarkCircuit times one-qubit gate passes on a 24-qubit complex64
// state: the GPU time of a circuit of 16 Hadamards on one qubit (fusion
// off) less that of an empty one, per pass, and the bandwidth that is (a
// pass reads and writes the state: 256 MiB). $SOKR_PEAK_GBPS, the device's
// peak memory bandwidth in GB/s (3352 on an H100 SXM), adds the fraction
// of it. On lavapipe it is a smoke test only.
//
//	go test -run '^$' -bench Circuit -benchtime 3x ./pkg/substrate/vulkan
func BenchmarkCircuit(b *testing.B) {
	s, err := sharedGPU()
	if err != nil {
		b.Skipf("no Vulkan here: %v", err)
	}
	const n, gates = 24, 16
	src := func(g int) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[%d] q;\n", n)
		for i := range g {
			fmt.Fprintf(&sb, "h q[%d];\n", (i%2)*(n-1)) // the lowest and the highest qubit
		}
		return sb.String()
	}
	full, empty := parseQASM(b, src(gates)), parseQASM(b, src(0))
	rt := sokr.New()
	require.NoError(b, rt.RegisterSubstrate(s))
	defer rt.UnregisterSubstrate(s.Name())
	gpuNs := func(p sokr.Program) float64 {
		res, err := rt.Run(context.Background(), p, nil, sokr.On(s.Name()), sokr.Param("fusion", 0), sokr.Param("shots", 1),
			sokr.Param("precision", "complex64"))
		require.NoError(b, err)
		g, err := strconv.ParseFloat(res.Meta["gpu_time_ns"], 64)
		require.NoError(b, err, "no GPU timestamps")
		return g
	}
	var perPass float64
	for b.Loop() {
		perPass += (gpuNs(full) - gpuNs(empty)) / gates
	}
	perPass /= float64(b.N)
	gbps := float64(2*8<<n) / perPass // bytes per ns = GB/s
	b.ReportMetric(perPass, "pass-ns")
	b.ReportMetric(gbps, "GB/s")
	if peak, err := strconv.ParseFloat(os.Getenv("SOKR_PEAK_GBPS"), 64); err == nil && peak > 0 {
		b.ReportMetric(gbps/peak, "of-peak")
	}
}

// BenchmarkNIRPropagation times a NIR layer's products under propagation
// "dense" (the matmul kernel) and "event" (eventmask.comp, then
// eventmm.comp): Linear(n, n) + LIF, batch 16, 20 steps (one GEMM of 320
// rows), at input activities from 50% to 0.5%; gpu-ns/op is the kernels'
// time (the products, and the LIF's 20 steps of elementwise kernels,
// the same in both).
//
//	go test -run '^$' -bench NIRPropagation -benchtime 3x ./pkg/substrate/vulkan
func BenchmarkNIRPropagation(b *testing.B) {
	s, err := sharedGPU()
	if err != nil {
		b.Skipf("no Vulkan here: %v", err)
	}
	const n, batch, steps = 2048, 16, 20
	rng := rand.New(rand.NewPCG(1, 2))
	g := twoLayerGraph(rng, n, n, 1) // only its input layer and first LIF are used
	g.Nodes = []*nir.Node{g.Nodes[0], g.Nodes[1], g.Nodes[2], {Name: "output", Prim: &nir.Output{Shape: []int{n}}}}
	g.Edges = []nir.Edge{{From: "input", To: "fc1"}, {From: "fc1", To: "lif1"}, {From: "lif1", To: "output"}}
	p, err := nir.New(g)
	require.NoError(b, err)
	for _, a := range []float64{0.5, 0.1, 0.02, 0.005} {
		x := make([]float32, steps*batch*n)
		for i := range x {
			if rng.Float64() < a {
				x[i] = 1
			}
		}
		in := []sokr.Tensor{sokr.FromSlice(x, steps, batch, n)}
		for _, prop := range []string{"dense", "event"} {
			b.Run(fmt.Sprintf("activity=%g/%s", a, prop), func(b *testing.B) {
				rt := sokr.New()
				require.NoError(b, rt.RegisterSubstrate(s))
				defer rt.UnregisterSubstrate(s.Name())
				var gpuNs float64
				for b.Loop() {
					res, err := rt.Run(context.Background(), p, in, sokr.Param("propagation", prop))
					require.NoError(b, err)
					require.Equal(b, prop, res.Meta["propagation"])
					g, _ := strconv.ParseFloat(res.Meta["gpu_time_ns"], 64)
					gpuNs += g
				}
				b.ReportMetric(gpuNs/float64(b.N), "gpu-ns/op")
			})
		}
	}
}
