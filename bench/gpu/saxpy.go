package main

import (
	"context"
	"embed"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The shaders, compiled by gen.sh; the .spv files are committed so that
// the GPU machine needs no compiler.
//
//go:embed shaders/*.spv
var shaderFS embed.FS

func shader(name string) (*spirv.Program, error) {
	src, err := shaderFS.ReadFile("shaders/" + name + ".spv")
	if err != nil {
		return nil, err
	}
	return spirv.Parse(src)
}

// saxpyBytes is what one element costs: x read, y read and y written.
const saxpyBytes = 12

// saxpyA is the scalar: with x = k/1024 and y an integer below 13, a*x + y
// is exact in f32, fused or not, so answers are compared exactly.
const saxpyA = 2.5

// minGroupCount is the workgroup count every Vulkan device allows in each
// dimension (maxComputeWorkGroupCount's required minimum). The substrate's
// Describe does not report the device's own limit, so grids stay within it.
const minGroupCount = 65535

type saxpyKernel struct {
	name, shader, about string
	width               int  // f32s per index of the shader's arrays (1 or 4)
	perInvocation       int  // indices per invocation per pass
	gridStride          bool // loops over the array with a grid of any size
}

var saxpyKernels = []saxpyKernel{
	{"scalar", "saxpy_scalar", "one f32 per invocation (the plain kernel)", 1, 1, false},
	{"vec4", "saxpy_vec4", "one vec4 per invocation (16-byte accesses)", 4, 1, false},
	{"vec4x4", "saxpy_vec4x4", "four vec4s per invocation per pass, loads before stores, grid-stride", 4, 4, true},
}

// SAXPYResult is the SAXPY section of the report.
type SAXPYResult struct {
	N          int            `json:"n"`
	Bytes      int64          `json:"bytes_per_run"`
	PeakGBps   float64        `json:"peak_gbps"`
	PeakSource string         `json:"peak_source"`
	Variants   []SAXPYVariant `json:"variants"`
	Best       string         `json:"best"`      // the variant with the highest median bandwidth
	BestGBps   float64        `json:"best_gbps"` // its median
	BestPct    float64        `json:"best_pct"`  // its median, in % of peak (0: unknown peak)
	Goal       Goal           `json:"goal"`
	Note       string         `json:"note,omitempty"`
}

// SAXPYVariant is one kernel's measurements.
type SAXPYVariant struct {
	Name       string    `json:"name"`
	About      string    `json:"about"`
	Groups     [3]int    `json:"groups"`
	ColdWallMs float64   `json:"cold_wall_ms"` // the first run: pipeline creation, buffer allocation
	GPUNs      []float64 `json:"gpu_ns"`       // kernel-only timestamps of the timed runs
	GPUMs      Dist      `json:"gpu_ms"`
	WallMs     Dist      `json:"wall_ms"` // rt.Run, with the uploads and downloads through staging
	BestGBps   float64   `json:"best_gbps"`
	MedianGBps float64   `json:"median_gbps"`
	BestPct    float64   `json:"best_pct,omitempty"`
	MedianPct  float64   `json:"median_pct,omitempty"`
	Correct    bool      `json:"correct"`
	Mismatches int       `json:"mismatches"`
	Error      string    `json:"error,omitempty"`
}

// saxpyN is the largest power of two up to want that the device takes:
// each array in one storage buffer, both in one staging buffer (one
// allocation), and the two device buffers in half the device's memory.
func saxpyN(want int, p sokr.Properties) int {
	limit := func(key string) int64 {
		v, err := strconv.ParseInt(p[key], 10, 64)
		if err != nil || v <= 0 {
			return math.MaxInt64
		}
		return v
	}
	most := min(limit("max_storage_buffer_bytes")/4, limit("max_allocation_bytes")/8, limit("memory_bytes")/16)
	n := 1
	for n*2 <= want && int64(n*2) <= most {
		n *= 2
	}
	return n
}

// grid lays g workgroups out within minGroupCount per dimension, exactly
// when g has a divisor in range (powers of two do), else rounding up.
func grid(g int) [3]int {
	if g <= minGroupCount {
		return [3]int{max(g, 1), 1, 1}
	}
	for x := minGroupCount; x >= minGroupCount/2; x-- {
		if g%x == 0 {
			return [3]int{x, g / x, 1}
		}
	}
	return [3]int{minGroupCount, (g + minGroupCount - 1) / minGroupCount, 1}
}

func (b *bench) saxpy(ctx context.Context, deadline time.Time) error {
	n := saxpyN(b.sz.saxpyN, b.props)
	peak, source := peakFor(b.props["device_name"], b.cfg.Peak)
	r := &SAXPYResult{N: n, Bytes: int64(saxpyBytes) * int64(n), PeakGBps: peak, PeakSource: source,
		Goal: Goal{Target: 85, Unit: "% of peak"}}
	if n < b.sz.saxpyN {
		r.Note = fmt.Sprintf("n capped from %d by the device's buffer limits", b.sz.saxpyN)
	}
	b.rep.SAXPY = r
	peakText := "unknown peak: GB/s only"
	if peak > 0 {
		peakText = fmt.Sprintf("peak %.0f GB/s (%s)", peak, source)
	}
	b.printf("SAXPY  y = a*x + y over %d f32 (%.4g GB moved per run), GPU timestamps around the kernel; %s\n",
		n, float64(r.Bytes)/1e9, peakText)

	x, y := make([]float32, n), make([]float32, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i], y[i] = float32(i&1023)/1024, float32(i%13)
		}
	})
	inputs := []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)}

	b.printf("  %-8s %-14s %9s %9s %9s %8s %8s %7s %7s  %s\n",
		"kernel", "groups", "cold ms", "wall ms", "gpu ms", "GB/s", "best", "% peak", "best %", "check")
	for k, kern := range saxpyKernels {
		left := time.Until(deadline) / time.Duration(len(saxpyKernels)-k)
		v := b.saxpyVariant(ctx, kern, n, x, y, inputs, peak, time.Now().Add(left))
		r.Variants = append(r.Variants, v)
		if v.Error != "" {
			b.printf("  %-8s ERROR: %s\n", v.Name, v.Error)
			continue
		}
		pct, best := "-", "-"
		if peak > 0 {
			pct, best = fmt.Sprintf("%.1f", v.MedianPct), fmt.Sprintf("%.1f", v.BestPct)
		}
		check := "ok"
		if !v.Correct {
			check = fmt.Sprintf("WRONG (%d mismatches)", v.Mismatches)
		}
		b.printf("  %-8s %-14s %9.1f %9.1f %9.3f %8s %8s %7s %7s  %s\n", v.Name,
			fmt.Sprintf("%dx%dx%d", v.Groups[0], v.Groups[1], v.Groups[2]), v.ColdWallMs, v.WallMs.Median,
			v.GPUMs.Median, num(v.MedianGBps), num(v.BestGBps), pct, best, check)
		if v.Correct && v.MedianGBps > r.BestGBps {
			r.Best, r.BestGBps, r.BestPct = v.Name, v.MedianGBps, v.MedianPct
		}
	}
	if r.Best == "" {
		return fmt.Errorf("no SAXPY kernel ran correctly")
	}
	r.Goal.Value = r.BestPct
	r.Goal.Applies = peak > 0 && b.rep.Mode == "gpu"
	r.Goal.Met = r.BestPct >= r.Goal.Target
	if peak > 0 {
		b.printf("  headline: %s, median %s GB/s = %.1f %% of peak; goal >= %.0f %%: %s\n",
			r.Best, num(r.BestGBps), r.BestPct, r.Goal.Target, r.Goal)
	} else {
		b.printf("  headline: %s, median %s GB/s (unknown peak; -peak GB/s sets one)\n", r.Best, num(r.BestGBps))
	}
	return nil
}

func (b *bench) saxpyVariant(ctx context.Context, k saxpyKernel, n int, x, y []float32, inputs []sokr.Tensor,
	peak float64, deadline time.Time) SAXPYVariant {
	v := SAXPYVariant{Name: k.name, About: k.about}
	fail := func(err error) SAXPYVariant { v.Error = err.Error(); return v }
	prog, err := shader(k.shader)
	if err != nil {
		return fail(err)
	}
	units := n / k.width
	groups := (units + 256*k.perInvocation - 1) / (256 * k.perInvocation)
	if k.gridStride {
		v.Groups = [3]int{min(groups, minGroupCount), 1, 1}
	} else {
		v.Groups = grid(groups)
	}
	push := binary.LittleEndian.AppendUint32(nil, math.Float32bits(saxpyA))
	push = binary.LittleEndian.AppendUint32(push, uint32(units))
	opts := []sokr.DispatchOption{sokr.Param("push_constants", push), sokr.Param("groups", v.Groups[:])}

	res, wall, err := runOn(ctx, b.rtGPU, prog, inputs, opts...)
	if err != nil {
		return fail(err)
	}
	v.ColdWallMs = ms(wall)
	out, ok := res.Get("Y")
	if !ok || len(out.Tensor.Data) != 4*n {
		return fail(fmt.Errorf("no output Y of %d bytes in %v", 4*n, res.Outputs))
	}
	got := sokr.View[float32](out.Tensor)
	var bad atomic.Int64
	parallel(n, func(lo, hi int) {
		m := 0
		for i := lo; i < hi; i++ {
			if got[i] != saxpyA*x[i]+y[i] {
				m++
			}
		}
		bad.Add(int64(m))
	})
	v.Mismatches = int(bad.Load())
	v.Correct = v.Mismatches == 0
	res = sokr.Result{} // let the first output go before the timed runs

	var walls []float64
	_, err = repeat(b.sz.saxpyReps, deadline, func(int) error {
		res, wall, err := runOn(ctx, b.rtGPU, prog, inputs, opts...)
		if err != nil {
			return err
		}
		g, err := gpuNs(res)
		if err != nil {
			return err
		}
		v.GPUNs = append(v.GPUNs, g)
		walls = append(walls, ms(wall))
		return nil
	})
	if err != nil && len(v.GPUNs) == 0 {
		return fail(err)
	}
	gpuMs := make([]float64, len(v.GPUNs))
	for i, g := range v.GPUNs {
		gpuMs[i] = g / 1e6
	}
	v.GPUMs, v.WallMs = dist(gpuMs), dist(walls)
	bytes := float64(saxpyBytes) * float64(n)
	v.BestGBps, v.MedianGBps = bytes/(v.GPUMs.Min*1e6), bytes/(v.GPUMs.Median*1e6)
	if peak > 0 {
		v.BestPct, v.MedianPct = 100*v.BestGBps/peak, 100*v.MedianGBps/peak
	}
	return v
}
