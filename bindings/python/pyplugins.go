package facade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Plugins written in Python: IRs whose programs Go holds as opaque bytes,
// and substrates that live in Python. Go never calls into Python: a
// Python-side substrate is a proxy here that queues requests (capability,
// dispatch, cancel); one Python thread takes them in batches with
// PyRequests (the GIL released while it waits), works on them, and answers
// with AnswerCapability, CompleteJob and FailJob. A capability question
// waits for its answer at most pyCapabilityTimeout, so a Python side that
// stops answering makes a refusal with a reason, never a hang.

// pyCapabilityTimeout bounds the wait for a Python substrate's capability.
var pyCapabilityTimeout = 30 * time.Second

// pyProgram is a program of a Python IR: its bytes, opaque to Go.
type pyProgram struct {
	format string
	src    []byte
}

func (p *pyProgram) Format() string                  { return p.format }
func (p *pyProgram) Requirements() sokr.Requirements { return sokr.Requirements{} }

// ProgramSource returns the bytes: they are the source.
func (p *pyProgram) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: p.format, Bytes: p.src}, true
}

// pyIR is a Python IR plugin's format: Parse keeps the bytes.
type pyIR struct{ format string }

func (ir pyIR) Format() string { return ir.format }
func (ir pyIR) Parse(_ context.Context, src []byte) (sokr.Program, error) {
	return &pyProgram{format: ir.format, src: bytes.Clone(src)}, nil
}

// RegisterPyIR registers format, a Python IR plugin's, in runtime rt (0:
// the default runtime): programs of it are held as bytes, for substrates
// written in Python.
func RegisterPyIR(rt int64, format string) error {
	r, err := runtimeFor(rt)
	if err != nil {
		return fail(err)
	}
	if err := r.RegisterIR(pyIR{format: format}); err != nil {
		return fail(err)
	}
	return nil
}

// UnregisterPyIR removes a format RegisterPyIR added; it reports whether
// there was one (a built-in IR of that name is left alone).
func UnregisterPyIR(rt int64, format string) bool {
	r, err := runtimeFor(rt)
	if err != nil {
		return false
	}
	if ir, ok := r.IR(format); !ok || ir != (pyIR{format: format}) {
		return false
	}
	return r.UnregisterIR(format)
}

// sourceOf returns a program's source, if its IR keeps one (sokr.Sourcer):
// a substrate that sends programs elsewhere (a Dask cluster) re-parses them
// there.
func sourceOf(p sokr.Program) (sokr.Source, bool) {
	if s, ok := p.(sokr.Sourcer); ok {
		return s.ProgramSource()
	}
	return sokr.Source{}, false
}

// ProgramSourceLen is the length of the source a program was parsed from
// (-1 when unknown: a program built in Go).
func ProgramSourceLen(prog int64) int64 {
	p, ok := programs.get(prog)
	if !ok {
		return -1
	}
	if s, ok := sourceOf(p); ok {
		return int64(len(s.Bytes))
	}
	return -1
}

// ProgramSourceFormat is the IR format a program's source is in (for
// OpenQASM, "openqasm/2" or "openqasm/3", where the program's own format is
// "sokr.circuit/1"); "" when unknown.
func ProgramSourceFormat(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return ""
	}
	s, _ := sourceOf(p)
	return s.Format
}

// CopyProgramSource copies a program's source into the n bytes at addr.
func CopyProgramSource(prog int64, addr uintptr, n int64) error {
	p, ok := programs.get(prog)
	var s sokr.Source
	if ok {
		s, ok = sourceOf(p)
	}
	if !ok || int64(len(s.Bytes)) != n {
		return fail(&sokr.ProgramError{Msg: fmt.Sprintf("program %d has no %d bytes of source", prog, n)})
	}
	copy(bytesAt(addr, n), s.Bytes)
	return nil
}

// pyRequest is one question for the Python side.
type pyRequest struct {
	Op        string         `json:"op"` // "capability", "dispatch" or "cancel"
	ID        int64          `json:"id"`
	Substrate string         `json:"substrate"`
	Key       string         `json:"key"`               // the registration's key on the Python side
	Program   int64          `json:"program,omitempty"` // a program handle Python frees
	Inputs    []outputInfo   `json:"inputs,omitempty"`
	Options   map[string]any `json:"options,omitempty"`
	Seed      *uint64        `json:"seed,omitempty"`
}

// pyBridge is the queue between the proxies and the Python thread.
var pyBridge = struct {
	mu      sync.Mutex
	queue   []pyRequest
	wake    chan struct{}
	next    int64
	answers map[int64]chan sokr.Offer
	jobs    map[int64]*pyJob
}{wake: make(chan struct{}, 1), answers: map[int64]chan sokr.Offer{}, jobs: map[int64]*pyJob{}}

type pyJob struct {
	job  *sokr.Job
	name string
}

func pyPost(r pyRequest) {
	pyBridge.mu.Lock()
	pyBridge.queue = append(pyBridge.queue, r)
	pyBridge.mu.Unlock()
	select {
	case pyBridge.wake <- struct{}{}:
	default:
	}
}

func pyNextID() int64 {
	pyBridge.mu.Lock()
	defer pyBridge.mu.Unlock()
	pyBridge.next++
	return pyBridge.next
}

// PyRequests waits up to timeout seconds for requests to Python substrates
// and returns them as a JSON list ("" when none came).
func PyRequests(timeout float64) string {
	t := time.NewTimer(seconds(timeout))
	defer t.Stop()
	for {
		pyBridge.mu.Lock()
		q := pyBridge.queue
		pyBridge.queue = nil
		pyBridge.mu.Unlock()
		if len(q) > 0 {
			b, _ := json.Marshal(q)
			return string(b)
		}
		select {
		case <-pyBridge.wake:
		case <-t.C:
			return ""
		}
	}
}

// pySubstrate is a substrate written in Python, seen from Go.
type pySubstrate struct {
	key   string
	name  string
	kind  sokr.Kind
	props sokr.Properties
}

// RegisterPySubstrate registers a Python substrate called name, of the
// given kind, with properties (a JSON object of strings), in runtime rt;
// key identifies the Python object in the requests.
func RegisterPySubstrate(rt int64, key, name, kind, properties string) error {
	r, err := runtimeFor(rt)
	if err != nil {
		return fail(err)
	}
	props := sokr.Properties{}
	if properties != "" {
		if err := json.Unmarshal([]byte(properties), &props); err != nil {
			return fail(&sokr.RegistrationError{Name: name, Msg: "properties must be a JSON object of strings: " + err.Error()})
		}
	}
	props["language"] = "python"
	if err := r.RegisterSubstrate(&pySubstrate{key: key, name: name, kind: sokr.Kind(kind), props: props}); err != nil {
		return fail(err)
	}
	return nil
}

// UnregisterPySubstrate removes a substrate RegisterPySubstrate added.
func UnregisterPySubstrate(rt int64, name string) bool {
	r, err := runtimeFor(rt)
	if err != nil {
		return false
	}
	if s, ok := r.Substrate(name); !ok {
		return false
	} else if _, isPy := s.(*pySubstrate); !isPy {
		return false
	}
	return r.UnregisterSubstrate(name)
}

func (s *pySubstrate) Name() string              { return s.name }
func (s *pySubstrate) Kind() sokr.Kind           { return s.kind }
func (s *pySubstrate) Describe() sokr.Properties { return s.props }

// Capability asks the Python side and waits for its answer (at most
// pyCapabilityTimeout, or until ctx ends).
func (s *pySubstrate) Capability(ctx context.Context, p sokr.Program) sokr.Offer {
	id := pyNextID()
	ch := make(chan sokr.Offer, 1)
	pyBridge.mu.Lock()
	pyBridge.answers[id] = ch
	pyBridge.mu.Unlock()
	defer func() {
		pyBridge.mu.Lock()
		delete(pyBridge.answers, id)
		pyBridge.mu.Unlock()
	}()
	pyPost(pyRequest{Op: "capability", ID: id, Substrate: s.name, Key: s.key, Program: programs.put(p)})
	t := time.NewTimer(pyCapabilityTimeout)
	defer t.Stop()
	select {
	case o := <-ch:
		o.Substrate, o.Kind = s.name, s.kind
		return o
	case <-t.C:
		return sokr.No(s, fmt.Sprintf("the Python substrate did not answer within %v (is its Python process busy or gone?)", pyCapabilityTimeout))
	case <-ctx.Done():
		return sokr.No(s, "capability cancelled: "+ctx.Err().Error())
	}
}

// AnswerCapability is the Python side's answer to capability request id.
func AnswerCapability(id int64, ok bool, reason string, seconds float64, memoryBytes int64) {
	pyBridge.mu.Lock()
	ch := pyBridge.answers[id]
	pyBridge.mu.Unlock()
	if ch == nil {
		return // timed out or cancelled meanwhile
	}
	o := sokr.Offer{OK: ok, Reason: reason, Estimate: sokr.Estimate{Time: time.Duration(seconds * float64(time.Second)), MemoryBytes: memoryBytes}}
	select {
	case ch <- o:
	default:
	}
}

// Dispatch queues the job for the Python side, which completes it with
// CompleteJob or FailJob; a cancelled job is announced with a "cancel"
// request.
func (s *pySubstrate) Dispatch(ctx context.Context, j *sokr.Job) {
	id := pyNextID()
	ins := make([]outputInfo, len(j.Inputs))
	for i, t := range j.Inputs {
		ins[i] = outputInfo{Name: fmt.Sprint(i), DType: t.DType.String(), Shape: t.Shape, Bytes: len(t.Data)}
	}
	req := pyRequest{Op: "dispatch", ID: id, Substrate: s.name, Key: s.key, Program: programs.put(j.Program), Inputs: ins, Options: j.Options.Params}
	if j.Options.HasSeed {
		seed := j.Options.Seed
		req.Seed = &seed
	}
	pyBridge.mu.Lock()
	pyBridge.jobs[id] = &pyJob{job: j, name: s.name}
	pyBridge.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-j.Done():
		}
		// Cancelling the future also completes it: either may be seen first. A job
		// that Python has not completed yet is told to stop.
		if ctx.Err() != nil {
			pyBridge.mu.Lock()
			_, live := pyBridge.jobs[id]
			pyBridge.mu.Unlock()
			if live {
				pyPost(pyRequest{Op: "cancel", ID: id, Substrate: s.name, Key: s.key})
			}
		}
	}()
	pyPost(req)
}

func takeJob(id int64, remove bool) (*pyJob, error) {
	pyBridge.mu.Lock()
	defer pyBridge.mu.Unlock()
	pj := pyBridge.jobs[id]
	if pj == nil {
		return nil, fail(fmt.Errorf("sokr: no Python job %d (completed already?)", id))
	}
	if remove {
		delete(pyBridge.jobs, id)
	}
	return pj, nil
}

// CopyJobInput copies input index of job id into the n bytes at addr.
func CopyJobInput(id, index int64, addr uintptr, n int64) error {
	pj, err := takeJob(id, false)
	if err != nil {
		return err
	}
	if index < 0 || index >= int64(len(pj.job.Inputs)) || int64(len(pj.job.Inputs[index].Data)) != n {
		return fail(fmt.Errorf("sokr: job %d has no input %d of %d bytes", id, index, n))
	}
	copy(bytesAt(addr, n), pj.job.Inputs[index].Data)
	return nil
}

// CompleteJob completes job id with outputs: spec describes numpy arrays in
// the input-spec format, names their names (comma-separated), meta a JSON
// object of strings, values a JSON object of domain values (counts, ...)
// that follow the arrays as outputs with Value set. The arrays are copied.
func CompleteJob(id int64, spec, names, meta, values string) error {
	pj, err := takeJob(id, true)
	if err != nil {
		return err
	}
	ts, err := parseInputs(spec)
	if err == nil && len(ts) != len(strings.Split(names, ",")) && !(len(ts) == 0 && names == "") {
		err = fmt.Errorf("%d outputs but %d names", len(ts), len(strings.Split(names, ",")))
	}
	var m map[string]string
	if err == nil && meta != "" {
		err = json.Unmarshal([]byte(meta), &m)
	}
	var vals []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if err == nil && values != "" {
		err = json.Unmarshal([]byte(values), &vals)
	}
	if err != nil {
		pj.job.Fail(&sokr.FaultError{Substrate: pj.name, Msg: "bad result from Python: " + err.Error()})
		return nil
	}
	outs := make([]sokr.Output, len(ts), len(ts)+len(vals))
	nameList := strings.Split(names, ",")
	for i, t := range ts {
		t.Data = bytes.Clone(t.Data)
		outs[i] = sokr.Output{Name: nameList[i], Tensor: t}
	}
	for _, v := range vals {
		outs = append(outs, sokr.Output{Name: v.Name, Value: v.Value})
	}
	pj.job.Complete(sokr.Result{Outputs: outs, Meta: m}, nil)
	return nil
}

// FailJob fails job id: kind "input" for bad inputs (an InputError for the
// input at index, named name; index -1 when the fault is not one input's),
// "cancelled" for a cancelled run (ErrCancelled, msg its cause), anything
// else a SubstrateFault carrying the Python traceback.
func FailJob(id int64, kind, msg, traceback string, index int64, name string) error {
	pj, err := takeJob(id, true)
	if err != nil {
		return err
	}
	switch kind {
	case "input":
		pj.job.Fail(&sokr.InputError{Index: int(max(index, -1)), Name: name, Msg: msg})
	case "cancelled":
		// As a cancelled context gives it: ErrCancelled, still matching
		// context.Canceled, which alone Python would see as a bare error.
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errors.New(msg))
		pj.job.Fail(sokr.ContextError(ctx))
	default:
		pj.job.Fail(&sokr.FaultError{Substrate: pj.name, Msg: msg, Stack: traceback})
	}
	return nil
}
