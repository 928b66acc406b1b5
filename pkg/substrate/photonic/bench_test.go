package photonic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
)

// bosonProgram is n photons in the first n of m modes through a
// Haar-random interferometer.
func bosonProgram(b *testing.B, n, m int) *ir.Program {
	b.Helper()
	r := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	in := make(ir.FockState, m)
	for i := range n {
		in[i] = 1
	}
	p, err := ir.NewBuilder(m).Input(in...).Unitary(allModes(m), haar(r, m)).Build()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the process's CPU time (user and system). The benchmarks
// report CPU nanoseconds per step beside the wall time: on a machine
// shared with other work, wall time measures the sharing, while CPU time
// still measures the kernel, which is what the time model's constants
// (nsGlynn, nsMinor, nsSLOS) are.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSample times Clifford & Clifford samples of n photons in 4n
// modes on every worker (GOMAXPROCS); samples/s is the sampling rate, and
// cpu/model the CPU time of a sample over the time model's forecast for
// one core (sampleNs), which should stay below 1.
func BenchmarkSample(b *testing.B) {
	for _, n := range []int{8, 10, 12, 14, 16} {
		b.Run(fmt.Sprintf("photons=%d", n), func(b *testing.B) {
			md := modelOf(bosonProgram(b, n, 4*n))
			s := New(Config{})
			shots := max(s.workers*64, 1<<max(18-n, 0))
			cpu := cpuTime()
			for b.Loop() {
				if _, err := sampleShots(context.Background(), md, shots, 1, s.workers); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			samples := float64(b.N) * float64(shots)
			b.ReportMetric(samples/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/samples/sampleNs(n, md.mm), "cpu/model")
		})
	}
}

// BenchmarkDistribution times SLOS full distributions of n photons in 2n
// modes; cpu-ns/state-step is what nsSLOS forecasts.
func BenchmarkDistribution(b *testing.B) {
	for _, n := range []int{4, 6, 8} {
		b.Run(fmt.Sprintf("photons=%d,modes=%d", n, 2*n), func(b *testing.B) {
			md := modelOf(bosonProgram(b, n, 2*n))
			s := New(Config{})
			fs := newFockSpace(md.mm, n)
			var steps float64
			for L := 1; L <= n; L++ {
				steps += float64(fs.size(L)) * float64(2*L+1)
			}
			cpu := cpuTime()
			for b.Loop() {
				if _, _, err := distribution(context.Background(), md, s.workers); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/steps, "cpu-ns/state-step")
			b.ReportMetric(float64(fs.size(n)), "states")
		})
	}
}
