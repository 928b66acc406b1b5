//go:build cgo

package vulkan

// A NIR run too long for one submission is split into runs of fewer
// steps, each submitted, waited for and continued from the last one's
// final state (v, i, delay lines and recurrent histories: the state that
// makes a continued run equal the uninterrupted one), and their outputs
// are joined. A session (option "session") keeps that final state between
// dispatches, as the snn substrate's sessions do, and its dispatches take
// the same path. The arena of a submission, which holds every step's values,
// must fit the device's largest storage buffer (4 GiB on an H100, 128
// MiB on lavapipe), and its lowering is capped at nirMaxNodes native
// nodes, so that no run's lowering on the host grows with its length.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// nirMaxNodes caps a submission's lowered program: about 1.7 KB of host
// memory per node (nirNodeExtra), so some 220 MB.
const nirMaxNodes = 1 << 17

// nirArenaLimit is the most bytes one submission's arena may take.
func (s *Substrate) nirArenaLimit() int64 {
	limit := min(int64(s.info.MaxStorageRange), int64(s.info.MaxAlloc))
	if c := s.cfg.NIRArenaBytes; c > 0 {
		limit = min(limit, c)
	}
	return limit
}

// nirChunkSteps returns how many steps one submission of a run of steps
// steps takes: all of them when they fit, else as many as fit, worked out
// from the arena and node counts of runs of one and two steps (both grow
// linearly with the steps) and checked by lowering that many. A run whose
// single step does not fit is an error, as before. With measure, trial is
// the host memory of the lowerings of one and two steps (as nirUsage
// counts a run of that many), which a run's estimate adds; a dispatch
// does not ask.
func (s *Substrate) nirChunkSteps(net *nirNet, sem nirSemantics, steps, batch int, measure bool) (per int, trial int64, err error) {
	limit := s.nirArenaLimit()
	sem.finalState = true // as each submission is lowered
	size := func(t int) (arena int64, nodes int, err error) {
		low, err := net.lower(sem, t, batch)
		if err != nil {
			return 0, 0, err
		}
		pl, err := s.nirPlan(low)
		if err != nil {
			return 0, 0, err
		}
		if measure && t <= 2 {
			u, err := s.nirUsage(net, low)
			if err != nil {
				return 0, 0, err
			}
			trial += u.host
		}
		return pl.arenaBytes, len(low.prog.Nodes), nil
	}
	a1, n1, err := size(1)
	if err != nil {
		return 0, 0, err
	}
	if steps == 1 {
		return 1, trial, nil
	}
	a2, n2, err := size(2)
	if err != nil {
		return 0, 0, err
	}
	perArena, perNodes := max(a2-a1, 1), max(n2-n1, 1)
	per = steps
	if a1+int64(steps-1)*perArena > limit {
		per = int(max((limit-a1)/perArena+1, 1))
	}
	if n1+(per-1)*perNodes > nirMaxNodes {
		per = max((nirMaxNodes-n1)/perNodes+1, 1)
	}
	for per < steps && per > 1 { // the estimate is linear; the arena is checked
		a, _, err := size(per)
		if err == nil && a <= limit {
			break
		}
		per = per * 3 / 4
	}
	return min(per, steps), trial, nil
}

// dispatchNIRChunks runs a NIR dispatch in several submissions when it
// needs them, or in a session, and reports whether it did (or failed the
// job); a run that fits one submission outside a session is left to the
// ordinary path.
func (s *Substrate) dispatchNIRChunks(ctx context.Context, j *sokr.Job, p *nir.Program) bool {
	net, sem, steps, batch, err := nirParse(p, j.Inputs, j.Options)
	if err != nil {
		return false // the ordinary path reports it
	}
	per, _, err := s.nirChunkSteps(net, sem, steps, batch, false)
	if err != nil || per >= steps && sem.session == "" {
		return false
	}
	d, err := s.device()
	if err != nil {
		j.Fail(s.fault("cannot open the device", err))
		return true
	}
	if ctx.Err() != nil {
		s.active.Done()
		j.Fail(sokr.ContextError(ctx))
		return true
	}
	s.runOwn(j, func(j *sokr.Job) (sokr.Result, error) {
		if sem.session == "" {
			res, _, err := s.runNIRChunks(d, j, net, sem, steps, batch, per, nil)
			return res, err
		}
		return s.runNIRSession(d, j, p, net, sem, steps, batch, per)
	})
	return true
}

// runNIRChunks runs steps steps in submissions of per steps, each from
// the last one's final state, and joins their outputs. It starts from
// start when that is not nil (a session's state), and returns the last
// submission's final state, its "state:" outputs, too.
func (s *Substrate) runNIRChunks(d *device, j *sokr.Job, net *nirNet, sem nirSemantics, steps, batch, per int,
	start map[string]map[string][]float64) (sokr.Result, []sokr.Output, error) {
	inner := sem
	inner.finalState = true // carried from submission to submission
	if start != nil {
		inner.initial, inner.given = "given", start
	}
	in := make([]sokr.Tensor, len(j.Inputs)) // in f32 once, not per submission
	for k, t := range j.Inputs {
		in[k] = sokr.FromSlice(neuron.Values[float32](t), t.Shape...)
	}
	var res sokr.Result
	var finals []sokr.Output
	var gpu uint64
	submits := 0
	for t0 := 0; t0 < steps; t0 += per {
		if err := j.Err(); err != nil {
			return sokr.Result{}, nil, err // cancelled between submissions
		}
		tc := min(per, steps-t0)
		low, err := net.lower(inner, tc, batch)
		if err != nil {
			return sokr.Result{}, nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
		}
		if _, err := s.nirPlan(low); err != nil {
			return sokr.Result{}, nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
		}
		w, err := s.nativeWork(d, low.prog, low.stepInputs(net, in, t0))
		if err != nil {
			return sokr.Result{}, nil, err
		}
		low.collectInto(w)
		r, g, err := s.runWork(d, w)
		if err != nil {
			return sokr.Result{}, nil, err
		}
		gpu += g
		submits++
		if t0 == 0 {
			res.Meta = low.meta // the first submission's: initial_state as asked
			for _, o := range r.Outputs[:len(low.outs)] {
				shape := append([]int{steps}, o.Tensor.Shape[1:]...)
				res.Outputs = append(res.Outputs, sokr.Output{Name: o.Name, Tensor: sokr.NewTensor(sokr.F32, shape...)})
			}
		}
		for k, o := range r.Outputs[:len(low.outs)] {
			dst := res.Outputs[k].Tensor.Data
			row := len(dst) / steps
			copy(dst[t0*row:(t0+tc)*row], o.Tensor.Data)
		}
		finals = r.Outputs[len(low.outs):]
		if t0+tc < steps {
			inner.initial, inner.given = "given", givenState(finals) // the next submission's start
		}
	}
	if sem.finalState {
		res.Outputs = append(res.Outputs, finals...)
	}
	res.Meta["submits"] = strconv.Itoa(submits)
	res.Meta["device"] = s.info.Name
	if s.info.TimestampBits > 0 {
		res.Meta["gpu_time_ns"] = strconv.FormatUint(gpu, 10)
	}
	return res, finals, nil
}

// givenState reads a run's "state:NODE.VARIABLE" outputs as initial_state's
// given values.
func givenState(finals []sokr.Output) map[string]map[string][]float64 {
	given := map[string]map[string][]float64{}
	for _, o := range finals {
		name := strings.TrimPrefix(o.Name, "state:")
		k := strings.LastIndex(name, ".")
		node, v := name[:k], name[k+1:]
		if given[node] == nil {
			given[node] = map[string][]float64{}
		}
		vals := sokr.View[float32](o.Tensor)
		f := make([]float64, len(vals))
		for e, x := range vals {
			f[e] = float64(x)
		}
		given[node][v] = f
	}
	return given
}

// nirMaxSessions is how many NIR sessions may be live at once (the snn
// substrate's default).
const nirMaxSessions = 64

// nirSession is the state a sequence of dispatches with the same "session"
// option carries: the final state of the last one. Its mutex serialises
// the session's dispatches.
type nirSession struct {
	mu    sync.Mutex
	prog  *nir.Program
	sem   nirSemantics
	batch int
	steps int                             // simulated so far
	state map[string]map[string][]float64 // nil: not started
}

// same reports whether two runs' semantics may share a session: those
// that shape the state (as snn's semantics.same).
func (a nirSemantics) same(b nirSemantics) bool {
	return a.dt == b.dt && a.solver == b.solver && a.reset == b.reset && a.before == b.before &&
		a.synapticDelay == b.synapticDelay && a.recurrentDelay == b.recurrentDelay && a.amplitude == b.amplitude
}

// runNIRSession runs a dispatch of session sem.session: from the
// session's state (or as a fresh run, initial_state applying, when the
// session is new or reset), keeping the final state for the next one.
func (s *Substrate) runNIRSession(d *device, j *sokr.Job, p *nir.Program, net *nirNet, sem nirSemantics, steps, batch, per int) (sokr.Result, error) {
	ss, err := s.sessions.Open(sem.session, nirMaxSessions, "")
	if err != nil {
		return sokr.Result{}, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var start map[string]map[string][]float64
	if ss.state != nil && !sem.sessionReset {
		if ss.prog != p || ss.batch != batch || !ss.sem.same(sem) {
			return sokr.Result{}, &sokr.InputError{Index: -1, Name: "session", Msg: fmt.Sprintf(
				"option \"session\": session %q was started with another graph, batch size or semantics (batch %d, dt %g s, solver %s, reset %s); pass \"session_reset\": true to start it afresh",
				sem.session, ss.batch, ss.sem.dt, ss.sem.solver, ss.sem.reset)}
		}
		start = ss.state
	} else {
		ss.prog, ss.sem, ss.batch, ss.steps, ss.state = p, sem, batch, 0, nil
	}
	res, finals, err := s.runNIRChunks(d, j, net, sem, steps, batch, per, start)
	if err != nil {
		return res, err // the session keeps the state it had
	}
	res.Meta["session"] = sem.session
	res.Meta["session_step"] = strconv.Itoa(ss.steps)
	ss.state, ss.steps = givenState(finals), ss.steps+steps
	return res, nil
}

// EndSession forgets the NIR session called id and its state. It reports
// whether such a session was live.
func (s *Substrate) EndSession(id string) bool { return s.sessions.End(id) }

// Sessions returns the number of live NIR sessions.
func (s *Substrate) Sessions() int { return s.sessions.Len() }

// nirChunkedUsage is a run's memory when it takes several submissions of
// per steps: each submission's host memory (nirUsage: its lowering, staging
// and outputs, garbage once the next one starts, but allocated all the
// same), and three more for nirChunkSteps' trial lowerings; one
// submission's device memory (the pool's buffers serve the next); the
// outputs joined for all the steps, the inputs in f32, and the state
// carried from each submission to the next.
func (s *Substrate) nirChunkedUsage(net *nirNet, sem nirSemantics, steps, batch, per int) (usage, error) {
	inner := sem
	inner.finalState = true
	low, err := net.lower(inner, per, batch)
	if err != nil {
		return usage{}, err
	}
	u, err := s.nirUsage(net, low)
	if err != nil {
		return usage{}, err
	}
	submits := int64((steps + per - 1) / per)
	u.host *= submits + 3
	for _, o := range low.outs {
		u.host += outputOverhead + 4*int64(steps*batch*prod(o.shape))
	}
	for _, i := range net.inputs {
		u.host += 4 * int64(steps*batch*net.nodes[i].n)
	}
	for _, o := range low.finals { // as float64 for the next submission's initial state
		u.host += submits * 8 * int64(max(o.rows, 1)*batch*prod(o.shape))
	}
	return u, nil
}

// nirParse reads a NIR dispatch's graph, options and inputs without
// lowering it.
func nirParse(p *nir.Program, inputs []sokr.Tensor, opts sokr.Options) (*nirNet, nirSemantics, int, int, error) {
	net, err := nirNetCached(p)
	if err != nil {
		return nil, nirSemantics{}, 0, 0, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
	}
	sem, err := parseNIRSemantics(opts.Params)
	if err != nil {
		return nil, sem, 0, 0, err
	}
	steps, batch, err := net.shape(inputs)
	if err != nil {
		return nil, sem, 0, 0, err
	}
	if err := net.checkInitial(sem, batch); err != nil {
		return nil, sem, 0, 0, err
	}
	if steps < 1 {
		return nil, sem, 0, 0, fmt.Errorf("no steps")
	}
	return net, sem, steps, batch, nil
}
