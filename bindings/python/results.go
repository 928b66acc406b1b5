package facade

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

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

// pythonValue is the form of a domain value in an outcome's JSON: its
// columnar table when it has one (sokr.Tabular: photonic counts and
// probabilities, which python/sokr/photonic/_results.py reads with
// from_table), the value itself otherwise.
func pythonValue(v any) any {
	if t, ok := v.(sokr.Tabular); ok {
		if tab := t.Table(); tab != nil {
			return tab
		}
	}
	return v
}
