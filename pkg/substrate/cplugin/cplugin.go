//go:build cgo

package cplugin

/*
#cgo CFLAGS: -O2 -fno-fast-math -I${SRCDIR}/../../../bindings/c
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// HostVersion is the ABI version this host speaks (SOKR_ABI_VERSION).
const HostVersion = uint32(C.SOKR_ABI_VERSION)

// reasonCap is the size of the buffer a plugin writes a refusal into.
const reasonCap = 1024

// closeGrace bounds how long Close, or CloseContext with a context that
// has no deadline, waits for jobs the plugin still holds: a plugin that
// never hands back a cancelled job must not hang the host's shutdown.
const closeGrace = 5 * time.Second

// Substrate is a C plugin seen as a sokr.Substrate. Make one with Load. It
// is safe for concurrent use; Close (sokr.Closer) shuts the plugin down.
type Substrate struct {
	path    string
	vt      *C.sokr_plugin_v1 // plugin-owned, valid until close
	version uint32            // the plugin's abi_version
	name    string
	kind    sokr.Kind
	formats []string
	props   sokr.Properties

	// Shutting down. Every use of the plugin (a job in its hands, a prepare
	// or release_program call under way) is a hold, taken by acquire only
	// while closed is false. Close sets closed; the release that brings the
	// holds to zero after that (or Close itself, finding none) closes idle
	// and starts the one goroutine that calls the plugin's close slot.
	closed   atomic.Bool
	holds    atomic.Int64
	idle     chan struct{} // closed once closed and no holds remain
	idleOnce sync.Once
	shut     chan struct{} // closed when the plugin's close slot has returned
	key      any           // memoKey{s}, boxed once
	// outside counts the bytes of the jobs' C blocks (see
	// AllocatedOutsideHeap).
	outside atomic.Int64
}

var (
	_ sokr.Substrate     = (*Substrate)(nil)
	_ sokr.Closer        = (*Substrate)(nil)
	_ sokr.ContextCloser = (*Substrate)(nil)
	_ sokr.RunEstimator  = (*Substrate)(nil)
)

// Load loads the plugin at path, negotiates the ABI version and checks its
// vtable. A relative path, a bare file name included, is taken relative to
// the working directory (never searched for on the system library path);
// the substrate's Path and plugin_path property are the absolute path. A
// refused plugin is a *LoadError saying which check failed; the shared
// object stays loaded (as Go's own plugins do), but nothing of it is called
// again.
//
// The plugin runs in the host's process: a plugin that crashes (a bad
// pointer, an abort) takes the host down with it.
func Load(path string) (*Substrate, error) {
	abs, err := absPath(path)
	if err != nil {
		return nil, loadErr(path, ErrOpen, "cannot make the path absolute: %v", err)
	}
	path = abs
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var query C.sokr_plugin_query_v1_fn
	var cerr *C.char
	switch C.cp_open(cpath, &query, &cerr) {
	case C.CP_OPEN_FAILED:
		return nil, loadErr(path, ErrOpen, "%s", C.GoString(cerr))
	case C.CP_NO_QUERY_SYMBOL:
		return nil, loadErr(path, ErrMissingSymbol, "it is not a SOKR plugin, or was built without SOKR_PLUGIN_EXPORT on %s", querySymbol)
	}
	var vt *C.sokr_plugin_v1
	st := Status(C.cp_query(query, C.uint32_t(HostVersion), &vt))
	switch {
	case st == StatusVersion:
		return nil, loadErr(path, ErrVersion, "the plugin refused ABI version %s, the newest this host speaks", versionString(HostVersion))
	case st != StatusOK:
		return nil, loadErr(path, ErrInvalidPlugin, "%s returned %s", querySymbol, st)
	case vt == nil:
		return nil, loadErr(path, ErrInvalidPlugin, "%s returned SOKR_OK but no vtable", querySymbol)
	}
	return newSubstrate(path, vt)
}

// newSubstrate checks the vtable in the order that makes each read safe:
// struct_size, the version (which fixes the layout), the size that version
// needs, the required slots, then the fields.
func newSubstrate(path string, vt *C.sokr_plugin_v1) (*Substrate, error) {
	size := uint64(vt.struct_size)
	if need := uint64(unsafe.Offsetof(vt.self)); size < need {
		return nil, loadErr(path, ErrStructTooSmall, "sokr_plugin_v1.struct_size is %d bytes; it must cover abi_version (%d bytes)", size, need)
	}
	v := uint32(vt.abi_version)
	if v>>16 != HostVersion>>16 {
		return nil, loadErr(path, ErrVersion, "the plugin answered ABI version %s; this host speaks %s", versionString(v), versionString(HostVersion))
	}
	if need := uint64(C.SOKR_PLUGIN_V1_MIN_SIZE); size < need {
		return nil, loadErr(path, ErrStructTooSmall, "sokr_plugin_v1.struct_size is %d bytes; ABI %d.x needs at least %d (through the dispatch slot)", size, v>>16, need)
	}
	for _, slot := range []struct {
		name string
		nil  bool
	}{{"prepare", vt.prepare == nil}, {"release_program", vt.release_program == nil}, {"dispatch", vt.dispatch == nil}} {
		if slot.nil {
			return nil, loadErr(path, ErrNullSlot, "sokr_plugin_v1.%s is NULL", slot.name)
		}
	}
	s := &Substrate{path: path, vt: vt, version: v, name: goString(vt.name), kind: sokr.Kind(goString(vt.kind)),
		idle: make(chan struct{}), shut: make(chan struct{})}
	s.key = memoKey{s}
	if s.name == "" || strings.ContainsAny(s.name, " \t\r\n") {
		return nil, loadErr(path, ErrInvalidPlugin, "substrate name %q is empty or has white space", s.name)
	}
	if s.kind == "" {
		return nil, loadErr(path, ErrInvalidPlugin, "substrate %s has an empty kind", s.name)
	}
	for _, f := range cSlice(vt.formats, vt.n_formats) {
		s.formats = append(s.formats, goString(f))
	}
	if len(s.formats) == 0 {
		return nil, loadErr(path, ErrInvalidPlugin, "substrate %s declares no program formats", s.name)
	}
	s.props = sokr.Properties{}
	for _, p := range cSlice(vt.properties, vt.n_properties) {
		s.props[goString(p.key)] = goString(p.value)
	}
	s.props["plugin_path"] = path
	s.props["abi_version"] = versionString(v)
	s.props["formats"] = strings.Join(s.formats, ",")
	return s, nil
}

// Name returns the substrate name the plugin declared.
func (s *Substrate) Name() string { return s.name }

// Kind returns the kind the plugin declared.
func (s *Substrate) Kind() sokr.Kind { return s.kind }

// Path returns the shared object the plugin was loaded from.
func (s *Substrate) Path() string { return s.path }

// Describe returns the plugin's properties, plus plugin_path, abi_version
// and formats.
func (s *Substrate) Describe() sokr.Properties {
	p := make(sokr.Properties, len(s.props))
	for k, v := range s.props {
		p[k] = v
	}
	return p
}

// Capability offers p to the plugin (once per program for programs that
// memoize, as native ones do) and returns its answer.
func (s *Substrate) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	pr := s.program(p)
	if pr.owned {
		pr.release()
	}
	return pr.offer
}

// prepared is a program as the plugin prepared it.
type prepared struct {
	s      *Substrate
	handle unsafe.Pointer // the plugin's; nil when it refused
	offer  sokr.Offer
	owned  bool // not memoized: released after its one use
	// pluginBytes is the plugin's own estimate of its memory (0: unknown).
	pluginBytes int64

	namesMu sync.Mutex
	names   []string // output names of the last run, reused while equal
}

// memoizer is the optional Program ability (native programs have it) to keep
// a value with the program, freed with it.
type memoizer interface {
	Memo(key any, build func() any) any
}

// memoKey keys a plugin's prepared form in a program's memo.
type memoKey struct{ s *Substrate }

// memoSlot holds a program's prepared form in its memo. It is made empty
// by newMemoSlot (a plain function, so asking the memo allocates nothing)
// and filled once.
type memoSlot struct {
	once sync.Once
	pr   *prepared
}

func newMemoSlot() any { return new(memoSlot) }

// program returns p prepared by the plugin: memoized when p can keep it,
// else fresh and owned by the caller.
func (s *Substrate) program(p sokr.Program) *prepared {
	if !slices.Contains(s.formats, p.Format()) {
		return &prepared{s: s, offer: sokr.No(s, "runs "+strings.Join(s.formats, ", ")+" programs only, not "+p.Format())}
	}
	if m, ok := p.(memoizer); ok {
		slot := m.Memo(s.key, newMemoSlot).(*memoSlot)
		slot.once.Do(func() {
			slot.pr = s.prepare(p)
			if slot.pr.handle != nil {
				runtime.AddCleanup(slot, releaseHandle, handleOf{s, slot.pr.handle})
			}
		})
		return slot.pr
	}
	pr := s.prepare(p)
	pr.owned = true
	return pr
}

// prepare serializes p and hands it to the plugin's prepare slot.
func (s *Substrate) prepare(p sokr.Program) *prepared {
	pr := &prepared{s: s}
	src, err := Source(p)
	if err != nil {
		pr.offer = sokr.No(s, err.Error())
		return pr
	}
	if !s.acquire() {
		pr.offer = sokr.No(s, "the plugin is closed")
		return pr
	}
	defer s.release()
	// The offer and its reason buffer are C memory: the plugin writes a
	// pointer-holding struct that Go memory could not hold for it.
	block := C.malloc(C.size_t(unsafe.Sizeof(C.sokr_plugin_offer_v1{})) + reasonCap)
	defer C.free(block)
	offer := (*C.sokr_plugin_offer_v1)(block)
	*offer = C.sokr_plugin_offer_v1{
		struct_size: C.uint64_t(unsafe.Sizeof(*offer)),
		reason:      (*C.char)(unsafe.Add(block, unsafe.Sizeof(*offer))),
		reason_cap:  reasonCap,
	}
	format := p.Format()
	var handle unsafe.Pointer
	st := Status(C.cp_prepare(s.vt, (*C.char)(unsafe.Pointer(unsafe.StringData(format))), C.uint64_t(len(format)),
		unsafe.Pointer(unsafe.SliceData(src)), C.uint64_t(len(src)), offer, &handle))
	reason := C.GoStringN(offer.reason, C.int(min(uint64(offer.reason_len), reasonCap)))
	switch {
	case st != StatusOK:
		if reason == "" {
			reason = "could not read the program"
		}
		pr.offer = sokr.No(s, fmt.Sprintf("%s (%s)", reason, st))
	case offer.ok == 0:
		if reason == "" {
			reason = "refused without a reason"
		}
		pr.offer = sokr.No(s, reason)
	case handle == nil:
		pr.offer = sokr.No(s, "the plugin accepted the program but returned no handle for it")
	default:
		pr.handle = handle
		pr.pluginBytes = int64(offer.estimate_memory_bytes)
		pr.offer = sokr.Yes(s, sokr.Estimate{Time: time.Duration(offer.estimate_ns), MemoryBytes: hostEstimate(pr.pluginBytes)})
	}
	if handle != nil && pr.handle == nil {
		C.cp_release_program(s.vt, handle) // refused, yet handed out a handle
	}
	return pr
}

// handleOf names a prepared handle for its cleanup, which must not hold the
// *prepared it cleans up after.
type handleOf struct {
	s      *Substrate
	handle unsafe.Pointer
}

func releaseHandle(h handleOf) {
	if h.s.acquire() {
		C.cp_release_program(h.s.vt, h.handle)
		h.s.release()
	}
}

func (pr *prepared) release() {
	if pr.handle != nil {
		releaseHandle(handleOf{pr.s, pr.handle})
	}
}

// Source returns the bytes a program travels to a plugin as: the first of
// MarshalBinary, MarshalText, or Print(io.Writer) (text IRs; native
// programs print their canonical text) that the program implements, else
// the source it was parsed from when that is in the program's own format
// (sokr.Sourcer: a SPIR-V module's bytes, any IR that keeps its source).
func Source(p sokr.Program) ([]byte, error) {
	switch v := p.(type) {
	case encoding.BinaryMarshaler:
		return v.MarshalBinary()
	case encoding.TextMarshaler:
		return v.MarshalText()
	case interface{ Print(io.Writer) error }:
		var b bytes.Buffer
		err := v.Print(&b)
		return b.Bytes(), err
	}
	if s, ok := p.(sokr.Sourcer); ok {
		if src, ok := s.ProgramSource(); ok && src.Format == p.Format() {
			return bytes.Clone(src.Bytes), nil // a plugin must not write into the program's own bytes
		}
	}
	return nil, fmt.Errorf("a %s program (%T) cannot travel to a C plugin: it has no MarshalBinary, MarshalText or Print method, nor a source in its own format", p.Format(), p)
}

// Dispatch hands the job to the plugin, described in C memory (small inputs
// copied there, larger ones pinned in place) until the plugin completes it.
// A job cancelled, timed out or shut down first has its cancel_requested
// flag set and the plugin's cancel slot called.
func (s *Substrate) Dispatch(_ context.Context, j *sokr.Job) {
	pr := s.program(j.Program)
	if !pr.offer.OK {
		j.Fail(&sokr.NoCapableError{Format: j.Program.Format(), Offers: []sokr.Offer{pr.offer}})
		return
	}
	// The hold, taken while not closed, keeps the plugin open until this
	// job is handed back (call.free releases it).
	if !s.acquire() {
		if pr.owned {
			pr.release()
		}
		j.Fail(fmt.Errorf("%w: C plugin %s is closed", sokr.ErrClosed, s.name))
		return
	}
	cl := newCall(s, j, pr)
	st := Status(C.cp_dispatch(s.vt, cl.c))
	if st != StatusOK {
		calls.take(cl.handle)
		cl.mu.Lock()
		cl.done = true
		cl.mu.Unlock()
		cl.free()
		j.Fail(jobError(s.name, j.Program.Format(), st, "the plugin refused the job"))
		return
	}
	cl.mu.Lock()
	done := cl.done
	cl.mu.Unlock()
	if !done {
		j.Future().OnComplete(cl.futureDone)
	}
}

// Close is CloseContext without a deadline: it waits closeGrace (5 s) at
// most.
func (s *Substrate) Close() error { return s.CloseContext(context.Background()) }

// CloseContext stops new work, waits until the plugin has handed back
// every job it holds (the runtime has already cancelled them) and calls
// its close slot. It returns by ctx's deadline, or after closeGrace when
// ctx has none. When jobs remain then, or the close slot has not returned,
// the error says how many uses remain and matches ctx's error
// (ErrCancelled or ErrDeadlineExceeded), or is a FaultError after the
// grace; the close slot is still called, once, when the last job is handed
// back. Nothing waits for them meanwhile: the last release starts the
// close. Calling CloseContext again waits again; once the plugin is closed
// it returns nil.
func (s *Substrate) CloseContext(ctx context.Context) error {
	s.closed.Store(true)
	if s.holds.Load() == 0 {
		s.quiet()
	}
	// A finished close wins over a context that has also expired.
	select {
	case <-s.shut:
		return nil
	default:
	}
	var grace <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(closeGrace)
		defer t.Stop()
		grace = t.C
	}
	var err error
	select {
	case <-s.shut:
		return nil
	case <-ctx.Done():
		err = sokr.ContextError(ctx)
	case <-grace:
	}
	what := fmt.Sprintf("still holds %d jobs or calls; its close slot is called when they are handed back", s.holds.Load())
	select {
	case <-s.idle:
		what = "is still in its close slot"
	default:
	}
	if err == nil {
		return &sokr.FaultError{Substrate: s.name, Msg: fmt.Sprintf("C plugin %s, %v after close: %s", s.path, closeGrace, what)}
	}
	return fmt.Errorf("%w: C plugin %s (%s) %s", err, s.name, s.path, what)
}

// acquire takes a hold on the plugin, or reports false once it is closed.
// The hold is counted before closed is read, and Close sets closed before
// it reads the count, so one of them sees the other (Go's atomics are
// sequentially consistent): a hold taken while open is always waited for.
func (s *Substrate) acquire() bool {
	s.holds.Add(1)
	if s.closed.Load() {
		s.release()
		return false
	}
	return true
}

// release gives back a hold; the last one after Close closes the plugin.
func (s *Substrate) release() {
	if s.holds.Add(-1) == 0 && s.closed.Load() {
		s.quiet()
	}
}

// quiet runs once the plugin is closed and holds nothing: it calls the
// close slot on a goroutine of its own, never on the thread of the last
// completion, which may be one of the plugin's threads that its close
// joins.
func (s *Substrate) quiet() {
	s.idleOnce.Do(func() {
		close(s.idle)
		go func() {
			C.cp_close(s.vt)
			close(s.shut)
		}()
	})
}

// goString copies a sokr_string into Go memory.
func goString(s C.sokr_string) string {
	if s.ptr == nil || s.len == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(s.ptr)), int(s.len)))
}

// cSlice views n C elements at p (nil when p is NULL).
func cSlice[T any](p *T, n C.uint64_t) []T {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice(p, int(n))
}

func versionString(v uint32) string {
	return strconv.Itoa(int(v>>16)) + "." + strconv.Itoa(int(v&0xffff))
}
