package facade

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

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
