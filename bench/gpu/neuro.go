package main

// The Open Neuromorphic workload: one Linear(n, n) layer feeding n LIF
// neurons, batch 16, 500 steps, forward only, at n = 4096 and n = 16384
// (Open Neuromorphic's SNN library benchmarks, "Benchmarking SNN
// frameworks", open-neuromorphic.org, 2023-2024: their figures for
// n = 16384 on an RTX 4090 are Norse, compiled, 0.029 s and Spyx 0.030 s;
// the goal on an H100 is to beat both). It runs as a NIR graph on
// vulkan:N, lowered by the substrate onto its matmul and fused elementwise
// kernels, and is compared with the snn substrate on the host.
//
// Wall time is rt.Run's: the dispatch lowers the graph on the host (the
// weight transposed to f32), uploads the weight and the input and
// downloads the spikes, on every run; the peers' figures keep the weight
// on the device. GPU time is the device's timestamps around the kernels,
// the figure to set against theirs.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
)

// NeuroResult is the Open Neuromorphic workload section of the report.
type NeuroResult struct {
	Workload  string           `json:"workload"`
	Reference []NeuroReference `json:"reference"`
	Runs      []NeuroRun       `json:"runs"`
	Checks    []NeuroCheck     `json:"checks"`
	// Propagation times the product event-driven and dense at lower input
	// activities (the first size).
	Propagation []NeuroPropagation `json:"propagation"`
}

// NeuroPropagation is the workload at one input activity under
// propagation "dense" and "event" (the tiled matmul kernel, and
// kernels/eventmm.comp, which skips the weight rows of inputs silent in
// all of a 16-row group); the two must give the same spikes.
type NeuroPropagation struct {
	N       int     `json:"n"`
	Input   float64 `json:"input_activity"` // the input spikes' probability
	DenseMs Dist    `json:"dense_gpu_ms"`
	EventMs Dist    `json:"event_gpu_ms"`
	Speedup float64 `json:"speedup"` // dense / event, medians
	Same    bool    `json:"same_spikes"`
	Error   string  `json:"error,omitempty"`
}

// NeuroReference is a published figure for the same workload.
type NeuroReference struct {
	Name    string  `json:"name"`
	N       int     `json:"n"`
	Seconds float64 `json:"seconds"`
	Device  string  `json:"device"`
}

// neuroReferences are Open Neuromorphic's published forward times at
// n = 16384, batch 16, 500 steps.
var neuroReferences = []NeuroReference{
	{Name: "Norse (compiled)", N: 16384, Seconds: 0.029, Device: "NVIDIA RTX 4090"},
	{Name: "Spyx", N: 16384, Seconds: 0.030, Device: "NVIDIA RTX 4090"},
}

// NeuroRun is the workload at one size on vulkan: a cold run, then timed
// ones.
type NeuroRun struct {
	N        int     `json:"n"`
	Batch    int     `json:"batch"`
	Steps    int     `json:"steps"`
	GFLOP    float64 `json:"gflop"` // of the products: 2·steps·batch·n²
	ColdMs   float64 `json:"cold_ms"`
	WallMs   Dist    `json:"wall_ms"`
	GPUMs    Dist    `json:"gpu_ms"`
	GFLOPS   float64 `json:"gflops"`   // of the median GPU time
	Activity float64 `json:"activity"` // spikes per neuron and step
	// Goal is the peers' best figure (0.029 s at n = 16384), against the
	// median GPU time, on an H100.
	Goal  Goal   `json:"goal"`
	Error string `json:"error,omitempty"`
}

// NeuroCheck compares vulkan's spikes and membrane voltages with snn's on
// the same graph and input. A spike that flips between them (a voltage
// within rounding of the threshold, the products being summed in another
// order) sends that neuron's train its own way, so voltages are compared
// only while the two trains agree.
type NeuroCheck struct {
	N             int     `json:"n"`
	Batch         int     `json:"batch"`
	Steps         int     `json:"steps"`
	VulkanWallMs  float64 `json:"vulkan_wall_ms"`
	SNNWallMs     float64 `json:"snn_wall_ms"`
	Spikes        int64   `json:"spikes"`         // snn's
	TrainsDiffer  float64 `json:"trains_differ"`  // fraction of (row, neuron) trains not equal
	MaxVDiff      float64 `json:"max_v_diff"`     // |Δv| while the trains agree
	TrainsAllowed float64 `json:"trains_allowed"` // the tolerances
	VAllowed      float64 `json:"v_allowed"`
	Agree         bool    `json:"agree"`
	Error         string  `json:"error,omitempty"`
}

// ok is true when every check agreed (for answersRight).
func (r *NeuroResult) ok() bool {
	for _, c := range r.Checks {
		if !c.Agree {
			return false
		}
	}
	return true
}

// neuroSizes are one mode's sizes.
type neuroSizes struct {
	ns           []int // timed sizes
	batch, steps int
	reps         int
	check        [3]int // n, batch, steps of the snn comparison
}

func neuroSizesFor(mode string) neuroSizes {
	switch mode {
	case "quick":
		return neuroSizes{ns: []int{64}, batch: 4, steps: 20, reps: 2, check: [3]int{64, 4, 20}}
	case "cpu-driver": // lavapipe: about 1 GFLOP/s on two cores
		return neuroSizes{ns: []int{256}, batch: 16, steps: 100, reps: 2, check: [3]int{256, 16, 100}}
	}
	return neuroSizes{ns: []int{4096, 16384}, batch: 16, steps: 500, reps: 5, check: [3]int{4096, 16, 500}}
}

// The LIF parameters: Norse's defaults (τ_mem = 10 ms, v_th = 1,
// v_reset = 0, v_leak = 0; norse.torch.functional.lif.LIFParameters) at
// its default dt of 1 ms, with r = 1.
const (
	neuroDT  = 1e-3
	neuroTau = 1e-2
)

// neuroGraph is Input(n) -> Linear(n, n) -> LIF(n) -> Output(n), its
// weight uniform in ±2/√n (PyTorch's Linear draws ±1/√n) plus 2.4/n, so
// that at the input below (each element 1 with probability one half) the
// mean drive is 1.2, past the threshold of 1, varying by ±0.6 from neuron
// to neuron: some neurons never spike, the others every few steps.
func neuroGraph(n int, seed uint64) (*nir.Program, error) {
	w := make([]float64, n*n)
	a := 2 / math.Sqrt(float64(n))
	parallel(n, func(lo, hi int) {
		rng := rand.New(rand.NewPCG(seed, uint64(lo)))
		for i := lo * n; i < hi*n; i++ {
			w[i] = a*(2*rng.Float64()-1) + 2.4/float64(n)
		}
	})
	vec := func(v float64) nir.Array {
		d := make([]float64, n)
		for i := range d {
			d[i] = v
		}
		return nir.Array{Shape: []int{n}, Data: d}
	}
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "input", Prim: &nir.Input{Shape: []int{n}}},
			{Name: "fc", Prim: &nir.Linear{Weight: nir.Array{Shape: []int{n, n}, Data: w}}},
			{Name: "lif", Prim: &nir.LIF{Tau: vec(neuroTau), R: vec(1), VLeak: vec(0), VThreshold: vec(1), VReset: vec(0)}},
			{Name: "output", Prim: &nir.Output{Shape: []int{n}}},
		},
		Edges: []nir.Edge{{From: "input", To: "fc"}, {From: "fc", To: "lif"}, {From: "lif", To: "output"}},
	}
	return nir.New(g)
}

// neuroInput is [steps, batch, n] of input spikes, each 1 with probability
// one half (dense activity: the layer's product is a full GEMM either way).
func neuroInput(steps, batch, n int, seed uint64) sokr.Tensor {
	return neuroSpikes(steps, batch, n, 0.5, seed)
}

// neuroSpikes is [steps, batch, n] of input spikes, each 1 with
// probability p.
func neuroSpikes(steps, batch, n int, p float64, seed uint64) sokr.Tensor {
	x := make([]float32, steps*batch*n)
	parallel(steps*batch, func(lo, hi int) {
		rng := rand.New(rand.NewPCG(seed, uint64(lo)))
		for i := lo * n; i < hi*n; i++ {
			if rng.Float64() < p {
				x[i] = 1
			}
		}
	})
	return sokr.FromSlice(x, steps, batch, n)
}

func (b *bench) neuro(ctx context.Context, deadline time.Time) error {
	sz := neuroSizesFor(b.rep.Mode)
	r := &NeuroResult{Workload: fmt.Sprintf("Linear(n, n) + LIF (τ = %g s, v_th = 1, reset to 0, dt = %g s), batch %d, %d steps, forward; input spikes with p = 0.5",
		neuroTau, neuroDT, sz.batch, sz.steps), Reference: neuroReferences}
	b.rep.Neuro = r // filled in as the section goes
	b.printf("neuro  the Open Neuromorphic workload: %s\n", r.Workload)
	for _, ref := range neuroReferences {
		// The products alone are 2·500·16·n² flops: at n = 16384, 4.3
		// TFLOP, which 0.029 s makes 148 TFLOP/s, more than f32 on CUDA
		// cores gives on either card (RTX 4090 83, H100 SXM 67): tensor
		// cores (TF32, f16) or fewer products (events) are implied.
		flop := 2 * 500 * 16 * float64(ref.N) * float64(ref.N)
		b.printf("  reference: %s %.3f s at n = %d on %s (the products alone at %.0f TFLOP/s)\n", ref.Name, ref.Seconds, ref.N, ref.Device, flop/ref.Seconds/1e12)
	}
	opts := []sokr.DispatchOption{sokr.Param("dt", neuroDT)}
	snnRT := sokr.New()
	if err := snnRT.RegisterSubstrate(snn.New()); err != nil {
		return err
	}
	failed := 0

	// The check first: it is the smaller run, and tells whether the timed
	// ones compute the right thing.
	c := b.neuroCheck(ctx, snnRT, sz.check, opts)
	r.Checks = append(r.Checks, c)
	switch {
	case c.Error != "":
		failed++
		b.printf("  check n=%d: ERROR: %s\n", c.N, c.Error)
	default:
		b.printf("  check n=%d batch %d, %d steps against snn: %d spikes, %.2g of the trains differ (allowed %g), |Δv| <= %.2g while they agree (allowed %g): %s; vulkan %.0f ms, snn %.0f ms wall\n",
			c.N, c.Batch, c.Steps, c.Spikes, c.TrainsDiffer, c.TrainsAllowed, c.MaxVDiff, c.VAllowed,
			map[bool]string{true: "agree", false: "DIFFER"}[c.Agree], c.VulkanWallMs, c.SNNWallMs)
	}

	b.printf("  %6s %5s %5s %10s %10s %10s %9s %8s  %s\n", "n", "batch", "steps", "cold ms", "wall ms", "gpu ms", "GFLOP/s", "activity", "goal (H100: gpu time < 29 ms at n = 16384)")
	for k, n := range sz.ns {
		end := time.Now().Add(time.Until(deadline) / time.Duration(len(sz.ns)-k))
		run := b.neuroRun(ctx, n, sz, opts, end)
		r.Runs = append(r.Runs, run)
		if run.Error != "" {
			failed++
			b.printf("  %6d ERROR: %s\n", n, run.Error)
			continue
		}
		goal := "(reported)"
		if run.Goal.Applies || n == 16384 {
			goal = run.Goal.String()
		}
		b.printf("  %6d %5d %5d %10.1f %10.1f %10.2f %9s %8.3f  %s\n", n, run.Batch, run.Steps, run.ColdMs, run.WallMs.Median,
			run.GPUMs.Median, num(run.GFLOPS), run.Activity, goal)
	}
	b.printf("  propagation at n = %d (gpu ms, medians; the event kernel reads the weight rows of 1-(1-p)^16 of the inputs)\n", sz.ns[0])
	b.printf("  %8s %10s %10s %8s %10s  %s\n", "input p", "dense ms", "event ms", "speedup", "rows read", "spikes")
	for k, p := range neuroActivities {
		end := time.Now().Add(time.Until(deadline) / time.Duration(len(neuroActivities)-k))
		e := b.neuroPropagation(ctx, sz.ns[0], p, sz, opts, end)
		r.Propagation = append(r.Propagation, e)
		if e.Error != "" {
			failed++
			b.printf("  %8.2f ERROR: %s\n", p, e.Error)
			continue
		}
		rowsRead := 1 - math.Pow(1-p, 16) // of the weight rows, by the event kernel
		b.printf("  %8.2f %10.2f %10.2f %7.2fx %10.2f  %s\n", p, e.DenseMs.Median, e.EventMs.Median, e.Speedup, rowsRead,
			map[bool]string{true: "same", false: "DIFFER"}[e.Same])
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d neuro runs failed", failed, len(sz.ns)+1+len(neuroActivities))
	}
	return nil
}

// neuroActivities are the input activities of the propagation runs.
var neuroActivities = []float64{0.5, 0.1, 0.02}

// neuroPropagation times the workload at input activity p under
// propagation "dense" and "event", the runs alternated, and compares their
// spikes.
func (b *bench) neuroPropagation(ctx context.Context, n int, p float64, sz neuroSizes, opts []sokr.DispatchOption, end time.Time) NeuroPropagation {
	e := NeuroPropagation{N: n, Input: p}
	g, err := neuroGraph(n, 1)
	if err != nil {
		e.Error = err.Error()
		return e
	}
	in := []sokr.Tensor{neuroSpikes(sz.steps, sz.batch, n, p, 5)}
	props := [2]string{"dense", "event"}
	with := func(prop string) []sokr.DispatchOption {
		return append(slices.Clip(opts), sokr.Param("propagation", prop))
	}
	var spikes [2][]float32
	var gpu [2][]float64
	for k, prop := range props {
		res, _, err := runOn(ctx, b.rtGPU, g, in, with(prop)...)
		if err != nil {
			e.Error = prop + ": " + err.Error()
			return e
		}
		if res.Meta["propagation"] != prop {
			e.Error = fmt.Sprintf("asked for %s propagation, Meta says %q ran", prop, res.Meta["propagation"])
			return e
		}
		spikes[k] = sokr.View[float32](res.Outputs[0].Tensor)
	}
	e.Same = slices.Equal(spikes[0], spikes[1])
	for rep := 0; rep < sz.reps && time.Now().Before(end); rep++ {
		for k, prop := range props {
			_, g2, err := warmRuns(ctx, b.rtGPU, 1, end.Add(time.Hour), g, in, with(prop)...)
			if err != nil {
				e.Error = prop + ": " + err.Error()
				return e
			}
			gpu[k] = append(gpu[k], g2...)
		}
	}
	e.DenseMs, e.EventMs = dist(gpu[0]), dist(gpu[1])
	if e.EventMs.N > 0 && e.EventMs.Median > 0 {
		e.Speedup = e.DenseMs.Median / e.EventMs.Median
	}
	return e
}

// neuroRun times the workload at size n on vulkan: a cold run, then up to
// sz.reps more before end.
func (b *bench) neuroRun(ctx context.Context, n int, sz neuroSizes, opts []sokr.DispatchOption, end time.Time) NeuroRun {
	run := NeuroRun{N: n, Batch: sz.batch, Steps: sz.steps, GFLOP: 2 * float64(sz.steps*sz.batch) * float64(n) * float64(n) / 1e9}
	run.Goal = Goal{Target: neuroReferences[0].Seconds * 1e3, Unit: "ms of GPU time",
		Applies: b.rep.Mode == "gpu" && n == neuroReferences[0].N && strings.Contains(b.props["device_name"], "H100")}
	p, err := neuroGraph(n, 1)
	if err != nil {
		run.Error = err.Error()
		return run
	}
	in := []sokr.Tensor{neuroInput(sz.steps, sz.batch, n, 2)}
	res, w, err := runOn(ctx, b.rtGPU, p, in, opts...)
	if err != nil {
		run.Error = err.Error()
		return run
	}
	run.ColdMs = ms(w)
	var spikes int64
	for _, v := range sokr.View[float32](res.Outputs[0].Tensor) {
		if v != 0 {
			spikes++
		}
	}
	run.Activity = float64(spikes) / float64(sz.steps*sz.batch*n)
	wall, gpu, err := warmRuns(ctx, b.rtGPU, sz.reps, end, p, in, opts...)
	if err != nil && len(wall) == 0 {
		run.Error = err.Error()
		return run
	}
	run.WallMs, run.GPUMs = dist(wall), dist(gpu)
	if run.GPUMs.N > 0 {
		run.GFLOPS = run.GFLOP / (run.GPUMs.Median / 1e3)
		run.Goal.Value = run.GPUMs.Median
		run.Goal.Met = run.Goal.Value < run.Goal.Target
	}
	return run
}

// The check's tolerances: at most 1% of the trains may differ (a flip is
// a voltage within a few ulps of the threshold; over 500 steps of 4096
// neurons a handful are expected), and the voltages agree within 1e-4
// while the trains do (f32 sums of n products in two orders).
const (
	neuroTrainsAllowed = 0.01
	neuroVAllowed      = 1e-4
)

// neuroCheck runs the workload at size (n, batch, steps) on vulkan and on
// snn, recording the LIF voltages, and compares them.
func (b *bench) neuroCheck(ctx context.Context, snnRT *sokr.Runtime, size [3]int, opts []sokr.DispatchOption) NeuroCheck {
	n, batch, steps := size[0], size[1], size[2]
	c := NeuroCheck{N: n, Batch: batch, Steps: steps, TrainsAllowed: neuroTrainsAllowed, VAllowed: neuroVAllowed}
	p, err := neuroGraph(n, 3)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	in := []sokr.Tensor{neuroInput(steps, batch, n, 4)}
	opts = append(opts, sokr.Param("record", []string{"lif.v"}))
	vres, w, err := runOn(ctx, b.rtGPU, p, in, opts...)
	if err != nil {
		c.Error = "vulkan: " + err.Error()
		return c
	}
	c.VulkanWallMs = ms(w)
	sres, w, err := runOn(ctx, snnRT, p, in, opts...)
	if err != nil {
		c.Error = "snn: " + err.Error()
		return c
	}
	c.SNNWallMs = ms(w)
	if len(vres.Outputs) != 2 || len(sres.Outputs) != 2 {
		c.Error = fmt.Sprintf("vulkan gave %d outputs, snn %d; want the spikes and lif.v", len(vres.Outputs), len(sres.Outputs))
		return c
	}
	vs, ss := sokr.View[float32](vres.Outputs[0].Tensor), sokr.View[float32](sres.Outputs[0].Tensor)
	vv, sv := sokr.View[float32](vres.Outputs[1].Tensor), sokr.View[float32](sres.Outputs[1].Tensor)
	row := batch * n
	if len(vs) != steps*row || len(ss) != len(vs) || len(vv) != len(vs) || len(sv) != len(vs) {
		c.Error = fmt.Sprintf("outputs of %d, %d, %d and %d elements, want %d", len(vs), len(ss), len(vv), len(sv), steps*row)
		return c
	}
	same := make([]bool, row)
	for e := range same {
		same[e] = true
	}
	for t := range steps {
		for e := range row {
			i := t*row + e
			if ss[i] != 0 {
				c.Spikes++
			}
			if !same[e] {
				continue
			}
			if vs[i] != ss[i] {
				same[e] = false
				continue
			}
			c.MaxVDiff = max(c.MaxVDiff, math.Abs(float64(vv[i])-float64(sv[i])))
		}
	}
	differ := 0
	for _, s := range same {
		if !s {
			differ++
		}
	}
	c.TrainsDiffer = float64(differ) / float64(row)
	c.Agree = c.Spikes > 0 && c.TrainsDiffer <= c.TrainsAllowed && c.MaxVDiff <= c.VAllowed
	if c.Spikes == 0 {
		c.Error = "snn gave no spikes: the comparison means nothing"
	}
	return c
}
