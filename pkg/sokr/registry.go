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
	// deferred counts the registered Deferred placeholders, so that the
	// dispatch path looks for them only while there are some.
	deferred atomic.Int32
	startMu  sync.Mutex // one Deferred starts at a time; held without mu
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
	if _, ok := s.(Deferred); ok {
		r.deferred.Add(1)
	}
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
	s, ok := r.subs[name]
	if _, d := s.(Deferred); d {
		r.deferred.Add(-1)
	}
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

// Substrate returns the substrate registered as name. A name "base:..."
// that is not registered, where base is a Deferred placeholder, starts it
// first (see Deferred).
func (r *Registry) Substrate(name string) (Substrate, bool) {
	if s, ok := r.lookup(name); ok {
		return s, true
	}
	if r.deferred.Load() > 0 {
		if base, _, found := strings.Cut(name, ":"); found {
			if d, ok := r.lookup(base); ok {
				if d, ok := d.(Deferred); ok {
					r.startDeferred(d)
					return r.lookup(name)
				}
			}
		}
	}
	return nil, false
}

func (r *Registry) lookup(name string) (Substrate, bool) {
	for _, s := range r.Substrates() {
		if s.Name() == name {
			return s, true
		}
	}
	return nil, false
}

// StartDeferred starts every Deferred placeholder, replacing each with the
// substrates it starts (see Deferred). Listings that describe the machine
// call it: asking what is there is a reason to look. A placeholder that
// fails to start is recorded in Failures under its name.
func (r *Registry) StartDeferred() {
	if r.deferred.Load() == 0 {
		return
	}
	for _, s := range r.Substrates() {
		if d, ok := s.(Deferred); ok {
			r.startDeferred(d)
		}
	}
}

// substratesFor lists the substrates to ask about p, having started every
// Deferred placeholder that wants p.
func (r *Registry) substratesFor(p Program) []Substrate {
	subs := r.Substrates()
	if r.deferred.Load() == 0 {
		return subs
	}
	started := false
	for _, s := range subs {
		if d, ok := s.(Deferred); ok && wants(d, p) {
			r.startDeferred(d)
			started = true
		}
	}
	if started {
		subs = r.Substrates()
	}
	return subs
}

// wants asks d whether it wants p; a panic counts as no (the placeholder is
// then asked Capability, which reports it).
func wants(d Deferred, p Program) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return d.Wants(p)
}

// startDeferred starts the placeholder d if it is still registered, and
// returns its group: the registered substrates named d.Name() or
// d.Name()+":...", in name order. Concurrent callers wait for the one start.
func (r *Registry) startDeferred(d Deferred) []Substrate {
	name := d.Name()
	r.startMu.Lock()
	defer r.startMu.Unlock()
	r.mu.Lock()
	cur, pending := r.subs[name].(Deferred)
	r.mu.Unlock()
	if pending {
		subs, err := startSafely(name, cur)
		r.mu.Lock()
		if _, still := r.subs[name].(Deferred); !still {
			// Unregistered while it started: nobody will close these.
			r.mu.Unlock()
			closeAll(subs)
			return nil
		}
		delete(r.subs, name)
		r.deferred.Add(-1)
		if err != nil {
			r.failures[name] = err
		}
		for _, s := range subs {
			if ferr := r.addStarted(s); ferr != nil {
				key := ferr.Name
				if key == "" {
					key = name
				}
				r.failures[key] = ferr
				closeAll([]Substrate{s})
			}
		}
		r.publish()
		r.mu.Unlock()
	}
	var group []Substrate
	for _, s := range r.Substrates() {
		if n := s.Name(); n == name || strings.HasPrefix(n, name+":") {
			group = append(group, s)
		}
	}
	return group
}

// startSafely runs d.Start, turning a panic into an error.
func startSafely(name string, d Deferred) (subs []Substrate, err error) {
	defer func() {
		if p := recover(); p != nil {
			subs, err = nil, &RegistrationError{Name: name, Msg: "start panicked", Err: &FaultError{Substrate: name, Panic: p}}
		}
	}()
	subs, err = d.Start()
	if err != nil {
		return nil, &RegistrationError{Name: name, Msg: "failed to start", Err: err}
	}
	return subs, nil
}

// addStarted registers one substrate a placeholder started; r.mu is held.
func (r *Registry) addStarted(s Substrate) *RegistrationError {
	if isNil(s) {
		return &RegistrationError{Msg: "a deferred substrate started a nil substrate"}
	}
	name := s.Name()
	if err := checkName(name); err != nil {
		return err.(*RegistrationError)
	}
	if _, dup := r.subs[name]; dup {
		return &RegistrationError{Name: name, Msg: "a substrate with this name is already registered"}
	}
	r.subs[name] = s
	if _, ok := s.(Deferred); ok {
		r.deferred.Add(1)
	}
	delete(r.failures, name)
	return nil
}

func closeAll(subs []Substrate) {
	for _, s := range subs {
		if c, ok := s.(Closer); ok {
			_ = c.Close()
		}
	}
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
