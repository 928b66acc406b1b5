package snn

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the substrate's default name.
const Name = "snn"

// DefaultMaxSessions is how many sessions may be live at once by default.
const DefaultMaxSessions = 64

// Substrate simulates NIR graphs on the host's cores.
type Substrate struct {
	name        string
	workers     int
	budget      int64
	maxSessions int
	blas        *blas.Lib
	sessions    neuron.Sessions[session]
}

var _ sokr.Substrate = (*Substrate)(nil)

// Option configures a Substrate.
type Option func(*Substrate)

// WithName registers the substrate under another name.
func WithName(name string) Option { return func(s *Substrate) { s.name = name } }

// WithWorkers sets the number of goroutines a run uses (default:
// GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(s *Substrate) {
		if n > 0 {
			s.workers = n
		}
	}
}

// WithMemoryBudget caps the memory a run may need (default: 4 GiB);
// Capability refuses graphs whose least run exceeds it, and Dispatch (and
// EstimateRun) refuses runs that would, before allocating anything for
// them.
func WithMemoryBudget(bytes int64) Option { return func(s *Substrate) { s.budget = bytes } }

// WithMaxSessions caps the number of live sessions (default
// DefaultMaxSessions); a dispatch that would open one more fails until
// EndSession closes one.
func WithMaxSessions(n int) Option { return func(s *Substrate) { s.maxSessions = n } }

// WithoutBLAS makes dense propagation use the Go matrix kernel even when a
// BLAS is installed.
func WithoutBLAS() Option { return func(s *Substrate) { s.blas = nil } }

// New returns a spiking-network substrate. Dense synaptic propagation goes
// through the system BLAS when one is installed (pkg/internal/blas).
func New(opts ...Option) *Substrate {
	s := &Substrate{name: Name, workers: runtime.GOMAXPROCS(0), budget: 4 << 30, maxSessions: DefaultMaxSessions}
	if lib, err := blas.Load(); err == nil {
		s.blas = lib
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name returns the substrate's name, "snn" by default.
func (s *Substrate) Name() string { return s.name }

// Kind returns sokr.KindNeuromorphic.
func (s *Substrate) Kind() sokr.Kind { return sokr.KindNeuromorphic }

// Describe reports the workers, the memory budget, the kernels and BLAS in
// use, and the session cap.
func (s *Substrate) Describe() sokr.Properties {
	p := sokr.Properties{
		"cores":        strconv.Itoa(runtime.NumCPU()),
		"workers":      strconv.Itoa(s.workers),
		"memory_bytes": strconv.FormatInt(s.budget, 10),
		"kernels":      isaName(),
		"blas":         "go",
		"max_sessions": strconv.Itoa(s.maxSessions),
		"formats":      formatNIR,
		"primitives":   "Input Output NIRGraph Affine Linear Scale Conv1d Conv2d SumPool2d AvgPool2d Flatten Delay Threshold I IF LI LIF CubaLI CubaLIF",
	}
	if s.blas != nil {
		p["blas"] = s.blas.Name()
		p["blas_path"] = s.blas.Path()
	}
	if err := blas.RequestError(); err != nil {
		p["blas_error"] = err.Error() // SOKR_BLAS names a library that cannot be used
	}
	return p
}

// Capability accepts NIR graphs whose every node it simulates, with
// parameters it supports, and whose least run fits the memory budget.
//
// The memory a run takes depends on what Capability cannot see: the time
// steps and batch of the inputs, and options (precision, dt, which sets
// how many steps a delay line holds, probes). The Estimate is the least
// that any run of the graph needs: one step of batch 1 in f32, with no
// probe and no delay line. EstimateRun gives a dispatch's own figure, and
// Dispatch refuses a run over the budget before allocating it.
func (s *Substrate) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	net, err := networkOf(p)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	least := semantics{dt: DefaultDT, recurrentDelay: DefaultRecurrentDelay, precision: sokr.F32, propagation: PropagationAuto}
	u, err := s.runUsage(net, least, 1, 1, nil, true)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	if need := u.total.Bytes(); need > s.budget {
		return sokr.No(s, fmt.Sprintf("its least run (one step of batch 1, f32) needs %s (the largest part, the %s, takes %s), the budget is %s (see snn.WithMemoryBudget)",
			footprint.Format(need), u.largest, footprint.Format(u.largestBytes), footprint.Format(s.budget)))
	}
	return sokr.Yes(s, sokr.Estimate{MemoryBytes: u.total.Bytes()}) // time depends on T and B, unknown here
}

// Dispatch simulates a NIR graph: see the package documentation for the
// inputs, options and outputs.
func (s *Substrate) Dispatch(_ context.Context, j *sokr.Job) {
	net, err := networkOf(j.Program)
	if err != nil {
		j.Fail(&sokr.ProgramError{Format: j.Program.Format(), Msg: s.name + ": " + err.Error()})
		return
	}
	j.Go(s.name, func(j *sokr.Job) (sokr.Result, error) { return s.run(j, net) })
}

// run parses the options and inputs, refuses a run over the memory
// budget before allocating anything for it, and simulates in the chosen
// precision.
func (s *Substrate) run(j *sokr.Job, net *network) (sokr.Result, error) {
	_, d, err := s.admit(net, j.Inputs, j.Options)
	if err != nil {
		return sokr.Result{}, err
	}
	if d.sem.precision == sokr.F64 {
		return runIn[float64](s, j, net, d.sem, d.steps, d.batch)
	}
	return runIn[float32](s, j, net, d.sem, d.steps, d.batch)
}

func runIn[F float](s *Substrate, j *sokr.Job, net *network, sem semantics, steps, batch int) (sokr.Result, error) {
	c, err := compile[F](net, sem)
	if err != nil {
		return sokr.Result{}, &sokr.InputError{Index: -1, Msg: err.Error()}
	}
	st, release, err := sessionState(s, j.Program, c, sem, batch)
	if err != nil {
		return sokr.Result{}, err
	}
	defer release()
	startStep := st.steps
	outs, cnt, err := simulate(j, c, st, j.Inputs, steps, s.workers, s.blas)
	if err != nil {
		return sokr.Result{}, err
	}
	if sem.finalState {
		outs = append(outs, finalState(c, st)...)
	}
	meta := sem.meta()
	if len(c.warnings) > 0 {
		meta["warnings"] = strings.Join(c.warnings, "\n")
	}
	meta[OptPropagation] = cnt.propagation()
	meta["steps"] = strconv.Itoa(steps)
	meta["batch"] = strconv.Itoa(batch)
	meta["spikes"] = strconv.FormatInt(cnt.spikes, 10)
	meta["synaptic_events"] = strconv.FormatInt(cnt.events, 10)
	meta["neuron_updates"] = strconv.FormatInt(cnt.updates, 10)
	if sem.session != "" {
		meta[OptSession] = sem.session
		meta["session_step"] = strconv.Itoa(startStep)
	}
	return sokr.Result{Outputs: outs, Meta: meta}, nil
}

// propagation names the synaptic propagation a run used.
func (c counters) propagation() string {
	switch {
	case c.event && c.dense:
		return "mixed"
	case c.event:
		return PropagationEvent
	case c.dense:
		return PropagationDense
	}
	return "none"
}

// finalState returns copies of the neuron state variables after the run,
// as outputs "state:NODE.v" and "state:NODE.i" shaped [B, *shape]: what
// the "initial_state" option of a later run takes back.
func finalState[F float](c *compiled[F], st *state[F]) []sokr.Output {
	var outs []sokr.Output
	for i, u := range c.net.units {
		if u.op == opNeuron {
			shape := append([]int{st.batch}, u.outShape...)
			outs = append(outs, sokr.Output{Name: "state:" + u.name + ".v", Tensor: sokr.FromSlice(append([]F(nil), st.v[i]...), shape...)})
			if st.cur[i] != nil {
				outs = append(outs, sokr.Output{Name: "state:" + u.name + ".i", Tensor: sokr.FromSlice(append([]F(nil), st.cur[i]...), shape...)})
			}
		}
		if d := c.units[i].maxDelay; st.delayRing[i] != nil && d > 0 {
			outs = append(outs, sokr.Output{Name: "state:" + u.name + "." + neuron.DelayLine,
				Tensor: history(st.delayRing[i], d, st.steps, st.delayPast[i], append([]int{d, st.batch}, u.inShape...))})
		}
		if st.recRing[i] != nil {
			d := c.sem.recurrentDelay
			outs = append(outs, sokr.Output{Name: "state:" + u.name + "." + neuron.Recurrent,
				Tensor: history(st.recRing[i], d, st.steps, st.recPast[i], append([]int{d, st.batch}, u.outShape...))})
		}
	}
	return outs
}

// history unrolls a ring of rows rows that holds steps up to steps − 1
// (and past steps before step 0) into [rows, ...] oldest first: steps
// steps − rows to steps − 1, zeros for those before the ring's first.
func history[F float](ring []F, rows, steps, past int, shape []int) sokr.Tensor {
	row := len(ring) / rows
	out := make([]F, len(ring))
	for k := range rows {
		if step := steps - rows + k; step >= -past {
			slot := mod(step, rows)
			copy(out[k*row:(k+1)*row], ring[slot*row:(slot+1)*row])
		}
	}
	return sokr.FromSlice(out, shape...)
}
