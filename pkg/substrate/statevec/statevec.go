package statevec

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the default substrate name.
const Name = "statevec"

// Config configures a Substrate. The zero value gives the defaults.
type Config struct {
	// Name registers the substrate under another name (default "statevec").
	Name string
	// Workers is the number of goroutines a run uses (default GOMAXPROCS).
	Workers int
	// MemoryBudget caps the bytes of state a run may hold; Capability
	// refuses larger circuits. The default is the machine's budget: three
	// quarters of MemAvailable or SOKR_MEMORY, within the cgroup's limit
	// and ulimit -v (see defaults.New, which passes the runtime's).
	MemoryBudget int64
	// MinParallel is the number of amplitudes below which a pass runs on
	// one goroutine (default 1<<14: smaller states take microseconds, less
	// than handing work to another core). Tests set 1 to exercise the
	// parallel paths on small states.
	MinParallel int
	// BlockBytes is the size of the chunks that cache blocking applies a
	// stage of gates to (default 512 KiB, half an L2 cache; see block.go);
	// negative turns blocking off. States of fewer than four chunks are
	// never blocked.
	BlockBytes int
}

// Substrate simulates circuit programs on a state vector held in memory.
// It is safe for concurrent use; dispatches run independently.
type Substrate struct {
	name        string
	workers     int
	budget      int64
	minParallel int
	blockBytes  int
	cost        qcost.Lazy
}

var _ sokr.Substrate = (*Substrate)(nil)

// New returns a state-vector substrate configured by cfg.
func New(cfg Config) *Substrate {
	s := &Substrate{name: cfg.Name, workers: cfg.Workers, budget: cfg.MemoryBudget, minParallel: cfg.MinParallel, blockBytes: cfg.BlockBytes}
	if s.name == "" {
		s.name = Name
	}
	if s.workers <= 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	if s.budget <= 0 {
		s.budget = hostmem.DefaultBudget()
	}
	if s.minParallel <= 0 {
		s.minParallel = 1 << 14
	}
	if s.blockBytes == 0 {
		s.blockBytes = blockBytes
	}
	s.cost.Fallback = qcost.Model{Latency: time.Microsecond, PerGateAmp: 32e-9 / 3 / float64(s.workers)}
	return s
}

// Name returns the substrate's name, "statevec" by default.
func (s *Substrate) Name() string { return s.name }

// Kind returns sokr.KindQPU.
func (s *Substrate) Kind() sokr.Kind { return sokr.KindQPU }

// Describe reports the workers, the memory budget, the largest circuits
// that fit and the kernels in use.
func (s *Substrate) Describe() sokr.Properties {
	return sokr.Properties{
		"cores":                strconv.Itoa(runtime.NumCPU()),
		"workers":              strconv.Itoa(s.workers),
		"memory_bytes":         strconv.FormatInt(s.budget, 10),
		"max_qubits":           strconv.Itoa(maxQubits(s.budget, 16)),
		"max_qubits_c64":       strconv.Itoa(maxQubits(s.budget, 8)),
		"formats":              circuit.Format,
		"kernels":              isaName(),
		"precisions":           "complex128,complex64",
		"noise":                "depolarizing,bit_flip,phase_flip,amplitude_damping,phase_damping,kraus",
		"default_fusion":       strconv.Itoa(defaultFusion),
		"max_fusion":           strconv.Itoa(maxTargets),
		"modes":                "sample,observe,state",
		"methods":              "auto,density_matrix,statevector,trajectories",
		"max_while_iterations": strconv.Itoa(maxWhileIterations),
	}
}

// Capability accepts circuit programs whose state fits in the memory
// budget (as complex64 at least) and whose every op it can apply.
//
// A run's memory depends on options Capability cannot see (mode,
// precision, shots, the observable). The Estimate is that of a run with
// the default options: sampling 1000 shots, in complex128, or complex64
// when complex128 does not fit. EstimateRun gives a dispatch's own
// figure, and Dispatch refuses a run over the budget before allocating it.
func (s *Substrate) Capability(_ context.Context, prog sokr.Program) sokr.Offer {
	p, ok := prog.(*circuit.Program)
	if !ok {
		return sokr.No(s, fmt.Sprintf("runs %s programs only, not %s", circuit.Format, prog.Format()))
	}
	if reason := s.refusal(p); reason != "" {
		return sokr.No(s, reason)
	}
	o, _ := parseOptions(p, sokr.Options{HasSeed: true}) // the defaults: no option to fail
	if stateBytes(p.Qubits, 16) > s.budget {
		o.Precision = Complex64
	}
	_ = s.chooseMethod(p, o) // "auto" never fails
	return sokr.Yes(s, sokr.Estimate{Time: s.estimate(p), MemoryBytes: s.runUsage(p, o).total()})
}

// refusal says why s cannot run p, or returns "".
func (s *Substrate) refusal(p *circuit.Program) string {
	if len(p.Unsupported) > 0 {
		u := p.Unsupported[0]
		return fmt.Sprintf("%s%s is not supported by the state-vector simulator", u.Feature, qsim.At(u.Pos))
	}
	buffers := int64(1)
	if p.Dynamic() {
		buffers = 2
	}
	if buffers*stateBytes(p.Qubits, 8) > s.budget {
		return s.tooBig(p.Qubits, buffers)
	}
	var reason string
	circuit.Walk(p.Ops, func(o *circuit.Op) {
		if reason == "" && o.Kind == circuit.OpChannel {
			reason = qsim.CheckChannel(o)
		}
	})
	return reason
}

// tooBig explains that n qubits (buffers copies of the state) do not fit.
func (s *Substrate) tooBig(n int, buffers int64) string {
	copies := ""
	if buffers > 1 {
		copies = ", twice over for per-shot simulation"
	}
	return fmt.Sprintf("needs %d qubits (%s as complex128, %s as complex64%s); this substrate holds at most %d qubits in %s (%d as complex64)",
		n, formatBytes(float64(buffers)*math.Ldexp(16, n)), formatBytes(float64(buffers)*math.Ldexp(8, n)), copies,
		maxQubits(s.budget/buffers, 16), formatBytes(float64(s.budget)), maxQubits(s.budget/buffers, 8))
}

// estimate is the policies' forecast of a run of p (sokr.Auto compares it
// with a GPU's): qcost's model, latency + gates·2^n·time per gate and
// amplitude, with both constants measured by running circuits here (see
// qcost.Lazy) in complex128, the default precision. Until a circuit of
// qcost.CalQubits is asked about, the time per gate and amplitude is the
// fallback: a fused pass of about three gates moving the state through
// memory at a gigabyte per second per worker (the order of magnitude
// measured on Zen 4).
func (s *Substrate) estimate(p *circuit.Program) time.Duration {
	return s.cost.Time(s, p.Qubits, qcost.Gates(p), nil)
}

// stateBytes is the size of an n-qubit state of amplitudes of size bytes,
// saturating instead of overflowing.
func stateBytes(n int, size int64) int64 {
	if n >= 58 {
		return math.MaxInt64
	}
	return size << n
}

// maxQubits is the most qubits whose state of size-byte amplitudes fits in
// budget.
func maxQubits(budget, size int64) int {
	n := 0
	for n < 62 && size<<(n+1) <= budget {
		n++
	}
	return n
}

func formatBytes(b float64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%.0f B", b)
	}
	exp := 0
	for b >= unit && exp < 6 {
		b /= unit
		exp++
	}
	s := strconv.FormatFloat(b, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("BKMGTPE"[exp]) + "iB"
}

// Dispatch runs a circuit program. Small runs complete before Dispatch
// returns; larger ones run on a goroutine of their own, spreading each
// pass over the workers. A run whose memory (runUsage) exceeds the budget
// fails before anything is allocated for it.
func (s *Substrate) Dispatch(_ context.Context, j *sokr.Job) {
	p, params, o, err := s.prepare(j.Program, j.Inputs, j.Options)
	if err != nil {
		j.Fail(err)
		return
	}
	if _, err := s.admit(p, o); err != nil {
		j.Fail(err)
		return
	}
	work := int64(len(p.Ops)+1) << min(p.Qubits, 40)
	if o.density {
		work <<= min(p.Qubits, 20)
	} else if p.Dynamic() {
		work *= int64(max(o.Shots, o.Trajectories))
	}
	if work < inlineWork {
		j.Run(s.name, func(j *sokr.Job) (sokr.Result, error) { return s.run(j, p, params, o) })
		return
	}
	j.Go(s.name, func(j *sokr.Job) (sokr.Result, error) { return s.run(j, p, params, o) })
}

// prepare checks a dispatch's program, inputs and options.
func (s *Substrate) prepare(prog sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (*circuit.Program, []float64, *options, error) {
	p, ok := prog.(*circuit.Program)
	if !ok {
		return nil, nil, nil, &sokr.ProgramError{Format: prog.Format(), Msg: s.name + " runs " + circuit.Format + " programs only"}
	}
	if reason := s.refusal(p); reason != "" {
		return nil, nil, nil, &sokr.ProgramError{Format: circuit.Format, Msg: s.name + " cannot run this program: " + reason}
	}
	if err := p.Validate(); err != nil {
		return nil, nil, nil, err
	}
	params, err := qsim.InputParams(p, inputs)
	if err != nil {
		return nil, nil, nil, err
	}
	o, err := parseOptions(p, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.chooseMethod(p, o); err != nil {
		return nil, nil, nil, err
	}
	return p, params, o, nil
}

// inlineWork is the size (ops times amplitudes) below which a run happens
// on the dispatching goroutine: for a Bell pair, a goroutine hand-off costs
// more than the simulation.
const inlineWork = 1 << 14
