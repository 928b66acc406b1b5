package snn

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// runOverhead bounds what a run allocates whatever its size: the job's
// goroutine and closures, the result, its meta map and counters'
// strings (TestEstimateCoversTheRun measures a few KiB on small graphs).
const runOverhead = 16 << 10

// unitOverhead bounds the bookkeeping a run keeps per unit: the unit read
// from the graph, its compiled code, its entries in the runner's and the
// state's tables, its probes' records.
const unitOverhead = 1 << 10

// Parts of a run's memory, for a refusal's message.
const (
	partWeights    = "weights and parameters"
	partState      = "neuron state"
	partDelayLine  = "delay line"
	partRecurrent  = "recurrent edges' history"
	partChunk      = "activations of a chunk of steps"
	partRecordings = "recorded outputs and probes"
	partInputs     = "inputs converted to the precision"
	partScratch    = "scratch"
)

// usage is what one run allocates, worked out before it allocates
// anything: the total (saturating, footprint) and its largest part.
type usage struct {
	total        footprint.Tally
	largest      string // the part, and the node when it is one node's
	largestBytes int64
}

// add counts a part of b bytes, of one node's when node >= 0.
func (u *usage) add(part string, net *network, node int, b int64) {
	b = footprint.Object(b)
	u.total.Add(b)
	if b > u.largestBytes {
		u.largestBytes, u.largest = b, part
		if node >= 0 {
			u.largest = fmt.Sprintf("%s of node %q", part, net.units[node].name)
		}
	}
}

// runUsage works out what simulating net allocates (see Dispatch): steps
// steps of batch rows under sem, from inputs in (their dtypes; nil to
// assume the precision's), on s's workers, with s's BLAS or without.
// With leastRun set, the delay lines are left out, their length in steps
// depending on a dt the caller has not given (Capability's figure: the
// least that any run of the graph needs). Checking delays against dt, it
// returns the error the compilation would.
func (s *Substrate) runUsage(net *network, sem semantics, steps, batch int, in []sokr.Tensor, leastRun bool) (*usage, error) {
	size := 4
	if sem.precision == sokr.F64 {
		size = 8
	}
	u := &usage{}
	k := sem.synapticDelay
	units := len(net.units)
	if k > 0 {
		units = 2 * units // a delay unit in front of every neuron population, at most
	}
	u.total.Add(runOverhead)
	u.total.Add(footprint.Mul(units, unitOverhead))

	// The chunk of steps the runner computes at once (chunkSteps, over the
	// compiled network: the synaptic delay units included).
	var perStep int64
	for _, un := range net.units {
		perStep = footprint.Add(perStep, footprint.Mul(2, batch, max(un.inSize(), un.outSize()), size))
		if k > 0 && un.op == opNeuron {
			perStep = footprint.Add(perStep, footprint.Mul(2, batch, un.inSize(), size))
		}
	}
	tc := max(1, min(int64(steps), chunkBytes/max(perStep, 1)))
	if net.recurrent {
		tc = min(tc, int64(sem.recurrentDelay))
	}
	rows := footprint.Mul(tc, int64(batch)) // rows of a chunk
	workers := int64(s.workers)
	rowsPerWorker := (rows + workers - 1) / workers
	recSource := make([]bool, len(net.units))
	for _, un := range net.units {
		for _, src := range un.inputs {
			if src.recurrent {
				recSource[src.unit] = true
			}
		}
	}
	var maxEventIn int64 // the widest input of an event-driven propagation
	var matmul kernels.WorkspaceGrowth
	for i, un := range net.units {
		in, out := int64(un.inSize()), int64(un.outSize())
		// The parameters as networkOf reads them (one value repeated to
		// every element, defaults filled in), then compiled to the
		// precision.
		switch un.op {
		case opNeuron:
			p := un.neuron
			n := int64(0)
			for _, a := range [][]float64{p.tau, p.tauSyn, p.tauMem, p.r, p.vLeak, p.vThresh, p.vReset, p.wIn} {
				n += int64(len(a))
			}
			u.add(partWeights, net, i, footprint.Mul(8, n))
			u.add(partWeights, net, i, footprint.Mul(8, numCoef, out)) // the coefficients in float64, then
			u.add(partWeights, net, i, footprint.Mul(int64(size), numCoef, out))
			u.add(partState, net, i, footprint.Mul(int64(size), int64(batch), out))
			if p.model.current() {
				u.add(partState, net, i, footprint.Mul(int64(size), int64(batch), out))
			}
			if k > 0 { // its synaptic delay line: delays in seconds and in steps, the line, its activations
				u.add(partWeights, net, i, footprint.Mul(16, in))
				u.add(partDelayLine, net, i, footprint.Mul(int64(size), int64(k), int64(batch), in))
				u.add(partChunk, net, i, footprint.Mul(int64(size), rows, in))
			}
		case opAffine:
			cols := int64(spmmColsOf(size))
			nb := (out + cols - 1) / cols
			u.add(partWeights, net, i, footprint.Mul(int64(size), out, in))               // dense
			u.add(partWeights, net, i, footprint.Mul(int64(size), nb, cols, in))          // packed for events
			u.add(partWeights, net, i, footprint.Mul(int64(size+8), int64(len(un.bias)))) // read, compiled
			if sem.propagation != PropagationDense {
				maxEventIn = max(maxEventIn, in)
			}
			if s.blas == nil && sem.propagation != PropagationEvent {
				u.add(partWeights, net, i, footprint.Mul(int64(size), out, in)) // transposed for the Go kernel
				matmul.Add(size, int(min(rows, int64(maxInt))), int(in), int(out), 1)
			}
		case opScale, opThreshold:
			u.add(partWeights, net, i, footprint.Mul(int64(size+8), int64(len(un.scale)+len(un.threshold))))
		case opConv:
			u.add(partWeights, net, i, footprint.Mul(int64(size), int64(len(un.conv.weight))))
			u.add(partWeights, net, i, footprint.Mul(int64(size+8), int64(len(un.conv.bias))))
		case opDelay:
			u.add(partWeights, net, i, footprint.Mul(16, int64(len(un.delay)))) // seconds, read; steps, compiled
			dmax, err := maxDelaySteps(un, sem.dt)
			if err != nil && !leastRun {
				return nil, err
			}
			if !leastRun {
				u.add(partDelayLine, net, i, footprint.Mul(int64(size), int64(dmax), int64(batch), in))
			}
		}
		if recSource[i] {
			u.add(partRecurrent, net, i, footprint.Mul(int64(size), int64(sem.recurrentDelay), int64(batch), out))
		}
		// The runner's buffers for one chunk: the unit's output, and the sum
		// of its inputs when it has several or a recurrent one.
		switch un.op {
		case opInput, opOutput, opFlatten:
		default:
			u.add(partChunk, net, i, footprint.Mul(int64(size), rows, out))
		}
		if len(un.inputs) > 1 || (len(un.inputs) == 1 && un.inputs[0].recurrent) {
			u.add(partChunk, net, i, footprint.Mul(int64(size), rows, in))
		}
		// What a chunk allocates in passing: a parallel loop per unit.
		// Later chunks allocate as much again, once this chunk's is
		// garbage: a run holds one chunk's at a time.
		u.total.Add(parallel.Overhead(s.workers) + 256)
	}
	// Recordings: every output and probe holds all the steps.
	for _, o := range net.outputs {
		u.add(partRecordings, net, o, footprint.Mul(int64(size), int64(steps), int64(batch), int64(net.units[o].outSize())))
	}
	for _, name := range sem.record {
		if i := probeUnit(net, name); i >= 0 {
			u.add(partRecordings, net, i, footprint.Mul(int64(size), int64(steps), int64(batch), int64(net.units[i].outSize())))
		}
	}
	// The final state, returned as outputs: a copy of every state variable,
	// delay lines and recurrent histories included.
	if sem.finalState {
		for i, un := range net.units {
			rows := int64(0) // of the unit's output
			if un.op == opNeuron {
				rows = 1
				if un.neuron.model.current() {
					rows = 2
				}
				if k > 0 { // its synaptic delay line, of its input
					u.add(partRecordings, net, i, footprint.Mul(int64(size), int64(k), int64(batch), int64(un.inSize())))
				}
			}
			if un.op == opDelay {
				if dmax, err := maxDelaySteps(un, sem.dt); err == nil {
					u.add(partRecordings, net, i, footprint.Mul(int64(size), int64(dmax), int64(batch), int64(un.inSize())))
				}
			}
			if recSource[i] {
				rows += int64(sem.recurrentDelay)
			}
			u.add(partRecordings, net, i, footprint.Mul(int64(size), rows, int64(batch), int64(un.outSize())))
		}
	}
	// Inputs of the other precision are converted, the others read in place.
	for j, t := range in {
		if t.DType != sem.precision && j < len(net.inputs) {
			u.add(partInputs, net, net.inputs[j], footprint.Mul(int64(size), int64(t.Shape.NumElements())))
		}
	}
	// Per-worker scratch: counts, event-driven propagation's gathered
	// inputs, and the Go matrix kernel's packing buffers.
	u.total.Add(footprint.Mul(workers, 16+72))
	if maxEventIn > 0 {
		u.add(partScratch, net, -1, footprint.Mul(workers, spmmScratchBytes(rowsPerWorker, maxEventIn, int64(size))))
	}
	u.add(partScratch, net, -1, matmul.Bytes())
	return u, nil
}

// probeUnit is the unit a probe name ("NODE.v", "NODE") records, or -1.
func probeUnit(net *network, name string) int {
	ui, _ := probeOf(net, name)
	return ui
}

// spmmColsOf is spmmCols for an element size.
func spmmColsOf(size int) int {
	if size == 4 {
		return spmmCols[float32]()
	}
	return spmmCols[float64]()
}

const maxInt = int64(^uint(0) >> 1)

// overBudget is the error of a run that needs more than the budget.
func (s *Substrate) overBudget(u *usage, steps, batch int) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf(
		"the run needs about %s for %d steps of batch %d (the largest part, the %s, takes %s); the budget is %s (see snn.WithMemoryBudget)",
		footprint.Format(u.total.Bytes()), steps, batch, u.largest, footprint.Format(u.largestBytes), footprint.Format(s.budget))}
}

// EstimateRun forecasts the memory of the run that Dispatch would make of
// these inputs and options (the time steps, batch, precision, dt, delays
// and probes that Capability cannot see), or returns the error Dispatch
// would fail with: a *sokr.ProgramError for a graph it cannot simulate,
// a *sokr.InputError for bad inputs or options, or for a run over the
// memory budget.
func (s *Substrate) EstimateRun(p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	net, err := networkOf(p)
	if err != nil {
		return sokr.Estimate{}, &sokr.ProgramError{Format: p.Format(), Msg: s.name + ": " + err.Error()}
	}
	u, _, err := s.admit(net, inputs, opts)
	if err != nil {
		return sokr.Estimate{}, err
	}
	return sokr.Estimate{MemoryBytes: u.total.Bytes()}, nil
}

// dispatchShape is what a dispatch asks for, read from its options and
// inputs.
type dispatchShape struct {
	sem          semantics
	steps, batch int
}

// admit parses a dispatch's options and inputs and works out its memory,
// refusing a run over the budget before anything is allocated for it.
func (s *Substrate) admit(net *network, inputs []sokr.Tensor, opts sokr.Options) (*usage, dispatchShape, error) {
	var d dispatchShape
	var err error
	if d.sem, err = parseSemantics(opts.Params); err != nil {
		return nil, d, err
	}
	if d.steps, d.batch, err = checkInputs(net, inputs); err != nil {
		return nil, d, err
	}
	if err = checkInitial(net, d.sem, d.batch); err != nil {
		return nil, d, err
	}
	u, err := s.runUsage(net, d.sem, d.steps, d.batch, inputs, false)
	if err != nil {
		return nil, d, &sokr.InputError{Index: -1, Msg: err.Error()}
	}
	if u.total.Bytes() > s.budget {
		return nil, d, s.overBudget(u, d.steps, d.batch)
	}
	return u, d, nil
}
