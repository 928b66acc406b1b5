package sokr

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Runtime routes programs to substrates. It embeds the Registry it routes
// over. A Runtime is safe for concurrent use; its zero value is not usable:
// make one with New.
type Runtime struct {
	*Registry
	policy Policy
	mem    admission // the memory budget, see WithMemory

	closed atomic.Bool
	mu     sync.Mutex
	head   *Job // in-flight jobs, a doubly linked list
	n      int
	idle   chan struct{} // closed when closed and n reaches 0
}

// Option configures a Runtime.
type Option func(*Runtime)

// WithPolicy sets the runtime's default policy (Auto otherwise).
func WithPolicy(p Policy) Option { return func(r *Runtime) { r.policy = p } }

// WithRegistry makes the runtime route over reg instead of a new, empty one.
func WithRegistry(reg *Registry) Option { return func(r *Runtime) { r.Registry = reg } }

// New returns a runtime with no substrates; register them with
// RegisterSubstrate and IRs with RegisterIR.
func New(opts ...Option) *Runtime {
	r := &Runtime{policy: Auto(), idle: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	if r.Registry == nil {
		r.Registry = NewRegistry()
	}
	return r
}

// DispatchOption adjusts one dispatch.
type DispatchOption func(*dispatchConfig)

type dispatchConfig struct {
	policy    Policy
	substrate string
	timeout   time.Duration
	opts      Options
}

// On pins the dispatch to the substrate called name.
func On(name string) DispatchOption { return func(c *dispatchConfig) { c.substrate = name } }

// Using chooses the substrate with p instead of the runtime's policy.
func Using(p Policy) DispatchOption { return func(c *dispatchConfig) { c.policy = p } }

// Timeout bounds the dispatch: when d passes first, the future completes
// with ErrDeadlineExceeded and the substrate is told to stop.
func Timeout(d time.Duration) DispatchOption { return func(c *dispatchConfig) { c.timeout = d } }

// Seed fixes every random choice of the run.
func Seed(seed uint64) DispatchOption {
	return func(c *dispatchConfig) { c.opts.Seed, c.opts.HasSeed = seed, true }
}

// Param passes a substrate- or domain-specific setting ("shots", "dt").
func Param(name string, value any) DispatchOption {
	return func(c *dispatchConfig) {
		if c.opts.Params == nil {
			c.opts.Params = map[string]any{}
		}
		c.opts.Params[name] = value
	}
}

// Capability asks every substrate whether it can fulfil p, in name order,
// having started the Deferred placeholders that want p. A substrate that
// panics is reported as refusing, with the panic as reason. An offer whose
// memory estimate exceeds the runtime's whole budget (see WithMemory) is
// turned into a refusal that gives both numbers.
func (r *Runtime) Capability(ctx context.Context, p Program) []Offer {
	subs := r.substratesFor(p)
	offers := make([]Offer, len(subs))
	for i, s := range subs {
		offers[i] = capability(ctx, s, p)
		r.mem.check(&offers[i])
	}
	return offers
}

func capability(ctx context.Context, s Substrate, p Program) (o Offer) {
	defer func() {
		if v := recover(); v != nil {
			o = Offer{Substrate: s.Name(), Kind: s.Kind(), Reason: fmt.Sprintf("capability check panicked: %v", v)}
		}
	}()
	o = s.Capability(ctx, p)
	o.Substrate, o.Kind = s.Name(), s.Kind()
	if !o.OK && o.Reason == "" {
		o.Reason = "refused without a reason"
	}
	return o
}

// Dispatch routes p to a capable substrate and starts it. It returns at once
// with a future; every failure, including no capable substrate, invalid
// inputs, a closed runtime or an expired ctx, arrives through that future.
// Cancelling ctx cancels the dispatch. inputs must stay unmodified until the
// future completes.
//
// With a memory budget (WithMemory), the chosen offer's memory estimate is
// reserved before the substrate starts; a dispatch that does not fit waits
// in order behind those already waiting, cancellable and under its
// deadline, and starts when runs before it hand their memory back.
func (r *Runtime) Dispatch(ctx context.Context, p Program, inputs []Tensor, opts ...DispatchOption) (f *Future) {
	var cfg dispatchConfig
	if len(opts) > 0 {
		cfg = configure(opts)
	}
	j := &Job{Program: p, Inputs: inputs, Options: cfg.opts, parent: ctx}
	j.fut.done = make(chan struct{})
	j.fut.queued = time.Now()
	j.fut.owner = j
	// The timer is set before track publishes the job: from then on Close
	// may complete it on another goroutine, and completion reads j.timer.
	if cfg.timeout > 0 {
		j.parent, j.timer = context.WithTimeout(ctx, cfg.timeout)
	}
	if !r.track(j) {
		j.Fail(ErrClosed)
		return &j.fut
	}
	if err := ContextError(j.parent); err != nil {
		j.Fail(err)
		return &j.fut
	}
	j.watch()
	// The job is tracked: it must complete whatever panics from here on (a
	// Program method while choosing, the substrate's Dispatch), or it would
	// stay in flight for ever and the panic would reach the caller.
	var s Substrate
	defer func() {
		if v := recover(); v != nil {
			if s == nil {
				// Not Format(): it may be what panicked.
				j.Fail(&ProgramError{Msg: fmt.Sprintf("program panicked: %v", v)})
			} else {
				j.Fail(&FaultError{Substrate: j.fut.substrate, Panic: v, Stack: string(debug.Stack())})
			}
			f = &j.fut // a recovered panic would otherwise return nil
		}
	}()
	s, need, err := r.choose(j, cfg)
	if err != nil {
		j.Fail(err)
		return &j.fut
	}
	j.fut.substrate = s.Name()
	if re, ok := s.(RunEstimator); ok && r.mem.budget > 0 {
		// The offer saw only the program; this run's inputs and options
		// (time steps, batch, shots) may need more.
		if need, err = r.runNeed(re, s, j); err != nil {
			j.Fail(err)
			return &j.fut
		}
	}
	if need > 0 {
		if !r.reserve(j, s, need) {
			return &j.fut // queued for memory: release starts it
		}
		if need >= gcBefore {
			go r.collectAndStart(j, s) // off the caller's goroutine
			return &j.fut
		}
	}
	j.fut.markStarted()
	s.Dispatch(j, j)
	return &j.fut
}

// configure applies opts. It is apart from Dispatch because the options,
// being opaque functions, make the config they fill escape to the heap: this
// way only a dispatch that has options pays that allocation.
func configure(opts []DispatchOption) dispatchConfig {
	var cfg dispatchConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// Run dispatches p and waits for the result.
func (r *Runtime) Run(ctx context.Context, p Program, inputs []Tensor, opts ...DispatchOption) (Result, error) {
	return r.Dispatch(ctx, p, inputs, opts...).Wait(ctx)
}

// firstYes is the choice of FirstCapable and, where the first yes gives no
// time estimate of AutoCompare or more, of Auto, without an offer list: the first yes wins, and
// the substrates after it are not asked. A Deferred placeholder that wants
// p starts when its turn comes, not before: a yes ahead of it spares
// loading it. Remote substrates are asked after every local one (see
// FirstCapable). ok is false when nobody said yes, or (auto) when the first
// yes's estimate is to be compared with every other substrate's.
func (r *Runtime) firstYes(j *Job, p Program, subs []Substrate, auto bool) (Substrate, Offer, bool) {
	lazy := r.deferred.Load() > 0
	var remote []Substrate
	yes := func(s Substrate) (Offer, bool) {
		o := capability(j, s, p)
		return o, o.OK && r.mem.refusal(o.Estimate.MemoryBytes) == ""
	}
	for _, s := range subs {
		started := []Substrate{s}
		if d, ok := s.(Deferred); lazy && ok {
			if !wants(d, p) {
				continue
			}
			started = r.startDeferred(d)
		}
		for _, t := range started {
			if t.Kind() == KindRemote {
				remote = append(remote, t)
				continue
			}
			if o, ok := yes(t); ok {
				return t, o, !auto || o.Estimate.Time < AutoCompare
			}
		}
	}
	for _, s := range remote {
		if o, ok := yes(s); ok {
			return s, o, true
		}
	}
	return nil, Offer{}, false
}

// choose checks the program and inputs and picks the substrate. need is
// the memory to reserve for the run (0: none).
func (r *Runtime) choose(j *Job, cfg dispatchConfig) (s Substrate, need int64, err error) {
	p := j.Program
	if isNil(p) {
		return nil, 0, &ProgramError{Msg: "nil program"}
	}
	if c, ok := p.(InputChecker); ok {
		if err := c.CheckInputs(j.Inputs); err != nil {
			return nil, 0, err
		}
	}
	subs := r.Substrates()
	if cfg.substrate != "" {
		s, ok := r.Substrate(cfg.substrate)
		if !ok {
			// Listed anew: the lookup may have started a Deferred placeholder.
			reason := "no substrate of this name is registered (have: " + names(r.Substrates()) + ")"
			if base, _, found := strings.Cut(cfg.substrate, ":"); found {
				if err, failed := r.Failures()[base]; failed {
					reason += "; " + base + " did not start: " + err.Error()
				}
			}
			return nil, 0, &NoCapableError{Format: p.Format(), Offers: []Offer{{Substrate: cfg.substrate, Reason: reason}}}
		}
		subs = []Substrate{s}
		if d, ok := s.(Deferred); ok && wants(d, p) {
			// Pinned to a placeholder: any of the substrates it starts.
			if subs = r.startDeferred(d); len(subs) == 0 {
				return nil, 0, &NoCapableError{Format: p.Format(), Offers: []Offer{{
					Substrate: cfg.substrate, Kind: s.Kind(), Reason: "did not start: " + failure(r.Registry, cfg.substrate),
				}}}
			}
		}
	}
	policy := cfg.policy
	if policy == nil {
		policy = r.policy
	}
	_, first := policy.(firstCapable)
	_, auto := policy.(auto)
	if first || auto {
		if s, o, ok := r.firstYes(j, p, subs, auto); ok {
			return s, r.mem.need(o.Estimate), nil
		}
	}
	if cfg.substrate == "" {
		subs = r.substratesFor(p) // every substrate is asked below
	}
	offers := make([]Offer, len(subs))
	capable := 0
	for i, s := range subs {
		offers[i] = capability(j, s, p)
		r.mem.check(&offers[i])
		if offers[i].OK { // move to the front, keeping name order among the capable
			offers[capable], offers[i] = offers[i], offers[capable]
			capable++
		}
	}
	if capable == 0 {
		sortOffers(offers)
		return nil, 0, &NoCapableError{Format: p.Format(), Offers: offers}
	}
	i, err := choosePolicy(policy, p, offers[:capable])
	if err != nil {
		sortOffers(offers)
		return nil, 0, &NoCapableError{Format: p.Format(), Offers: offers, Policy: err}
	}
	for _, s := range subs {
		if s.Name() == offers[i].Substrate {
			return s, r.mem.need(offers[i].Estimate), nil
		}
	}
	panic("sokr: chosen substrate vanished") // unreachable: offers come from subs
}

// runNeed is the memory a budgeted runtime reserves for j on s, from the
// substrate's forecast of this very run, or the error j fails with: the
// substrate's own, or a refusal giving the numbers when the run could
// never fit the budget.
func (r *Runtime) runNeed(re RunEstimator, s Substrate, j *Job) (int64, error) {
	est, err := re.EstimateRun(j.Program, j.Inputs, j.Options)
	if err != nil {
		return 0, err
	}
	if why := r.mem.refusal(est.MemoryBytes); why != "" {
		return 0, &NoCapableError{Format: j.Program.Format(), Offers: []Offer{No(s, "this run "+why)}}
	}
	return r.mem.need(est), nil
}

func choosePolicy(policy Policy, p Program, offers []Offer) (i int, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("policy panicked: %v", v)
		}
	}()
	i, err = policy.Choose(p, offers)
	if err == nil && (i < 0 || i >= len(offers)) {
		err = fmt.Errorf("policy chose offer %d of %d", i, len(offers))
	}
	return i, err
}

// sortOffers orders offers by substrate name (insertion sort: the lists are
// short and this keeps the dispatch path free of allocations).
func sortOffers(o []Offer) {
	for i := 1; i < len(o); i++ {
		for k := i; k > 0 && o[k].Substrate < o[k-1].Substrate; k-- {
			o[k], o[k-1] = o[k-1], o[k]
		}
	}
}

// failure is the recorded reason the plugin name failed to start.
func failure(r *Registry, name string) string {
	if err, ok := r.Failures()[name]; ok {
		return err.Error()
	}
	return "no reason recorded"
}

func names(subs []Substrate) string {
	if len(subs) == 0 {
		return "none"
	}
	n := make([]string, len(subs))
	for i, s := range subs {
		n[i] = s.Name()
	}
	return strings.Join(n, ", ")
}

// InFlight returns the number of dispatched futures not yet completed. A
// future leaves the count just after its Done channel closes.
func (r *Runtime) InFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Close shuts the runtime down: new dispatches fail with ErrClosed, as do
// those queued for memory (they never started), and Close waits for the
// other in-flight futures to complete. If ctx ends first, the remaining
// futures are cancelled (their error matches ErrCancelled and ErrClosed)
// and Close returns ctx's error. Substrates that implement Closer are then
// closed, under ctx for those that implement ContextCloser (so a substrate
// still holding cancelled work does not hold Close past ctx's deadline).
// Close is idempotent.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	first := !r.closed.Swap(true)
	if r.n == 0 && first {
		close(r.idle)
	}
	r.mu.Unlock()
	if r.mem.budget > 0 {
		r.drain()
	}
	var err error
	select {
	case <-r.idle:
	case <-ctx.Done():
		err = ContextError(ctx)
		r.mu.Lock()
		var pending []*Job
		for j := r.head; j != nil; j = j.next {
			pending = append(pending, j)
		}
		r.mu.Unlock()
		for _, j := range pending {
			j.fut.complete(Result{}, &ctxError{kind: ErrCancelled, cause: ErrClosed})
		}
	}
	if first {
		var errs []error
		for _, s := range r.Substrates() {
			var cerr error
			switch c := s.(type) {
			case ContextCloser:
				cerr = c.CloseContext(ctx)
			case Closer:
				cerr = c.Close()
			}
			if cerr != nil {
				errs = append(errs, fmt.Errorf("sokr: close %s: %w", s.Name(), cerr))
			}
		}
		err = errors.Join(append([]error{err}, errs...)...)
	}
	return err
}

func (r *Runtime) track(j *Job) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return false
	}
	j.rt = r
	j.next = r.head
	if r.head != nil {
		r.head.prev = j
	}
	r.head = j
	r.n++
	return true
}

func (r *Runtime) untrack(j *Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if j.prev != nil {
		j.prev.next = j.next
	} else {
		r.head = j.next
	}
	if j.next != nil {
		j.next.prev = j.prev
	}
	j.prev, j.next = nil, nil
	r.n--
	if r.n == 0 && r.closed.Load() {
		close(r.idle)
	}
}

// InputChecker is an optional Program ability: checking dispatch inputs
// against the program's parameters, so that every substrate sees only
// well-formed inputs. Errors are *InputError values.
type InputChecker interface {
	CheckInputs(inputs []Tensor) error
}
