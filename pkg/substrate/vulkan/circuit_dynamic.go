//go:build cgo

package vulkan

// Dynamic circuits (mid-circuit measurement, reset, if/else, while, noise)
// run by trajectories, as on statevec: the static prefix once, then the
// per-shot steps on a copy of it, shot after shot, many shots to a command
// buffer. The state never leaves the device:
//
//   - a measurement reduces P(0) - P(1) and the norm on the device; a
//     one-invocation kernel compares them with a uniform the host drew from
//     the shot's stream (u * (P0 + P1) >= P0, as statevec decides) and
//     writes the outcome into the classical bits, which live in aux; the
//     collapse kernel reads it;
//   - an if/else evaluates its condition on the device when it is entered,
//     into a flag word, and every kernel inside the branch is predicated on
//     that flag (so a branch that measures the bits of its own condition
//     still runs whole, as on statevec);
//   - a while loop goes back to the host between iterations: the host reads
//     the classical bits and records the next iteration or stops
//     (qsim.MaxWhileIterations, then a FaultError as statevec);
//   - a mixed-unitary channel (depolarizing, bit and phase flips) picks its
//     unitary on the host, its weights being state-independent; a general
//     Kraus channel has the device reduce ||K_i psi||^2 for every operator,
//     pick one with the host's uniform and apply K_i / sqrt(p_i).
//
// Random streams: every shot has statevec's stream (the seed, stream = the
// shot's index), and the host draws from it in program order: one uniform
// per measurement, reset and channel. For circuits without if/else and
// while, these are the draws statevec makes in the same order, so the same
// seed gives the same outcomes up to float rounding (a probability that
// rounds to the other side of a uniform flips one shot). Inside a branch
// the host draws whether or not the device takes it (it does not know),
// while statevec draws only in the branch taken: the streams then differ,
// and the results agree statistically only.

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// qWhileLimit is qsim.MaxWhileIterations; tests lower it.
var qWhileLimit = qsim.MaxWhileIterations

// qShotsPerSubmit bounds the shots recorded into one command buffer (fewer
// when the state is large: qrun.due submits by the work recorded).
const qShotsPerSubmit = 256

// branchDepth is the deepest nesting of if/else and while in ops.
func branchDepth(ops []circuit.Op) int {
	d := 0
	for i := range ops {
		if o := &ops[i]; o.Kind == circuit.OpIf || o.Kind == circuit.OpWhile {
			d = max(d, 1+branchDepth(o.Then), 1+branchDepth(o.Else))
		}
	}
	return d
}

// dynLayout is where a dynamic run keeps its words and reals.
type dynLayout struct {
	clbits   uint32 // aux: the classical bits, words 0 .. clbits
	resetW   uint32 // aux: a reset's outcome
	krausW   uint32 // aux: the Kraus operator chosen
	flags    uint32 // aux: two flag words per nesting depth (then, else)
	partials int64  // out: reals of partial sums from 0
	sums     int64  // out: norm and P0-P1, then scale and outcome
	kraus    int64  // out: the Kraus operators' probabilities, then the scale
}

func newDynLayout(p *circuit.Program, c chunking, maxOps int) (dynLayout, int64) {
	l := dynLayout{clbits: uint32(p.Clbits)}
	l.resetW = l.clbits
	l.krausW = l.clbits + 1
	l.flags = l.clbits + 2
	l.partials = 0
	l.sums = int64(c.nchunks) * qWorkgroups * 8
	l.kraus = l.sums + 4
	return l, l.kraus + int64(maxOps) + 1
}

// maxKrausOps is the most operators of a general Kraus channel in steps.
func maxKrausOps(steps []qsim.Step[*qsim.Pass]) int {
	n := 0
	for _, st := range steps {
		if st.Kind == qsim.StepChannel && st.Ch.Weights == nil {
			n = max(n, len(st.Ch.Ops))
		}
		n = max(n, maxKrausOps(st.Then), maxKrausOps(st.Else))
	}
	return n
}

// traj records one shot's steps on its state.
type traj struct {
	cr   *circuitRunner
	l    dynLayout
	st   []*buffer
	rng  *rand.Rand
	bits []uint32 // the classical bits as last read back (while loops)
}

// predicate returns the conditions a kernel at depth d runs under: none at
// the top level, else the flag of the branch it is in.
func (t *traj) predicate(flag uint32, depth int) []uint32 {
	if depth == 0 {
		return nil
	}
	return []uint32{0, uint32(circuit.Eq), 1, 1, flag}
}

// condWords encodes a circuit condition (negated for an else branch) as
// qcond.glsl reads it.
func condWords(c circuit.Cond, neg bool) ([]uint32, error) {
	if len(c.Clbits) > 32 || c.Value >= 1<<32 {
		return nil, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("vulkan: a condition on %d classical bits, value %d: the device compares at most 32 bits", len(c.Clbits), c.Value)}
	}
	w := []uint32{0, uint32(c.Cmp), uint32(c.Value), uint32(len(c.Clbits))}
	if neg {
		w[0] = 1
	}
	for _, b := range c.Clbits {
		w = append(w, uint32(b))
	}
	return w, nil
}

// condList puts a list of conditions (count first) in aux and returns its
// word, or 0 for none.
func (t *traj) condList(conds ...[]uint32) (uint32, error) {
	words := []uint32{0}
	for _, c := range conds {
		if c != nil {
			words[0]++
			words = append(words, c...)
		}
	}
	if words[0] == 0 {
		return 0, nil
	}
	return t.cr.r.put(words)
}

// passCond is applyOne's cond argument for conditions pred: count and the
// aux word of the list.
func (t *traj) passCond(conds ...[]uint32) ([]uint32, error) {
	at, err := t.condList(conds...)
	if err != nil || at == 0 {
		return nil, err
	}
	return []uint32{t.cr.r.seg[at-t.cr.r.fixed], at + 1}, nil
}

// run records steps at nesting depth (flag: the word of the branch's
// flag).
func (t *traj) run(steps []qsim.Step[*qsim.Pass], flag uint32, depth int) error {
	cr := t.cr
	for i := range steps {
		st := &steps[i]
		pred := t.predicate(flag, depth)
		switch st.Kind {
		case qsim.StepPass:
			if err := t.pass(st.Pass, pred); err != nil {
				return err
			}
		case qsim.StepMeasure:
			if err := t.measure(st.Qubit, uint32(st.Clbit), pred); err != nil {
				return err
			}
		case qsim.StepReset:
			if err := t.measure(st.Qubit, t.l.resetW, pred); err != nil {
				return err
			}
			if err := t.pass(st.Flip, pred, []uint32{0, uint32(circuit.Eq), 1, 1, t.l.resetW}); err != nil {
				return err
			}
		case qsim.StepChannel:
			if err := t.channel(st.Ch, pred); err != nil {
				return err
			}
		case qsim.StepIf:
			// Both flags first: the then branch may change the bits.
			fThen, fElse := t.l.flags+2*uint32(depth), t.l.flags+2*uint32(depth)+1
			for k, f := range []uint32{fThen, fElse} {
				if k == 1 && len(st.Else) == 0 {
					continue
				}
				c, err := condWords(st.Cond, k == 1)
				if err != nil {
					return err
				}
				at, err := t.condList(pred, c)
				if err != nil {
					return err
				}
				cr.r.dispatch(qkDyn, t.st, [8]uint32{2: qdFlag, 3: f, 7: at}, 1, 0)
			}
			if err := t.run(st.Then, fThen, depth+1); err != nil {
				return err
			}
			if len(st.Else) > 0 {
				if err := t.run(st.Else, fElse, depth+1); err != nil {
					return err
				}
			}
		case qsim.StepWhile:
			if err := t.while(st, flag, depth); err != nil {
				return err
			}
		}
		if err := cr.r.due(); err != nil {
			return err
		}
	}
	return nil
}

// The qdyn flag and clear operations.
const (
	qdFlag    = 6
	qdClear   = 7
	qdMeasure = 8
)

// qSmallMeasure is the most amplitudes (2^14) a state measured by one
// workgroup has: one dispatch, where a larger state takes four.
const qSmallMeasure = 1 << 14

func (t *traj) pass(p *qsim.Pass, conds ...[]uint32) error {
	// The conditions and the pass in one submission: a matrix of 32 x 32,
	// the descriptor, two conditions.
	if err := t.cr.r.reserve(qDesc+4*32*32+64, 0); err != nil {
		return err
	}
	c, err := t.passCond(conds...)
	if err != nil {
		return err
	}
	return t.cr.applyOne(t.st, p, c)
}

// readBits records a download of the classical bits and flags and
// submits, so that the host sees them.
func (t *traj) readBits() error {
	r := t.cr.r
	n := int64(r.fixed)
	t.bits = make([]uint32, n)
	if err := r.reserve(0, 4*n); err != nil {
		return err
	}
	if err := r.download(r.aux, 0, 4*n, func(b []byte) {
		for i := range t.bits {
			t.bits[i] = uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
		}
	}); err != nil {
		return err
	}
	return r.flush()
}

// while runs a while loop: the host reads the bits after each iteration.
func (t *traj) while(st *qsim.Step[*qsim.Pass], flag uint32, depth int) error {
	for n := 0; ; n++ {
		if err := t.readBits(); err != nil {
			return err
		}
		if depth > 0 && t.bits[flag] == 0 {
			return nil // the branch around the loop is not taken
		}
		b := make([]bool, t.l.clbits)
		for i := range b {
			b[i] = t.bits[i]&1 == 1
		}
		if !st.Cond.Holds(b) {
			return nil
		}
		if n == qWhileLimit {
			return &sokr.FaultError{Substrate: t.cr.s.name, Msg: fmt.Sprintf(
				"the while loop%s ran %d iterations without its condition (bits %v %s %d) failing; giving up", qsim.At(st.Pos), n, st.Cond.Clbits, st.Cond.Cmp, st.Cond.Value)}
		}
		if err := t.cr.j.Err(); err != nil {
			return err
		}
		if err := t.run(st.Then, flag, depth); err != nil {
			return err
		}
	}
}

// reduceZ records sum |a|^2 and P(0) - P(1) of qubit q into out's sums.
func (t *traj) reduceZ(q int) {
	cr, r := t.cr, t.cr.r
	ca := cr.c.chunkAmps()
	g := int64(groupsFor(ca, qWorkgroups))
	at := r.fixed + uint32(len(r.seg)) // put below never flushes: reserve ran
	r.seg = append(r.seg, 0, 1<<q)
	for c := range cr.c.nchunks {
		r.dispatch(qkExpZ, t.st, [8]uint32{1: uint32(ca), 2: uint32(c), 3: 2, 4: uint32(t.l.partials + int64(c)*g*2), 5: at}, uint32(g), ca)
	}
	r.dispatch(qkDyn, t.st, [8]uint32{2: qdSum, 3: uint32(t.l.partials), 4: uint32(int64(cr.c.nchunks) * g), 5: 2, 6: uint32(t.l.sums)}, 1, 0)
}

// measure records a measurement of qubit q into aux word w under conds.
func (t *traj) measure(q int, w uint32, pred []uint32) error {
	cr, r := t.cr, t.cr.r
	if err := r.reserve(64+int(4*len(pred)), 0); err != nil {
		return err
	}
	if cr.c.nchunks == 1 && cr.c.chunkAmps() <= qSmallMeasure {
		uAt, _ := r.put(appendReal(nil, t.rng.Float64(), cr.o.dbl))
		condAt, _ := t.condList(pred)
		r.dispatch(qkDyn, t.st, [8]uint32{1: uint32(cr.c.chunkAmps()), 2: qdMeasure, 3: uint32(q), 4: uAt, 5: w, 7: condAt}, 1, cr.c.chunkAmps())
		return nil
	}
	t.reduceZ(q)
	u := appendReal(nil, t.rng.Float64(), cr.o.dbl)
	uAt, _ := r.put(u)
	condAt, _ := t.condList(pred)
	r.dispatch(qkDyn, t.st, [8]uint32{2: qdDecide, 3: uint32(t.l.sums), 4: uAt, 5: w, 6: uint32(t.l.sums + 2), 7: condAt}, 1, 0)
	ca := cr.c.chunkAmps()
	for c := range cr.c.nchunks {
		r.dispatch(qkDyn, t.st, [8]uint32{1: uint32(ca), 2: qdCollapse, 3: uint32(c), 4: uint32(q), 5: uint32(t.l.sums + 2)}, groupsFor(ca, 65535), ca)
	}
	return nil
}

// channel records one noise channel of a trajectory.
func (t *traj) channel(ch *qsim.Channel, pred []uint32) error {
	if ch.Weights != nil {
		i := qsim.Pick(ch.Weights, t.rng)
		if u := ch.Units[i]; u != nil {
			return t.pass(u, pred)
		}
		return nil
	}
	cr, r := t.cr, t.cr.r
	d := 1 << len(ch.Qubits)
	lay := qsim.NewPass(ch.Qubits, qsim.Identity(d), nil, 0) // the index layout, qubits sorted
	desc, bases := passDesc(lay, cr.c.n, cr.lowBits(), 0, cr.o.dbl)
	desc = desc[:qDesc]
	// The operators, reordered to the sorted qubits (as NewPass reorders).
	var mats [][]uint32
	for _, k := range ch.Ops {
		kp := qsim.NewPass(ch.Qubits, k, nil, 0)
		m := make([]complex128, d*d)
		for row := range d {
			for col := range d {
				m[row*d+col] = kp.Entry(row, col)
			}
		}
		mats = append(mats, appendComplex(nil, m, cr.o.dbl))
	}
	need := qDesc + len(ch.Ops) + 16 + 4*len(pred)
	for _, m := range mats {
		need += len(m)
	}
	if need > r.segCap {
		return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("vulkan: a Kraus channel of %d operators on %d qubits is too large for one command buffer", len(ch.Ops), len(ch.Qubits))}
	}
	if err := r.reserve(need, 0); err != nil {
		return err
	}
	descAt, _ := r.put(desc)
	list := make([]uint32, len(mats))
	for i, m := range mats {
		list[i], _ = r.put(m)
	}
	listAt, _ := r.put(list)
	g := int64(groupsFor(bases, qWorkgroups))
	for lo := 0; lo < len(mats); lo += 8 {
		nm := min(8, len(mats)-lo)
		r.dispatch(qkKraus, t.st, [8]uint32{1: uint32(bases), 2: qdKraus, 3: descAt, 4: listAt + uint32(lo), 5: uint32(nm), 6: uint32(t.l.partials)}, uint32(g), bases<<lowBitsOf(lay))
		r.dispatch(qkDyn, t.st, [8]uint32{2: qdSum, 3: uint32(t.l.partials), 4: uint32(g), 5: uint32(nm), 6: uint32(t.l.kraus + int64(lo))}, 1, 0)
	}
	uAt, _ := r.put(appendReal(nil, t.rng.Float64(), cr.o.dbl))
	condAt, _ := t.condList(pred)
	n := uint32(len(mats))
	r.dispatch(qkDyn, t.st, [8]uint32{2: qdPick, 3: uint32(t.l.kraus), 4: n, 5: uAt, 6: t.l.krausW, 7: condAt}, 1, 0)
	r.dispatch(qkKraus, t.st, [8]uint32{1: uint32(bases), 2: qdApply, 3: descAt, 4: listAt, 5: t.l.krausW, 6: uint32(t.l.kraus) + n, 7: condAt},
		groupsFor(bases, 65535), int64(1)<<cr.c.n)
	return nil
}

// lowBitsOf is the number of index bits a pass's bases leave out.
func lowBitsOf(p *qsim.Pass) int { return len(p.Pos) }

// trajectories runs a dynamic circuit shot by shot: sample's counts, or
// observe's expectations averaged over the trajectories.
func (cr *circuitRunner) trajectories(d *device) (sokr.Result, error) {
	p, o := cr.p, cr.o
	cr.meta["method"] = "trajectories"
	cr.meta["fused_gates"] = strconv.Itoa(len(cr.pl.Prefix))
	var groups []*qsim.PauliGroup
	n, per := o.Shots, 0
	if o.Mode == qsim.ModeObserve {
		groups = qsim.GroupTerms(o.Terms, p.Qubits, o.Fusion)
		cr.meta["groups"] = strconv.Itoa(len(groups))
		cr.meta["terms"] = strconv.Itoa(len(o.Terms))
		n = o.Trajectories
		if o.ShotsGiven {
			n, per = o.Shots, 1
			cr.meta["shots"] = strconv.Itoa(o.Shots)
		}
		cr.meta["trajectories"] = strconv.Itoa(n)
	}
	measured, width := false, 0
	if o.Mode == qsim.ModeSample {
		measured, width = cr.keyLayout()
	}
	l, scratch := newDynLayout(p, cr.c, maxKrausOps(cr.pl.Rest))
	states, outReals, down := circuitBuffers(p, o, cr.c)
	if err := cr.prefixStates(d, int(states), max(outReals, scratch), down); err != nil {
		return sokr.Result{}, err
	}
	rot := cr.r.extra
	keys := make([]string, n)
	vals := make([]float64, n*len(o.Terms))
	for shot := range n {
		if err := cr.j.Err(); err != nil {
			return sokr.Result{}, err
		}
		t := &traj{cr: cr, l: l, st: cr.r.work, rng: cr.rng(uint64(shot))}
		r := cr.r
		r.copyState(t.st, r.state)
		if f := r.fixed; f > 0 {
			r.dispatch(qkDyn, t.st, [8]uint32{1: f, 2: qdClear, 3: 0}, groupsFor(int64(f), 64), 0)
		}
		if err := t.run(cr.pl.Rest, 0, 0); err != nil {
			return sokr.Result{}, err
		}
		var err error
		switch {
		case o.Mode == qsim.ModeSample && measured:
			err = t.recordBits(keys, shot, width)
		case o.Mode == qsim.ModeSample:
			err = t.recordSample(keys, shot, width)
		default:
			err = t.recordExpectations(groups, per, rot, vals[shot*len(o.Terms):(shot+1)*len(o.Terms)])
		}
		if err != nil {
			return sokr.Result{}, err
		}
		if (shot+1)%qShotsPerSubmit == 0 {
			if err := r.flush(); err != nil {
				return sokr.Result{}, err
			}
		}
	}
	if err := cr.r.flush(); err != nil {
		return sokr.Result{}, err
	}
	if o.Mode == qsim.ModeSample {
		counts := map[string]int64{}
		for _, k := range keys {
			counts[k]++
		}
		return sokr.Result{Outputs: []sokr.Output{{Name: "counts", Value: counts}}}, nil
	}
	out := make([]float64, len(o.Terms))
	for tm := range out {
		var s float64
		for k := range n {
			s += vals[k*len(o.Terms)+tm]
		}
		out[tm] = s / float64(n)
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "expectations", Tensor: sokr.FromSlice(out)}}}, nil
}

// prefixStates opens the run with states copies (the prefix's, the
// trajectory's, observe's rotated one) and records the prefix.
func (cr *circuitRunner) prefixStates(d *device, states int, outReals, down int64) error {
	if err := cr.open(d, states, outReals, down); err != nil {
		return err
	}
	cr.initState(cr.r.state)
	return cr.apply(cr.r.state, cr.pl.Prefix, nil)
}

// recordBits downloads the shot's classical bits into its counts key.
func (t *traj) recordBits(keys []string, shot, width int) error {
	r := t.cr.r
	if width == 0 {
		keys[shot] = ""
		return nil
	}
	if err := r.reserve(0, 4*int64(width)); err != nil {
		return err
	}
	return r.download(r.aux, 0, 4*int64(width), func(b []byte) {
		key := make([]byte, width)
		for c := range width {
			key[width-1-c] = "01"[b[4*c]&1]
		}
		keys[shot] = string(key)
	})
}

// recordSample draws the shot's outcome from its final state's
// probabilities (a circuit that measures nothing), as statevec does.
func (t *traj) recordSample(keys []string, shot, width int) error {
	probs := make([]float64, 1<<t.cr.c.n)
	if err := t.cr.r.reserve(0, (t.cr.c.amp/2)<<t.cr.c.n+256*int64(t.cr.c.nchunks)); err != nil {
		return err
	}
	if err := t.cr.probsThen(t.st, probs, func() {
		idx, _ := qsim.SampleProbs(probs, 1, t.rng)
		key := make([]byte, width)
		for q := range width {
			key[width-1-q] = "01"[idx[0]>>q&1]
		}
		keys[shot] = string(key)
	}); err != nil {
		return err
	}
	return nil
}

// recordExpectations evaluates the groups on the trajectory's final state
// into vals: exactly (per 0) or from one sampled outcome per group.
func (t *traj) recordExpectations(groups []*qsim.PauliGroup, per int, rot []*buffer, vals []float64) error {
	cr, r := t.cr, t.cr.r
	for _, g := range groups {
		st := t.st
		if len(g.Rotation) > 0 {
			r.copyState(rot, t.st)
			if err := cr.apply(rot, g.Rotation, nil); err != nil {
				return err
			}
			st = rot
		}
		if per == 0 {
			v := make([]float64, len(g.Masks))
			batches := (len(g.Masks) + 7) / 8
			if err := r.reserve(batches+8, int64(batches*cr.c.nchunks)*(qWorkgroups*8*(cr.c.amp/2)+256)); err != nil {
				return err
			}
			if _, err := cr.expZ(st, g.Masks, v, 0); err != nil {
				return err
			}
			g := g
			r.cmds = append(r.cmds, qcmd{down: &qdown{to: func([]byte) {
				for k, tm := range g.Terms {
					vals[tm] = v[k]
				}
			}}})
			continue
		}
		probs := make([]float64, 1<<cr.c.n)
		if err := r.reserve(0, (cr.c.amp/2)<<cr.c.n+256*int64(cr.c.nchunks)); err != nil {
			return err
		}
		g := g
		if err := cr.probsThen(st, probs, func() {
			idx, _ := qsim.SampleProbs(probs, 1, t.rng)
			for k, m := range g.Masks {
				s := 1.0
				if bits.OnesCount64(uint64(idx[0])&m)&1 == 1 {
					s = -1
				}
				vals[g.Terms[k]] = s
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

// probsThen records the probabilities of st into dst and calls then once
// they are all there.
func (cr *circuitRunner) probsThen(st []*buffer, dst []float64, then func()) error {
	if err := cr.probs(st, dst); err != nil {
		return err
	}
	cr.r.cmds = append(cr.r.cmds, qcmd{down: &qdown{to: func([]byte) { then() }}})
	return nil
}
