package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Probe is one check of behaviour that lavapipe may hide and a GPU driver
// may not: it runs once, untimed, and says whether the answer was right.
type Probe struct {
	Name   string  `json:"name"`
	About  string  `json:"about"`
	OK     bool    `json:"ok"`
	WallMs float64 `json:"wall_ms"`
	Error  string  `json:"error,omitempty"`
}

// chainOfKernels is pairs of (add 1, transpose) over a 16x16 matrix: two
// kernels per pair on vulkan (a transpose ends a fused elementwise chain),
// all recorded into one command buffer.
func chainOfKernels(kernels int) (*native.Program, error) {
	var b strings.Builder
	b.WriteString("sokr.native/1\nparam x: f32[16,16]\none: f32[] = const 1\n")
	prev := "x"
	for i := range kernels / 2 {
		fmt.Fprintf(&b, "a%d: f32[16,16] = add %s, one\nt%d: f32[16,16] = transpose a%d, perm=[1,0]\n", i, prev, i, i)
		prev = fmt.Sprintf("t%d", i)
	}
	fmt.Fprintf(&b, "return %s\n", prev)
	return native.Parse([]byte(b.String()))
}

// chainWant is chainOfKernels' answer for x[i] = i.
func chainWant(kernels, i int) float32 {
	pairs := kernels / 2
	r, c := i/16, i%16
	if pairs%2 == 1 {
		r, c = c, r
	}
	return float32(r*16 + c + pairs)
}

func (b *bench) probes(ctx context.Context, _ time.Time) error {
	b.printf("Probes  behaviour a CPU driver may not show\n")
	var failed []string
	// vk.c's descriptor pools hold 32 sets (FRAME_SETS) and a frame adds
	// one when the last is full; each kernel takes a set. lavapipe lets a
	// pool overflow, other drivers answer VK_ERROR_OUT_OF_POOL_MEMORY.
	for _, steps := range []int{32, 34, 100} {
		p := Probe{Name: fmt.Sprintf("chain_%d", steps),
			About: fmt.Sprintf("a native program of %d dependent kernels in one command buffer", steps)}
		prog, err := chainOfKernels(steps)
		if err == nil {
			x := make([]float32, 256)
			for i := range x {
				x[i] = float32(i)
			}
			var res sokr.Result
			var wall time.Duration
			res, wall, err = runOn(ctx, b.rtGPU, prog, []sokr.Tensor{sokr.FromSlice(x, 16, 16)})
			p.WallMs = ms(wall)
			if err == nil {
				p.OK = true
				for i, v := range sokr.View[float32](res.Outputs[0].Tensor) {
					if want := chainWant(steps, i); v != want {
						p.OK = false
						err = fmt.Errorf("element %d is %g, want %g", i, v, want)
						break
					}
				}
			}
		}
		if err != nil {
			p.Error = err.Error()
			failed = append(failed, p.Name)
		}
		b.rep.Probes = append(b.rep.Probes, p)
		verdict := "ok"
		if !p.OK {
			verdict = "FAILED: " + p.Error
		}
		b.printf("  %-10s %-62s %s\n", p.Name, p.About, verdict)
	}
	if len(failed) > 0 {
		return fmt.Errorf("probes failed: %s", strings.Join(failed, ", "))
	}
	return nil
}
