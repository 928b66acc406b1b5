package statevec

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// plan is a program compiled for one dispatch: parameters evaluated, gates
// fused into passes.
type plan struct {
	prog   *circuit.Program
	fusion int
	blk    blocking
	// static: the program is a unitary circuit followed by measurements, so
	// that it is simulated once and sampled. prefix then holds all of its
	// passes and measures the (qubit, clbit) pairs in program order.
	// Otherwise prefix is the leading run of gates, simulated once, and rest
	// the remainder, run once per shot.
	static   bool
	prefix   []*pass
	measures []measurement
	rest     []step
	gates    int // gate ops compiled
	fused    int // passes they became
	sweeps   int // passes over the whole state: a cache-blocked stage is one
}

type measurement struct{ qubit, clbit int }

// stepKind is the kind of a step of the per-shot remainder.
type stepKind uint8

const (
	stepPass stepKind = iota
	stepMeasure
	stepReset
	stepChannel
	stepIf
	stepWhile
)

// step is one operation of the per-shot remainder of a dynamic program.
type step struct {
	kind      stepKind
	pass      *pass
	qubit     int
	clbit     int
	flip      *pass // reset: X on the qubit
	ch        *channel
	cond      circuit.Cond
	then, els []step
	pos       sokr.Position
}

// compile builds the plan of p for the runtime parameter values params.
// With unitaryOnly (observe and state modes), trailing measurements are
// dropped and any other measurement of a static program is ignored.
//
// blk groups the gates into cache-blocked stages (see block.go); the zero
// value does not.
func compile(p *circuit.Program, params []float64, fusion int, unitaryOnly bool, blk blocking) (*plan, error) {
	pl := &plan{prog: p, fusion: fusion, blk: blk}
	ops := trimOps(p, unitaryOnly)
	pl.static = isStatic(ops, p.Qubits)
	if pl.static {
		gates := make([]gate, 0, len(ops))
		for i := range ops {
			switch o := &ops[i]; o.Kind {
			case circuit.OpGate:
				gates = append(gates, evalGate(o, params))
			case circuit.OpMeasure:
				pl.measures = append(pl.measures, measurement{o.Qubits[0], o.Clbit})
			}
		}
		pl.prefix = pl.passes(gates)
		pl.gates = len(gates)
		pl.fused, pl.sweeps = countPasses(pl.prefix)
		return pl, nil
	}
	n := 0
	for n < len(ops) && (ops[n].Kind == circuit.OpGate || ops[n].Kind == circuit.OpBarrier) {
		n++
	}
	var gates []gate
	for i := range ops[:n] {
		if ops[i].Kind == circuit.OpGate {
			gates = append(gates, evalGate(&ops[i], params))
		}
	}
	pl.prefix = pl.passes(gates)
	pl.gates = len(gates)
	pl.fused, pl.sweeps = countPasses(pl.prefix)
	var err error
	pl.rest, err = pl.steps(ops[n:], params)
	return pl, err
}

// trimOps returns the top-level ops that matter: resets of qubits nothing
// has touched yet are dropped (a fresh qubit is |0>, and QASM files often
// begin with them), and with unitaryOnly so are the trailing measurements
// and barriers.
func trimOps(p *circuit.Program, unitaryOnly bool) []circuit.Op {
	ops := p.Ops
	if unitaryOnly {
		end := len(ops)
		for end > 0 && (ops[end-1].Kind == circuit.OpMeasure || ops[end-1].Kind == circuit.OpBarrier) {
			end--
		}
		ops = ops[:end]
	}
	touched := make([]bool, p.Qubits)
	out := make([]circuit.Op, 0, len(ops)) // once: an Op is some 200 bytes, a circuit up to 2^24 of them
	for i, o := range ops {
		if o.Kind == circuit.OpIf || o.Kind == circuit.OpWhile {
			return append(out, ops[i:]...)
		}
		if o.Kind == circuit.OpReset && !touched[o.Qubits[0]] {
			continue
		}
		if o.Kind != circuit.OpBarrier {
			for _, q := range o.Qubits {
				touched[q] = true
			}
		}
		out = append(out, o)
	}
	return out
}

// isStatic reports whether ops are gates and measurements with no gate on
// a qubit after its measurement: the measurements then commute to the end
// and the circuit can be simulated once and sampled.
func isStatic(ops []circuit.Op, qubits int) bool {
	measured := make([]bool, qubits)
	for i := range ops {
		switch o := &ops[i]; o.Kind {
		case circuit.OpGate:
			for _, q := range o.Qubits {
				if measured[q] {
					return false
				}
			}
		case circuit.OpMeasure:
			measured[o.Qubits[0]] = true
		case circuit.OpBarrier:
		default:
			return false
		}
	}
	return true
}

// passes fuses gates into passes, in cache-blocked stages if the plan's
// blocking says so.
func (pl *plan) passes(gates []gate) []*pass {
	return blockedPasses(gates, pl.prog.Qubits, pl.fusion, pl.blk)
}

// countPasses returns the passes of ps, those inside stages counted one by
// one, and the passes over the whole state.
func countPasses(ps []*pass) (fused, sweeps int) {
	for _, p := range ps {
		if p.stage != nil {
			fused += p.stage.passes
		} else {
			fused++
		}
	}
	return fused, len(ps)
}

// steps compiles ops into per-shot steps, fusing each run of gates.
func (pl *plan) steps(ops []circuit.Op, params []float64) ([]step, error) {
	var out []step
	var run []gate
	flush := func() {
		for _, ps := range pl.passes(run) {
			out = append(out, step{kind: stepPass, pass: ps})
		}
		run = run[:0]
	}
	for i := range ops {
		o := &ops[i]
		if o.Kind == circuit.OpGate {
			run = append(run, evalGate(o, params))
			continue
		}
		if o.Kind == circuit.OpBarrier {
			continue
		}
		flush()
		st := step{qubit: -1, pos: o.Pos}
		switch o.Kind {
		case circuit.OpMeasure:
			st.kind, st.qubit, st.clbit = stepMeasure, o.Qubits[0], o.Clbit
		case circuit.OpReset:
			st.kind, st.qubit = stepReset, o.Qubits[0]
			st.flip = newPass(o.Qubits, []complex128{0, 1, 1, 0}, nil, 0)
		case circuit.OpChannel:
			ch, err := newChannel(o)
			if err != nil {
				return nil, err
			}
			if ch == nil {
				continue // the identity channel
			}
			st.kind, st.ch = stepChannel, ch
		case circuit.OpIf, circuit.OpWhile:
			st.kind, st.cond = stepIf, o.Cond
			if o.Kind == circuit.OpWhile {
				st.kind = stepWhile
			}
			var err error
			if st.then, err = pl.steps(o.Then, params); err != nil {
				return nil, err
			}
			if st.els, err = pl.steps(o.Else, params); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	flush()
	return out, nil
}

// evalGate evaluates the parameters of a gate op. A controlled global
// phase becomes a phase gate on its last control, controlled by the
// others.
func evalGate(o *circuit.Op, params []float64) gate {
	vals := make([]float64, len(o.Params))
	for i, e := range o.Params {
		vals[i] = e.Eval(params)
	}
	g := gate{qubits: o.Qubits, nctrl: o.Controls, neg: o.NegControls, mat: o.Gate.Matrix(vals)}
	if o.Gate == circuit.GPhase && o.Controls > 0 {
		ph := g.mat[0]
		g.nctrl--
		if g.neg>>g.nctrl&1 == 1 {
			g.mat = []complex128{ph, 0, 0, 1}
		} else {
			g.mat = []complex128{1, 0, 0, ph}
		}
		g.neg &^= 1 << g.nctrl
	}
	return g
}

// channel is a noise channel ready to apply to a trajectory.
type channel struct {
	qubits []int
	ops    [][]complex128 // Kraus operators on qubits (index bit j = qubits[j])
	// Mixed-unitary channels: operator i is chosen with probability
	// weights[i] and applied as the unitary units[i] (nil: the identity).
	weights []float64
	units   []*pass
}

// newChannel prepares the channel of op o, or returns nil for a channel
// that cannot change the state (a Pauli channel of probability 0).
func newChannel(o *circuit.Op) (*channel, error) {
	c := o.Channel
	if err := c.Validate(len(o.Qubits)); err != nil {
		return nil, &sokr.ProgramError{Format: circuit.Format, Pos: o.Pos, Msg: err.Error()}
	}
	ch := &channel{qubits: o.Qubits, ops: c.KrausOps(len(o.Qubits))}
	if !c.MixedUnitary() {
		return ch, nil
	}
	if c.P == 0 {
		return nil, nil
	}
	d := 1 << len(o.Qubits)
	for _, k := range ch.ops {
		var w float64
		for _, v := range k {
			w += real(v)*real(v) + imag(v)*imag(v)
		}
		w /= float64(d)
		ch.weights = append(ch.weights, w)
		if w == 0 {
			ch.units = append(ch.units, nil)
			continue
		}
		u := make([]complex128, len(k))
		s := complex(1/math.Sqrt(w), 0)
		for i, v := range k {
			u[i] = v * s
		}
		p := newPass(o.Qubits, u, nil, 0)
		if p.noop {
			p = nil
		}
		ch.units = append(ch.units, p)
	}
	return ch, nil
}

// checkChannel reports why a channel op cannot be applied, or "".
func checkChannel(o *circuit.Op) string {
	if o.Channel == nil {
		return "a channel op without a channel" + at(o.Pos)
	}
	if err := o.Channel.Validate(len(o.Qubits)); err != nil {
		return fmt.Sprintf("cannot apply the %s channel%s: %v", o.Channel.Kind, at(o.Pos), err)
	}
	if len(o.Qubits) > maxTargets {
		return fmt.Sprintf("cannot apply a noise channel on %d qubits%s: at most %d", len(o.Qubits), at(o.Pos), maxTargets)
	}
	return ""
}

// dynamicFeature names the first op that keeps p from being a unitary
// circuit, for get_state's error.
func dynamicFeature(p *circuit.Program) string {
	var what string
	circuit.Walk(p.Ops, func(o *circuit.Op) {
		if what != "" {
			return
		}
		switch o.Kind {
		case circuit.OpReset, circuit.OpIf, circuit.OpWhile, circuit.OpChannel:
			what = fmt.Sprintf("a %s%s", o.Kind, at(o.Pos))
			if o.Kind == circuit.OpChannel {
				what = fmt.Sprintf("a %s noise channel%s", o.Channel.Kind, at(o.Pos))
			}
		}
	})
	if what == "" {
		what = "a measurement followed by more operations on its qubit"
	}
	return what
}

// at renders a source position for a message: " at 3:7", or "" when the
// front-end recorded none.
func at(p sokr.Position) string {
	if p.IsZero() {
		return ""
	}
	return " at " + p.String()
}
