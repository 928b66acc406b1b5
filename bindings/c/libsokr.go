// Command libsokr is SOKR's C library, the host side of the C ABI in sokr.h.
// It is built as a shared object, not run (make libsokr does this):
//
//	go build -buildmode=c-shared -o build/libsokr.so \
//	    -ldflags=-extldflags=-Wl,--version-script=bindings/c/libsokr.map ./bindings/c
//
// The version script, libsokr.map, makes the library export only the
// sokr_* functions of sokr.h (cgo refuses --version-script in #cgo
// LDFLAGS, so the build passes it to the external linker). libsokr.c implements them by checking their
// arguments and calling the sokrgo_* functions below with plain handles:
// runtimes, programs and futures live in Go tables (cgo.Handle), and C
// holds small structs that name them, never a Go pointer.
//
// A process holds one Go runtime: libsokr.so must not be loaded into a
// process that already runs Go (a Go program, or Python with SOKR's own
// extension). Plugins, in C, load into either.
package main

/*
#cgo CFLAGS: -O2 -fno-fast-math
#include <stdlib.h>
#include <string.h>
#include "internal.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

func main() {}

// runtime is a sokr_runtime.
type runtime struct {
	rt    *sokr.Runtime
	mu    sync.Mutex
	names []*C.char // plugin names handed out by sokr_runtime_load_plugin
}

// future is a sokr_future: the Go future and its C-side copies of the
// outputs and messages, made on first request and freed on release.
type future struct {
	f    *sokr.Future
	cf   *C.struct_sokr_future
	done chan struct{} // closed when settled and the callback has returned

	mu        sync.Mutex
	outs      unsafe.Pointer // C block: every output's name, shape and data
	outList   []C.sokr_output
	errMsg    *C.char
	substrate *C.char
}

// value returns the object behind handle h, or nil when h is not one.
func value[T any](h C.uint64_t) T {
	var zero T
	if h == 0 {
		return zero
	}
	defer func() { _ = recover() }() // cgo.Handle panics on a bad handle
	v, _ := cgo.Handle(h).Value().(T)
	return v
}

// fail records err as the calling thread's last error and returns its
// status.
func fail(err error) C.sokr_status {
	msg := err.Error()
	C.lib_set_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.uint64_t(len(msg)))
	return C.sokr_status(cplugin.StatusOf(err))
}

var errHandle = errors.New("sokr: invalid or released handle")

func invalidHandle(what string) C.sokr_status {
	return fail(&sokr.InputError{Index: -1, Msg: what + ": " + errHandle.Error()})
}

// goString views s (borrowed C memory) as a Go string, copied.
func goString(p *C.char, n C.uint64_t) string {
	if p == nil || n == 0 {
		return ""
	}
	return C.GoStringN(p, C.int(n))
}

//export sokrgo_runtime_create
func sokrgo_runtime_create(out *C.uint64_t) C.sokr_status {
	rt, err := defaults.New()
	if err != nil {
		return fail(err)
	}
	*out = C.uint64_t(cgo.NewHandle(&runtime{rt: rt}))
	return C.SOKR_OK
}

//export sokrgo_runtime_destroy
func sokrgo_runtime_destroy(h C.uint64_t, timeoutNS C.int64_t) C.sokr_status {
	r := value[*runtime](h)
	if r == nil {
		return invalidHandle("sokr_runtime_destroy")
	}
	ctx := context.Background()
	if timeoutNS >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeoutNS))
		defer cancel()
	}
	err := r.rt.Close(ctx)
	cgo.Handle(h).Delete()
	for _, n := range r.names {
		C.free(unsafe.Pointer(n))
	}
	if err != nil {
		return fail(err)
	}
	return C.SOKR_OK
}

//export sokrgo_runtime_load_plugin
func sokrgo_runtime_load_plugin(h C.uint64_t, path *C.char, n C.uint64_t, name *C.sokr_string) C.sokr_status {
	r := value[*runtime](h)
	if r == nil {
		return invalidHandle("sokr_runtime_load_plugin")
	}
	s, err := cplugin.Register(r.rt.Registry, goString(path, n))
	if err != nil {
		return fail(err)
	}
	if name != nil {
		cs := C.CString(s.Name())
		r.mu.Lock()
		r.names = append(r.names, cs)
		r.mu.Unlock()
		*name = C.sokr_string{ptr: cs, len: C.uint64_t(len(s.Name()))}
	}
	return C.SOKR_OK
}

//export sokrgo_runtime_info
func sokrgo_runtime_info(h C.uint64_t) C.sokr_string {
	r := value[*runtime](h)
	if r == nil {
		return C.lib_set_info(nil, 0)
	}
	type substrate struct {
		Name       string          `json:"name"`
		Kind       string          `json:"kind"`
		Properties sokr.Properties `json:"properties"`
	}
	info := struct {
		Substrates []substrate       `json:"substrates"`
		IRs        []string          `json:"irs"`
		Failures   map[string]string `json:"failures"`
	}{Substrates: []substrate{}, IRs: []string{}, Failures: map[string]string{}}
	for _, s := range r.rt.Substrates() {
		info.Substrates = append(info.Substrates, substrate{s.Name(), string(s.Kind()), s.Describe()})
	}
	for _, ir := range r.rt.IRs() {
		info.IRs = append(info.IRs, ir.Format())
	}
	for name, err := range r.rt.Failures() {
		info.Failures[name] = err.Error()
	}
	b, _ := json.Marshal(info)
	return C.lib_set_info((*C.char)(unsafe.Pointer(unsafe.SliceData(b))), C.uint64_t(len(b)))
}

//export sokrgo_program_create
func sokrgo_program_create(h C.uint64_t, format *C.char, formatLen C.uint64_t, src unsafe.Pointer, n C.uint64_t, out *C.uint64_t) C.sokr_status {
	r := value[*runtime](h)
	if r == nil {
		return invalidHandle("sokr_program_create")
	}
	// The parsers keep no reference to src, but the bytes are the
	// caller's: copy them rather than trust that.
	var b []byte
	if n > 0 {
		b = C.GoBytes(src, C.int(n))
	}
	p, err := r.rt.Parse(context.Background(), goString(format, formatLen), b)
	if err != nil {
		return fail(err)
	}
	*out = C.uint64_t(cgo.NewHandle(p))
	return C.SOKR_OK
}

//export sokrgo_program_destroy
func sokrgo_program_destroy(h C.uint64_t) {
	if value[sokr.Program](h) != nil {
		cgo.Handle(h).Delete()
	}
}

//export sokrgo_capability
func sokrgo_capability(h, ph C.uint64_t, out **C.struct_sokr_offer_list) C.sokr_status {
	r, p := value[*runtime](h), value[sokr.Program](ph)
	if r == nil || p == nil {
		return invalidHandle("sokr_capability")
	}
	offers := r.rt.Capability(context.Background(), p)
	offerSize := unsafe.Sizeof(C.sokr_offer_v1{})
	head := unsafe.Sizeof(C.struct_sokr_offer_list{}) + uintptr(len(offers))*offerSize
	size := head
	for _, o := range offers {
		size += uintptr(len(o.Substrate) + len(o.Kind) + len(o.Reason))
	}
	block := C.malloc(C.size_t(size))
	list := (*C.struct_sokr_offer_list)(block)
	list.n = C.uint64_t(len(offers))
	text := unsafe.Slice((*byte)(unsafe.Add(block, head)), size-head)
	str := func(s string) C.sokr_string {
		n := copy(text, s)
		cs := C.sokr_string{ptr: (*C.char)(unsafe.Pointer(unsafe.SliceData(text))), len: C.uint64_t(n)}
		text = text[n:]
		return cs
	}
	arr := unsafe.Slice((*C.sokr_offer_v1)(unsafe.Add(block, unsafe.Sizeof(C.struct_sokr_offer_list{}))), len(offers))
	for i, o := range offers {
		arr[i] = C.sokr_offer_v1{
			struct_size:           C.uint64_t(offerSize),
			substrate:             str(o.Substrate),
			kind:                  str(string(o.Kind)),
			reason:                str(o.Reason),
			estimate_ns:           C.int64_t(o.Estimate.Time),
			estimate_memory_bytes: C.int64_t(o.Estimate.MemoryBytes),
		}
		if o.OK {
			arr[i].ok = 1
		}
	}
	*out = list
	return C.SOKR_OK
}

//export sokrgo_dispatch
func sokrgo_dispatch(h, ph C.uint64_t, inputs *C.sokr_tensor, n C.uint64_t, opts *C.sokr_dispatch_options_v1,
	cb C.sokr_callback_fn, user C.uint64_t, cf *C.struct_sokr_future) C.sokr_status {
	r, p := value[*runtime](h), value[sokr.Program](ph)
	if r == nil || p == nil {
		return invalidHandle("sokr_dispatch")
	}
	in := make([]sokr.Tensor, int(n))
	for i, t := range unsafe.Slice(inputs, int(n)) {
		in[i] = sokr.Tensor{DType: sokr.DType(t.dtype), Shape: make(sokr.Shape, max(int(t.rank), 0))}
		if t.rank > 0 && t.shape == nil {
			return fail(&sokr.InputError{Index: i, Msg: "rank > 0 with a NULL shape"})
		}
		for k, d := range unsafe.Slice(t.shape, max(int(t.rank), 0)) {
			in[i].Shape[k] = int(d)
		}
		if t.data_len > 0 {
			if t.data == nil {
				return fail(&sokr.InputError{Index: i, Msg: "data_len > 0 with NULL data"})
			}
			// The caller's memory, not copied: it stays valid until the
			// future is done (sokr.h).
			in[i].Data = unsafe.Slice((*byte)(t.data), int(t.data_len))
		}
	}
	var dopts []sokr.DispatchOption
	if opts != nil {
		size := uint64(opts.struct_size)
		if size >= uint64(unsafe.Offsetof(opts.substrate)+unsafe.Sizeof(opts.substrate)) && opts.substrate.len > 0 {
			dopts = append(dopts, sokr.On(goString(opts.substrate.ptr, opts.substrate.len)))
		}
		if size >= uint64(unsafe.Offsetof(opts.timeout_ns)+8) && opts.timeout_ns > 0 {
			dopts = append(dopts, sokr.Timeout(time.Duration(opts.timeout_ns)))
		}
		if size >= uint64(unsafe.Offsetof(opts.has_seed)+4) && opts.has_seed != 0 {
			dopts = append(dopts, sokr.Seed(uint64(opts.seed)))
		}
	}
	fu := &future{cf: cf, done: make(chan struct{})}
	cf.h = C.uint64_t(cgo.NewHandle(fu))
	fu.f = r.rt.Dispatch(context.Background(), p, in, dopts...)
	fu.f.OnSettled(func() {
		if cb != nil {
			C.lib_call_callback(cb, user, cf, C.sokr_status(cplugin.StatusOf(fu.f.Err())))
		}
		close(fu.done)
	})
	return C.SOKR_OK
}

// status is poll's answer: pending until the future is done (completed,
// settled, and its callback returned), then its outcome.
func (fu *future) status() C.sokr_status {
	select {
	case <-fu.done:
		return C.sokr_status(cplugin.StatusOf(fu.f.Err()))
	default:
		return C.SOKR_PENDING
	}
}

//export sokrgo_future_poll
func sokrgo_future_poll(h C.uint64_t) C.sokr_status {
	fu := value[*future](h)
	if fu == nil {
		return invalidHandle("sokr_future_poll")
	}
	return fu.status()
}

//export sokrgo_future_wait
func sokrgo_future_wait(h C.uint64_t, timeoutNS C.int64_t) C.sokr_status {
	fu := value[*future](h)
	if fu == nil {
		return invalidHandle("sokr_future_wait")
	}
	if timeoutNS < 0 {
		<-fu.done
	} else {
		t := time.NewTimer(time.Duration(timeoutNS))
		defer t.Stop()
		select {
		case <-fu.done:
		case <-t.C:
		}
	}
	return fu.status()
}

//export sokrgo_future_cancel
func sokrgo_future_cancel(h C.uint64_t) C.sokr_status {
	fu := value[*future](h)
	if fu == nil {
		return invalidHandle("sokr_future_cancel")
	}
	if err := fu.f.Cancel(); err != nil {
		return C.SOKR_ERR_ALREADY_DONE
	}
	return C.SOKR_OK
}

// cString returns s as a sokr_string in C memory kept in *slot (made once).
func (fu *future) cString(slot **C.char, s string) C.sokr_string {
	fu.mu.Lock()
	defer fu.mu.Unlock()
	if *slot == nil {
		*slot = C.CString(s)
	}
	return C.sokr_string{ptr: *slot, len: C.uint64_t(len(s))}
}

//export sokrgo_future_error
func sokrgo_future_error(h C.uint64_t) C.sokr_string {
	fu := value[*future](h)
	if fu == nil || fu.f.Err() == nil {
		return C.sokr_string{ptr: nil, len: 0}
	}
	return fu.cString(&fu.errMsg, fu.f.Err().Error())
}

//export sokrgo_future_substrate
func sokrgo_future_substrate(h C.uint64_t) C.sokr_string {
	fu := value[*future](h)
	if fu == nil || fu.f.Substrate() == "" {
		return C.sokr_string{ptr: nil, len: 0}
	}
	return fu.cString(&fu.substrate, fu.f.Substrate())
}

//export sokrgo_future_output_count
func sokrgo_future_output_count(h C.uint64_t) C.uint64_t {
	fu := value[*future](h)
	if fu == nil {
		return 0
	}
	res, err, ok := fu.f.Poll()
	if !ok || err != nil {
		return 0
	}
	return C.uint64_t(len(res.Outputs))
}

//export sokrgo_future_output
func sokrgo_future_output(h C.uint64_t, i C.uint64_t, out *C.sokr_output) C.sokr_status {
	fu := value[*future](h)
	if fu == nil {
		return invalidHandle("sokr_future_output")
	}
	res, err, ok := fu.f.Poll()
	switch {
	case !ok:
		return fail(errors.New("sokr_future_output: the future is still pending"))
	case err != nil:
		return fail(err)
	case uint64(i) >= uint64(len(res.Outputs)):
		return fail(&sokr.InputError{Index: -1, Msg: fmt.Sprintf("sokr_future_output: no output %d (there are %d)", uint64(i), len(res.Outputs))})
	}
	fu.mu.Lock()
	defer fu.mu.Unlock()
	if fu.outs == nil {
		fu.copyOutputs(res.Outputs)
	}
	*out = fu.outList[i]
	return C.SOKR_OK
}

// copyOutputs copies every output into one C block; fu.mu is held.
func (fu *future) copyOutputs(outs []sokr.Output) {
	round := func(n int) uintptr { return uintptr(n+7) &^ 7 } // every piece starts 8-aligned
	size := uintptr(0)
	for _, o := range outs {
		size += round(8*len(o.Tensor.Shape)) + round(len(o.Tensor.Data)) + round(len(o.Name))
	}
	fu.outs = C.malloc(C.size_t(max(size, 1)))
	at := fu.outs
	put := func(b []byte) unsafe.Pointer {
		p := at
		copy(unsafe.Slice((*byte)(p), len(b)), b)
		at = unsafe.Add(at, round(len(b)))
		return p
	}
	fu.outList = make([]C.sokr_output, len(outs))
	for i, o := range outs {
		t := o.Tensor
		shape := make([]byte, 8*len(t.Shape))
		for k, d := range t.Shape {
			*(*int64)(unsafe.Pointer(&shape[8*k])) = int64(d)
		}
		ct := C.sokr_tensor{dtype: C.int32_t(t.DType), rank: C.int32_t(len(t.Shape)), data_len: C.uint64_t(len(t.Data))}
		if len(shape) > 0 {
			ct.shape = (*C.int64_t)(put(shape))
		}
		if len(t.Data) > 0 {
			ct.data = put(t.Data)
		}
		name := C.sokr_string{len: C.uint64_t(len(o.Name))}
		if len(o.Name) > 0 {
			name.ptr = (*C.char)(put([]byte(o.Name)))
		}
		fu.outList[i] = C.sokr_output{name: name, tensor: ct}
	}
}

//export sokrgo_future_release
func sokrgo_future_release(h C.uint64_t, cf *C.struct_sokr_future) {
	fu := value[*future](h)
	if fu == nil {
		C.free(unsafe.Pointer(cf))
		return
	}
	_ = fu.f.Cancel() // ErrAlreadyDone when done: nothing to stop
	// Freed once done, after the callback (registered first) ran.
	fu.f.OnSettled(func() {
		cgo.Handle(h).Delete()
		fu.mu.Lock()
		C.free(fu.outs)
		C.free(unsafe.Pointer(fu.errMsg))
		C.free(unsafe.Pointer(fu.substrate))
		fu.mu.Unlock()
		C.free(unsafe.Pointer(cf))
	})
}
