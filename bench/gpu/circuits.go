package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
)

// StatevecResult is the state-vector section of the report: circuits
// (sokr.circuit/1) on the device, against the statevec substrate on the
// host's cores.
type StatevecResult struct {
	GatePass GatePass     `json:"gate_pass"`
	Layers   []LayersRun  `json:"layers"`
	Policy   []PolicyPick `json:"policy"`
}

// GatePass is the cost of one unfused one-qubit gate over an n-qubit
// complex64 state (a read and a write of 8 bytes per amplitude): the GPU
// time of a circuit of 2k Hadamards less that of k, over k.
type GatePass struct {
	Qubits  int     `json:"qubits"`
	Gates   int     `json:"gates"` // k
	PassMs  float64 `json:"pass_ms"`
	GBps    float64 `json:"gbps"`
	PeakPct float64 `json:"peak_pct"` // 0 when the peak is unknown
	Goal    Goal    `json:"goal"`     // >= 85 % of peak
	Chunks  string  `json:"chunks"`   // the run's Meta["chunks"], when the substrate reports it
}

// LayersRun is the peers' layered random circuit (circuittest.Layers, as
// bench/quantum_vs_peers.py) in complex64 on the device and, where the
// budget allows, on statevec; the expectation of Z on qubit 0 is compared.
type LayersRun struct {
	Qubits    int     `json:"qubits"`
	Depth     int     `json:"depth"`
	Gates     int     `json:"gates"`
	VulkanMs  Dist    `json:"vulkan_wall_ms"`
	VulkanGPU Dist    `json:"vulkan_gpu_ms"`
	CPUMs     Dist    `json:"cpu_wall_ms"` // empty when skipped (too slow for the budget)
	Speedup   float64 `json:"speedup_wall"`
	Z0GPU     float64 `json:"z0_gpu"`
	Z0CPU     float64 `json:"z0_cpu"`
	Agree     bool    `json:"agree"`
	Error     string  `json:"error,omitempty"`
}

// PolicyPick is where the default policy (sokr.Auto) sends a circuit when
// both the device and statevec can run it.
type PolicyPick struct {
	Qubits    int    `json:"qubits"`
	Substrate string `json:"substrate"`
	Estimates string `json:"estimates"`
}

// circuitSizes are the section's sizes per mode: the gate-pass state, the
// layered circuits' qubits, and the largest the CPU also runs.
func circuitSizes(mode string) (pass int, layers []int, cpuMax int) {
	switch mode {
	case "quick":
		return 12, []int{8, 10}, 10
	case "cpu-driver": // lavapipe: the cores are the device
		return 22, []int{16, 18, 20}, 20
	}
	return 30, []int{26, 28, 30}, 28
}

// layersDepth is the depth of the peers' benchmark circuits.
const layersDepth = 20

// z0 is the observable Z on qubit 0 of an n-qubit circuit.
func z0(n int) []map[string]any {
	paulis := []byte("Z")
	for len(paulis) < n {
		paulis = append(paulis, 'I')
	}
	return []map[string]any{{"coef": []float64{1, 0}, "paulis": string(paulis)}}
}

// zRun is one observe-mode run of <Z0>.
type zRun struct {
	z         float64
	wall, gpu time.Duration // gpu: 0 when not reported
	chunks    string        // the state's buffers, as the substrate reports them
}

// observeZ0 runs p on rt in observe mode (complex64) and returns <Z0> and
// how the run went.
func observeZ0(ctx context.Context, rt *sokr.Runtime, p *circuit.Program, extra ...sokr.DispatchOption) (zRun, error) {
	opts := append([]sokr.DispatchOption{sokr.Param("mode", "observe"), sokr.Param("observable", z0(p.Qubits)),
		sokr.Param("precision", "complex64"), sokr.Timeout(runTimeout)}, extra...)
	t0 := time.Now()
	res, err := rt.Run(ctx, p, nil, opts...)
	if err != nil {
		return zRun{}, err
	}
	r := zRun{z: sokr.View[float64](res.Outputs[0].Tensor)[0], wall: time.Since(t0), chunks: res.Meta["chunks"]}
	ns, _ := strconv.ParseInt(res.Meta["gpu_time_ns"], 10, 64)
	r.gpu = time.Duration(ns)
	return r, nil
}

// hadamards is k Hadamards on qubits 0, 1, ..., k-1 (mod n).
func hadamards(n, k int) *circuit.Program {
	p := &circuit.Program{Source: "hadamards", Qubits: n}
	for i := range k {
		p.Ops = append(p.Ops, circuit.Op{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{i % n}})
	}
	return p
}

func (b *bench) circuits(ctx context.Context, deadline time.Time) error {
	r := &StatevecResult{}
	b.rep.Statevec = r
	passQ, layers, cpuMax := circuitSizes(b.rep.Mode)
	sv := statevec.New(statevec.Config{})
	rtSV := sokr.New()
	if err := rtSV.RegisterSubstrate(sv); err != nil {
		return err
	}
	defer rtSV.Close(ctx)
	b.printf("state vector  circuits on %s against statevec (%s workers), complex64\n", b.gpu.Name(), sv.Describe()["workers"])

	// A gate pass: 2k unfused Hadamards less k, by the GPU's clock.
	const k = 8
	fusion0 := sokr.Param("fusion", 0)
	timed := func(p *circuit.Program) (time.Duration, string, error) {
		best := time.Duration(math.MaxInt64)
		var chunks string
		_, err := repeat(3, deadline, func(int) error {
			r, err := observeZ0(ctx, b.rtGPU, p, fusion0)
			chunks, best = r.chunks, min(best, r.gpu)
			return err
		})
		return best, chunks, err
	}
	one, _, err := timed(hadamards(passQ, k))
	if err != nil {
		return fmt.Errorf("gate pass on %d qubits: %w", passQ, err)
	}
	two, chunks, err := timed(hadamards(passQ, 2*k))
	if err != nil {
		return fmt.Errorf("gate pass on %d qubits: %w", passQ, err)
	}
	gp := &r.GatePass
	gp.Qubits, gp.Gates, gp.Chunks = passQ, k, chunks
	if two > one && one > 0 {
		pass := (two - one) / k
		gp.PassMs = ms(pass)
		gp.GBps = 16 * math.Ldexp(1, passQ) / pass.Seconds() / 1e9
	}
	peak, source := peakFor(b.props["device_name"], b.cfg.Peak)
	if peak > 0 {
		gp.PeakPct = 100 * gp.GBps / peak
	}
	gp.Goal = Goal{Target: 85, Unit: "% of peak", Value: gp.PeakPct, Applies: b.rep.Mode == "gpu" && peak > 0}
	gp.Goal.Met = gp.Goal.Applies && gp.PeakPct >= 85
	b.printf("  gate pass   %d qubits: %.3f ms, %.0f GB/s (%.1f %% of %s: %s); goal >= 85 %%: %s; chunks %s\n",
		passQ, gp.PassMs, gp.GBps, gp.PeakPct, num(peak), source, gp.Goal, chunks)

	// The peers' circuits.
	b.printf("  %-7s %6s %12s %12s %12s %8s  %s\n", "qubits", "gates", "vk wall ms", "vk gpu ms", "cpu ms", "x wall", "<Z0> gpu vs cpu")
	for _, n := range layers {
		p := circuittest.Layers(n, layersDepth, 1)
		lr := LayersRun{Qubits: n, Depth: layersDepth, Gates: len(p.Ops)}
		var walls, gpus, cpus []float64
		_, err := repeat(3, deadline, func(int) error {
			r, err := observeZ0(ctx, b.rtGPU, p)
			lr.Z0GPU = r.z
			walls, gpus = append(walls, ms(r.wall)), append(gpus, ms(r.gpu))
			return err
		})
		if err == nil && n <= cpuMax && time.Now().Before(deadline) {
			_, err = repeat(2, deadline, func(int) error {
				r, err := observeZ0(ctx, rtSV, p)
				lr.Z0CPU = r.z
				cpus = append(cpus, ms(r.wall))
				return err
			})
		}
		lr.VulkanMs, lr.VulkanGPU, lr.CPUMs = dist(walls), dist(gpus), dist(cpus)
		if err != nil {
			lr.Error = err.Error()
		}
		if len(cpus) > 0 {
			lr.Speedup = lr.CPUMs.Median / lr.VulkanMs.Median
			lr.Agree = math.Abs(lr.Z0GPU-lr.Z0CPU) <= 1e-3
		} else {
			lr.Agree = err == nil && math.Abs(lr.Z0GPU) <= 1
		}
		r.Layers = append(r.Layers, lr)
		b.printf("  %-7d %6d %12.2f %12.2f %12.2f %8.2f  %+.5f %+.5f %s %s\n", n, lr.Gates, lr.VulkanMs.Median,
			lr.VulkanGPU.Median, lr.CPUMs.Median, lr.Speedup, lr.Z0GPU, lr.Z0CPU, map[bool]string{true: "ok", false: "DIFFER"}[lr.Agree], lr.Error)
	}

	// Where the default policy (sokr.Auto, what a runtime with both
	// substrates uses) sends a small and a large circuit, from the two
	// substrates' offers.
	for _, n := range []int{4, layers[len(layers)-1]} {
		p := circuittest.Layers(n, layersDepth, 2)
		offers := []sokr.Offer{sv.Capability(ctx, p), b.gpu.Capability(ctx, p)}
		pick := PolicyPick{Qubits: n}
		var ok []sokr.Offer
		for _, o := range offers {
			if !o.OK {
				pick.Estimates += fmt.Sprintf("%s refused: %s; ", o.Substrate, o.Reason)
				continue
			}
			pick.Estimates += fmt.Sprintf("%s %v; ", o.Substrate, o.Estimate.Time)
			ok = append(ok, o)
		}
		if i, err := sokr.Auto().Choose(p, ok); err == nil && len(ok) > 0 {
			pick.Substrate = ok[i].Substrate
		}
		r.Policy = append(r.Policy, pick)
		b.printf("  policy      %d qubits -> %s (%s)\n", n, pick.Substrate, pick.Estimates)
	}
	return nil
}
