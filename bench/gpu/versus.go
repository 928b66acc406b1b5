package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// VersusResult is the GPU-against-CPU section of the report.
type VersusResult struct {
	Programs []Comparison `json:"programs"`
}

// Comparison is one native program run on the vulkan and cpu substrates.
// Wall times are rt.Run's (the GPU's include the transfers through
// staging); the kernel speedup sets the cpu's wall time against the GPU's
// timestamps alone.
type Comparison struct {
	Name          string  `json:"name"`
	About         string  `json:"about"`
	VulkanColdMs  float64 `json:"vulkan_cold_ms"`
	VulkanWallMs  Dist    `json:"vulkan_wall_ms"`
	VulkanGPUMs   Dist    `json:"vulkan_gpu_ms"`
	CPUColdMs     float64 `json:"cpu_cold_ms"`
	CPUWallMs     Dist    `json:"cpu_wall_ms"`
	SpeedupWall   float64 `json:"speedup_wall"`   // cpu wall / vulkan wall (medians)
	SpeedupKernel float64 `json:"speedup_kernel"` // cpu wall / vulkan gpu time (medians)
	MaxRelErr     float64 `json:"max_rel_err"`
	Tolerance     float64 `json:"tolerance"`
	Agree         bool    `json:"agree"`
	Error         string  `json:"error,omitempty"`
}

type versusCase struct {
	name, about string
	prog        *native.Program
	inputs      []sokr.Tensor
	tol         float64
}

// chainN is the largest power of two up to want whose chain program fits
// the device's largest buffer: the vulkan substrate keeps every value of a
// native program in one buffer, here two inputs and four intermediates.
func chainN(want int, p sokr.Properties) int {
	most := int64(math.MaxInt64)
	for _, k := range []string{"max_storage_buffer_bytes", "max_allocation_bytes"} {
		if v, err := strconv.ParseInt(p[k], 10, 64); err == nil && v > 0 {
			most = min(most, v)
		}
	}
	n := 1
	for n*2 <= want && 4*7*int64(n*2) <= most {
		n *= 2
	}
	return n
}

// chainProgram is an elementwise chain and a sum of squares; with rows > 1
// the sum goes through a [rows, n/rows] reshape, one partial sum per row.
func chainProgram(n, rows int) (*native.Program, error) {
	reduce := "s: f32[] = reduce_sum d, axes=[0]\n"
	if rows > 1 {
		reduce = fmt.Sprintf(`r: f32[%[1]d,%[2]d] = reshape d
rs: f32[%[1]d] = reduce_sum r, axes=[1]
s: f32[] = reduce_sum rs, axes=[0]
`, rows, n/rows)
	}
	return native.Parse(fmt.Appendf(nil, `sokr.native/1
param x: f32[%[1]d]
param y: f32[%[1]d]
half: f32[] = const 0.5
a: f32[%[1]d] = mul x, half
b: f32[%[1]d] = add a, y
c: f32[%[1]d] = tanh b
d: f32[%[1]d] = mul c, c
%[2]sreturn s
`, n, reduce))
}

func (b *bench) versusCases() ([]versusCase, error) {
	n := chainN(b.sz.chainN, b.props)
	x, y := make([]float32, n), make([]float32, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i], y[i] = float32((i*37)%1000)/1000-0.5, float32(i%17)/17
		}
	})
	chain := []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)}
	rows := 1 << (bitLen(n) / 2)
	flat, err := chainProgram(n, 1)
	if err != nil {
		return nil, err
	}
	twoStage, err := chainProgram(n, rows)
	if err != nil {
		return nil, err
	}
	m := b.sz.versusMatmul
	mm, err := matmulProgram(m)
	if err != nil {
		return nil, err
	}
	a, bm := matmulInputs(m)
	// The sums of squares are of positive terms, so the relative tolerance
	// covers f32 accumulation on the GPU (the cpu sums f32 in f64); the
	// matmul is exact on both.
	return []versusCase{
		{"chain_sum", fmt.Sprintf("mul, add, tanh, mul over %d f32, reduce_sum to a scalar", n), flat, chain, 1e-3},
		{"chain_rowsum", fmt.Sprintf("the same chain, summed as [%d,%d] rows, then the row sums", rows, n/rows), twoStage, chain, 1e-3},
		{"matmul", fmt.Sprintf("f32 matmul %dx%d by %dx%d", m, m, m, m), mm, []sokr.Tensor{sokr.FromSlice(a, m, m), sokr.FromSlice(bm, m, m)}, 1e-6},
	}, nil
}

// bitLen is the number of bits n needs (log2 for powers of two, plus one).
func bitLen(n int) int {
	k := 0
	for ; n > 1; n >>= 1 {
		k++
	}
	return k
}

func (b *bench) versus(ctx context.Context, deadline time.Time) error {
	r := &VersusResult{}
	b.rep.VsCPU = r
	b.printf("GPU vs CPU  the same native program on vulkan and on the cpu substrate (%s cores, BLAS %s); medians\n",
		b.rep.CPU["workers"], b.rep.CPU["blas"])
	cases, err := b.versusCases()
	if err != nil {
		return err
	}
	b.printf("  %-13s %10s %10s %10s %9s %9s %10s  %s\n",
		"program", "vk wall ms", "vk gpu ms", "cpu ms", "x wall", "x kernel", "rel err", "answers")
	failed := 0
	for k, c := range cases {
		left := time.Until(deadline) / time.Duration(len(cases)-k)
		cmp := b.compare(ctx, c, time.Now().Add(left))
		r.Programs = append(r.Programs, cmp)
		if cmp.Error != "" {
			failed++
			b.printf("  %-13s ERROR: %s\n", c.name, cmp.Error)
			continue
		}
		agree := "agree"
		if !cmp.Agree {
			agree = fmt.Sprintf("DIFFER (tolerance %g)", cmp.Tolerance)
		}
		b.printf("  %-13s %10.2f %10.3f %10.2f %9.2f %9.2f %10.1e  %s\n", c.name, cmp.VulkanWallMs.Median,
			cmp.VulkanGPUMs.Median, cmp.CPUWallMs.Median, cmp.SpeedupWall, cmp.SpeedupKernel, cmp.MaxRelErr, agree)
	}
	for _, c := range cases {
		b.printf("    %-13s %s\n", c.name, c.about)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d programs failed", failed, len(cases))
	}
	return nil
}

// timed runs c on rt once cold, then up to reps more times before the
// deadline, and returns the cold time, the wall times, the GPU times (when
// the results carry them) and the first result.
func (b *bench) timed(ctx context.Context, rt *sokr.Runtime, c versusCase, deadline time.Time) (cold float64, wall, gpu []float64, first sokr.Result, err error) {
	first, w, err := runOn(ctx, rt, c.prog, c.inputs)
	if err != nil {
		return 0, nil, nil, first, err
	}
	cold = ms(w)
	wall, gpu, err = warmRuns(ctx, rt, b.sz.versusReps, deadline, c.prog, c.inputs)
	if len(wall) > 0 {
		err = nil // keep what was measured
	}
	return cold, wall, gpu, first, err
}

func (b *bench) compare(ctx context.Context, c versusCase, deadline time.Time) Comparison {
	cmp := Comparison{Name: c.name, About: c.about, Tolerance: c.tol}
	fail := func(who string, err error) Comparison { cmp.Error = who + ": " + err.Error(); return cmp }
	half := time.Now().Add(time.Until(deadline) / 2)
	vcold, vwall, vgpu, vres, err := b.timed(ctx, b.rtGPU, c, half)
	if err != nil {
		return fail("vulkan", err)
	}
	ccold, cwall, _, cres, err := b.timed(ctx, b.rtCPU, c, deadline)
	if err != nil {
		return fail("cpu", err)
	}
	cmp.VulkanColdMs, cmp.VulkanWallMs, cmp.VulkanGPUMs = vcold, dist(vwall), dist(vgpu)
	cmp.CPUColdMs, cmp.CPUWallMs = ccold, dist(cwall)
	cmp.SpeedupWall = cmp.CPUWallMs.Median / cmp.VulkanWallMs.Median
	if cmp.VulkanGPUMs.N > 0 {
		cmp.SpeedupKernel = cmp.CPUWallMs.Median / cmp.VulkanGPUMs.Median
	}
	if len(vres.Outputs) != len(cres.Outputs) || len(vres.Outputs) == 0 {
		return fail("results", fmt.Errorf("vulkan gave %d outputs, cpu %d", len(vres.Outputs), len(cres.Outputs)))
	}
	for i := range vres.Outputs {
		v, w := sokr.View[float32](vres.Outputs[i].Tensor), sokr.View[float32](cres.Outputs[i].Tensor)
		if len(v) != len(w) {
			return fail("results", fmt.Errorf("output %s: %d and %d elements", vres.Outputs[i].Name, len(v), len(w)))
		}
		cmp.MaxRelErr = max(cmp.MaxRelErr, relErr(v, w))
	}
	cmp.Agree = cmp.MaxRelErr <= c.tol
	return cmp
}

// relErr is max |v - w| over max |w| (NaN anywhere makes it +Inf).
func relErr(v, w []float32) float64 {
	diff, scale := 0.0, 0.0
	for i := range v {
		d := math.Abs(float64(v[i]) - float64(w[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		diff, scale = max(diff, d), max(scale, math.Abs(float64(w[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}
