package cpu

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the default substrate name.
const Name = "cpu"

// inlineWork is the size (in element operations) below which a program runs
// on the dispatching goroutine: for tiny programs a goroutine hand-off costs
// more than the run.
const inlineWork = 1 << 12

// Substrate runs native programs on the host's cores.
type Substrate struct {
	name    string
	workers int
	budget  int64
	blas    *blas.Lib
}

var _ sokr.Substrate = (*Substrate)(nil)

// Option configures a Substrate.
type Option func(*Substrate)

// WithName registers the substrate under another name (for several
// differently configured CPU substrates in one runtime).
func WithName(name string) Option { return func(s *Substrate) { s.name = name } }

// WithWorkers sets the number of goroutines a run uses (default: GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(s *Substrate) {
		if n > 0 {
			s.workers = n
		}
	}
}

// WithMemoryBudget caps the memory a program may need; Capability refuses
// larger ones. The default is the machine's budget: three quarters of
// MemAvailable or SOKR_MEMORY, within the cgroup's limit and ulimit -v (see
// defaults.New, which passes the runtime's).
func WithMemoryBudget(bytes int64) Option { return func(s *Substrate) { s.budget = bytes } }

// WithoutBLAS makes matrix products use the Go kernel even when a BLAS is
// installed.
func WithoutBLAS() Option { return func(s *Substrate) { s.blas = nil } }

// New returns a CPU substrate. It loads a BLAS (OpenBLAS, BLIS, MKL or the
// reference CBLAS; or the library named by SOKR_BLAS) when one is installed.
func New(opts ...Option) *Substrate {
	s := &Substrate{name: Name, workers: runtime.GOMAXPROCS(0), budget: hostmem.DefaultBudget(), blas: loadBLAS()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name returns the substrate's name, "cpu" by default.
func (s *Substrate) Name() string { return s.name }

// Kind returns sokr.KindCPU.
func (s *Substrate) Kind() sokr.Kind { return sokr.KindCPU }

// Describe reports the workers, the memory budget and the BLAS in use
// (blas, blas_path), with blas_error when SOKR_BLAS names a library that
// cannot be used (the Go kernels run instead).
func (s *Substrate) Describe() sokr.Properties {
	p := sokr.Properties{
		"cores":        strconv.Itoa(runtime.NumCPU()),
		"workers":      strconv.Itoa(s.workers),
		"memory_bytes": strconv.FormatInt(s.budget, 10),
		"arch":         runtime.GOARCH,
		"blas":         "go",
		"formats":      native.Format,
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

var supportedDTypes = map[sokr.DType]bool{sokr.F32: true, sokr.F64: true, sokr.I32: true, sokr.I64: true, sokr.Bool: true}

// Capability accepts native programs whose dtypes it supports and whose
// memory fits the budget.
func (s *Substrate) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	np, ok := p.(*native.Program)
	if !ok {
		return sokr.No(s, fmt.Sprintf("runs %s programs only, not %s", native.Format, p.Format()))
	}
	pl := compile(np)
	if pl.unsupported != "" {
		return sokr.No(s, pl.unsupported)
	}
	need := pl.mem.bytes(s)
	if need > s.budget {
		return sokr.No(s, pl.refusal(need, s.budget))
	}
	return sokr.Yes(s, sokr.Estimate{Time: s.estimate(pl), MemoryBytes: need})
}

// estimate is a rough forecast for policies: about one element operation
// per nanosecond per worker (measured order of magnitude for the fused
// kernels on x86-64), plus a fixed dispatch cost.
func (s *Substrate) estimate(pl *plan) time.Duration {
	return time.Microsecond + time.Duration(pl.work/int64(s.workers))
}

// Dispatch runs a native program. Small programs run before Dispatch
// returns; larger ones on a goroutine of their own, spreading the work over
// the workers.
func (s *Substrate) Dispatch(_ context.Context, j *sokr.Job) {
	np, ok := j.Program.(*native.Program)
	if !ok {
		j.Fail(&sokr.ProgramError{Format: j.Program.Format(), Msg: s.name + " runs " + native.Format + " programs only"})
		return
	}
	if err := np.CheckInputs(j.Inputs); err != nil {
		j.Fail(err)
		return
	}
	pl := compile(np)
	if pl.unsupported != "" {
		j.Fail(&sokr.ProgramError{Format: native.Format, Msg: s.name + " cannot run this program: " + pl.unsupported})
		return
	}
	// The runtime asked Capability, but a caller driving the substrate
	// directly may not have: never allocate past the budget.
	if need := pl.mem.bytes(s); need > s.budget {
		j.Fail(&sokr.ProgramError{Format: native.Format, Msg: s.name + " cannot run this program: " + pl.refusal(need, s.budget)})
		return
	}
	if pl.work < inlineWork {
		j.Run(s.name, func(j *sokr.Job) (sokr.Result, error) { return s.execute(j, pl) })
		return
	}
	j.Go(s.name, func(j *sokr.Job) (sokr.Result, error) { return s.execute(j, pl) })
}
