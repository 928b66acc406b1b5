package facade

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
	"unsafe"

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

// pyRequest is one question for the Python side.
type pyRequest struct {
	Op        string `json:"op"` // "capability", "dispatch" or "cancel"
	ID        int64  `json:"id"`
	Substrate string `json:"substrate"`
	Key       string `json:"key"`               // the registration's key on the Python side
	Program   int64  `json:"program,omitempty"` // a program handle Python frees
	// Info is the program's ProgramInfo, so that Python makes its Program
	// without another call (each costs a GIL handoff among busy threads).
	Info    json.RawMessage `json:"program_info,omitempty"`
	Inputs  []jobInput      `json:"inputs,omitempty"`
	Options map[string]any  `json:"options,omitempty"`
	Seed    *uint64         `json:"seed,omitempty"`
}

// jobInput describes one input of a job, with the address of its bytes,
// which Python copies from directly (they stay put and alive while the job
// is: the caller's numpy buffer, or Go memory, which does not move).
type jobInput struct {
	outputInfo
	Addr uintptr `json:"addr"`
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
// pyCapabilityTimeout, or until ctx ends). Within one DispatchMany batch
// (see batchOffers) it asks once per program: a round trip to the Python
// thread costs hundreds of microseconds, more than most runs.
func (s *pySubstrate) Capability(ctx context.Context, p sokr.Program) sokr.Offer {
	c, batch := ctx.Value(batchKey{}).(*batchOffers)
	if batch {
		if o, ok := c.get(s.name, p); ok {
			return o
		}
	}
	o, answered := s.ask(ctx, p)
	if batch && answered {
		c.put(s.name, p, o)
	}
	return o
}

// batchKey keys a DispatchMany batch's batchOffers in its dispatches'
// context.
type batchKey struct{}

// batchOffers holds the Python substrates' answers for one DispatchMany
// batch, by substrate and program: the batch is one request, made at one
// moment, so one answer serves all its runs.
type batchOffers struct {
	mu sync.Mutex
	m  map[batchOffer]sokr.Offer
}

type batchOffer struct {
	substrate string
	program   sokr.Program
}

func (c *batchOffers) get(sub string, p sokr.Program) (sokr.Offer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[batchOffer{sub, p}]
	return o, ok
}

func (c *batchOffers) put(sub string, p sokr.Program, o sokr.Offer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[batchOffer]sokr.Offer{}
	}
	c.m[batchOffer{sub, p}] = o
}

// ask puts the capability question to the Python side; answered is false
// when no answer came (timeout, ctx ended).
func (s *pySubstrate) ask(ctx context.Context, p sokr.Program) (sokr.Offer, bool) {
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
	pyPost(pyRequest{Op: "capability", ID: id, Substrate: s.name, Key: s.key, Program: programs.put(p), Info: json.RawMessage(infoOf(p))})
	t := time.NewTimer(pyCapabilityTimeout)
	defer t.Stop()
	select {
	case o := <-ch:
		o.Substrate, o.Kind = s.name, s.kind
		return o, true
	case <-t.C:
		return sokr.No(s, fmt.Sprintf("the Python substrate did not answer within %v (is its Python process busy or gone?)", pyCapabilityTimeout)), false
	case <-ctx.Done():
		return sokr.No(s, "capability cancelled: "+ctx.Err().Error()), false
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
	ins := make([]jobInput, len(j.Inputs))
	for i, t := range j.Inputs {
		ins[i] = jobInput{outputInfo: outputInfo{Name: fmt.Sprint(i), DType: t.DType.String(), Shape: t.Shape, Bytes: len(t.Data)}}
		if len(t.Data) > 0 {
			ins[i].Addr = uintptr(unsafe.Pointer(unsafe.SliceData(t.Data)))
		}
	}
	req := pyRequest{Op: "dispatch", ID: id, Substrate: s.name, Key: s.key, Program: programs.put(j.Program), Info: json.RawMessage(infoOf(j.Program)), Inputs: ins, Options: j.Options.Params}
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
