package statevec

import (
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// run simulates p for one dispatch in the requested precision.
func (s *Substrate) run(j *sokr.Job, p *circuit.Program, params []float64, o *options) (sokr.Result, error) {
	if o.Precision == Complex64 {
		return execute[complex64](s, j, p, params, o)
	}
	return execute[complex128](s, j, p, params, o)
}

// runner holds what one dispatch needs while it runs.
type runner[T amp] struct {
	s    *Substrate
	j    *sokr.Job
	p    *circuit.Program
	o    *options
	pl   *plan
	meta map[string]string
	keep bool // the result hands a state out (get_state): it lives on the heap

	mu   sync.Mutex
	sims []*sim[T] // states mapped for this run, which execute frees
}

func execute[T amp](s *Substrate, j *sokr.Job, p *circuit.Program, params []float64, o *options) (sokr.Result, error) {
	if o.density {
		r := &runner[T]{s: s, j: j, p: p, o: o, meta: map[string]string{
			"precision": string(o.Precision), "kernels": isaName(), "mode": string(o.Mode)}}
		if o.HasSeed {
			r.meta["seed"] = strconv.FormatUint(o.Seed, 10)
		}
		defer r.free()
		return r.density(params)
	}
	var z T
	pl, err := compile(p, params, o.Fusion, o.Mode != ModeSample, blockingFor(p.Qubits, int(unsafe.Sizeof(z)), o.Fusion, s.blockBytes))
	if err != nil {
		return sokr.Result{}, err
	}
	r := &runner[T]{s: s, j: j, p: p, o: o, pl: pl, meta: map[string]string{
		"precision":   string(o.Precision),
		"gates":       strconv.Itoa(pl.Gates),
		"fused_gates": strconv.Itoa(pl.fused),
		"sweeps":      strconv.Itoa(pl.sweeps),
		"fusion":      strconv.Itoa(o.Fusion),
		"kernels":     isaName(),
		"mode":        string(o.Mode),
	}, keep: o.Mode == ModeState}
	defer r.free()
	if o.HasSeed {
		r.meta["seed"] = strconv.FormatUint(o.Seed, 10)
	}
	if o.Mode == ModeState && !pl.Static {
		return sokr.Result{}, &sokr.InputError{Index: -1, Msg: "get_state needs a unitary circuit (terminal measurements are ignored), but this one has " +
			qsim.DynamicFeature(p) + "; use sample or observe, which simulate it shot by shot"}
	}
	switch o.Mode {
	case ModeState:
		return r.state()
	case ModeObserve:
		return r.observe()
	}
	return r.sample()
}

// alloc allocates an n-qubit state for this run: mapped off the heap
// (see mapSim) and freed by execute when the run ends, or on the heap when
// the result hands the state out. A refusal is a FaultError that says so,
// never Go's fatal out of memory.
func (r *runner[T]) alloc(n int) (*sim[T], error) {
	if r.keep {
		return newSim[T](n, r.s.workers, r.s.minParallel), nil
	}
	x, err := mapSim[T](n, r.s.workers, r.s.minParallel)
	if err != nil {
		return nil, &sokr.FaultError{Substrate: r.s.name, Err: err, Msg: "out of memory for the state: " + err.Error() +
			" (fewer qubits, precision complex64, or a memory budget with SOKR_MEMORY would queue runs instead)"}
	}
	if x.mapped != nil {
		r.mu.Lock()
		r.sims = append(r.sims, x)
		r.mu.Unlock()
	}
	return x, nil
}

// free gives back every state alloc mapped. Nothing of the run may touch
// them afterwards: results copy what they need (counts, expectations).
func (r *runner[T]) free() {
	for _, x := range r.sims {
		x.free()
	}
	r.sims = nil
}

// prefix simulates the static prefix from |0...0>.
func (r *runner[T]) prefix() (*sim[T], error) {
	x, err := r.alloc(r.p.Qubits)
	if err != nil {
		return nil, err
	}
	x.reset()
	return x, x.applyAll(r.j, r.pl.Prefix)
}

func (r *runner[T]) state() (sokr.Result, error) {
	x, err := r.prefix()
	if err != nil {
		return sokr.Result{}, err
	}
	r.meta["method"] = "exact"
	return sokr.Result{Outputs: []sokr.Output{{Name: "state", Tensor: sokr.FromSlice(x.a)}}, Meta: r.meta}, nil
}

// staticStream and the shot index select the random streams: one for
// sampling a static circuit, one per shot or trajectory otherwise, so
// that a shot's randomness does not depend on which worker runs it.
const staticStream = ^uint64(0)

func (r *runner[T]) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(r.o.Seed, stream))
}

// keyLayout returns whether p measures and the width of a counts key, and
// records the classical registers and shots in Meta.
func (r *runner[T]) keyLayout() (measured bool, width int) {
	measured, width, r.meta["registers"] = qsim.KeyLayout(r.p)
	r.meta["shots"] = strconv.Itoa(r.o.Shots)
	return measured, width
}

// sampleFrom draws the shots from the probabilities of x, reading each
// outcome's bits through measures (every qubit when p measures nothing).
func (r *runner[T]) sampleFrom(x *sim[T], measures []measurement) (sokr.Result, error) {
	measured, width := r.keyLayout()
	idx, cnt := sampleIndices(x.a, r.o.Shots, r.rng(staticStream), x.par())
	if !measured {
		measures = nil // every qubit
	} else if measures == nil {
		measures = []measurement{} // the clbits, all 0
	}
	counts := qsim.Counts(idx, cnt, measures, width)
	return sokr.Result{Outputs: []sokr.Output{{Name: "counts", Value: counts}}, Meta: r.meta}, nil
}

func (r *runner[T]) sample() (sokr.Result, error) {
	if r.pl.Static {
		x, err := r.prefix()
		if err != nil {
			return sokr.Result{}, err
		}
		r.meta["method"] = "sampled"
		return r.sampleFrom(x, r.pl.Measures)
	}
	measured, width := r.keyLayout()
	r.meta["method"] = "trajectories"
	keys := make([]string, r.o.Shots)
	err := r.trajectories(r.o.Shots, func(l *lane[T], shot int) error {
		key := make([]byte, width)
		if !measured {
			idx, _ := sampleIndices(l.x.a, 1, l.rng, l.x.par())
			for q := range width {
				key[width-1-q] = "01"[idx[0]>>q&1]
			}
		} else {
			for c := range width {
				key[width-1-c] = '0'
				if l.bits[c] {
					key[width-1-c] = '1'
				}
			}
		}
		keys[shot] = string(key)
		return nil
	})
	if err != nil {
		return sokr.Result{}, err
	}
	counts := map[string]int64{}
	for _, k := range keys {
		counts[k]++
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "counts", Value: counts}}, Meta: r.meta}, nil
}

func (r *runner[T]) observe() (sokr.Result, error) {
	terms := r.o.Terms
	groups := groupTerms(terms, r.p.Qubits, r.o.Fusion)
	r.meta["groups"] = strconv.Itoa(len(groups))
	r.meta["terms"] = strconv.Itoa(len(terms))
	out := make([]float64, len(terms))
	shots := 0
	if r.o.ShotsGiven {
		shots = r.o.Shots
		r.meta["shots"] = strconv.Itoa(shots)
	}
	if r.pl.Static {
		r.meta["method"] = "exact"
		if shots > 0 {
			r.meta["method"] = "sampled"
		}
		x, err := r.prefix()
		if err != nil {
			return sokr.Result{}, err
		}
		if _, err := expectations(x, nil, groups, shots, r.rng(staticStream), out, r.alloc); err != nil {
			return sokr.Result{}, err
		}
	} else {
		// Each trajectory contributes its exact expectations, or with
		// "shots" one sampled outcome per group (shots trajectories).
		r.meta["method"] = "trajectories"
		n, per := r.o.Trajectories, 0
		if shots > 0 {
			n, per = shots, 1
		}
		r.meta["trajectories"] = strconv.Itoa(n)
		vals := make([]float64, n*len(terms))
		err := r.trajectories(n, func(l *lane[T], shot int) error {
			var err error
			l.work, err = expectations(l.x, l.work, groups, per, l.rng, vals[shot*len(terms):(shot+1)*len(terms)], r.alloc)
			return err
		})
		if err != nil {
			return sokr.Result{}, err
		}
		for t := range terms {
			var s float64
			for k := range n {
				s += vals[k*len(terms)+t]
			}
			out[t] = s / float64(n)
		}
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "expectations", Tensor: sokr.FromSlice(out)}}, Meta: r.meta}, nil
}

// lane is one goroutine's share of a run of trajectories: its state, a
// spare state for observe's rotations, the classical bits and the random
// stream of the current trajectory.
type lane[T amp] struct {
	x, work *sim[T]
	bits    []bool
	rng     *rand.Rand
}

// trajectories simulates the prefix once and then the remainder n times,
// each time from a copy of the prefix state with the random stream of its
// index, calling done with the lane holding the final state and classical
// bits. Small
// states run several trajectories at once, one per worker, each on one
// goroutine; large ones run one at a time, each pass using every worker.
// Either way the results do not depend on the number of workers.
func (r *runner[T]) trajectories(n int, done func(l *lane[T], shot int) error) error {
	x0, err := r.prefix()
	if err != nil {
		return err
	}
	lanes := 1
	if len(x0.a) < r.s.minParallel {
		lanes = min(r.s.workers, n)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	runLane := func(i int) {
		defer func() {
			if v := recover(); v != nil {
				fail(&sokr.FaultError{Substrate: r.s.name, Panic: v, Stack: string(debug.Stack())})
			}
		}()
		x, err := r.alloc(r.p.Qubits)
		if err != nil {
			fail(err)
			return
		}
		l := &lane[T]{x: x, bits: make([]bool, r.p.Clbits)}
		if lanes > 1 {
			l.x.workers = 1
		}
		for shot := i; shot < n && !failed(); shot += lanes {
			if err := r.j.Err(); err != nil {
				fail(err)
				return
			}
			l.x.copyFrom(x0)
			clear(l.bits)
			l.rng = r.rng(uint64(shot))
			if err := l.x.run(r.j, r.pl.Rest, r.pl.cpu, l.bits, l.rng); err != nil {
				fail(err)
				return
			}
			if err := done(l, shot); err != nil {
				fail(err)
				return
			}
		}
	}
	for i := 1; i < lanes; i++ {
		wg.Go(func() { runLane(i) })
	}
	runLane(0)
	wg.Wait()
	return first
}
