// Command gpubench measures SOKR's Vulkan substrate on one device, in one
// bounded run meant for a GPU machine whose time is scarce:
//
//   - SAXPY (y = a*x + y) bandwidth from the GPU's own timestamps, as a
//     percentage of the device's peak, for a plain and two optimised kernels;
//   - the round trip of a one-workgroup dispatch through rt.Run (median and
//     p99), for a SPIR-V module and a one-element native program;
//   - native-IR matrix products, in GFLOP/s of GPU time;
//   - native programs on the GPU against the cpu substrate, with the
//     answers compared;
//   - circuits (the state vector on the device): a gate pass as a
//     fraction of peak bandwidth, the peers' layered random circuits
//     against the statevec substrate, and where the default policy sends
//     a small and a large circuit;
//   - the Open Neuromorphic workload (Linear(n, n) + LIF, batch 16, 500
//     steps) against the published figures of Norse and Spyx.
//
// It prints a report and writes gpubench.json to -out (default $OUT).
// prepare.sh builds it on a development machine and run.sh runs it on the
// GPU machine; see README.md.
//
//	gpubench -out DIR [-quick] [-device N] [-peak GB/s] [-budget 150s]
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
	"github.com/sokr-rs/sokr/pkg/substrate/vulkan"
)

// Config is what the flags set.
type Config struct {
	Out      string        // directory for gpubench.json; "" writes none
	Quick    bool          // CI-sized runs (lavapipe under -race)
	Device   int           // Vulkan device index
	Peak     float64       // GB/s; 0 looks the device up in peakGBps
	Budget   time.Duration // soft limit on the measuring, shared by the sections
	Sections []string      // which sections to run, in this order
	Validate bool          // turn on the Khronos validation layer
}

var allSections = []string{"saxpy", "latency", "matmul", "vs_cpu", "probes", "statevec", "neuro"}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // a section failed or an answer was wrong
	exitUnavailable = 2 // no Vulkan, or no such device
	exitWatchdog    = 3 // the run overran its budget by far
)

func main() { os.Exit(mainCode()) }

// mainCode runs the command and returns its exit code (so that deferred
// calls run before os.Exit).
func mainCode() int {
	cfg := Config{Sections: allSections}
	flag.StringVar(&cfg.Out, "out", os.Getenv("OUT"), "directory for gpubench.json (default $OUT; empty: none)")
	flag.BoolVar(&cfg.Quick, "quick", false, "small sizes for CI and lavapipe (seconds under -race)")
	flag.IntVar(&cfg.Device, "device", 0, "Vulkan device index (vulkan:N)")
	flag.Float64Var(&cfg.Peak, "peak", 0, "peak memory bandwidth in GB/s (default: looked up by device name)")
	flag.DurationVar(&cfg.Budget, "budget", 150*time.Second, "soft time limit for the measurements; loops stop early past it")
	sections := flag.String("sections", strings.Join(allSections, ","), "sections to run, comma-separated")
	flag.BoolVar(&cfg.Validate, "validate", false, "turn on the Vulkan validation layer (slow; for checking, not timing)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	cfg.Sections = strings.Split(*sections, ",")
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gpubench:", err)
			return exitFailed
		}
		defer pprof.StopCPUProfile()
	}

	// A hung driver call cannot be cancelled: past the budget and a margin,
	// give up with what gpubench.json already holds (it is rewritten after
	// every section).
	time.AfterFunc(cfg.Budget+60*time.Second, func() {
		fmt.Fprintf(os.Stderr, "gpubench: still running %v after the start; giving up (partial results in %s)\n",
			cfg.Budget+60*time.Second, filepath.Join(cfg.Out, reportFile))
		os.Exit(exitWatchdog)
	})
	rep, err := run(context.Background(), cfg, os.Stdout)
	switch {
	case errors.Is(err, vulkan.ErrUnavailable):
		fmt.Fprintln(os.Stderr, "gpubench:", err)
		return exitUnavailable
	case err != nil:
		fmt.Fprintln(os.Stderr, "gpubench:", err)
		return exitFailed
	case !rep.OK:
		fmt.Fprintln(os.Stderr, "gpubench: some measurements failed or gave wrong answers (see above)")
		return exitFailed
	}
	return exitOK
}

// reportFile is the JSON report's name inside -out.
const reportFile = "gpubench.json"

// Report is gpubench.json.
type Report struct {
	Schema     string            `json:"schema"`
	Started    time.Time         `json:"started"`
	Seconds    float64           `json:"seconds"`
	Mode       string            `json:"mode"` // gpu, cpu-driver or quick
	Host       map[string]string `json:"host"`
	Device     sokr.Properties   `json:"device"`
	CPU        sokr.Properties   `json:"cpu"`
	OpenMs     float64           `json:"open_ms"` // vulkan.Open: loader, instance, devices
	SAXPY      *SAXPYResult      `json:"saxpy,omitempty"`
	Latency    *LatencyResult    `json:"latency,omitempty"`
	Matmul     *MatmulResult     `json:"matmul,omitempty"`
	VsCPU      *VersusResult     `json:"vs_cpu,omitempty"`
	Probes     []Probe           `json:"probes,omitempty"`
	Statevec   *StatevecResult   `json:"statevec,omitempty"`
	Neuro      *NeuroResult      `json:"neuro,omitempty"`
	Errors     []string          `json:"errors"`
	Validation []string          `json:"validation_messages"`
	Complete   bool              `json:"complete"` // every section ran; false in a partial report
	OK         bool              `json:"ok"`       // complete, no errors, every answer right
}

// Goal is a target from the issue, checked on GPUs only.
type Goal struct {
	Target  float64 `json:"target"`
	Unit    string  `json:"unit"`
	Value   float64 `json:"value"`
	Applies bool    `json:"applies"` // a GPU with a known peak
	Met     bool    `json:"met"`
}

func (g Goal) String() string {
	switch {
	case !g.Applies:
		return "not checked here (the goal is for the H100)"
	case g.Met:
		return "met"
	}
	return "MISSED"
}

// sizes are the problem sizes and repetitions of one mode.
type sizes struct {
	saxpyN       int // elements (a power of two, capped by the device's limits)
	saxpyReps    int
	latencyRuns  int
	latencyWarm  int
	matmul       []int
	matmulReps   int
	chainN       int // elements of the vs-cpu chain
	versusMatmul int
	versusReps   int
}

func sizesFor(mode string) sizes {
	switch mode {
	case "quick":
		return sizes{saxpyN: 1 << 18, saxpyReps: 2, latencyRuns: 200, latencyWarm: 20,
			matmul: []int{64}, matmulReps: 2, chainN: 1 << 14, versusMatmul: 64, versusReps: 2}
	case "cpu-driver": // lavapipe: the cores are the device
		return sizes{saxpyN: 1 << 25, saxpyReps: 4, latencyRuns: 1000, latencyWarm: 100,
			matmul: []int{256, 512}, matmulReps: 3, chainN: 1 << 22, versusMatmul: 512, versusReps: 3}
	}
	return sizes{saxpyN: 1 << 28, saxpyReps: 8, latencyRuns: 2000, latencyWarm: 200,
		matmul: []int{1024, 2048, 4096}, matmulReps: 5, chainN: 1 << 24, versusMatmul: 2048, versusReps: 3}
}

// Time shares of the budget per section: SAXPY moves gigabytes through the
// host per run, and the cpu substrate's matmul is the slowest single run.
var shares = map[string]float64{"saxpy": 0.22, "latency": 0.1, "matmul": 0.12, "vs_cpu": 0.16, "probes": 0.02, "statevec": 0.2, "neuro": 0.18}

// runTimeout bounds one dispatch; a GPU one takes milliseconds.
const runTimeout = 2 * time.Minute

// bench is one run of the benchmark.
type bench struct {
	cfg   Config
	w     io.Writer
	gpu   *vulkan.Substrate
	rtGPU *sokr.Runtime
	cpu   *cpu.Substrate
	rtCPU *sokr.Runtime
	sz    sizes
	props sokr.Properties
	rep   *Report
	start time.Time
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.w, format, args...) }

// run opens the device, runs the sections and returns the report (also
// written to cfg.Out). Vulkan being unavailable is an error matching
// vulkan.ErrUnavailable; failures inside a section are in the report.
func run(ctx context.Context, cfg Config, w io.Writer) (*Report, error) {
	for _, s := range cfg.Sections {
		if !slices.Contains(allSections, s) {
			return nil, fmt.Errorf("unknown section %q (have %s)", s, strings.Join(allSections, ", "))
		}
	}
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, err
		}
	}
	b := &bench{cfg: cfg, w: w, start: time.Now()}
	b.rep = &Report{Schema: "sokr.gpubench/1", Started: b.start, Host: hostInfo(), Errors: []string{}, Validation: []string{}}

	t0 := time.Now()
	// Every device, CPU drivers included: the benchmark measures whatever
	// device it is pointed at (lavapipe in CI).
	subs, err := vulkan.Open(vulkan.Config{CacheDir: "-", Validation: cfg.Validate, CPU: true})
	if err != nil {
		return nil, err
	}
	b.rep.OpenMs = ms(time.Since(t0))
	for i, s := range subs {
		p := s.Describe()
		b.printf("vulkan:%d  %s (%s, Vulkan %s)\n", i, p["device_name"], p["device_type"], p["api_version"])
	}
	if cfg.Device < 0 || cfg.Device >= len(subs) {
		for _, s := range subs {
			_ = s.Close()
		}
		return nil, &vulkan.UnavailableError{Reason: fmt.Sprintf("no device %d: the loader lists %d", cfg.Device, len(subs))}
	}
	for i, s := range subs {
		if i != cfg.Device {
			_ = s.Close()
		}
	}
	b.gpu = subs[cfg.Device]
	defer b.gpu.Close()
	b.rtGPU = sokr.New()
	if err := b.rtGPU.RegisterSubstrate(b.gpu); err != nil {
		return nil, err
	}
	b.cpu = cpu.New()
	b.rtCPU = sokr.New()
	if err := b.rtCPU.RegisterSubstrate(b.cpu); err != nil {
		return nil, err
	}
	b.props = b.gpu.Describe()
	b.rep.Device, b.rep.CPU = b.props, b.cpu.Describe()
	b.rep.Mode = "gpu"
	switch {
	case cfg.Quick:
		b.rep.Mode = "quick"
	case b.props["device_type"] == "cpu":
		b.rep.Mode = "cpu-driver"
	}
	b.sz = sizesFor(b.rep.Mode)
	b.printf("gpubench: %s on %s, mode %s, budget %v, %d host cores, %s\n",
		b.gpu.Name(), b.props["device_name"], b.rep.Mode, cfg.Budget, runtime.NumCPU(), runtime.Version())
	b.printf("  limits: storage buffer %s B, allocation %s B, device memory %s B; timestamps %s, robust buffer access %s\n",
		b.props["max_storage_buffer_bytes"], b.props["max_allocation_bytes"], b.props["memory_bytes"], b.props["timestamps"],
		cmp.Or(b.props["robust_buffer_access"], "not reported"))
	b.save()

	for _, name := range cfg.Sections {
		b.section(ctx, name)
	}

	if cfg.Validate {
		b.rep.Validation = append(b.rep.Validation, b.gpu.ValidationMessages()...)
		if len(b.rep.Validation) > 0 {
			b.printf("validation layer: %d messages (first: %s)\n", len(b.rep.Validation), b.rep.Validation[0])
		}
	}
	b.rep.Complete = true
	b.rep.OK = len(b.rep.Errors) == 0 && len(b.rep.Validation) == 0 && b.answersRight()
	b.rep.Seconds = time.Since(b.start).Seconds()
	b.printf("gpubench: done in %.1f s, %s\n", b.rep.Seconds, map[bool]string{true: "all answers right", false: "FAILURES (see above)"}[b.rep.OK])
	if err := b.save(); err != nil {
		return b.rep, err
	}
	return b.rep, nil
}

// section runs one section within its share of the budget, turning an
// error or a panic into a line of the report, and saves the report.
func (b *bench) section(ctx context.Context, name string) {
	total := 0.0
	for _, s := range b.cfg.Sections {
		total += shares[s]
	}
	deadline := time.Now().Add(time.Duration(float64(b.cfg.Budget) * shares[name] / total))
	b.printf("\n")
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		switch name {
		case "saxpy":
			return b.saxpy(ctx, deadline)
		case "latency":
			return b.latency(ctx, deadline)
		case "matmul":
			return b.matmul(ctx, deadline)
		case "vs_cpu":
			return b.versus(ctx, deadline)
		case "probes":
			return b.probes(ctx, deadline)
		case "statevec":
			return b.circuits(ctx, deadline)
		case "neuro":
			return b.neuro(ctx, deadline)
		}
		return nil
	}()
	if err != nil {
		b.rep.Errors = append(b.rep.Errors, name+": "+err.Error())
		b.printf("%s: ERROR: %v\n", name, err)
	}
	b.rep.Seconds = time.Since(b.start).Seconds()
	if err := b.save(); err != nil {
		b.printf("cannot save the report: %v\n", err)
	}
}

// answersRight is true when every check in the report passed.
func (b *bench) answersRight() bool {
	ok := true
	if r := b.rep.SAXPY; r != nil {
		for _, v := range r.Variants {
			ok = ok && v.Correct
		}
	}
	if r := b.rep.Latency; r != nil {
		for _, l := range []*LatencyRun{r.SPIRV, r.Native} {
			ok = ok && (l == nil || l.Correct)
		}
	}
	if r := b.rep.Matmul; r != nil {
		for _, m := range r.Sizes {
			ok = ok && m.Correct
		}
	}
	if r := b.rep.VsCPU; r != nil {
		for _, c := range r.Programs {
			ok = ok && c.Agree
		}
	}
	for _, p := range b.rep.Probes {
		ok = ok && p.OK
	}
	if r := b.rep.Statevec; r != nil {
		for _, l := range r.Layers {
			ok = ok && l.Agree
		}
	}
	if r := b.rep.Neuro; r != nil {
		ok = ok && r.ok()
	}
	return ok
}

// save writes the report to cfg.Out atomically.
func (b *bench) save() error {
	if b.cfg.Out == "" {
		return nil
	}
	data, err := json.MarshalIndent(b.rep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(b.cfg.Out, reportFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func hostInfo() map[string]string {
	h := map[string]string{"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH,
		"cores": strconv.Itoa(runtime.NumCPU()), "gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0))}
	if name, err := os.Hostname(); err == nil {
		h["hostname"] = name
	}
	for _, k := range []string{"VK_DRIVER_FILES", "VK_ICD_FILENAMES"} {
		if v := os.Getenv(k); v != "" {
			h[k] = v
		}
	}
	return h
}

// gpuNs reads the GPU timestamps a vulkan result carries.
func gpuNs(res sokr.Result) (float64, error) {
	s, ok := res.Meta["gpu_time_ns"]
	if !ok {
		return 0, errors.New("the result has no gpu_time_ns (the device has no timestamps)")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("gpu_time_ns is %q", s)
	}
	return v, nil
}

// runOn dispatches p on rt with a bound on its time and returns the result
// and its wall time.
func runOn(ctx context.Context, rt *sokr.Runtime, p sokr.Program, inputs []sokr.Tensor, opts ...sokr.DispatchOption) (sokr.Result, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	t0 := time.Now()
	res, err := rt.Run(ctx, p, inputs, opts...)
	return res, time.Since(t0), err
}

// warmRuns runs p on rt up to n times before deadline (repeat) and returns
// each run's wall time and, where the result has one, its GPU time, in ms.
func warmRuns(ctx context.Context, rt *sokr.Runtime, n int, deadline time.Time, p sokr.Program, inputs []sokr.Tensor, opts ...sokr.DispatchOption) (wall, gpu []float64, err error) {
	_, err = repeat(n, deadline, func(int) error {
		res, w, err := runOn(ctx, rt, p, inputs, opts...)
		if err != nil {
			return err
		}
		wall = append(wall, ms(w))
		if g, err := gpuNs(res); err == nil {
			gpu = append(gpu, g/1e6)
		}
		return nil
	})
	return wall, gpu, err
}
