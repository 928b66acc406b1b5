package cpu_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

// BenchmarkRoundTrip is the [core] target: Capability + Dispatch +
// Completion of a tiny native program on cpu (median <= 2 µs, <= 10 allocs).
func BenchmarkRoundTrip(b *testing.B) {
	p := parse(b, "param x: f32[4]\nparam y: f32[4]\na: f32[] = const 2\nax: f32[4] = mul a, x\nout: f32[4] = add ax, y\nreturn out")
	rt := sokr.New()
	if err := rt.RegisterSubstrate(cpu.New()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4}), sokr.FromSlice([]float32{1, 1, 1, 1})}
	b.ReportAllocs()
	for b.Loop() {
		if offers := rt.Capability(ctx, p); !offers[0].OK {
			b.Fatal(offers[0].Reason)
		}
		if _, err := rt.Dispatch(ctx, p, in).Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAxpy is the fused a*x + y over 10M f32 (compare with numpy in
// bench/cpu_vs_numpy.py).
func BenchmarkAxpy(b *testing.B) {
	const n = 10_000_000
	p := parse(b, fmt.Sprintf("param x: f32[%[1]d]\nparam y: f32[%[1]d]\na: f32[] = const 2\nax: f32[%[1]d] = mul a, x\nout: f32[%[1]d] = add ax, y\nreturn out", n))
	rt := sokr.New()
	if err := rt.RegisterSubstrate(cpu.New()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := []sokr.Tensor{sokr.FromSlice(make([]float32, n)), sokr.FromSlice(make([]float32, n))}
	b.SetBytes(3 * 4 * n)
	for b.Loop() {
		if _, err := rt.Run(ctx, p, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatmul1024 multiplies 1024x1024 f32 matrices through the BLAS
// (when installed) and through the Go kernel.
func BenchmarkMatmul1024(b *testing.B) {
	const n = 1024
	p := parse(b, fmt.Sprintf("param a: f32[%[1]d,%[1]d]\nparam b: f32[%[1]d,%[1]d]\nc: f32[%[1]d,%[1]d] = matmul a, b\nreturn c", n))
	in := []sokr.Tensor{sokr.FromSlice(make([]float32, n*n), n, n), sokr.FromSlice(make([]float32, n*n), n, n)}
	for _, s := range []*cpu.Substrate{cpu.New(), cpu.New(cpu.WithoutBLAS())} {
		b.Run("blas="+s.Describe()["blas"], func(b *testing.B) {
			rt := sokr.New()
			if err := rt.RegisterSubstrate(s); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for b.Loop() {
				if _, err := rt.Run(ctx, p, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
