package photonic

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the default substrate name.
const Name = "photonic"

// Config configures a Substrate. The zero value gives the defaults.
type Config struct {
	// Name registers the substrate under another name (default "photonic").
	Name string
	// Workers is the number of goroutines a run uses (default GOMAXPROCS).
	Workers int
	// MemoryBudget caps the bytes a run may allocate (default: the
	// machine's budget, see pkg/internal/hostmem).
	MemoryBudget int64
	// MaxTime caps the forecast time of a run (default DefaultMaxTime);
	// longer runs are refused with their cost.
	MaxTime time.Duration
}

// Substrate simulates linear-optics programs (sokr.photonic/1): exact
// sampling and exact output probabilities. It is safe for concurrent use;
// dispatches run independently.
type Substrate struct {
	name    string
	workers int
	budget  int64
	maxTime time.Duration
}

var _ sokr.Substrate = (*Substrate)(nil)

// New returns a photonic substrate configured by cfg.
func New(cfg Config) *Substrate {
	s := &Substrate{name: cfg.Name, workers: cfg.Workers, budget: cfg.MemoryBudget, maxTime: cfg.MaxTime}
	if s.name == "" {
		s.name = Name
	}
	if s.workers <= 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	if s.budget <= 0 {
		s.budget = hostmem.DefaultBudget()
	}
	if s.maxTime <= 0 {
		s.maxTime = DefaultMaxTime
	}
	return s
}

// Name returns the substrate's name, "photonic" by default.
func (s *Substrate) Name() string { return s.name }

// Kind returns sokr.KindPhotonic.
func (s *Substrate) Kind() sokr.Kind { return sokr.KindPhotonic }

// Describe reports the workers, the limits, the largest photon number a
// permanent allows within the time limit, and the conventions.
func (s *Substrate) Describe() sokr.Properties {
	maxN := 0
	for n := 1; n <= maxPhotons && seconds(permanentNs(n, s.workers)) <= s.maxTime; n++ {
		maxN = n
	}
	return sokr.Properties{
		"cores":        strconv.Itoa(runtime.NumCPU()),
		"workers":      strconv.Itoa(s.workers),
		"memory_bytes": strconv.FormatInt(s.budget, 10),
		"max_time":     s.maxTime.String(),
		"max_photons":  strconv.Itoa(maxN),
		"formats":      ir.Format,
		"modes":        string(ModeSample) + "," + string(ModeProbabilities),
		"methods":      "clifford-clifford (sampling), slos (full distribution), permanents (chosen outcomes; Glynn, Gray code)",
		"loss":         "uniform: thinning at the input; other: dilation to m+k modes",
		"detectors":    "pnr,threshold",
		"convention":   "Perceval: BS Rx, PS e^{i phi}, matrices [out][in]",
	}
}

// verified returns p's verification error, computed once per program (a
// Program filled in by hand may not have been verified).
func verified(p *ir.Program) error {
	err, _ := p.Memo(verifyKey{}, func() any { return verifyResult{ir.Verify(p)} }).(verifyResult)
	return err.err
}

type verifyKey struct{}

type verifyResult struct{ err error }

// Capability accepts verified photonic programs of which at least one run
// (a single outcome's probability: one permanent of size n) finishes
// within the time limit and memory budget. The estimate is that of a
// sample run with the default options (DefaultShots samples); runs with
// other options are forecast by EstimateRun and refused at dispatch if
// too large, with their cost.
func (s *Substrate) Capability(_ context.Context, prog sokr.Program) (offer sokr.Offer) {
	defer func() {
		if v := recover(); v != nil {
			offer = sokr.No(s, fmt.Sprintf("internal error while estimating the run: %v", v))
		}
	}()
	p, ok := prog.(*ir.Program)
	if !ok {
		return sokr.No(s, fmt.Sprintf("runs %s programs only, not %s", ir.Format, prog.Format()))
	}
	if err := verified(p); err != nil {
		return sokr.No(s, "the program does not verify: "+err.Error())
	}
	if reason := programRefusal(p, s.workers, s.maxTime, s.budget); reason != "" {
		return sokr.No(s, reason)
	}
	c := cost(modelOf(p), defaultOptions(), s.workers)
	return sokr.Yes(s, sokr.Estimate{Time: c.Time, MemoryBytes: c.Memory})
}

// Cost forecasts a run of prog with opts (the dispatch options): the
// method, the work in permanent evaluations, the time and the memory. It
// returns the error Dispatch would fail with for a program or options it
// refuses.
func (s *Substrate) Cost(prog sokr.Program, opts sokr.Options) (Cost, error) {
	p, o, err := s.prepare(prog, nil, opts)
	if err != nil {
		return Cost{}, err
	}
	return cost(modelOf(p), o, s.workers), nil
}

// EstimateRun forecasts the run Dispatch would make of exactly these
// arguments (sokrtest.RunEstimator), or returns the error it would fail
// with.
func (s *Substrate) EstimateRun(prog sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	p, o, err := s.prepare(prog, inputs, opts)
	if err != nil {
		return sokr.Estimate{}, err
	}
	c := cost(modelOf(p), o, s.workers)
	if why := tooBig(c, s.maxTime, s.budget); why != "" {
		return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: s.name + " refuses the run: " + why}
	}
	return sokr.Estimate{Time: c.Time, MemoryBytes: c.Memory}, nil
}

// prepare checks the program, the inputs and the options of a run.
func (s *Substrate) prepare(prog sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (*ir.Program, *options, error) {
	p, ok := prog.(*ir.Program)
	if !ok {
		return nil, nil, &sokr.ProgramError{Format: prog.Format(), Msg: s.name + " runs " + ir.Format + " programs only"}
	}
	if err := verified(p); err != nil {
		return nil, nil, err
	}
	if reason := programRefusal(p, s.workers, s.maxTime, s.budget); reason != "" {
		return nil, nil, &sokr.ProgramError{Format: ir.Format, Msg: s.name + " cannot run this program: " + reason}
	}
	if err := p.CheckInputs(inputs); err != nil {
		return nil, nil, err
	}
	o, err := parseOptions(p, opts)
	if err != nil {
		return nil, nil, err
	}
	return p, o, nil
}

// inlineNs is the forecast below which a run happens on the dispatching
// goroutine: handing a HOM dip to another goroutine costs more than it.
const inlineNs = 20 * time.Microsecond

// Dispatch runs a photonic program: a sample run (the default) or a
// probabilities run, chosen by the option "mode". Small runs complete
// before Dispatch returns; larger ones run on a goroutine of their own,
// spreading the work over the workers.
func (s *Substrate) Dispatch(_ context.Context, j *sokr.Job) {
	defer func() {
		// Preparing the run (the program's model, the cost) runs outside
		// the job's guard: a panic there fails the job too.
		if v := recover(); v != nil {
			j.Fail(&sokr.FaultError{Substrate: s.name, Panic: v, Stack: string(debug.Stack())})
		}
	}()
	p, o, err := s.prepare(j.Program, j.Inputs, j.Options)
	if err != nil {
		j.Fail(err)
		return
	}
	md := modelOf(p)
	c := cost(md, o, s.workers)
	if why := tooBig(c, s.maxTime, s.budget); why != "" {
		j.Fail(&sokr.InputError{Index: -1, Msg: s.name + " refuses the run: " + why})
		return
	}
	run := func(j *sokr.Job) (sokr.Result, error) { return s.run(j, md, o, c) }
	if c.Time < inlineNs {
		j.Run(s.name, run)
		return
	}
	j.Go(s.name, run)
}

// errBreakdown reports sampling weights that vanished or overflowed,
// which exact arithmetic never gives.
var errBreakdown = errors.New("the sampling weights broke down numerically (all zero or not finite)")

// run computes the result. A panic comes back as a FaultError here
// already, with the stack, whoever calls run.
func (s *Substrate) run(ctx context.Context, md *model, o *options, c Cost) (res sokr.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = sokr.Result{}, &sokr.FaultError{Substrate: s.name, Panic: v, Stack: string(debug.Stack())}
		}
	}()
	meta := map[string]string{
		"method":     c.Method,
		"cost":       c.String(),
		"photons":    strconv.Itoa(md.n),
		"modes":      strconv.Itoa(md.m),
		"loss":       lossMeta(md),
		"convention": "perceval",
	}
	switch {
	case o.mode == ModeSample:
		meta["shots"] = strconv.Itoa(o.shots)
		meta["seed"] = strconv.FormatUint(o.seed, 10)
		recs, err := sampleShots(ctx, md, o.shots, o.seed, s.workers)
		if errors.Is(err, errBreakdown) {
			return sokr.Result{}, &sokr.FaultError{Substrate: s.name, Msg: err.Error(), Err: err}
		}
		if err != nil {
			return sokr.Result{}, err
		}
		counts, err := countRecords(ctx, recs, o.shots, md.n, md.m)
		if err != nil {
			return sokr.Result{}, err
		}
		return sokr.Result{Outputs: []sokr.Output{{Name: "counts", Value: counts}}, Meta: meta}, nil
	case len(o.outputs) == 0:
		probs, os, err := distribution(ctx, md, s.workers)
		if err != nil {
			return sokr.Result{}, err
		}
		pm, err := probabilityMap(ctx, probs, os, md.m)
		if err != nil {
			return sokr.Result{}, err
		}
		return sokr.Result{Outputs: []sokr.Output{{Name: "probabilities", Value: pm}}, Meta: meta}, nil
	default:
		pm, err := outcomeProbabilities(ctx, md, o.outputs, s.workers)
		if err != nil {
			return sokr.Result{}, err
		}
		return sokr.Result{Outputs: []sokr.Output{{Name: "probabilities", Value: pm}}, Meta: meta}, nil
	}
}

// lossMeta says how loss was simulated.
func lossMeta(md *model) string {
	switch {
	case md.uniform && md.eta == 1:
		return "none"
	case md.uniform:
		return "uniform eta=" + strconv.FormatFloat(md.eta, 'g', 6, 64) + " (sampling: photons thinned at the input; probabilities: dilation)"
	}
	return "dilation to " + strconv.Itoa(md.mm) + " modes"
}
