// Package snn is SOKR's spiking-network simulator: a substrate (name
// "snn", kind neuromorphic) that runs NIR graphs (package nir's Program)
// on the host's cores, clock-driven, with its semantics explicit and
// returned with every result.
//
// # Overview
//
// A graph is flattened (nested graphs spliced in, nodes named by their
// path "G.NODE") and simulated a chunk of time steps at a time: within a
// chunk, nodes run in topological order, each over all the chunk's steps,
// so that a Linear or Affine over a chunk is one matrix product (event-
// driven or through the BLAS) and a neuron population one scan over time.
// A graph with a cycle is simulated in chunks of at most recurrent_delay
// steps, so a recurrent edge only reads outputs of earlier chunks. Results
// do not depend on the chunking (tested).
//
//	rt.RegisterSubstrate(snn.New())
//	res, err := rt.Dispatch(ctx, prog, []sokr.Tensor{x}, // x: [T, B, *input shape]
//		sokr.Param("dt", 1e-4), sokr.Param("record", []string{"lif.v"})).Wait(ctx)
//
// # Semantics
//
// The neuron models are NIR's: LIF τ·dv/dt = (v_leak − v) + r·I;
// CubaLIF τ_syn·di/dt = −i + w_in·I, τ_mem·dv/dt = (v_leak − v) + r·i;
// IF and I dv/dt = r·I; LI and CubaLI as LIF and CubaLIF without spikes.
// A spike is emitted when v > v_threshold. Each step, for input x:
//
//   - solver "euler" (default): forward Euler, v ← v + dt/τ·((v_leak − v) +
//     r·x). "exact": the exact solution for x held over the step, v ←
//     v_leak + (v − v_leak)·e^{−dt/τ} + r·x·(1 − e^{−dt/τ}) (CubaLIF: the
//     closed form of the coupled system, see cubaCoefficients). "impulse":
//     exact decay, input as an impulse of area dt·x at the step's end, v ←
//     v_leak + (v − v_leak)·e^{−dt/τ} + dt/τ·r·x. IF and I integrate a held
//     input exactly whatever the solver. Current-based models update the
//     current first and feed the new current to v.
//   - reset "to_v_reset" (default, NIR): v ← v_reset on a spike; "zero":
//     v ← 0; "subtract": v ← v − v_threshold.
//   - spike_timing "after_update" (default, NIR): the spike is read from
//     the updated v, in the same step; "before_update": from v at the start
//     of the step (the reset applies to the updated v), so spikes come one
//     step later.
//   - synaptic_delay (default 0): extra steps between a neuron's input and
//     the neuron, on every population.
//   - recurrent_delay (default 1): steps a recurrent edge delays.
//   - spike_amplitude (default 1, NIR's z ∈ {0, 1}): the value of a spike
//     (LIF, CubaLIF, IF, Threshold); Nengo and Brian2 use 1/dt.
//   - Delay rounds τ/dt to whole steps and refuses delays that are not
//     whole steps; Affine is y = W·x + b, Linear y = W·x; Conv1d and
//     Conv2d follow PyTorch (stride, padding or "same"/"valid", dilation,
//     groups); AvgPool2d divides by the window area, padding included.
//
// Reproducing the NIR paper's LIF recordings (lif_*.csv, lif_norse.nir,
// tested in TestLIFPlatforms):
//
//	platform                      options                                     spike steps
//	Norse, snnTorch, SpiNNaker2   reset "zero" (or default: v_reset is 0)     460 510 710 760
//	Nengo                         solver "exact"                              460 510 710 760
//	lif_exact.csv                 solver "exact", reset "subtract"            460 510 710 760
//	Rockpool, Sinabs              solver "impulse", reset "subtract"          450 500 710 760
//	Lava (CPU float/fixed, Loihi) synaptic_delay 1                            461 511 711 761
//	Spyx                          spike_timing "before_update", reset "subtract"  461 511 711 761
//
// The voltages match within 1e-6 for Norse (the acceptance test), Rockpool,
// Sinabs, Lava's float CPU model and Spyx; snnTorch, SpiNNaker2, Nengo and
// Lava's fixed-point models scale the voltage differently.
//
// # Options
//
// Dispatch options (sokr.Param): "dt" (seconds, default 1e-4, the NIR
// paper's), "solver", "reset", "spike_timing", "synaptic_delay",
// "recurrent_delay", "spike_amplitude" (above); "precision" "f32" (default)
// or "f64"; "propagation" "auto" (default), "event" or "dense"; "record", a
// list of probes "NODE.v", "NODE.i" (synaptic current of CubaLIF and
// CubaLI), "NODE.spikes", and "NODE" or "NODE.out", the output of any
// node (Affine, Conv2d, a pool, Flatten, a neuron's spikes...), NODE a
// path such as "G.lif"; "session", an id
// whose state (voltages, currents, delay lines, recurrent edges, step
// count) carries over to the next dispatch with the same id, and
// "session_reset": true to start it afresh; "initial_state", the neuron
// state before the first step: "zero" (default), "v_leak" (v = v_leak, as
// Norse starts; IF and I, which have no v_leak, at 0; currents at 0) or a
// map from node path to a map from variable to values (the rest start at
// 0): a neuron's "v" and "i", one per neuron or batch × neurons; a Delay
// node's "delay_line" (its last D inputs, D its longest delay in steps,
// oldest first; a synaptic delay's is node "NEURON.synapse"), and
// "recurrent" for a node that a recurrent edge reads (its last
// recurrent_delay outputs), D rows of one value per element or per batch
// row and element; "final_state": true to return all of these after the
// last step as outputs "state:NODE.VARIABLE" ([B, *shape] for v and i,
// [D, B, *shape] for the others), which a later run's "initial_state"
// takes back to continue exactly as one uninterrupted run
// (neuron.DelayLine and neuron.Recurrent name the two). A session keeps
// its graph, batch size and semantics; EndSession forgets it and WithMaxSessions caps
// how many are live. Dispatches of one session run one at a time. Unknown
// options and bad values are *sokr.InputError naming the option.
//
// # Inputs and outputs
//
// One tensor per graph Input node, in the graph's input order (by node
// name), shaped [T, B, *input shape], of real numbers: f32, f64, i32,
// i64 or bool, converted to the run's precision (the "precision" option,
// default f32; the input's dtype never chooses it). The result has one
// Output per graph Output node (Name the node's name) and then one per
// probe (Name "probe:NODE.v", ...), each [T, B, *shape] in the compute
// precision. Result.Meta records the semantics ("dt", "solver", "reset",
// "spike_timing", "synaptic_delay", "recurrent_delay", "spike_amplitude",
// "precision", "initial_state"), "warnings" when there are any (one a
// line: forward Euler with dt > 2τ, where it diverges), the propagation used ("event", "dense", "mixed" or
// "none"), and counters: "steps", "batch", "spikes", "synaptic_events"
// (nonzero inputs × fan-out of every Affine and Linear), "neuron_updates",
// and for sessions "session" and "session_step" (the first step of this
// chunk).
//
// # Capability
//
// The substrate accepts nir.Program values whose every node it can
// simulate as NIR defines it, and refuses, naming the node, what it cannot
// (stacked weights, "same" padding with a stride, parameters of the wrong
// size), and graphs whose least run exceeds the memory budget
// (WithMemoryBudget, default 4 GiB).
//
// # Memory
//
// A run's memory depends on its inputs and options as much as on the
// graph: weights compiled to the precision, neuron state, delay lines
// (the longest delay in steps of dt, times the batch, times the elements),
// the recurrent edges' history, a chunk of steps' activations, every
// output and probe over all T steps, inputs converted to the precision,
// and scratch. Capability's Estimate is the least any run needs (one step
// of batch 1 in f32, no probe, no delay line); EstimateRun works out a
// dispatch's own figure from its inputs and options, and Dispatch refuses
// a run over the budget before allocating any of it, with an
// *sokr.InputError that names the largest part ("the delay line of node
// "d", takes 596.0 GiB"). Sums saturate rather than wrap.
//
// # Performance
//
// The neuron update runs in C (kernels.c), compiled for the x86-64
// baseline, AVX2 and AVX-512 and chosen at run time, about 6e9 LIF updates
// per second per core on Zen 4 with uniform parameters; builds without cgo
// use the same code in Go (tested bit for bit against the C kernels).
// Synaptic propagation of an Affine or Linear over a chunk is
// event-driven up to 25% input density (eventMaxDensity, measured) and a
// BLAS sgemm/dgemm above. Event-driven propagation gathers the chunk's
// nonzero inputs once, then, per block of 32 output columns (a 512 KiB
// slice of a 4096-input weight, which stays in L2), sums for each row the
// block's weight rows of its nonzero inputs in four independent partial
// sums held in registers: at 10% density it does a tenth of a dense
// product's work at a good fraction of the speed. Because a feed-forward
// layer is computed for a whole chunk at once, the Open Neuromorphic
// benchmark (Linear(4096, 4096) + LIF, batch 16, 500 steps) runs as a few
// large products instead of 500 small ones; docs/benchmarks.md has the
// measurements against snnTorch and Norse.
package snn
