package sokrtest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// ProgramFormat is the format of a Program whose Fmt is empty.
const ProgramFormat = "sokrtest/1"

// Program is a trivial program for the Fake: its result is its inputs echoed
// back, named "out0", "out1", ... It implements sokr.Program and
// sokr.InputChecker.
type Program struct {
	// Fmt is the format reported by Format; ProgramFormat when empty.
	Fmt string
	// Feats are the features the program requires (Requirements.Features).
	Feats []string
	// Check, when set, checks the dispatch inputs (sokr.InputChecker); its
	// error is returned as is, so it should be a *sokr.InputError.
	Check func([]sokr.Tensor) error
}

// Format returns p.Fmt, or ProgramFormat when it is empty.
func (p Program) Format() string {
	if p.Fmt == "" {
		return ProgramFormat
	}
	return p.Fmt
}

// Requirements lists p.Feats as the required features.
func (p Program) Requirements() sokr.Requirements {
	return sokr.Requirements{Features: p.Feats}
}

// CheckInputs calls p.Check, if set.
func (p Program) CheckInputs(inputs []sokr.Tensor) error {
	if p.Check == nil {
		return nil
	}
	return p.Check(inputs)
}

// Fake is a substrate for testing the runtime, with fault injection. It runs
// any program by echoing the inputs back as outputs "out0", "out1", ...
//
// Configure it through the exported fields before registering it; changing
// them while dispatches run is a data race. The counters may be read at any
// time. The zero value is a usable, asynchronous substrate named "fake" of
// kind cpu.
type Fake struct {
	// SubName is the substrate's name ("fake" when empty).
	SubName string
	// SubKind is the substrate's kind (sokr.KindCPU when empty).
	SubKind sokr.Kind
	// Props are returned by Describe (a copy), with "fake" = "true" added.
	Props sokr.Properties

	// Refuse, when not empty, makes Capability say no with this reason.
	Refuse string
	// Formats, when not nil, lists the program formats the fake runs; a
	// program of any other format is refused.
	Formats []string
	// Supports, when not nil, lists the features the fake accepts; a program
	// requiring any other is refused, naming the feature.
	Supports []string
	// Estimate is the estimate of every accepting offer.
	Estimate sokr.Estimate
	// PanicInCapability, when not nil, makes Capability panic with it.
	PanicInCapability any

	// Sync completes the job before Dispatch returns; otherwise the work
	// runs on a goroutine started with Job.Go.
	Sync bool
	// Delay is how long each run takes. The wait honours the job's context:
	// a cancelled or timed-out job stops early, and its late completion is
	// dropped by the job.
	Delay time.Duration
	// Hold, when not nil, makes each run wait until it is closed (or the
	// job's context ends), after Delay.
	Hold <-chan struct{}
	// Fail, when not nil, completes every job with this error.
	Fail error
	// Panic, when not nil, makes Dispatch panic with it, synchronously.
	Panic any
	// PanicAsync, when not nil, makes the run panic with it, inside the
	// function given to Job.Go (or Job.Run when Sync).
	PanicAsync any
	// CloseErr is returned by Close.
	CloseErr error
	// OnDispatch, when not nil, is called first thing in Dispatch with the
	// job, to inspect its inputs, options, deadline or context values.
	OnDispatch func(*sokr.Job)

	capabilities atomic.Int64
	dispatches   atomic.Int64
	completions  atomic.Int64
	dropped      atomic.Int64
	closes       atomic.Int64
}

// NewFake returns an asynchronous fake substrate of kind cpu that accepts
// every program.
func NewFake(name string) *Fake {
	return &Fake{SubName: name, SubKind: sokr.KindCPU}
}

// NewSyncFake returns a fake that completes every job before Dispatch
// returns.
func NewSyncFake(name string) *Fake {
	f := NewFake(name)
	f.Sync = true
	return f
}

// NewRefusingFake returns a fake whose Capability always says no with
// reason.
func NewRefusingFake(name, reason string) *Fake {
	f := NewFake(name)
	f.Refuse = reason
	return f
}

var (
	_ sokr.Substrate    = (*Fake)(nil)
	_ sokr.Closer       = (*Fake)(nil)
	_ sokr.Program      = Program{}
	_ sokr.InputChecker = Program{}
)

// Name returns f.SubName, or "fake" when it is empty.
func (f *Fake) Name() string {
	if f.SubName == "" {
		return "fake"
	}
	return f.SubName
}

// Kind returns f.SubKind, or sokr.KindCPU when it is empty.
func (f *Fake) Kind() sokr.Kind {
	if f.SubKind == "" {
		return sokr.KindCPU
	}
	return f.SubKind
}

// Describe returns a copy of f.Props with "fake" = "true".
func (f *Fake) Describe() sokr.Properties {
	p := make(sokr.Properties, len(f.Props)+1)
	for k, v := range f.Props {
		p[k] = v
	}
	p["fake"] = "true"
	return p
}

// Capability counts the call, then panics (PanicInCapability), refuses
// (Refuse, Formats, Supports) or accepts with f.Estimate.
func (f *Fake) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	f.capabilities.Add(1)
	if f.PanicInCapability != nil {
		panic(f.PanicInCapability)
	}
	if reason := f.refusal(p); reason != "" {
		return sokr.No(f, reason)
	}
	return sokr.Yes(f, f.Estimate)
}

// refusal is why the fake will not run p, or "".
func (f *Fake) refusal(p sokr.Program) string {
	if f.Refuse != "" {
		return f.Refuse
	}
	if f.Formats != nil && !slices.Contains(f.Formats, p.Format()) {
		return "runs " + strings.Join(f.Formats, ", ") + " programs, not " + p.Format()
	}
	if f.Supports != nil {
		for _, feat := range p.Requirements().Features {
			if !slices.Contains(f.Supports, feat) {
				return "does not support " + feat
			}
		}
	}
	return ""
}

// Dispatch counts the call and runs the job as configured: it panics at once
// (Panic), or runs the work now (Sync) or on a Job.Go goroutine. A program
// the fake refuses (given to it directly, bypassing the runtime) fails with
// a *sokr.NoCapableError carrying the refusal.
func (f *Fake) Dispatch(_ context.Context, job *sokr.Job) {
	f.dispatches.Add(1)
	if f.OnDispatch != nil {
		f.OnDispatch(job)
	}
	if f.Panic != nil {
		panic(f.Panic)
	}
	if reason := f.refusal(job.Program); reason != "" {
		f.completions.Add(1)
		if !job.Fail(&sokr.NoCapableError{Format: job.Program.Format(), Offers: []sokr.Offer{sokr.No(f, reason)}}) {
			f.dropped.Add(1)
		}
		return
	}
	if f.Sync {
		job.Run(f.Name(), f.run)
		return
	}
	job.Go(f.Name(), f.run)
}

// run is the work of one job. It completes the job itself, to count
// completions; the completion Job.Run then attempts is dropped.
func (f *Fake) run(j *sokr.Job) (sokr.Result, error) {
	res, err := f.work(j)
	f.completions.Add(1)
	if !j.Complete(res, err) {
		f.dropped.Add(1)
	}
	return res, err
}

func (f *Fake) work(j *sokr.Job) (sokr.Result, error) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-j.Done():
			t.Stop()
			return sokr.Result{}, j.Err()
		}
	}
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-j.Done():
			return sokr.Result{}, j.Err()
		}
	}
	if f.PanicAsync != nil {
		panic(f.PanicAsync)
	}
	if f.Fail != nil {
		return sokr.Result{}, f.Fail
	}
	return Echo(j.Inputs), nil
}

// Close counts the call and returns f.CloseErr.
func (f *Fake) Close() error {
	f.closes.Add(1)
	return f.CloseErr
}

// Capabilities is the number of Capability calls so far.
func (f *Fake) Capabilities() int64 { return f.capabilities.Load() }

// Dispatches is the number of Dispatch calls so far.
func (f *Fake) Dispatches() int64 { return f.dispatches.Load() }

// Completions is the number of jobs the fake has completed (or tried to:
// see Dropped). Panics are not counted.
func (f *Fake) Completions() int64 { return f.completions.Load() }

// Dropped is the number of the fake's completions that came too late, the
// job having already completed (cancelled, timed out, shut down).
func (f *Fake) Dropped() int64 { return f.dropped.Load() }

// Closes is the number of Close calls so far.
func (f *Fake) Closes() int64 { return f.closes.Load() }

// outNames are the first output names, so that echoing takes no allocation
// for them.
var outNames = func() [16]string {
	var n [16]string
	for i := range n {
		n[i] = "out" + strconv.Itoa(i)
	}
	return n
}()

// OutputName returns the name of the Fake's i-th output: "out0", "out1", ...
func OutputName(i int) string {
	if i < len(outNames) {
		return outNames[i]
	}
	return "out" + strconv.Itoa(i)
}

// Echo returns the Fake's result for inputs: each input as an output named
// OutputName(i). The tensors alias the inputs.
func Echo(inputs []sokr.Tensor) sokr.Result {
	if len(inputs) == 0 {
		return sokr.Result{}
	}
	outs := make([]sokr.Output, len(inputs))
	for i, t := range inputs {
		outs[i] = sokr.Output{Name: OutputName(i), Tensor: t}
	}
	return sokr.Result{Outputs: outs}
}
