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

// chainOfAdds is x + 1 + 1 + ... (steps times): one kernel per add on
// vulkan, all recorded into one command buffer.
func chainOfAdds(steps int) (*native.Program, error) {
	var b strings.Builder
	b.WriteString("sokr.native/1\nparam x: f32[256]\none: f32[] = const 1\n")
	prev := "x"
	for i := range steps {
		fmt.Fprintf(&b, "v%d: f32[256] = add %s, one\n", i, prev)
		prev = fmt.Sprintf("v%d", i)
	}
	fmt.Fprintf(&b, "return %s\n", prev)
	return native.Parse([]byte(b.String()))
}

func (b *bench) probes(ctx context.Context, _ time.Time) error {
	b.printf("Probes  behaviour a CPU driver may not show\n")
	var failed []string
	// vk.c gives each frame a descriptor pool of 32 sets (FRAME_SETS) and
	// a native program takes one set per kernel; lavapipe lets a pool
	// overflow, other drivers may answer VK_ERROR_OUT_OF_POOL_MEMORY.
	for _, steps := range []int{32, 33, 100} {
		p := Probe{Name: fmt.Sprintf("chain_%d", steps),
			About: fmt.Sprintf("a native program of %d dependent kernels in one command buffer", steps)}
		prog, err := chainOfAdds(steps)
		if err == nil {
			x := make([]float32, 256)
			for i := range x {
				x[i] = float32(i)
			}
			var res sokr.Result
			var wall time.Duration
			res, wall, err = runOn(ctx, b.rtGPU, prog, []sokr.Tensor{sokr.FromSlice(x)})
			p.WallMs = ms(wall)
			if err == nil {
				p.OK = true
				for i, v := range sokr.View[float32](res.Outputs[0].Tensor) {
					if v != float32(i+steps) {
						p.OK = false
						err = fmt.Errorf("element %d is %g, want %d", i, v, i+steps)
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
