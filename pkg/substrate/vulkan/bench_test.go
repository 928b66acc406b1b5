//go:build cgo

package vulkan

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

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
