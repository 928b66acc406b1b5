// Package facade is the Go side of SOKR's Python package: a small set of
// functions over simple types (int64, float64, string, bool, uintptr) that
// gopy turns into the extension module sokr._sokr. python/sokr/_native.py is
// its only importer; everything users touch is hand-written Python.
//
// Handles are int64 tickets: runtimes, programs and dispatches each live in a
// table here until the Python side frees them. A Go error becomes a Python
// RuntimeError whose message is the error as JSON (see errorJSON), from which
// python/sokr raises the matching SokrError subclass with every detail the
// core gave (position, each substrate's refusal).
//
// Completions reach Python without Go calling into Python: each dispatch's
// OnComplete appends its ticket to a queue, and one Python pump thread drains
// it in batches with Completed, which blocks (with the GIL released) until
// something completes.
package facade

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// handles is a table of live objects by ticket.
type handles[T any] struct {
	mu   sync.RWMutex
	next int64
	m    map[int64]T
}

func (h *handles[T]) put(v T) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[int64]T{}
	}
	h.next++
	h.m[h.next] = v
	return h.next
}

func (h *handles[T]) get(id int64) (T, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	v, ok := h.m[id]
	return v, ok
}

func (h *handles[T]) drop(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[id]
	delete(h.m, id)
	return ok
}

var (
	runtimes = handles[*sokr.Runtime]{}
	programs = handles[sokr.Program]{}
	tickets  = handles[*dispatch]{}

	defaultOnce sync.Once
	defaultRT   int64
	defaultErr  error
)

// dispatch is one in-flight or completed dispatch.
type dispatch struct {
	fut *sokr.Future
}

// runtimeFor returns the runtime with handle id; 0 is the default runtime,
// created on first use with every built-in IR and substrate.
func runtimeFor(id int64) (*sokr.Runtime, error) {
	if id == 0 {
		defaultOnce.Do(func() {
			rt, err := defaults.New()
			if err != nil {
				defaultErr = err
				return
			}
			defaultRT = runtimes.put(rt)
		})
		if defaultErr != nil {
			return nil, defaultErr
		}
		id = defaultRT
	}
	rt, ok := runtimes.get(id)
	if !ok {
		return nil, fmt.Errorf("sokr: no runtime with handle %d (closed?)", id)
	}
	return rt, nil
}

// NewRuntime makes a runtime over the built-in substrates named in the
// comma-separated list substrates (all of them when empty), choosing with
// policy ("first", "cheapest", "round_robin"), and returns its handle.
func NewRuntime(substrates, policy string) (int64, error) {
	var names []string
	if substrates != "" {
		names = strings.Split(substrates, ",")
	}
	return newRuntime(names, policy, "")
}

// NewRuntimeMemory is NewRuntime with a memory budget, and the substrates
// as a JSON array of names: [] keeps none of the built-in substrates (a
// runtime for Python substrates only), and "" or null keeps them all.
// memory is the user's setting ("4GiB", a number of bytes, see
// ParseMemory), or "" for SOKR_MEMORY or the machine's (see defaults.New).
func NewRuntimeMemory(substrates, policy, memory string) (int64, error) {
	var names []string
	if substrates != "" {
		if err := json.Unmarshal([]byte(substrates), &names); err != nil {
			return 0, fail(&sokr.RegistrationError{Name: substrates, Msg: "substrates must be a JSON array of names: " + err.Error()})
		}
	}
	return newRuntime(names, policy, memory)
}

// newRuntime makes a runtime keeping the built-in substrates named (all of
// them when names is nil, none when it is empty).
func newRuntime(names []string, policy, memory string) (int64, error) {
	p, err := policyNamed(policy)
	if err != nil {
		return 0, fail(err)
	}
	rt, err := defaults.NewWithMemory(memory, memorySource, sokr.WithPolicy(p))
	if err != nil {
		return 0, fail(err)
	}
	if names != nil {
		keep := map[string]bool{}
		for _, name := range names {
			name = strings.TrimSpace(name)
			if _, ok := rt.Substrate(name); !ok {
				return 0, fail(&sokr.RegistrationError{Name: name, Msg: "no built-in substrate of this name (have: " + substrateNames(rt) + ")"})
			}
			keep[name] = true
		}
		for _, s := range rt.Substrates() {
			if !keep[s.Name()] {
				rt.UnregisterSubstrate(s.Name())
				if c, ok := s.(sokr.Closer); ok {
					_ = c.Close() // e.g. a Vulkan device: the runtime no longer closes it
				}
			}
		}
	}
	return runtimes.put(rt), nil
}

// CloseRuntime shuts a runtime down, cancelling what is still in flight
// after timeout seconds. The default runtime (0) is not closed.
func CloseRuntime(rt int64, timeout float64) error {
	if rt == 0 {
		return nil
	}
	r, ok := runtimes.get(rt)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), seconds(timeout))
	defer cancel()
	err := r.Close(ctx)
	runtimes.drop(rt)
	if err != nil {
		return fail(err)
	}
	return nil
}

func policyNamed(name string) (sokr.Policy, error) {
	switch name {
	case "", "first":
		return sokr.FirstCapable(), nil
	case "cheapest":
		return sokr.Cheapest(), nil
	case "round_robin":
		return sokr.RoundRobin(), nil
	}
	return nil, &sokr.RegistrationError{Name: name, Msg: `unknown policy; use "first", "cheapest", "round_robin", a substrate name or a Python function`}
}

func substrateNames(rt *sokr.Runtime) string {
	var n []string
	for _, s := range rt.Substrates() {
		n = append(n, s.Name())
	}
	return strings.Join(n, ", ")
}

type substrateInfo struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Properties map[string]string `json:"properties"`
}

type info struct {
	Version    string            `json:"version"`
	Substrates []substrateInfo   `json:"substrates"`
	IRs        []string          `json:"irs"`
	Failures   map[string]string `json:"failures"`
}

// Info describes a runtime's substrates, IRs and failed plugins as JSON.
func Info(rt int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	in := info{Version: version, Failures: map[string]string{}, Substrates: []substrateInfo{}, IRs: []string{}}
	for _, s := range r.Substrates() {
		in.Substrates = append(in.Substrates, substrateInfo{Name: s.Name(), Kind: string(s.Kind()), Properties: s.Describe()})
	}
	for _, ir := range r.IRs() {
		in.IRs = append(in.IRs, ir.Format())
	}
	for name, err := range r.Failures() {
		in.Failures[name] = err.Error()
	}
	b, _ := json.Marshal(in)
	return string(b), nil
}

// ValidationMessages returns, as JSON {substrate: [message, ...]}, what the
// Vulkan validation layer reported to the runtime's vulkan substrates since
// the last call (it is on when $SOKR_VULKAN_VALIDATION=1), and clears it.
func ValidationMessages(rt int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	out := map[string][]string{}
	for _, s := range r.Substrates() {
		if v, ok := s.(sokr.Diagnoser); ok {
			if msgs := v.ValidationMessages(); len(msgs) > 0 {
				out[s.Name()] = msgs
			}
		}
	}
	b, _ := json.Marshal(out)
	return string(b), nil
}

// Parse reads a program of format (detected when empty) from the bytes at
// addr (n of them: the caller keeps them alive for the call), and returns
// the program's handle.
func Parse(rt int64, format string, addr uintptr, n int64) (int64, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return 0, fail(err)
	}
	// The parsers keep no reference to src past Parse, but copy anyway:
	// the Python bytes object may move or go.
	src := append([]byte(nil), bytesAt(addr, n)...)
	p, err := parseSource(context.Background(), r, format, src)
	if err != nil {
		return 0, fail(err)
	}
	return programs.put(p), nil
}

// FreeProgram releases a program handle.
func FreeProgram(prog int64) { programs.drop(prog) }

// ProgramText returns a program's canonical text (if its IR prints one).
func ProgramText(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return ""
	}
	if s, ok := p.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}

type paramInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

func paramInfos(ps []sokr.TensorSpec) []paramInfo {
	out := make([]paramInfo, len(ps))
	for i, p := range ps {
		out[i] = paramInfo{Name: p.Name, DType: p.DType.String(), Shape: p.Shape}
	}
	return out
}

// programInfo is the part of ProgramInfo every program has.
type programInfo struct {
	Format       string           `json:"format"`
	Features     []string         `json:"features"`
	Quantities   map[string]int64 `json:"quantities"`
	Inputs       []paramInfo      `json:"inputs"`
	Outputs      []paramInfo      `json:"outputs"`
	HasSignature bool             `json:"has_signature"`
}

// ProgramInfo describes a program as JSON: format, requirements, its
// inputs and outputs when it declares them (sokr.Signaturer), and its IR's
// description under the name the IR gives it (sokr.Describer: "circuit",
// "nir", "spirv", or a name this facade has never heard of).
func ProgramInfo(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return "{}"
	}
	req := p.Requirements()
	in := programInfo{Format: p.Format(), Features: req.Features, Quantities: req.Quantities, Inputs: []paramInfo{}, Outputs: []paramInfo{}}
	if s, ok := p.(sokr.Signaturer); ok {
		sig := s.Signature()
		in.HasSignature, in.Inputs, in.Outputs = true, paramInfos(sig.Inputs), paramInfos(sig.Outputs)
	}
	b, _ := json.Marshal(in)
	d, ok := p.(sokr.Describer)
	if !ok {
		return string(b)
	}
	name, v := d.Description()
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields)
	if _, taken := fields[name]; taken || name == "" {
		return string(b) // the common fields win over a description that would hide one
	}
	dj, err := json.Marshal(v)
	if err != nil {
		dj, _ = json.Marshal(map[string]string{"error": "the description cannot be encoded: " + err.Error()})
	}
	fields[name] = dj
	b, _ = json.Marshal(fields)
	return string(b)
}

type offerInfo struct {
	Substrate      string  `json:"substrate"`
	Kind           string  `json:"kind"`
	OK             bool    `json:"ok"`
	Reason         string  `json:"reason"`
	EstimateSecond float64 `json:"estimate_seconds"`
	EstimateBytes  int64   `json:"estimate_bytes"`
}

func offersOf(offers []sokr.Offer) []offerInfo {
	out := make([]offerInfo, len(offers))
	for i, o := range offers {
		out[i] = offerInfo{Substrate: o.Substrate, Kind: string(o.Kind), OK: o.OK, Reason: o.Reason,
			EstimateSecond: o.Estimate.Time.Seconds(), EstimateBytes: o.Estimate.MemoryBytes}
	}
	return out
}

// Capability returns every substrate's offer for a program as a JSON list.
func Capability(rt, prog int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	p, ok := programs.get(prog)
	if !ok {
		return "", fail(&sokr.ProgramError{Msg: fmt.Sprintf("no program with handle %d (freed?)", prog)})
	}
	b, _ := json.Marshal(offersOf(r.Capability(context.Background(), p)))
	return string(b), nil
}

// completions is the queue of completed tickets drained by Completed.
var completions struct {
	mu    sync.Mutex
	ready []int64
	wake  chan struct{} // holds a token while ready is non-empty
}

func init() { completions.wake = make(chan struct{}, 1) }

func notify(ticket int64) {
	completions.mu.Lock()
	completions.ready = append(completions.ready, ticket)
	completions.mu.Unlock()
	select {
	case completions.wake <- struct{}{}:
	default:
	}
}

// Completed waits up to timeout seconds for dispatches to complete and
// returns the tickets that did, comma-separated ("" when none did), with
// the negated tickets of released jobs whose substrate has now handed them
// back (see Release). One thread drains the queue; every ticket appears
// exactly once.
func Completed(timeout float64) string {
	select {
	case <-completions.wake:
	default:
		t := time.NewTimer(seconds(timeout))
		select {
		case <-completions.wake:
			t.Stop()
		case <-t.C:
			return ""
		}
	}
	completions.mu.Lock()
	ready := completions.ready
	completions.ready = nil
	completions.mu.Unlock()
	b := make([]byte, 0, len(ready)*8)
	for i, t := range ready {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, t, 10)
	}
	return string(b)
}

// Dispatch starts a program on inputs described by spec (see parseInputs)
// and returns its ticket. It fails only for a request that cannot be made
// (unknown runtime or program, malformed spec); every other
// failure arrives through the ticket's outcome. substrate pins the dispatch
// ("" lets the policy choose); policy overrides the runtime's; options is a
// JSON object of dispatch options ("timeout" seconds, "seed", anything else
// is passed to the substrate), or "".
func Dispatch(rt, prog int64, spec, substrate, policy, options string) (int64, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return 0, fail(err)
	}
	p, ok := programs.get(prog)
	if !ok {
		return 0, fail(&sokr.ProgramError{Msg: fmt.Sprintf("no program with handle %d (freed?)", prog)})
	}
	inputs, err := parseInputs(spec)
	if err != nil {
		return 0, fail(err)
	}
	opts, err := dispatchOptions(substrate, policy, options)
	if err != nil {
		return 0, fail(err)
	}
	return start(r, p, inputs, opts), nil
}

// DispatchMany starts one dispatch per spec in specs (separated by "\n") and
// returns the first ticket: the others follow consecutively. When any spec
// is malformed it fails and starts nothing.
func DispatchMany(rt, prog int64, specs, substrate, policy, options string) (int64, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return 0, fail(err)
	}
	p, ok := programs.get(prog)
	if !ok {
		return 0, fail(&sokr.ProgramError{Msg: fmt.Sprintf("no program with handle %d (freed?)", prog)})
	}
	lines := strings.Split(specs, "\n")
	all := make([][]sokr.Tensor, len(lines))
	for i, l := range lines {
		if all[i], err = parseInputs(l); err != nil {
			return 0, fail(fmt.Errorf("dispatch %d: %w", i, err))
		}
	}
	opts, err := dispatchOptions(substrate, policy, options)
	if err != nil {
		return 0, fail(err)
	}
	// Reserve consecutive tickets, then start.
	tickets.mu.Lock()
	if tickets.m == nil {
		tickets.m = map[int64]*dispatch{}
	}
	first := tickets.next + 1
	ds := make([]dispatch, len(all))
	for i := range ds {
		tickets.m[first+int64(i)] = &ds[i]
	}
	tickets.next += int64(len(all))
	tickets.mu.Unlock()
	for i, in := range all {
		ds[i].fut = r.Dispatch(context.Background(), p, in, opts...)
		watch(first+int64(i), ds[i].fut)
	}
	return first, nil
}

func start(r *sokr.Runtime, p sokr.Program, inputs []sokr.Tensor, opts []sokr.DispatchOption) int64 {
	d := &dispatch{}
	ticket := tickets.put(d)
	d.fut = r.Dispatch(context.Background(), p, inputs, opts...)
	watch(ticket, d.fut)
	return ticket
}

// watch queues ticket for the pump when its future completes. A future that
// completed during Dispatch (small programs run inline) is not queued: the
// caller sees it done (Wait with timeout 0) and reads it at once, so the pump
// thread is not woken for nothing.
func watch(ticket int64, f *sokr.Future) {
	if _, _, done := f.Poll(); done {
		return
	}
	f.OnComplete(func(sokr.Result, error) { notify(ticket) })
}

func dispatchOptions(substrate, policy, options string) ([]sokr.DispatchOption, error) {
	var opts []sokr.DispatchOption
	if substrate != "" {
		opts = append(opts, sokr.On(substrate))
	}
	if policy != "" {
		p, err := policyNamed(policy)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sokr.Using(p))
	}
	if options == "" {
		return opts, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(options), &m); err != nil {
		return nil, &sokr.InputError{Index: -1, Msg: "options are not a JSON object: " + err.Error()}
	}
	for k, v := range m {
		switch k {
		case "timeout":
			f, ok := v.(float64)
			if !ok || f <= 0 {
				return nil, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("timeout must be a positive number of seconds, not %v", v)}
			}
			opts = append(opts, sokr.Timeout(seconds(f)))
		case "seed":
			f, ok := v.(float64)
			if !ok || f < 0 || f != float64(uint64(f)) {
				return nil, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("seed must be a non-negative integer, not %v", v)}
			}
			opts = append(opts, sokr.Seed(uint64(f)))
		default:
			opts = append(opts, sokr.Param(k, v))
		}
	}
	return opts, nil
}

// parseInputs reads an input spec: inputs separated by ";", each
// "DTYPE:D0xD1x...:ADDR:NBYTES" (an empty shape is a scalar). ADDR is the
// address of the caller's buffer, which the caller keeps alive and unchanged
// until the dispatch completes.
func parseInputs(spec string) ([]sokr.Tensor, error) {
	if spec == "" {
		return nil, nil
	}
	parts := strings.Split(spec, ";")
	out := make([]sokr.Tensor, len(parts))
	for i, s := range parts {
		f := strings.Split(s, ":")
		if len(f) != 4 {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("malformed input spec %q", s)}
		}
		dt, ok := sokr.ParseDType(f[0])
		if !ok {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("unknown dtype %q", f[0])}
		}
		var shape sokr.Shape
		if f[1] != "" {
			for _, d := range strings.Split(f[1], "x") {
				n, err := strconv.Atoi(d)
				if err != nil || n < 0 {
					return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("bad dimension %q", d)}
				}
				shape = append(shape, n)
			}
		}
		addr, err1 := strconv.ParseUint(f[2], 10, 64)
		n, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || n < 0 || (addr == 0 && n > 0) {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("bad buffer %s:%s", f[2], f[3])}
		}
		out[i] = sokr.Tensor{DType: dt, Shape: shape, Data: bytesAt(uintptr(addr), n)}
		if err := out[i].Check(); err != nil {
			return nil, &sokr.InputError{Index: i, Msg: err.Error()}
		}
	}
	return out, nil
}

// bytesAt views n bytes of foreign (C or numpy) memory at addr. The memory
// is not Go's, so the garbage collector neither moves nor frees it; the
// caller keeps it alive. (Reading the address through a pointer, rather
// than converting the uintptr, tells vet this is deliberate.)
func bytesAt(addr uintptr, n int64) []byte {
	if n == 0 {
		return nil
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n)
}

// Wait blocks up to timeout seconds (forever when negative) for a dispatch,
// and reports whether it completed. gopy releases the GIL around the call.
func Wait(ticket int64, timeout float64) bool {
	d, ok := tickets.get(ticket)
	if !ok {
		return true
	}
	select {
	case <-d.fut.Done():
		return true
	default:
	}
	if timeout < 0 {
		<-d.fut.Done()
		return true
	}
	if timeout == 0 {
		return false
	}
	t := time.NewTimer(seconds(timeout))
	defer t.Stop()
	select {
	case <-d.fut.Done():
		return true
	case <-t.C:
		return false
	}
}

// Cancel cancels a dispatch; it reports whether this call cancelled it
// (false when it had already completed).
func Cancel(ticket int64) bool {
	d, ok := tickets.get(ticket)
	return ok && d.fut.Cancel() == nil
}

type outputInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int    `json:"nbytes"`
	Value any    `json:"value,omitempty"`
}

type outcome struct {
	Done      bool              `json:"done"`
	Substrate string            `json:"substrate"`
	Timings   [3]float64        `json:"timings"` // queued, started, finished: seconds since the Unix epoch
	Outputs   []outputInfo      `json:"outputs"`
	Meta      map[string]string `json:"meta,omitempty"`
	Error     json.RawMessage   `json:"error,omitempty"`
	// Released and Settled are set by TakeOutcome: the ticket is gone, and
	// whether the substrate had let go of the inputs (see Release).
	Released bool `json:"released,omitempty"`
	Settled  bool `json:"settled,omitempty"`
}

// Outcome describes a dispatch as JSON: whether it is done, the substrate,
// timings, and either its outputs (names, dtypes, shapes, sizes, and domain
// values) or its error.
func Outcome(ticket int64) string {
	d, ok := tickets.get(ticket)
	if !ok {
		return `{"done":true,"error":` + errorJSON(fmt.Errorf("sokr: no dispatch with ticket %d (released?)", ticket)) + `}`
	}
	o, _ := outcomeOf(d)
	return encodeOutcome(o)
}

// TakeOutcome is the fast path for a completed dispatch whose outputs need
// no copying (domain values such as counts, or an error): it returns
// Outcome's JSON with "released" set, having released the ticket in the
// same call, and "settled" saying whether the inputs may be freed (as
// Release's result). A completed dispatch with tensor bytes to copy is
// described without being released; one still running gives "".
func TakeOutcome(ticket int64) string {
	d, ok := tickets.get(ticket)
	if !ok {
		return ""
	}
	o, bytes := outcomeOf(d)
	if !o.Done {
		return ""
	}
	if bytes == 0 {
		o.Released = true
		o.Settled = Release(ticket)
	}
	return encodeOutcome(o)
}

// outcomeOf describes a dispatch and counts the bytes of its tensor outputs.
func outcomeOf(d *dispatch) (outcome, int) {
	var bytes int
	res, err, done := d.fut.Poll()
	o := outcome{Done: done, Substrate: d.fut.Substrate(), Outputs: []outputInfo{}}
	t := d.fut.Timings()
	o.Timings = [3]float64{unixSeconds(t.Queued), unixSeconds(t.Started), unixSeconds(t.Finished)}
	if done {
		if err != nil {
			o.Error = json.RawMessage(errorJSON(err))
		} else {
			o.Meta = res.Meta
			for _, out := range res.Outputs {
				o.Outputs = append(o.Outputs, outputInfo{Name: out.Name, DType: out.Tensor.DType.String(), Shape: out.Tensor.Shape, Bytes: len(out.Tensor.Data), Value: pythonValue(out.Value)})
				bytes += len(out.Tensor.Data)
			}
		}
	}
	return o, bytes
}

func encodeOutcome(o outcome) string {
	b, mErr := json.Marshal(o)
	if mErr != nil {
		o.Outputs, o.Error = nil, json.RawMessage(errorJSON(&sokr.FaultError{Substrate: o.Substrate, Msg: "result cannot be encoded: " + mErr.Error()}))
		b, _ = json.Marshal(o)
	}
	return string(b)
}

// CopyOutput copies output index of a completed dispatch into the n bytes at
// addr (a numpy array the caller allocated from Outcome's dtype and shape).

func CopyOutput(ticket, index int64, addr uintptr, n int64) error {
	d, ok := tickets.get(ticket)
	if !ok {
		return fail(fmt.Errorf("sokr: no dispatch with ticket %d (released?)", ticket))
	}
	res, err, done := d.fut.Poll()
	switch {
	case !done:
		return fail(fmt.Errorf("sokr: dispatch %d has not completed", ticket))
	case err != nil:
		return fail(err)
	case index < 0 || index >= int64(len(res.Outputs)):
		return fail(fmt.Errorf("sokr: dispatch %d has %d outputs, not %d", ticket, len(res.Outputs), index+1))
	}
	data := res.Outputs[index].Tensor.Data
	if int64(len(data)) != n {
		return fail(fmt.Errorf("sokr: output %d has %d bytes, the buffer %d", index, len(data), n))
	}
	copy(bytesAt(addr, n), data)
	return nil
}

// Release forgets a dispatch's ticket after its outcome was read. It
// reports whether the substrate has handed the job back (see
// sokr.Future.Settled), so that the inputs may be freed. When it has not
// (a cancelled or timed-out run still working), the ticket's negation is
// queued for Completed once it does, and the caller keeps the inputs alive
// until then.
func Release(ticket int64) bool {
	d, ok := tickets.get(ticket)
	tickets.drop(ticket)
	if !ok || d.fut.IsSettled() {
		return true
	}
	d.fut.OnSettled(func() { notify(-ticket) })
	return false
}

// Pending returns the number of dispatch tickets not yet released.
func Pending() int64 {
	tickets.mu.RLock()
	defer tickets.mu.RUnlock()
	return int64(len(tickets.m))
}

func seconds(s float64) time.Duration {
	if s > 1e9 {
		s = 1e9
	}
	return time.Duration(s * float64(time.Second))
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// pyError carries an error to Python as JSON in its message.
type pyError struct{ json string }

func (e *pyError) Error() string { return e.json }

// fail converts err for Python (see errorJSON).
func fail(err error) error { return &pyError{json: errorJSON(err)} }

// Outcomes returns the outcomes (see Outcome) of the comma-separated tickets
// as one JSON list, for the pump to read a batch in one call. A field that
// is not a ticket number is skipped.
func Outcomes(ticketList string) string {
	var b strings.Builder
	b.WriteByte('[')
	n := 0
	for _, f := range strings.Split(ticketList, ",") {
		t, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(Outcome(t))
	}
	b.WriteByte(']')
	return b.String()
}

// Finish is the fast path for reading a completed dispatch whose outputs the
// caller could preallocate from the program's signature: outs describes
// those buffers in the input-spec format (see parseInputs). When the
// dispatch succeeded with exactly those outputs (count, dtype, shape, no
// domain values), Finish copies them, releases the ticket and returns
// "ok\tSUBSTRATE\tQUEUED\tSTARTED\tFINISHED" (times in Unix seconds).
// Otherwise (also when the result has Meta, which only the slow path
// carries) it returns "" and changes nothing: the caller falls back to
// Outcome and CopyOutput.
//
// With outs empty, small results (up to inlineLimit bytes in all) come back
// inline instead, each output's bytes in hexadecimal after the times (one
// tab-separated field per output, in order): for tiny results that is
// cheaper than allocating buffers first and passing their addresses.
func Finish(ticket int64, outs string) string {
	d, ok := tickets.get(ticket)
	if !ok {
		return ""
	}
	res, err, done := d.fut.Poll()
	if !done || err != nil || !d.fut.IsSettled() || len(res.Meta) > 0 {
		return "" // the slow path carries Meta
	}
	if outs == "" {
		return finishInline(ticket, d, res)
	}
	bufs, perr := parseInputs(outs)
	if perr != nil || len(bufs) != len(res.Outputs) {
		return ""
	}
	for i, o := range res.Outputs {
		b := bufs[i]
		if o.Value != nil || o.Tensor.DType != b.DType || !o.Tensor.Shape.Equal(b.Shape) || len(o.Tensor.Data) != len(b.Data) {
			return ""
		}
	}
	for i, o := range res.Outputs {
		copy(bufs[i].Data, o.Tensor.Data)
	}
	tickets.drop(ticket)
	return string(appendDone(make([]byte, 0, 96), d.fut))
}

// appendDone appends Finish's success status: "ok", the substrate and the
// queued, started and finished times (Unix seconds), tab-separated.
func appendDone(b []byte, f *sokr.Future) []byte {
	t := f.Timings()
	b = append(b, "ok\t"...)
	b = append(b, f.Substrate()...)
	for _, x := range []time.Time{t.Queued, t.Started, t.Finished} {
		b = append(b, '\t')
		b = strconv.AppendFloat(b, unixSeconds(x), 'f', 9, 64)
	}
	return b
}

// FinishMany is Finish for the count consecutive tickets from first (a
// DispatchMany batch). outs describes, in the input-spec format, one buffer
// per program output holding all count results stacked (dtype, [count,
// shape...]); times is the address of count*3 float64s that receive each
// run's queued, started and finished times (Unix seconds). For every run
// that completed successfully with exactly the declared outputs, FinishMany
// copies its outputs into row i, fills its times, releases its ticket and
// marks it with a digit k >= 1 naming its substrate (the k-th of the
// comma-separated names after the tab); every other run is marked '0' and
// left untouched for the slow path (Outcome, CopyOutput, Release).
func FinishMany(first, count int64, outs string, times uintptr) string {
	if count <= 0 {
		return "\t"
	}
	bufs, err := parseInputs(outs)
	if err != nil {
		return strings.Repeat("0", int(count)) + "\t"
	}
	for _, b := range bufs {
		if len(b.Shape) == 0 || int64(b.Shape[0]) != count {
			return strings.Repeat("0", int(count)) + "\t"
		}
	}
	tv := unsafe.Slice((*float64)(*(*unsafe.Pointer)(unsafe.Pointer(&times))), count*3)
	status := make([]byte, count)
	var names []string
	for i := int64(0); i < count; i++ {
		status[i] = '0'
		d, ok := tickets.get(first + i)
		if !ok {
			continue
		}
		res, err, done := d.fut.Poll()
		if !done || err != nil || !d.fut.IsSettled() || len(res.Outputs) != len(bufs) || len(res.Meta) > 0 {
			continue
		}
		fits := true
		for k, o := range res.Outputs {
			b := bufs[k]
			row := len(b.Data) / int(count)
			if o.Value != nil || o.Tensor.DType != b.DType || !o.Tensor.Shape.Equal(b.Shape[1:]) || len(o.Tensor.Data) != row {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		sub := d.fut.Substrate()
		k := slices.Index(names, sub)
		if k < 0 {
			if len(names) == 9 {
				continue // the slow path names it
			}
			names = append(names, sub)
			k = len(names) - 1
		}
		for j, o := range res.Outputs {
			row := len(bufs[j].Data) / int(count)
			copy(bufs[j].Data[int(i)*row:], o.Tensor.Data)
		}
		t := d.fut.Timings()
		tv[3*i], tv[3*i+1], tv[3*i+2] = unixSeconds(t.Queued), unixSeconds(t.Started), unixSeconds(t.Finished)
		tickets.drop(first + i)
		status[i] = byte('1' + k)
	}
	return string(status) + "\t" + strings.Join(names, ",")
}

// inlineLimit bounds the results Finish returns inline.
const inlineLimit = 4096

func finishInline(ticket int64, d *dispatch, res sokr.Result) string {
	total := 0
	for _, o := range res.Outputs {
		if o.Value != nil {
			return ""
		}
		total += len(o.Tensor.Data)
	}
	if total > inlineLimit {
		return ""
	}
	tickets.drop(ticket)
	b := appendDone(make([]byte, 0, 96+2*total+len(res.Outputs)), d.fut)
	for _, o := range res.Outputs {
		b = append(b, '\t')
		b = hex.AppendEncode(b, o.Tensor.Data)
	}
	return string(b)
}
