// Command cpu measures SOKR's cpu substrate on the workloads that
// bench/cpu_vs_numpy.py compares with numpy, and prints the medians as JSON.
//
//	go run ./bench/cpu -reps 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

func main() {
	reps := flag.Int("reps", 20, "repetitions per workload (the median is reported)")
	n := flag.Int("n", 10_000_000, "elements of the axpy vectors")
	m := flag.Int("m", 1024, "matmul size (m = k = n)")
	flag.Parse()
	if err := run(*reps, *n, *m); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(reps, n, m int) error {
	ctx := context.Background()
	out := map[string]any{}

	axpy, err := native.Parse(fmt.Appendf(nil, `sokr.native/1
param x: f32[%[1]d]
param y: f32[%[1]d]
a: f32[] = const 2
ax: f32[%[1]d] = mul a, x
out: f32[%[1]d] = add ax, y
return out
`, n))
	if err != nil {
		return err
	}
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%1000), float32(i%7)
	}
	s := cpu.New()
	rt := sokr.New()
	if err := rt.RegisterSubstrate(s); err != nil {
		return err
	}
	inputs := []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)}
	t, err := median(reps, func() error { _, err := rt.Run(ctx, axpy, inputs); return err })
	if err != nil {
		return err
	}
	out["axpy_f32_s"] = t.Seconds()
	out["axpy_n"] = n

	mm, err := native.Parse(fmt.Appendf(nil, `sokr.native/1
param a: f32[%[1]d,%[1]d]
param b: f32[%[1]d,%[1]d]
c: f32[%[1]d,%[1]d] = matmul a, b
return c
`, m))
	if err != nil {
		return err
	}
	a, b := make([]float32, m*m), make([]float32, m*m)
	for i := range a {
		a[i], b[i] = float32(i%13)/13, float32(i%11)/11
	}
	mmIn := []sokr.Tensor{sokr.FromSlice(a, m, m), sokr.FromSlice(b, m, m)}
	for _, v := range []struct {
		key string
		sub *cpu.Substrate
	}{{"matmul_f32_blas_s", s}, {"matmul_f32_go_s", cpu.New(cpu.WithoutBLAS())}} {
		if v.key == "matmul_f32_blas_s" && v.sub.Describe()["blas"] == "go" {
			continue // no BLAS installed
		}
		r := sokr.New()
		if err := r.RegisterSubstrate(v.sub); err != nil {
			return err
		}
		t, err := median(reps, func() error { _, err := r.Run(ctx, mm, mmIn); return err })
		if err != nil {
			return err
		}
		out[v.key] = t.Seconds()
	}
	out["matmul_n"] = m

	// The round trip of a tiny program: Capability + Dispatch + Completion,
	// each call timed on its own, the median reported. It runs last, after a
	// pause that lets OpenBLAS's threads (which spin a while after each call)
	// go idle, and a collection, so that neither competes with it.
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	tiny, err := native.Parse([]byte("sokr.native/1\nparam x: f32[4]\nparam y: f32[4]\na: f32[] = const 2\nax: f32[4] = mul a, x\nout: f32[4] = add ax, y\nreturn out\n"))
	if err != nil {
		return err
	}
	tin := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4}), sokr.FromSlice([]float32{1, 1, 1, 1})}
	calls := make([]time.Duration, 100_000)
	for i := range calls {
		start := time.Now()
		if !rt.Capability(ctx, tiny)[0].OK {
			return fmt.Errorf("cpu refused the tiny program")
		}
		if _, err := rt.Dispatch(ctx, tiny, tin).Wait(ctx); err != nil {
			return err
		}
		calls[i] = time.Since(start)
	}
	slices.Sort(calls)
	out["roundtrip_median_s"] = calls[len(calls)/2].Seconds()

	out["blas"] = s.Describe()["blas"]
	out["workers"] = s.Describe()["workers"]
	return json.NewEncoder(os.Stdout).Encode(out)
}

// median runs fn once to warm up, then reps times, and returns the median.
func median(reps int, fn func() error) (time.Duration, error) {
	if err := fn(); err != nil {
		return 0, err
	}
	ts := make([]time.Duration, reps)
	for i := range ts {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ts[i] = time.Since(start)
	}
	slices.Sort(ts)
	return ts[reps/2], nil
}
