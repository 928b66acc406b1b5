package facade

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// completions is the queue drained by Completed: tickets whose dispatch
// completed, and tickets of released runs whose substrate has since let go
// of the inputs (see Read).
var completions struct {
	mu      sync.Mutex
	done    []int64
	settled []int64
	wake    chan struct{} // holds a token while done or settled is non-empty
}

func init() { completions.wake = make(chan struct{}, 1) }

func notify(ticket int64) {
	completions.mu.Lock()
	completions.done = append(completions.done, ticket)
	completions.mu.Unlock()
	wake()
}

func notifySettled(ticket int64) {
	completions.mu.Lock()
	completions.settled = append(completions.settled, ticket)
	completions.mu.Unlock()
	wake()
}

func wake() {
	select {
	case completions.wake <- struct{}{}:
	default:
	}
}

// drained is Completed's answer.
type drained struct {
	Done    []int64 `json:"done,omitempty"`
	Settled []int64 `json:"settled,omitempty"`
}

// Completed waits up to timeout seconds for dispatches to complete and
// returns, as JSON, the tickets that did ("done") and the released tickets
// whose substrate has now let go of the inputs ("settled"); "" when none.
// One thread drains the queue; every ticket appears exactly once in each.
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
	d := drained{Done: completions.done, Settled: completions.settled}
	completions.done, completions.settled = nil, nil
	completions.mu.Unlock()
	if d.Done == nil && d.Settled == nil {
		return ""
	}
	b, _ := json.Marshal(d) // lists of integers always marshal
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
	r, p, inputs, opts, err := request(rt, prog, spec, parseInputs, substrate, policy, options)
	if err != nil {
		return 0, fail(err)
	}
	return start(r, p, inputs, opts), nil
}

// request reads what Dispatch and DispatchMany are asked to do: the
// runtime, the program, the inputs (parse reads spec) and the options.
func request[T any](rt, prog int64, spec string, parse func(string) (T, error), substrate, policy, options string) (
	r *sokr.Runtime, p sokr.Program, inputs T, opts []sokr.DispatchOption, err error) {
	if r, err = runtimeFor(rt); err != nil {
		return
	}
	if p, err = programFor(prog); err != nil {
		return
	}
	if inputs, err = parse(spec); err != nil {
		return
	}
	opts, err = dispatchOptions(substrate, policy, options)
	return
}

// DispatchMany starts one dispatch per input spec in specs (a JSON array
// of them, see parseInputs) and returns the first ticket: the others follow
// consecutively. When any spec is malformed it fails and starts nothing.
func DispatchMany(rt, prog int64, specs, substrate, policy, options string) (int64, error) {
	r, p, all, opts, err := request(rt, prog, specs, parseBatch, substrate, policy, options)
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
		ds[i].prog = p
		tickets.m[first+int64(i)] = &ds[i]
	}
	tickets.next += int64(len(all))
	tickets.mu.Unlock()
	// One batch, one question to each Python substrate (see batchOffers).
	ctx := context.WithValue(context.Background(), batchKey{}, &batchOffers{})
	for i, in := range all {
		ds[i].fut = r.Dispatch(ctx, p, in, opts...)
		watch(first+int64(i), ds[i].fut)
	}
	return first, nil
}

func start(r *sokr.Runtime, p sokr.Program, inputs []sokr.Tensor, opts []sokr.DispatchOption) int64 {
	d := &dispatch{prog: p}
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
