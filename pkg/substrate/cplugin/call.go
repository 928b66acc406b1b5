//go:build cgo

package cplugin

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// copyLimit is the input size (bytes, all inputs together) up to which
// inputs are copied into the job's C block rather than pinned in place:
// for small inputs a copy is cheaper than pinning.
const copyLimit = 4 << 10

// call is one job in the plugin's hands. Its C side (the sokr_plugin_job_v1,
// the tensor descriptors, shapes, parameters and small inputs) is one
// malloc block, freed when the job is handed back.
type call struct {
	s      *Substrate
	job    *sokr.Job
	pr     *prepared
	c      *C.sokr_plugin_job_v1
	handle uint64 // the job's user_data: its entry in calls
	pin    runtime.Pinner

	mu         sync.Mutex
	done       bool // the plugin completed, or refused, the job
	cancelling bool // a cancel call into the plugin is under way
	freed      bool
}

func newCall(s *Substrate, j *sokr.Job, pr *prepared) *call {
	cl := &call{s: s, job: j, pr: pr}
	nIn, nDims, nParams, nText, inBytes := len(j.Inputs), 0, len(j.Options.Params), 0, 0
	for _, t := range j.Inputs {
		nDims += len(t.Shape)
		inBytes += len(t.Data)
	}
	copied := inBytes <= copyLimit
	if copied {
		nText += inBytes
	}
	var params []string // key, value, key, value, ...
	if nParams > 0 {
		keys := make([]string, 0, nParams)
		for k := range j.Options.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := fmt.Sprint(j.Options.Params[k])
			params = append(params, k, v)
			nText += len(k) + len(v)
		}
	}
	var (
		jobSize    = unsafe.Sizeof(C.sokr_plugin_job_v1{})
		tensorSize = unsafe.Sizeof(C.sokr_tensor{})
		propSize   = unsafe.Sizeof(C.sokr_property{})
		tensorsAt  = jobSize
		paramsAt   = tensorsAt + uintptr(nIn)*tensorSize
		dimsAt     = paramsAt + uintptr(nParams)*propSize
		textAt     = dimsAt + uintptr(nDims)*8 // 8-aligned: input copies keep their alignment
	)
	block := C.malloc(C.size_t(textAt + uintptr(nText)))
	s.outside.Add(int64(textAt) + int64(nText))
	// text hands out the block's byte area, in order.
	text := unsafe.Slice((*byte)(unsafe.Add(block, textAt)), nText)
	take := func(b []byte) unsafe.Pointer {
		n := copy(text, b)
		p := unsafe.Pointer(unsafe.SliceData(text))
		text = text[n:]
		return p
	}
	cl.c = (*C.sokr_plugin_job_v1)(block)
	cl.handle = calls.put(cl)
	*cl.c = C.sokr_plugin_job_v1{
		struct_size: C.uint64_t(jobSize),
		program:     pr.handle,
		n_inputs:    C.uint64_t(nIn),
		n_params:    C.uint64_t(nParams),
		seed:        C.uint64_t(j.Options.Seed),
		user_data:   C.uint64_t(cl.handle),
	}
	if j.Options.HasSeed {
		cl.c.has_seed = 1
	}
	if nIn > 0 {
		cl.c.inputs = (*C.sokr_tensor)(unsafe.Add(block, tensorsAt))
		tensors := unsafe.Slice(cl.c.inputs, nIn)
		dims := unsafe.Slice((*C.int64_t)(unsafe.Add(block, dimsAt)), nDims)
		for i, t := range j.Inputs {
			ct := &tensors[i]
			*ct = C.sokr_tensor{dtype: C.int32_t(t.DType), rank: C.int32_t(len(t.Shape)), data_len: C.uint64_t(len(t.Data))}
			if len(t.Shape) > 0 {
				ct.shape = &dims[0]
				for k, d := range t.Shape {
					dims[k] = C.int64_t(d)
				}
				dims = dims[len(t.Shape):]
			}
			switch {
			case len(t.Data) == 0:
			case copied:
				ct.data = take(t.Data)
			default:
				data := unsafe.Pointer(unsafe.SliceData(t.Data))
				cl.pin.Pin(data) // the plugin keeps it past this call; a no-op for C memory
				ct.data = data
			}
		}
	}
	if nParams > 0 {
		cl.c.params = (*C.sokr_property)(unsafe.Add(block, paramsAt))
		props := unsafe.Slice(cl.c.params, nParams)
		str := func(s string) C.sokr_string {
			return C.sokr_string{ptr: (*C.char)(take(unsafe.Slice(unsafe.StringData(s), len(s)))), len: C.uint64_t(len(s))}
		}
		for i := range props {
			props[i] = C.sokr_property{key: str(params[2*i]), value: str(params[2*i+1])}
		}
	}
	return cl
}

// futureDone runs when the job's future completes; if the plugin has not
// completed it yet, the completion was a cancellation (Cancel, a deadline,
// a shutdown), which the plugin is told about.
func (cl *call) futureDone(sokr.Result, error) {
	cl.mu.Lock()
	if cl.done {
		cl.mu.Unlock()
		return
	}
	cl.cancelling = true
	cl.mu.Unlock()
	// The job is not freed, so Close is still waiting for it: the plugin
	// is open, and the C job stays valid during the call.
	C.cp_cancel(cl.s.vt, cl.c)
	cl.mu.Lock()
	cl.cancelling = false
	free := cl.done
	cl.mu.Unlock()
	if free {
		cl.free()
	}
}

// complete is the plugin's completion of the job.
func (cl *call) complete(c *C.sokr_plugin_completion_v1) {
	cl.mu.Lock()
	if cl.done {
		cl.mu.Unlock()
		return // a second completion is dropped
	}
	cl.done = true
	cl.mu.Unlock()
	res, err := cl.result(c)
	cl.mu.Lock()
	free := !cl.cancelling
	cl.mu.Unlock()
	if free {
		cl.free()
	}
	cl.job.Complete(res, err)
}

// free hands everything back: the pinned inputs, the C block, an
// unmemoized program, and the job's hold on the plugin.
func (cl *call) free() {
	cl.mu.Lock()
	if cl.freed {
		cl.mu.Unlock()
		return
	}
	cl.freed = true
	cl.mu.Unlock()
	cl.pin.Unpin()
	C.free(unsafe.Pointer(cl.c))
	if cl.pr.owned {
		cl.pr.release()
	}
	cl.s.release()
}

// result copies a completion's outputs into Go memory, or turns its status
// into the core's error.
func (cl *call) result(c *C.sokr_plugin_completion_v1) (sokr.Result, error) {
	name, format := cl.s.name, cl.job.Program.Format()
	if c == nil {
		return sokr.Result{}, &sokr.FaultError{Substrate: name, Msg: "completed the job with a NULL completion"}
	}
	if need := uint64(unsafe.Offsetof(c.n_outputs) + 8); uint64(c.struct_size) < need {
		return sokr.Result{}, &sokr.FaultError{Substrate: name, Msg: fmt.Sprintf("sokr_plugin_completion_v1.struct_size is %d bytes, needs %d", uint64(c.struct_size), need)}
	}
	if st := Status(c.status); st != StatusOK {
		return sokr.Result{}, jobError(name, format, st, goString(c.message))
	}
	switch n := uint64(c.n_outputs); {
	case n > 0 && c.outputs == nil:
		return sokr.Result{}, cl.fault("completed with n_outputs=%d and outputs=NULL", n)
	case n > maxOutputs:
		return sokr.Result{}, cl.fault("completed with n_outputs=%d, more than the %d outputs a job may have", n, maxOutputs)
	}
	cos := cSlice(c.outputs, c.n_outputs)
	outs := make([]sokr.Output, len(cos))
	for i := range cos {
		if cos[i].name.ptr == nil && cos[i].name.len > 0 {
			return sokr.Result{}, cl.fault("output %d: name is NULL with len %d", i, uint64(cos[i].name.len))
		}
		t, err := goTensor(cos[i].tensor)
		if err != nil {
			return sokr.Result{}, cl.fault("output %d: %v", i, err)
		}
		outs[i] = sokr.Output{Name: cl.pr.outputName(i, cos[i].name), Tensor: t}
	}
	return sokr.Result{Outputs: outs}, nil
}

// maxOutputs bounds a completion's n_outputs, against garbage such as an
// uninitialized count: the host allocates a sokr.Output (about 80 bytes) per
// output before it reads them, so 2^20 costs at most about 84 MB, and a
// program with a million outputs is far beyond any seen.
const maxOutputs = 1 << 20

// fault is a malformed completion: a FaultError naming the substrate and
// the shared object it came from.
func (cl *call) fault(format string, args ...any) error {
	return &sokr.FaultError{Substrate: cl.s.name, Msg: fmt.Sprintf(format, args...) + " (C plugin " + cl.s.path + ")"}
}

// outputName returns the Go string of output i's name, reusing the one
// from the program's previous run when it is the same.
func (pr *prepared) outputName(i int, cs C.sokr_string) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(cs.ptr)), int(cs.len))
	if cs.ptr == nil {
		b = nil
	}
	pr.namesMu.Lock()
	defer pr.namesMu.Unlock()
	if i < len(pr.names) && pr.names[i] == string(b) {
		return pr.names[i]
	}
	name := string(b)
	if i < 64 {
		for len(pr.names) <= i {
			pr.names = append(pr.names, "")
		}
		pr.names[i] = name
	}
	return name
}

// maxRank bounds the rank of a tensor coming from C, against garbage.
const maxRank = 64

// goTensor copies a C tensor into Go memory, checking that its data length
// matches its dtype and shape.
func goTensor(ct C.sokr_tensor) (sokr.Tensor, error) {
	t := sokr.Tensor{DType: sokr.DType(ct.dtype)}
	if !t.DType.Valid() || int32(ct.dtype) != int32(t.DType) {
		return t, fmt.Errorf("invalid dtype %d", int32(ct.dtype))
	}
	if ct.rank < 0 || ct.rank > maxRank || (ct.rank > 0 && ct.shape == nil) {
		return t, fmt.Errorf("invalid rank %d (shape %p)", int32(ct.rank), ct.shape)
	}
	if ct.rank > 0 {
		t.Shape = make(sokr.Shape, int(ct.rank))
	} else {
		t.Shape = sokr.Shape{}
	}
	for k, d := range cSlice(ct.shape, C.uint64_t(ct.rank)) {
		if d < 0 {
			return t, fmt.Errorf("negative dimension %d", int64(d))
		}
		t.Shape[k] = int(d)
	}
	want, ok := t.Shape.Bytes(t.DType)
	if !ok {
		return t, (sokr.Tensor{DType: t.DType, Shape: t.Shape}).Check() // says which dimension or product
	}
	if uint64(ct.data_len) != uint64(want) {
		return t, fmt.Errorf("%v%v needs %d bytes of data, has %d", t.DType, t.Shape, want, uint64(ct.data_len))
	}
	if ct.data_len > 0 && ct.data == nil {
		return t, fmt.Errorf("%v%v has NULL data (data_len %d)", t.DType, t.Shape, uint64(ct.data_len))
	}
	t.Data = make([]byte, int(ct.data_len))
	if len(t.Data) > 0 {
		copy(t.Data, unsafe.Slice((*byte)(ct.data), len(t.Data)))
	}
	return t, nil
}

// calls maps the user_data of every job in a plugin's hands to its call:
// what cgo.Handle does, without allocating, and with a generation in the
// upper half so that a stale or repeated user_data is recognised, not
// mistaken for a newer job.
var calls callTable

type callTable struct {
	mu    sync.Mutex
	slots []callSlot
	free  []uint32
}

type callSlot struct {
	gen uint32
	cl  *call
}

// put stores cl and returns its handle (never 0).
func (t *callTable) put(cl *call) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var i uint32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		i = uint32(len(t.slots))
		t.slots = append(t.slots, callSlot{})
	}
	s := &t.slots[i]
	s.gen++
	if s.gen == 0 {
		s.gen = 1
	}
	s.cl = cl
	return uint64(s.gen)<<32 | uint64(i)
}

// take removes and returns the call with handle h, or nil when h is not
// live (already taken, or never given out).
func (t *callTable) take(h uint64) *call {
	i, gen := uint32(h), uint32(h>>32)
	t.mu.Lock()
	defer t.mu.Unlock()
	if int(i) >= len(t.slots) || t.slots[i].gen != gen || t.slots[i].cl == nil {
		return nil
	}
	cl := t.slots[i].cl
	t.slots[i].cl = nil
	t.free = append(t.free, i)
	return cl
}
