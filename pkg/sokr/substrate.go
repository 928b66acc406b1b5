package sokr

import (
	"context"
	"time"
)

// Kind classifies a substrate.
type Kind string

// Substrate kinds.
const (
	KindCPU          Kind = "cpu"
	KindGPU          Kind = "gpu"
	KindQPU          Kind = "qpu"
	KindNeuromorphic Kind = "neuromorphic"
	KindPhotonic     Kind = "photonic" // linear optics: photons in modes
	KindRemote       Kind = "remote"
)

// Substrate is something that can run programs: a CPU, a simulator, a GPU, a
// plugin, a cluster. It needs only these methods; optional abilities
// (Canceller, Closer) are found by type assertion.
//
// Capability must be cheap and side-effect free. Dispatch must not block for
// long: it starts the work and arranges for job.Complete to be called exactly
// once, from any goroutine, possibly before Dispatch returns. Long work runs
// under job.Go, which turns a panic into a FaultError.
type Substrate interface {
	// Name is the unique, versioned name, e.g. "cpu", "statevec".
	Name() string
	Kind() Kind
	// Describe reports static properties: cores, memory, device name, ...
	Describe() Properties
	// Capability answers "can you fulfil this program?" without running it.
	// A substrate never says yes and then silently drops part of the program.
	Capability(ctx context.Context, p Program) Offer
	// Dispatch runs job. ctx is cancelled when the job's future is cancelled
	// or its deadline passes.
	Dispatch(ctx context.Context, job *Job)
}

// Closer is an optional substrate ability: releasing resources when the
// runtime shuts down.
type Closer interface {
	Close() error
}

// ContextCloser is Closer bounded by a context, preferred by Runtime.Close
// when a substrate has both: a substrate that waits for work it still holds
// (a C plugin's jobs) stops waiting when ctx is done, and returns an error
// matching ctx's (ErrCancelled or ErrDeadlineExceeded), so that shutting
// the runtime down keeps its deadline.
type ContextCloser interface {
	CloseContext(ctx context.Context) error
}

// Deferred is an optional substrate ability: standing in the registry for
// substrates that are costly or risky to start, so that they start only when
// a program may need them. Loading a GPU driver, for one, maps its libraries
// (some with their own copy of LLVM, which clashes with another LLVM already
// in the process) and creates threads, which a quantum-only session never
// needs.
//
// The placeholder is registered like any substrate. A Runtime starts it, and
// the registry replaces it with the substrates Start returns, when it would
// ask the placeholder about a program Wants accepts (under the first-capable
// policy only if no substrate before it in name order said yes), when a
// dispatch is pinned to it, or when one of its substrates is looked up by
// name: those are named Name() or Name()+":"+anything ("vulkan:0" starts
// "vulkan"). [Registry.StartDeferred] starts every placeholder, for listings
// that describe the machine. Until then the placeholder is asked only about
// programs Wants refuses, and refuses them with its reason.
type Deferred interface {
	Substrate
	// Wants reports whether the substrates it stands for could run p. It is
	// cheap and starts nothing.
	Wants(p Program) bool
	// Start starts the substrates. The registry calls it at most once; an
	// error is recorded in Failures under the placeholder's name.
	Start() ([]Substrate, error)
}

// RunEstimator is an optional ability of substrates whose memory depends on
// a dispatch's inputs and options (a spiking network's time steps and
// batch, a circuit's shots and precision), which Capability cannot see.
// EstimateRun forecasts the run that Dispatch would make of exactly these
// arguments, or returns the typed error Dispatch would fail with (a run
// over the budget, bad options). A runtime with a memory budget reserves
// this estimate instead of the offer's. A substrate whose Capability
// estimate already covers every dispatch of a program need not implement
// it.
type RunEstimator interface {
	EstimateRun(p Program, inputs []Tensor, opts Options) (Estimate, error)
}

// Properties are a substrate's static facts, as strings so that they cross
// the C ABI and Python unchanged. Keys are lower_snake_case.
type Properties map[string]string

// Offer is a substrate's answer to Capability.
type Offer struct {
	Substrate string
	Kind      Kind
	OK        bool
	// Reason says why not, in words a user can act on ("needs 31 qubits,
	// this substrate holds at most 30 in 24 GiB"). Empty when OK.
	Reason   string
	Estimate Estimate
}

// Estimate is a substrate's forecast of the cost of a run, used by policies.
// Zero fields are unknown.
type Estimate struct {
	Time        time.Duration
	MemoryBytes int64
}

// Yes returns an accepting offer.
func Yes(s Substrate, est Estimate) Offer {
	return Offer{Substrate: s.Name(), Kind: s.Kind(), OK: true, Estimate: est}
}

// No returns a refusing offer with its reason.
func No(s Substrate, reason string) Offer {
	return Offer{Substrate: s.Name(), Kind: s.Kind(), Reason: reason}
}

// Result is what a completed dispatch returns.
type Result struct {
	// Outputs are the program's results, in the program's order.
	Outputs []Output
	// Meta records how the result was produced (semantics chosen, device,
	// counters), as strings.
	Meta map[string]string
}

// Output is one named result. Numeric results are tensors; domain results
// (counts, spike trains) set Value to a type their package documents.
type Output struct {
	Name   string
	Tensor Tensor
	Value  any
}

// Get returns the output named name.
func (r Result) Get(name string) (Output, bool) {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// Options are the per-dispatch settings a substrate sees.
type Options struct {
	// Seed for every random choice; HasSeed is false when the user gave none.
	Seed    uint64
	HasSeed bool
	// Params holds substrate- or domain-specific settings ("shots", "dt").
	Params map[string]any
}

// Param returns the named parameter or def when absent.
func (o Options) Param(name string, def any) any {
	if v, ok := o.Params[name]; ok {
		return v
	}
	return def
}
