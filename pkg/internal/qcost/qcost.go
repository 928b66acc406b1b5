// Package qcost is the time model by which the circuit substrates (statevec
// on the CPU, vulkan on GPUs) estimate a run for the runtime's policy
// (sokr.Auto sends a circuit where it is estimated to finish first), with
// its two constants measured by running circuits on the substrate itself
// rather than guessed.
//
// A state-vector run of g gates on n qubits costs about
//
//	Latency + g · 2^n · PerGateAmp
//
// Latency is what a run costs whatever its size (parsing options,
// compiling, a GPU's submit and read-back), measured on a two-qubit
// circuit. PerGateAmp is the time per gate and amplitude on a state larger
// than the caches, measured on the layered random circuit of the peer
// benchmarks (circuittest.Layers, as bench/quantum_vs_peers.py): it folds in what
// fusion and cache blocking save on such circuits.
//
//	var cost qcost.Lazy // in the substrate
//	est := cost.Time(sub, p.Qubits, gates, qcost.Options{"precision": "complex64"})
package qcost

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// CalQubits is the size of the circuit that measures PerGateAmp: 2^20
// amplitudes (16 MiB in complex128) is larger than the caches of the
// machines measured and takes tens of milliseconds on two cores. Substrates
// measure it only for a circuit at least this large: smaller ones are
// dominated by Latency, and their runs are too short for a one-off
// measurement of tens of milliseconds to be worth it.
const CalQubits = 20

// calDepth is the calibration circuit's depth: 20 layers of 20 qubits are
// 590 gates.
const calDepth = 10

// Model is a substrate's measured cost of circuit runs.
type Model struct {
	Latency    time.Duration
	PerGateAmp float64 // seconds
}

// Time is the model's estimate of a run of gates gates on n qubits.
func (m Model) Time(n, gates int) time.Duration {
	ns := float64(max(gates, 1)) * math.Ldexp(1, n) * m.PerGateAmp * 1e9
	if ns > float64(math.MaxInt64/2) {
		return math.MaxInt64 / 2
	}
	return m.Latency + time.Duration(ns)
}

// Gates is the number of gate ops of p, which Model.Time takes.
func Gates(p *circuit.Program) int {
	return int(p.Requirements().Quantities["gates"])
}

// Options are the dispatch options of the calibration runs (a substrate's
// default precision, say).
type Options map[string]any

// run dispatches p to s with opts (and one shot) and waits for it.
func run(s sokr.Substrate, p *circuit.Program, opts Options) (time.Duration, error) {
	o := sokr.Options{Params: map[string]any{"shots": 1}, Seed: 1, HasSeed: true}
	for k, v := range opts {
		o.Params[k] = v
	}
	ctx := context.Background()
	j := sokr.NewJob(ctx, p, nil, o)
	t0 := time.Now()
	s.Dispatch(ctx, j)
	_, err := j.Future().Wait(ctx)
	return time.Since(t0), err
}

// best is the shortest of reps runs.
func best(s sokr.Substrate, p *circuit.Program, opts Options, reps int) (time.Duration, error) {
	var b time.Duration
	for i := range reps {
		d, err := run(s, p, opts)
		if err != nil {
			return 0, err
		}
		if i == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

// Lazy is a substrate's model, measured on first use: Latency when the
// first estimate is asked for (a few runs of a two-qubit circuit, well
// under a millisecond on a CPU), PerGateAmp when the first circuit of
// CalQubits or more is (two runs of circuittest.Layers(CalQubits, 10, 1)). Until then
// PerGateAmp is Fallback's. A failed measurement keeps Fallback's values:
// an estimate only orders substrates, and a run that cannot be measured
// fails again, with its error, when it is dispatched.
//
// The zero value is ready to use with no fallback; it is safe for
// concurrent use, and measures each constant once.
type Lazy struct {
	Fallback Model

	latency, throughput sync.Once
	mu                  sync.Mutex
	m                   Model
}

// Time estimates a run of gates gates on n qubits on s, measuring with
// opts what has not been measured yet (see Lazy).
func (l *Lazy) Time(s sokr.Substrate, n, gates int, opts Options) time.Duration {
	l.latency.Do(func() {
		tiny := &circuit.Program{Source: "qcost.tiny", Qubits: 2, Ops: circuittest.Layers(2, 1, 1).Ops}
		d, err := best(s, tiny, opts, 3)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.m = Model{Latency: l.Fallback.Latency, PerGateAmp: l.Fallback.PerGateAmp}
		if err == nil {
			l.m.Latency = d
		}
	})
	if n >= CalQubits {
		l.throughput.Do(func() {
			p := circuittest.Layers(CalQubits, calDepth, 1)
			d, err := best(s, p, opts, 2)
			if err != nil {
				return
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			work := max(d-l.m.Latency, time.Microsecond)
			l.m.PerGateAmp = work.Seconds() / (float64(Gates(p)) * math.Ldexp(1, CalQubits))
		})
	}
	return l.Model().Time(n, gates)
}

// Model returns the model as measured so far.
func (l *Lazy) Model() Model {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m
}
