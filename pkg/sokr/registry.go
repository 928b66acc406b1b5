package sokr

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds IR plugins (by format) and substrates (by name). Names are
// unique and versioned; listings are sorted by name. A plugin that fails to
// start is recorded with its error and does not stop the others. Safe for
// concurrent use; lookups on the dispatch path take no lock.
type Registry struct {
	mu       sync.Mutex
	irs      map[string]IR
	subs     map[string]Substrate
	failures map[string]error
	snapshot atomic.Pointer[[]Substrate] // sorted by name, replaced on change
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	r := &Registry{irs: map[string]IR{}, subs: map[string]Substrate{}, failures: map[string]error{}}
	r.snapshot.Store(new([]Substrate))
	return r
}

// RegisterIR adds an IR plugin under its format name. A nil plugin, an empty
// or already registered format is a *RegistrationError.
func (r *Registry) RegisterIR(ir IR) error {
	if isNil(ir) {
		return &RegistrationError{Msg: "nil IR plugin"}
	}
	name := ir.Format()
	if err := checkName(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.irs[name]; dup {
		return &RegistrationError{Name: name, Msg: "an IR with this format is already registered"}
	}
	r.irs[name] = ir
	delete(r.failures, name)
	return nil
}

// RegisterSubstrate adds a substrate under its name. A nil substrate, an
// empty or already registered name is a *RegistrationError.
func (r *Registry) RegisterSubstrate(s Substrate) error {
	if isNil(s) {
		return &RegistrationError{Msg: "nil substrate"}
	}
	name := s.Name()
	if err := checkName(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.subs[name]; dup {
		return &RegistrationError{Name: name, Msg: "a substrate with this name is already registered"}
	}
	r.subs[name] = s
	delete(r.failures, name)
	r.publish()
	return nil
}

// StartSubstrate runs start and registers what it returns. When start fails
// (or panics) the failure is recorded under name, visible in Failures, and
// returned; other substrates are unaffected.
func (r *Registry) StartSubstrate(name string, start func() (Substrate, error)) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = &RegistrationError{Name: name, Msg: "start panicked", Err: &FaultError{Substrate: name, Panic: p}}
		}
		if err != nil {
			r.mu.Lock()
			r.failures[name] = err
			r.mu.Unlock()
		}
	}()
	s, err := start()
	if err != nil {
		return &RegistrationError{Name: name, Msg: "failed to start", Err: err}
	}
	return r.RegisterSubstrate(s)
}

// UnregisterSubstrate removes a substrate; it reports whether one was there.
// Jobs already dispatched to it run to completion.
func (r *Registry) UnregisterSubstrate(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.subs[name]
	delete(r.subs, name)
	r.publish()
	return ok
}

// UnregisterIR removes an IR plugin; it reports whether one was there.
func (r *Registry) UnregisterIR(format string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.irs[format]
	delete(r.irs, format)
	return ok
}

// Substrates lists the registered substrates sorted by name. The slice is
// shared: do not modify it.
func (r *Registry) Substrates() []Substrate { return *r.snapshot.Load() }

// Substrate returns the substrate registered as name.
func (r *Registry) Substrate(name string) (Substrate, bool) {
	for _, s := range r.Substrates() {
		if s.Name() == name {
			return s, true
		}
	}
	return nil, false
}

// IRs lists the registered IR plugins sorted by format.
func (r *Registry) IRs() []IR {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]IR, 0, len(r.irs))
	for _, ir := range r.irs {
		out = append(out, ir)
	}
	slices.SortFunc(out, func(a, b IR) int { return strings.Compare(a.Format(), b.Format()) })
	return out
}

// IR returns the plugin for format.
func (r *Registry) IR(format string) (IR, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ir, ok := r.irs[format]
	return ir, ok
}

// Failures returns the plugins that failed to start, by name.
func (r *Registry) Failures() map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]error, len(r.failures))
	for k, v := range r.failures {
		out[k] = v
	}
	return out
}

// publish replaces the lock-free snapshot; r.mu must be held.
func (r *Registry) publish() {
	list := make([]Substrate, 0, len(r.subs))
	for _, s := range r.subs {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b Substrate) int { return strings.Compare(a.Name(), b.Name()) })
	r.snapshot.Store(&list)
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return &RegistrationError{Name: name, Msg: "empty name"}
	}
	if strings.ContainsAny(name, " \t\r\n") {
		return &RegistrationError{Name: name, Msg: "name contains white space"}
	}
	return nil
}

// isNil reports a nil interface or an interface holding a nil pointer,
// map, slice, func or channel (calling a method on which would panic).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
