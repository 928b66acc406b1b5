package statevec

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// runOverhead bounds what a run allocates whatever its size: the job's
// goroutine, the options, the meta map and its strings, the result
// (TestEstimateCoversTheRun measures a few KiB on small circuits).
const runOverhead = 16 << 10

// usage is what one run allocates, worked out before it allocates
// anything, in parts (for a refusal's message).
type usage struct {
	states  int64 // the state vectors
	plan    int64 // the compiled passes and what building them allocates
	results int64 // sampling and expectations: draws, counts, keys
	scratch int64 // per-worker and per-shot scratch, bookkeeping
}

func (u usage) total() int64 { return footprint.Add(u.states, u.plan, u.results, u.scratch) }

// describe lists the parts, for messages.
func (u usage) describe() string {
	var parts []string
	for _, p := range []struct {
		what string
		b    int64
	}{{"state vectors", u.states}, {"compiled passes", u.plan}, {"samples and results", u.results}, {"scratch", u.scratch}} {
		if p.b >= 1<<20 {
			parts = append(parts, p.what+" "+footprint.Format(p.b))
		}
	}
	return strings.Join(parts, ", ")
}

// runUsage works out what a run of p with options o allocates on s.
func (s *Substrate) runUsage(p *circuit.Program, o *options) usage {
	if o.density {
		return s.densityUsage(p, o)
	}
	var u usage
	size := int64(16)
	if o.Precision == Complex64 {
		size = 8
	}
	state := stateBytes(p.Qubits, size)
	static := qsim.StaticRun(p, o.Mode != ModeSample)
	amps := int64(1) << min(p.Qubits, 62)
	if p.Qubits >= 62 {
		amps = footprint.Max
	}
	// Per-shot simulation: several trajectories at once on small states,
	// one per worker (trajectories), each with its own state.
	lanes := int64(1)
	shots := int64(o.Shots)
	if o.Mode == ModeObserve {
		shots = int64(o.Trajectories)
		if o.ShotsGiven {
			shots = int64(o.Shots)
		}
	}
	if !static && amps < int64(s.minParallel) {
		lanes = min(int64(s.workers), shots)
	}
	var states footprint.Tally
	states.Add(footprint.Object(state)) // the prefix, or the whole circuit when static
	rotated := false
	for _, t := range o.Terms {
		rotated = rotated || strings.ContainsAny(t.Paulis, "XY")
	}
	switch {
	case static && o.Mode == ModeObserve && rotated:
		states.Add(footprint.Object(state)) // the rotated copy
	case !static:
		per := int64(1)
		if o.Mode == ModeObserve && rotated {
			per = 2 // and its rotated copy
		}
		states.Add(footprint.Mul(lanes, per, footprint.Object(state)))
	}
	u.states = states.Bytes()
	u.plan = planBytes(p, o, s.blocked(p, o))

	var res, scratch footprint.Tally
	scratch.Add(runOverhead)
	chunks := (amps + reduceChunk - 1) / reduceChunk
	// Reductions (norms, probabilities, expectations) sum fixed chunks
	// into a table of partial sums.
	scratch.Object(footprint.Mul(chunks, 8, 4))
	width := int64(p.Clbits)
	if !p.Measured() {
		width = int64(p.Qubits)
	}
	key := footprint.Object(width) // a counts key (the string; its byte buffer once more)
	switch o.Mode {
	case ModeSample:
		if static {
			res.Add(sampleUsage(p, o, amps, chunks))
			break
		}
		distinct := min(shots, footprint.Mul(2, amps), int64(1)<<min(width, 62))
		res.Object(footprint.Mul(shots, 16))                             // each shot's key
		res.Add(footprint.Mul(shots, 2, key))                            // made as bytes, then a string
		res.Add(footprint.Mul(lanes, footprint.Object(int64(p.Clbits)))) // the classical bits
		if !p.Measured() {                                               // a shot samples its final state
			scratch.Add(footprint.Mul(lanes, sampleScratch(amps)))
		}
		res.Add(footprint.Mul(distinct, 2, footprint.Add(key, 64))) // the counts map
	case ModeObserve:
		terms := int64(len(o.Terms))
		res.Add(footprint.Mul(terms, 8+16+64))                              // expectations, groups, masks
		res.Add(footprint.Mul(terms, 2, footprint.Object(int64(p.Qubits)))) // the groups' bases
		if rotated {
			// A group's rotation: a layer of one-qubit gates, fused.
			res.Add(footprint.Mul(terms, int64(p.Qubits), perGateBytes(1, max(o.Fusion, 1))))
		}
		res.Object(footprint.Mul(shots, terms, 8)) // each trajectory's expectations
		if o.ShotsGiven {
			res.Add(footprint.Mul(terms, footprint.Object(footprint.Mul(terms, 8))))
		}
	}
	// One shot's passing allocations (its random stream, a measurement's
	// pass): a run holds one shot's per lane at a time.
	if !static {
		scratch.Add(footprint.Mul(lanes, 4<<10))
	}
	scratch.Add(footprint.Mul(int64(s.workers), 1<<10))
	// Cache blocking: a chunk buffer per worker.
	if s.blocked(p, o) {
		scratch.Add(footprint.Mul(int64(s.workers), footprint.Object(int64(s.blockBytes))))
	}
	u.results, u.scratch = res.Bytes(), scratch.Bytes()
	return u
}

// sampleUsage bounds what drawing o.Shots samples at once from a state of
// amps amplitudes allocates (sampleFrom): the draws and the counts map.
func sampleUsage(p *circuit.Program, o *options, amps, chunks int64) int64 {
	var res footprint.Tally
	shots := int64(o.Shots)
	width := int64(p.Clbits)
	if !p.Measured() {
		width = int64(p.Qubits)
	}
	key := footprint.Object(width)
	distinct := min(shots, footprint.Mul(2, amps), int64(1)<<min(width, 62))
	if amps <= smallSample {
		res.Object(footprint.Mul(amps, 8)) // cumulative distribution
		res.Object(footprint.Mul(amps, 8)) // hits
	} else {
		res.Object(footprint.Mul(chunks, 8))
		res.Object(footprint.Mul(shots, 8)) // the sorted uniforms
	}
	// The distinct indices and their counts, grown by append (at most
	// five times the final size in all).
	res.Add(footprint.Mul(5, 2, footprint.Object(footprint.Mul(distinct, 8))))
	// The counts map: a key and an entry per distinct outcome, the map
	// doubling as it grows.
	res.Add(footprint.Mul(distinct, 2, footprint.Add(key, 64)))
	return res.Bytes()
}

// sampleScratch bounds what drawing one sample of a state of amps
// amplitudes allocates.
func sampleScratch(amps int64) int64 {
	if amps <= smallSample {
		return footprint.Mul(2, footprint.Object(footprint.Mul(amps, 8)))
	}
	return footprint.Add(footprint.Object(footprint.Mul((amps+reduceChunk-1)/reduceChunk, 8)), 256)
}

// planBytes bounds what compiling p allocates (compile, qsim.PlanBytes):
// the ops kept, every gate evaluated, and the passes, fused or not; a
// noise channel's operators. A gate of a cache-blocked run has a copy on
// the stage's qubits, and its stage.
func planBytes(p *circuit.Program, o *options, blocked bool) int64 {
	entry := int64(unsafe.Sizeof(gate{}))
	return qsim.PlanBytes(p, o.Fusion, qsim.PlanCosts{
		Pass:  passBytes,
		Block: fusedBlockBytes,
		Gate: func(op *circuit.Op) int64 {
			if blocked {
				return entry + entry + footprint.Object(int64(8*len(op.Qubits))) + stageBytes
			}
			return entry
		},
		Collapse: 256,
		Step:     int64(unsafe.Sizeof(step{})),
	})
}

// blocked reports whether a run of p with o is cache-blocked (block.go).
func (s *Substrate) blocked(p *circuit.Program, o *options) bool {
	amp := 16
	if o.Precision == Complex64 {
		amp = 8
	}
	return blockingFor(p.Qubits, amp, o.Fusion, s.blockBytes).qubits > 0
}

// stageBytes bounds a cache-blocked stage's own allocations (newStage):
// its tables over the state's qubits (at most 64), its pass, the lists of
// its gates. A stage holds at least one gate.
const stageBytes = 6*8*64 + int64(unsafe.Sizeof(pass{})+unsafe.Sizeof(stage{})) + 512

// passBytes bounds what making one pass on k targets allocates (newPass):
// the matrix reordered, classified (row factors), and converted for the
// kernels (complex64, and split real and imaginary parts in float64 and
// float32), the offset and row tables, and the three descriptors (the
// kernels', and those across lanes of each precision).
func passBytes(k int) int64 {
	d := int64(1) << k
	m := d * d
	return footprint.Object(16*m)*2 + footprint.Object(8*m)*2 + footprint.Object(16*m) +
		footprint.Object(16*d)*2 + footprint.Object(8*d)*6 + 2*footprint.Object(8*(3*d+16)) +
		int64(unsafe.Sizeof(pass{})) + 512
}

// perGateBytes bounds the share of one gate in the fused passes of a
// circuit whose gates act on at most gmax qubits, fused into blocks of at
// most fusion qubits (qsim.FusedShare); without fusion, a pass of gmax.
func perGateBytes(gmax, fusion int) int64 {
	if fusion < 2 {
		return passBytes(gmax)
	}
	return qsim.FusedShare(gmax, fusion, fusedBlockBytes)
}

// fusedBlockBytes bounds a fused block of k qubits: a pass of k targets,
// the identity it starts from, the gates multiplied in.
func fusedBlockBytes(k int) int64 {
	d := int64(1) << k
	return passBytes(k) + footprint.Object(16*d*d) + 2*footprint.Object(16*d) + 256
}

// overBudget is the error of a run that needs more than the budget.
func (s *Substrate) overBudget(p *circuit.Program, o *options, u usage) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf(
		"%s %s run of %d qubits in %s needs about %s (%s), more than the budget of %s",
		article(string(o.Mode)), o.Mode, p.Qubits, o.Precision, footprint.Format(u.total()), u.describe(), formatBytes(float64(s.budget)))}
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// EstimateRun forecasts the memory of the run that Dispatch would make of
// these inputs and options (mode, precision, shots, observable, which
// Capability cannot see), or returns the error Dispatch would fail with:
// a *sokr.ProgramError for a circuit it cannot run, a *sokr.InputError
// for bad inputs or options, or for a run over the memory budget.
func (s *Substrate) EstimateRun(prog sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	p, _, o, err := s.prepare(prog, inputs, opts)
	if err != nil {
		return sokr.Estimate{}, err
	}
	u, err := s.admit(p, o)
	if err != nil {
		return sokr.Estimate{}, err
	}
	return sokr.Estimate{Time: s.estimate(p), MemoryBytes: u.total()}, nil
}

// admit works out a run's memory and refuses one over the budget, with
// the advice that applies (complex64, fewer copies) where one does.
func (s *Substrate) admit(p *circuit.Program, o *options) (usage, error) {
	u := s.runUsage(p, o)
	if o.Precision == Complex128 && stateBytes(p.Qubits, 16) > s.budget {
		return u, &sokr.InputError{Index: -1, Msg: fmt.Sprintf(
			"statevec option \"precision\": %d qubits as complex128 need %s, more than the budget of %s; pass precision \"complex64\"",
			p.Qubits, formatBytes(float64(stateBytes(p.Qubits, 16))), formatBytes(float64(s.budget)))}
	}
	if u.states > s.budget {
		return u, &sokr.InputError{Index: -1, Msg: fmt.Sprintf(
			"%s %s run of %d qubits keeps %s of state vectors (the state, per-shot copies, rotated copies for X and Y terms), more than the budget of %s; try precision \"complex64\"",
			article(string(o.Mode)), o.Mode, p.Qubits, footprint.Format(u.states), formatBytes(float64(s.budget)))}
	}
	if u.total() > s.budget {
		return u, s.overBudget(p, o, u)
	}
	return u, nil
}
