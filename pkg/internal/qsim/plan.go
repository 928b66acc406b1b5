package qsim

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// MaxWhileIterations bounds the iterations of one execution of a while
// loop: a loop whose condition never fails is a fault of the program, not
// a reason to hang the dispatch.
const MaxWhileIterations = 100_000

// Plan is a program compiled for one dispatch: parameters evaluated, gates
// turned into passes of type P by the substrate's passes function (statevec
// keeps its cache-blocked stages, vulkan uses *Pass).
type Plan[P any] struct {
	Prog *circuit.Program
	// Static: the program is a unitary circuit followed by measurements,
	// so that it is simulated once and sampled. Prefix then holds all of
	// its passes and Measures the (qubit, clbit) pairs in program order.
	// Otherwise Prefix is the leading run of gates, simulated once, and
	// Rest the remainder, run once per shot.
	Static   bool
	Prefix   []P
	Measures []Measurement
	Rest     []Step[P]
	Gates    int // gate ops compiled
}

// Measurement is a measurement of a static program: Qubit into Clbit.
type Measurement struct{ Qubit, Clbit int }

// StepKind is the kind of a step of the per-shot remainder.
type StepKind uint8

// The kinds of step.
const (
	StepPass    StepKind = iota // apply Pass
	StepMeasure                 // measure Qubit into Clbit
	StepReset                   // measure Qubit and apply Flip if it was 1
	StepChannel                 // apply the noise channel Ch
	StepIf                      // run Then if Cond holds, else Else
	StepWhile                   // run Then while Cond holds
)

// Step is one operation of the per-shot remainder of a dynamic program.
type Step[P any] struct {
	Kind  StepKind
	Pass  P             // StepPass
	Qubit int           // StepMeasure, StepReset; -1 otherwise
	Clbit int           // StepMeasure
	Flip  *Pass         // StepReset: X on the qubit
	Ch    *Channel      // StepChannel
	Cond  circuit.Cond  // StepIf, StepWhile
	Then  []Step[P]     // StepIf, StepWhile
	Else  []Step[P]     // StepIf
	Pos   sokr.Position // the op's position in the source
}

// Compile builds the plan of p for the runtime parameter values params,
// turning each run of gates into passes with passes. With unitaryOnly
// (observe and state modes), trailing measurements are dropped and any
// other measurement of a static program is ignored. A channel that cannot
// be applied is a *sokr.ProgramError.
func Compile[P any](p *circuit.Program, params []float64, unitaryOnly bool, passes func([]Gate) []P) (*Plan[P], error) {
	pl := &Plan[P]{Prog: p}
	ops := TrimOps(p, unitaryOnly)
	pl.Static = IsStatic(ops, p.Qubits)
	if pl.Static {
		gates := make([]Gate, 0, len(ops))
		for i := range ops {
			switch o := &ops[i]; o.Kind {
			case circuit.OpGate:
				gates = append(gates, EvalGate(o, params))
			case circuit.OpMeasure:
				pl.Measures = append(pl.Measures, Measurement{o.Qubits[0], o.Clbit})
			}
		}
		pl.Prefix = passes(gates)
		pl.Gates = len(gates)
		return pl, nil
	}
	n := 0
	for n < len(ops) && (ops[n].Kind == circuit.OpGate || ops[n].Kind == circuit.OpBarrier) {
		n++
	}
	var gates []Gate
	for i := range ops[:n] {
		if ops[i].Kind == circuit.OpGate {
			gates = append(gates, EvalGate(&ops[i], params))
		}
	}
	pl.Prefix = passes(gates)
	pl.Gates = len(gates)
	var err error
	pl.Rest, err = steps(ops[n:], params, passes)
	return pl, err
}

// steps compiles ops into per-shot steps, fusing each run of gates.
func steps[P any](ops []circuit.Op, params []float64, passes func([]Gate) []P) ([]Step[P], error) {
	var out []Step[P]
	var run []Gate
	flush := func() {
		for _, ps := range passes(run) {
			out = append(out, Step[P]{Kind: StepPass, Pass: ps})
		}
		run = run[:0]
	}
	for i := range ops {
		o := &ops[i]
		if o.Kind == circuit.OpGate {
			run = append(run, EvalGate(o, params))
			continue
		}
		if o.Kind == circuit.OpBarrier {
			continue
		}
		flush()
		st := Step[P]{Qubit: -1, Pos: o.Pos}
		switch o.Kind {
		case circuit.OpMeasure:
			st.Kind, st.Qubit, st.Clbit = StepMeasure, o.Qubits[0], o.Clbit
		case circuit.OpReset:
			st.Kind, st.Qubit = StepReset, o.Qubits[0]
			st.Flip = NewPass(o.Qubits, []complex128{0, 1, 1, 0}, nil, 0)
		case circuit.OpChannel:
			ch, err := NewChannel(o)
			if err != nil {
				return nil, err
			}
			if ch == nil {
				continue // the identity channel
			}
			st.Kind, st.Ch = StepChannel, ch
		case circuit.OpIf, circuit.OpWhile:
			st.Kind, st.Cond = StepIf, o.Cond
			if o.Kind == circuit.OpWhile {
				st.Kind = StepWhile
			}
			var err error
			if st.Then, err = steps(o.Then, params, passes); err != nil {
				return nil, err
			}
			if st.Else, err = steps(o.Else, params, passes); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	flush()
	return out, nil
}

// TrimOps returns the top-level ops that matter: resets of qubits nothing
// has touched yet are dropped (a fresh qubit is |0>, and QASM files often
// begin with them), and with unitaryOnly so are the trailing measurements
// and barriers.
func TrimOps(p *circuit.Program, unitaryOnly bool) []circuit.Op {
	ops := untrailed(p.Ops, unitaryOnly)
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

// StaticRun reports whether Compile will find p static (simulated once
// and sampled) for a run of the given kind, as IsStatic(TrimOps(p,
// unitaryOnly)) does, without copying the ops: for memory estimates.
func StaticRun(p *circuit.Program, unitaryOnly bool) bool {
	ops := untrailed(p.Ops, unitaryOnly)
	touched := make([]bool, p.Qubits)
	measured := make([]bool, p.Qubits)
	for i := range ops {
		o := &ops[i]
		if o.Kind == circuit.OpReset && !touched[o.Qubits[0]] {
			continue // dropped by TrimOps
		}
		if !staticOp(o, measured) {
			return false
		}
		if o.Kind != circuit.OpBarrier {
			for _, q := range o.Qubits {
				touched[q] = true
			}
		}
	}
	return true
}

// untrailed returns ops without the trailing measurements and barriers
// when unitaryOnly, else ops.
func untrailed(ops []circuit.Op, unitaryOnly bool) []circuit.Op {
	if !unitaryOnly {
		return ops
	}
	end := len(ops)
	for end > 0 && (ops[end-1].Kind == circuit.OpMeasure || ops[end-1].Kind == circuit.OpBarrier) {
		end--
	}
	return ops[:end]
}

// IsStatic reports whether ops are gates and measurements with no gate on
// a qubit after its measurement: the measurements then commute to the end
// and the circuit can be simulated once and sampled.
func IsStatic(ops []circuit.Op, qubits int) bool {
	measured := make([]bool, qubits)
	for i := range ops {
		if !staticOp(&ops[i], measured) {
			return false
		}
	}
	return true
}

// staticOp is IsStatic's test of one op, measured marking the qubits
// measured before it: false for an op other than a gate, measurement or
// barrier, or a gate on a measured qubit.
func staticOp(o *circuit.Op, measured []bool) bool {
	switch o.Kind {
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
	return true
}

// EvalGate evaluates the parameters of a gate op. A controlled global
// phase becomes a phase gate on its last control, controlled by the
// others.
func EvalGate(o *circuit.Op, params []float64) Gate {
	vals := make([]float64, len(o.Params))
	for i, e := range o.Params {
		vals[i] = e.Eval(params)
	}
	g := Gate{Qubits: o.Qubits, NCtrl: o.Controls, Neg: o.NegControls, Mat: o.Gate.Matrix(vals)}
	if o.Gate == circuit.GPhase && o.Controls > 0 {
		ph := g.Mat[0]
		g.NCtrl--
		if g.Neg>>g.NCtrl&1 == 1 {
			g.Mat = []complex128{ph, 0, 0, 1}
		} else {
			g.Mat = []complex128{1, 0, 0, ph}
		}
		g.Neg &^= 1 << g.NCtrl
	}
	return g
}

// Channel is a noise channel ready to apply to a trajectory.
type Channel struct {
	Qubits []int
	Ops    [][]complex128 // Kraus operators on Qubits (index bit j = Qubits[j])
	// Mixed-unitary channels: operator i is chosen with probability
	// Weights[i] and applied as the unitary Units[i] (nil: the identity).
	// Both are nil for other channels.
	Weights []float64
	Units   []*Pass
}

// NewChannel prepares the channel of op o, or returns nil for a channel
// that cannot change the state (a Pauli channel of probability 0).
func NewChannel(o *circuit.Op) (*Channel, error) {
	c := o.Channel
	if err := c.Validate(len(o.Qubits)); err != nil {
		return nil, &sokr.ProgramError{Format: circuit.Format, Pos: o.Pos, Msg: err.Error()}
	}
	ch := &Channel{Qubits: o.Qubits, Ops: c.KrausOps(len(o.Qubits))}
	if !c.MixedUnitary() {
		return ch, nil
	}
	if c.P == 0 {
		return nil, nil
	}
	d := 1 << len(o.Qubits)
	for _, k := range ch.Ops {
		var w float64
		for _, v := range k {
			w += real(v)*real(v) + imag(v)*imag(v)
		}
		w /= float64(d)
		ch.Weights = append(ch.Weights, w)
		if w == 0 {
			ch.Units = append(ch.Units, nil)
			continue
		}
		u := make([]complex128, len(k))
		s := complex(1/math.Sqrt(w), 0)
		for i, v := range k {
			u[i] = v * s
		}
		p := NewPass(o.Qubits, u, nil, 0)
		if p.Noop {
			p = nil
		}
		ch.Units = append(ch.Units, p)
	}
	return ch, nil
}

// CheckChannel reports why a channel op cannot be applied, or "".
func CheckChannel(o *circuit.Op) string {
	if o.Channel == nil {
		return "a channel op without a channel" + At(o.Pos)
	}
	if err := o.Channel.Validate(len(o.Qubits)); err != nil {
		return fmt.Sprintf("cannot apply the %s channel%s: %v", o.Channel.Kind, At(o.Pos), err)
	}
	if len(o.Qubits) > MaxTargets {
		return fmt.Sprintf("cannot apply a noise channel on %d qubits%s: at most %d", len(o.Qubits), At(o.Pos), MaxTargets)
	}
	return ""
}

// DynamicFeature names the first op that keeps p from being a unitary
// circuit, for get_state's error.
func DynamicFeature(p *circuit.Program) string {
	var what string
	circuit.Walk(p.Ops, func(o *circuit.Op) {
		if what != "" {
			return
		}
		switch o.Kind {
		case circuit.OpReset, circuit.OpIf, circuit.OpWhile, circuit.OpChannel:
			what = fmt.Sprintf("a %s%s", o.Kind, At(o.Pos))
			if o.Kind == circuit.OpChannel {
				what = fmt.Sprintf("a %s noise channel%s", o.Channel.Kind, At(o.Pos))
			}
		}
	})
	if what == "" {
		what = "a measurement followed by more operations on its qubit"
	}
	return what
}

// At renders a source position for a message: " at 3:7", or "" when the
// front-end recorded none.
func At(p sokr.Position) string {
	if p.IsZero() {
		return ""
	}
	return " at " + p.String()
}
