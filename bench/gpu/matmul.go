package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// MatmulResult is the matmul section of the report.
type MatmulResult struct {
	Sizes []MatmulRun `json:"sizes"`
}

// MatmulRun is one square f32 product C = A B through the vulkan
// substrate's built-in tiled kernel; GFLOP/s count 2 n^3 operations over
// the GPU timestamps around the kernel.
type MatmulRun struct {
	N            int       `json:"n"`
	ColdWallMs   float64   `json:"cold_wall_ms"`
	GPUNs        []float64 `json:"gpu_ns"`
	GPUMs        Dist      `json:"gpu_ms"`
	WallMs       Dist      `json:"wall_ms"`
	BestGFLOPS   float64   `json:"best_gflops"`
	MedianGFLOPS float64   `json:"median_gflops"`
	Checked      int       `json:"checked"` // entries compared with a float64 reference
	MaxAbsErr    float64   `json:"max_abs_err"`
	Correct      bool      `json:"correct"`
	Error        string    `json:"error,omitempty"`
}

func matmulProgram(n int) (*native.Program, error) {
	return native.Parse(fmt.Appendf(nil, `sokr.native/1
param a: f32[%[1]d,%[1]d]
param b: f32[%[1]d,%[1]d]
c: f32[%[1]d,%[1]d] = matmul a, b
return c
`, n))
}

// matmulInputs are multiples of 1/8 below 9/8 in magnitude: every product
// is a multiple of 1/64 and every partial sum of up to 4096 of them is
// exact in f32, so any order of summation gives the exact answer.
func matmulInputs(n int) (a, b []float32) {
	a, b = make([]float32, n*n), make([]float32, n*n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for k := range n {
				a[i*n+k] = float32((i*7+k*3)%17-8) / 8
				b[i*n+k] = float32((i*5+k*11)%19-9) / 8
			}
		}
	})
	return a, b
}

// checkMatmul compares sampled entries of c with a float64 reference and
// returns how many it checked and the largest difference.
func checkMatmul(n int, a, b, c []float32) (int, float64) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	worst := 0.0
	const samples = 64
	for s := range samples + 2 {
		i, j := rng.IntN(n), rng.IntN(n)
		switch s {
		case samples:
			i, j = 0, 0
		case samples + 1:
			i, j = n-1, n-1
		}
		ref := 0.0
		for k := range n {
			ref += float64(a[i*n+k]) * float64(b[k*n+j])
		}
		worst = max(worst, math.Abs(float64(c[i*n+j])-ref))
	}
	return samples + 2, worst
}

func (b *bench) matmul(ctx context.Context, deadline time.Time) error {
	r := &MatmulResult{}
	b.rep.Matmul = r
	b.printf("Matmul  native IR, f32, C = A B (n x n), the built-in tiled kernel; GFLOP/s = 2 n^3 / GPU time\n")
	b.printf("  %6s %9s %9s %9s %9s %9s  %s\n", "n", "cold ms", "wall ms", "gpu ms", "GFLOP/s", "best", "check")
	failed := 0
	for k, n := range b.sz.matmul {
		left := time.Until(deadline) / time.Duration(len(b.sz.matmul)-k)
		m := b.matmulRun(ctx, n, time.Now().Add(left))
		r.Sizes = append(r.Sizes, m)
		if m.Error != "" {
			failed++
			b.printf("  %6d ERROR: %s\n", n, m.Error)
			continue
		}
		check := "ok"
		if !m.Correct {
			check = fmt.Sprintf("WRONG (max error %g)", m.MaxAbsErr)
		}
		b.printf("  %6d %9.1f %9.1f %9.3f %9s %9s  %s\n", n, m.ColdWallMs, m.WallMs.Median, m.GPUMs.Median,
			num(m.MedianGFLOPS), num(m.BestGFLOPS), check)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d sizes failed", failed, len(b.sz.matmul))
	}
	return nil
}

func (b *bench) matmulRun(ctx context.Context, n int, deadline time.Time) MatmulRun {
	m := MatmulRun{N: n}
	fail := func(err error) MatmulRun { m.Error = err.Error(); return m }
	prog, err := matmulProgram(n)
	if err != nil {
		return fail(err)
	}
	a, bm := matmulInputs(n)
	inputs := []sokr.Tensor{sokr.FromSlice(a, n, n), sokr.FromSlice(bm, n, n)}
	res, wall, err := runOn(ctx, b.rtGPU, prog, inputs)
	if err != nil {
		return fail(err)
	}
	m.ColdWallMs = ms(wall)
	out, ok := res.Get("c")
	if !ok || len(out.Tensor.Data) != 4*n*n {
		return fail(fmt.Errorf("no output c of %d bytes", 4*n*n))
	}
	m.Checked, m.MaxAbsErr = checkMatmul(n, a, bm, sokr.View[float32](out.Tensor))
	m.Correct = m.MaxAbsErr == 0 // exact by construction (see matmulInputs)
	var walls []float64
	_, err = repeat(b.sz.matmulReps, deadline, func(int) error {
		res, wall, err := runOn(ctx, b.rtGPU, prog, inputs)
		if err != nil {
			return err
		}
		g, err := gpuNs(res)
		if err != nil {
			return err
		}
		m.GPUNs, walls = append(m.GPUNs, g), append(walls, ms(wall))
		return nil
	})
	if err != nil && len(m.GPUNs) == 0 {
		return fail(err)
	}
	gpuMs := make([]float64, len(m.GPUNs))
	for i, g := range m.GPUNs {
		gpuMs[i] = g / 1e6
	}
	m.GPUMs, m.WallMs = dist(gpuMs), dist(walls)
	flop := 2 * math.Pow(float64(n), 3)
	m.BestGFLOPS, m.MedianGFLOPS = flop/(m.GPUMs.Min*1e6), flop/(m.GPUMs.Median*1e6)
	return m
}
