package facade

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Read is the one way results leave the facade: it reads the dispatches
// whose tickets are listed (a JSON array of ticket numbers), in one call for
// a whole batch.
//
// Bulk data travels raw: buf is the address of len(tickets) records of
// stride bytes each, which the caller allocated (stride 0 and buf 0 for
// none). Record i begins with four float64s, [state, queued, started,
// finished] (times in Unix seconds), followed by the run's tensor outputs,
// each at the next multiple of 16 bytes from the record's start
// (RecordHeader bytes for the first). state says what happened to ticket i:
//
//   - 0: still running; nothing written, the ticket kept.
//   - k > 0: succeeded with exactly the outputs the program declares
//     (sokr.Signaturer) and nothing else (no domain values, no meta), its
//     substrate let go of the inputs, and its outputs are in the record.
//     Its substrate is the k-th name of the facade's substrate names (see
//     below). The ticket is released.
//   - -1: completed otherwise (an error, domain values, meta, outputs the
//     program does not declare, or a run not yet settled): the returned
//     JSON describes it under "outcomes" (an outcome, keyed by the ticket
//     number). When all its tensor bytes fitted in the record they are
//     there, as for k > 0, and the ticket is released ("released" true);
//     otherwise nothing is copied, the ticket is kept, and the caller reads
//     it again with a record as large as the outcome says.
//
// Everything that is not a raw buffer is JSON: the result is "" when there
// is nothing to describe, else an object with "outcomes" and "names", the
// substrate names from index known on (the caller keeps the names it was
// given, a prefix of an append-only table, and says how many it has).
//
// A released run whose substrate still holds its inputs (a cancelled run
// finishing its current kernel) says "settled": false; Completed reports
// its ticket under "settled" once the substrate lets go.
func Read(ticketList string, buf uintptr, stride int64, known int64) string {
	ts, err := parseTickets(ticketList)
	if err != nil || stride < 0 || (stride > 0 && buf == 0) {
		return `{"error":` + errorJSON(&sokr.InputError{Index: -1, Msg: fmt.Sprintf("bad read request %q: %v", ticketList, err)}) + `}`
	}
	if stride > 0 && stride < RecordHeader {
		stride = 0
	}
	var all []byte
	if stride > 0 {
		all = bytesAt(buf, stride*int64(len(ts)))
		populate(all)
	}
	var described map[string]outcome
	for i, t := range ts {
		var rec []byte
		if stride > 0 {
			rec = all[int64(i)*stride : int64(i+1)*stride]
		}
		o, fast := readOne(t, rec)
		if o == nil {
			if rec != nil {
				putState(rec, 0) // the caller's buffer is not zeroed
			}
			continue
		}
		if !fast {
			if described == nil {
				described = map[string]outcome{}
			}
			described[strconv.FormatInt(t, 10)] = *o
		}
	}
	newNames := ranBy.since(known)
	if described == nil && newNames == nil {
		return ""
	}
	return encodeRead(readReply{Outcomes: described, Names: newNames})
}

// RecordHeader is the size of a record's header in Read's buffer: four
// float64s. Python reads it from here rather than keeping its own copy.
const RecordHeader = 32

// RecordAlign aligns each output in a record (16: complex128's alignment).
const RecordAlign = 16

// readOne reads ticket t into rec (nil for none). It returns nil when the
// run is still going (or the ticket unknown: an outcome saying so), and
// whether the run took the fast form (state k > 0).
func readOne(t int64, rec []byte) (*outcome, bool) {
	d, ok := tickets.get(t)
	if !ok {
		if rec != nil {
			putState(rec, -1)
		}
		return &outcome{Done: true, Error: json.RawMessage(errorJSON(fmt.Errorf("sokr: no dispatch with ticket %d (released?)", t)))}, false
	}
	res, err, done := d.fut.Poll()
	if !done {
		return nil, false
	}
	settled := d.fut.IsSettled()
	fits := len(rec) >= RecordHeader
	off := RecordHeader
	if err == nil && fits {
		for _, o := range res.Outputs {
			off = align(off)
			off += len(o.Tensor.Data)
		}
		fits = off <= len(rec)
	}
	if err == nil && fits && settled && len(res.Meta) == 0 && declared(d.prog, res.Outputs) {
		copyOutputs(rec, res.Outputs)
		header(rec, float64(ranBy.id(d.fut.Substrate())+1), d.fut)
		tickets.drop(t)
		return &outcome{}, true
	}
	o := outcomeOf(d, res, err)
	if err != nil || fits {
		if fits {
			copyOutputs(rec, res.Outputs)
		}
		if rec != nil {
			header(rec, -1, d.fut)
		}
		o.Released, o.Settled = true, settled
		tickets.drop(t)
		if !settled {
			d.fut.OnSettled(func() { notifySettled(t) })
		}
	} else if rec != nil {
		header(rec, -1, d.fut)
	}
	return &o, false
}

func align(n int) int { return (n + RecordAlign - 1) &^ (RecordAlign - 1) }

func copyOutputs(rec []byte, outs []sokr.Output) {
	off := RecordHeader
	for _, o := range outs {
		off = align(off)
		off += copy(rec[off:], o.Tensor.Data)
	}
}

// putState writes a record's state alone (its times are not read then).
func putState(rec []byte, state float64) { *(*float64)(unsafe.Pointer(&rec[0])) = state }

// header writes a record's header.
func header(rec []byte, state float64, f *sokr.Future) {
	t := f.Timings()
	h := unsafe.Slice((*float64)(unsafe.Pointer(&rec[0])), 4)
	h[0], h[1], h[2], h[3] = state, unixSeconds(t.Queued), unixSeconds(t.Started), unixSeconds(t.Finished)
}

// declared reports whether outs are exactly the tensors program p declares.
func declared(p sokr.Program, outs []sokr.Output) bool {
	s, ok := p.(sokr.Signaturer)
	if !ok {
		return false
	}
	want := s.Signature().Outputs
	if len(want) != len(outs) {
		return false
	}
	for i, o := range outs {
		if o.Value != nil || o.Tensor.DType != want[i].DType || !o.Tensor.Shape.Equal(want[i].Shape) {
			return false
		}
	}
	return true
}

// parseTickets reads a JSON array of integers.
func parseTickets(s string) ([]int64, error) {
	var ts []int64
	if err := json.Unmarshal([]byte(s), &ts); err != nil {
		return nil, err
	}
	return ts, nil
}

type readReply struct {
	Outcomes map[string]outcome `json:"outcomes,omitempty"`
	Names    []string           `json:"names,omitempty"`
}

func encodeRead(r readReply) string {
	b, mErr := json.Marshal(r)
	if mErr != nil {
		for k, o := range r.Outcomes {
			if _, err := json.Marshal(o); err != nil {
				o.Outputs, o.Error = nil, json.RawMessage(errorJSON(&sokr.FaultError{Substrate: o.Substrate, Msg: "result cannot be encoded: " + err.Error()}))
				r.Outcomes[k] = o
			}
		}
		b, _ = json.Marshal(r)
	}
	return string(b)
}

// substrateNames interns the names of the substrates that ran dispatches,
// so that a record names its substrate with a number.
var ranBy names

type names struct {
	mu   sync.RWMutex
	list []string
	ids  map[string]int
}

func (n *names) id(name string) int {
	n.mu.RLock()
	id, ok := n.ids[name]
	n.mu.RUnlock()
	if ok {
		return id
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids[name]; ok {
		return id
	}
	if n.ids == nil {
		n.ids = map[string]int{}
	}
	n.ids[name] = len(n.list)
	n.list = append(n.list, name)
	return len(n.list) - 1
}

// since returns the names from index known on, nil when there are none.
func (n *names) since(known int64) []string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if known < 0 || known >= int64(len(n.list)) {
		return nil
	}
	return append([]string(nil), n.list[known:]...)
}

type outputInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int    `json:"nbytes"`
	Value any    `json:"value,omitempty"`
}

// outcome describes one completed dispatch in Read's JSON.
type outcome struct {
	Done      bool              `json:"done"`
	Substrate string            `json:"substrate"`
	Timings   [3]float64        `json:"timings"` // queued, started, finished: seconds since the Unix epoch
	Outputs   []outputInfo      `json:"outputs"`
	Meta      map[string]string `json:"meta,omitempty"`
	Error     json.RawMessage   `json:"error,omitempty"`
	// Record is the record size its tensors need (header included); when
	// Released is false the caller reads the ticket again with it.
	Record int `json:"record"`
	// Released says the ticket is gone (its tensors are in the record);
	// Settled whether the substrate had let go of the inputs.
	Released bool `json:"released"`
	Settled  bool `json:"settled"`
}

func outcomeOf(d *dispatch, res sokr.Result, err error) outcome {
	o := outcome{Done: true, Substrate: d.fut.Substrate(), Outputs: []outputInfo{}, Record: RecordHeader}
	t := d.fut.Timings()
	o.Timings = [3]float64{unixSeconds(t.Queued), unixSeconds(t.Started), unixSeconds(t.Finished)}
	if err != nil {
		o.Error = json.RawMessage(errorJSON(err))
		return o
	}
	o.Meta = res.Meta
	for _, out := range res.Outputs {
		o.Outputs = append(o.Outputs, outputInfo{Name: out.Name, DType: out.Tensor.DType.String(), Shape: out.Tensor.Shape, Bytes: len(out.Tensor.Data), Value: pythonValue(out.Value)})
		o.Record = align(o.Record) + len(out.Tensor.Data)
	}
	return o
}

// Pending returns the number of dispatch tickets not yet released.
func Pending() int64 {
	tickets.mu.RLock()
	defer tickets.mu.RUnlock()
	return int64(len(tickets.m))
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
