package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// LatencyResult is the dispatch-latency section of the report.
type LatencyResult struct {
	SPIRV  *LatencyRun `json:"spirv"`
	Native *LatencyRun `json:"native"`
	Goal   Goal        `json:"goal"` // on the SPIR-V module's median
}

// LatencyRun is the round trip of one tiny program, run after run: from
// rt.Dispatch to the result in hand (what rt.Run costs), split at the
// moment Dispatch returns (recorded and submitted) and the moment the
// future completed (Timings().Finished).
type LatencyRun struct {
	Program      string  `json:"program"`
	Runs         int     `json:"runs"`
	Warmup       int     `json:"warmup"`
	ColdUs       float64 `json:"cold_us"`     // the first run: device, pipeline, buffers
	TotalUs      Dist    `json:"total_us"`    // Dispatch to Wait's return
	SubmitUs     Dist    `json:"submit_us"`   // Dispatch: choose, record, vkQueueSubmit
	CompleteUs   Dist    `json:"complete_us"` // Dispatch's return to the completer completing the future
	WakeUs       Dist    `json:"wake_us"`     // completion to Wait returning in the caller
	GPUUs        Dist    `json:"gpu_us"`      // the kernel's timestamps
	AllocsPerRun float64 `json:"allocs_per_run"`
	BytesPerRun  float64 `json:"bytes_per_run"`
	Correct      bool    `json:"correct"`
}

const latencyNative = `sokr.native/1
param x: f32[1]
one: f32[] = const 1
y: f32[1] = add x, one
return y
`

func (b *bench) latency(ctx context.Context, deadline time.Time) error {
	r := &LatencyResult{Goal: Goal{Target: 20, Unit: "us median"}}
	b.rep.Latency = r
	b.printf("Latency  one-workgroup dispatch, rt.Run round trip (submit to result in hand), %d runs after %d warm-up\n",
		b.sz.latencyRuns, b.sz.latencyWarm)
	b.printf("  %-8s %7s %8s %8s %8s | %8s %9s %7s %7s %8s\n",
		"program", "runs", "median", "p99", "min", "submit", "complete", "wake", "gpu", "allocs")

	mod, err := shader("latency")
	if err != nil {
		return err
	}
	buf := make([]float32, 64)
	for i := range buf {
		buf[i] = float32(i)
	}
	half := time.Now().Add(time.Until(deadline) / 2)
	r.SPIRV, err = b.latencyRun(ctx, "spirv", mod, []sokr.Tensor{sokr.FromSlice(buf)}, half, func(res sokr.Result) bool {
		out, ok := res.Get("V")
		if !ok || len(out.Tensor.Data) != 4*64 {
			return false
		}
		for i, v := range sokr.View[float32](out.Tensor) {
			if v != float32(i)+1 {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("spir-v module: %w", err)
	}
	r.Goal.Value = r.SPIRV.TotalUs.Median
	r.Goal.Applies = b.rep.Mode == "gpu"
	r.Goal.Met = r.Goal.Value <= r.Goal.Target

	prog, err := native.Parse([]byte(latencyNative))
	if err != nil {
		return err
	}
	x := []float32{41}
	r.Native, err = b.latencyRun(ctx, "native", prog, []sokr.Tensor{sokr.FromSlice(x)}, deadline, func(res sokr.Result) bool {
		out, ok := res.Get("y")
		return ok && len(out.Tensor.Data) == 4 && sokr.View[float32](out.Tensor)[0] == 42
	})
	if err != nil {
		return fmt.Errorf("native program: %w", err)
	}
	b.printf("  goal (H100): median <= %.0f us for the module: %s\n", r.Goal.Target, r.Goal)
	return nil
}

func (b *bench) latencyRun(ctx context.Context, name string, p sokr.Program, inputs []sokr.Tensor,
	deadline time.Time, check func(sokr.Result) bool) (*LatencyRun, error) {
	l := &LatencyRun{Program: name, Correct: true}
	// once returns the total, submit, complete and wake times.
	once := func() (sokr.Result, [4]time.Duration, error) {
		t0 := time.Now()
		f := b.rtGPU.Dispatch(ctx, p, inputs)
		t1 := time.Now()
		res, err := f.Wait(ctx)
		t2 := time.Now()
		fin := f.Timings().Finished
		if fin.Before(t1) {
			// Completed before Dispatch returned (a fast device, a slow
			// caller): no time goes to completing.
			fin = t1
		}
		return res, [4]time.Duration{t2.Sub(t0), t1.Sub(t0), fin.Sub(t1), t2.Sub(fin)}, err
	}
	res, d, err := once()
	if err != nil {
		return nil, err
	}
	l.ColdUs = us(d[0])
	l.Correct = check(res)
	for range b.sz.latencyWarm {
		if _, _, err := once(); err != nil {
			return nil, err
		}
	}
	var before, after runtime.MemStats
	// Sized up front, so that the appends below allocate nothing.
	mk := func() []float64 { return make([]float64, 0, b.sz.latencyRuns) }
	total, submit, complete, wake, gpu := mk(), mk(), mk(), mk(), mk()
	runtime.GC() // start clean; the collector's own pauses then count as they would in use
	runtime.ReadMemStats(&before)
	n, err := repeat(b.sz.latencyRuns, deadline, func(int) error {
		res, d, err := once()
		if err != nil {
			return err
		}
		total, submit = append(total, us(d[0])), append(submit, us(d[1]))
		complete, wake = append(complete, us(d[2])), append(wake, us(d[3]))
		if g, err := gpuNs(res); err == nil {
			gpu = append(gpu, g/1e3)
		}
		if !check(res) {
			l.Correct = false
		}
		return nil
	})
	runtime.ReadMemStats(&after)
	if err != nil && n == 0 {
		return nil, err
	}
	l.Runs, l.Warmup = n, b.sz.latencyWarm
	l.TotalUs, l.SubmitUs, l.CompleteUs, l.WakeUs, l.GPUUs = dist(total), dist(submit), dist(complete), dist(wake), dist(gpu)
	l.AllocsPerRun = float64(after.Mallocs-before.Mallocs) / float64(n)
	l.BytesPerRun = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	verdict := "ok"
	if !l.Correct {
		verdict = "WRONG"
	}
	b.printf("  %-8s %7d %8.1f %8.1f %8.1f | %8.1f %9.1f %7.1f %7.1f %8.0f  (us; cold %.0f us) %s\n",
		name, n, l.TotalUs.Median, l.TotalUs.P99, l.TotalUs.Min, l.SubmitUs.Median, l.CompleteUs.Median,
		l.WakeUs.Median, l.GPUUs.Median, l.AllocsPerRun, l.ColdUs, verdict)
	return l, nil
}
