package circuit

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the IR format name of circuit programs.
const Format = "sokr.circuit/1"

// Limits that keep a malformed or hostile program from exhausting memory.
const (
	MaxQubits = 64      // a state vector of more cannot exist; statevec refuses far fewer
	MaxClbits = 1 << 16 // classical bits
	MaxOps    = 1 << 24 // ops after loop unrolling and gate inlining
	// MaxOpBytes bounds the memory of a program's ops: at 256 bytes an Op
	// (opSize), some two million ops. MaxOps of them would take 4 GiB.
	// Front-ends that build ops count them against it (qasm counts an op
	// twice while it builds the list, and what each op owns).
	MaxOpBytes = 512 << 20
)

// opSize is the size of one Op.
const opSize = int64(unsafe.Sizeof(Op{}))

// OpKind is the kind of an Op.
type OpKind uint8

// The op kinds.
const (
	OpGate    OpKind = iota // Gate on Qubits (controls first), with Params
	OpMeasure               // measure Qubits[0] into Clbit
	OpReset                 // reset Qubits[0] to |0>
	OpBarrier               // a scheduling barrier on Qubits; no effect on the state
	OpChannel               // the noise Channel on Qubits
	OpIf                    // Then when Cond holds, else Else
	OpWhile                 // Body (Then) while Cond holds
)

var opKindNames = [...]string{"gate", "measure", "reset", "barrier", "channel", "if", "while"}

func (k OpKind) String() string {
	if int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// Op is one operation of a circuit.
type Op struct {
	Kind OpKind
	// Name is the gate's name in the source ("cx", "ccx", "h"), used to
	// match noise rules and in messages. Gate and Controls say what it does.
	Name   string
	Gate   Gate
	Params []Expr
	// Qubits lists the controls (the first Controls of them) and then the
	// Gate.Targets() targets. For measure and reset it is the one qubit.
	Qubits   []int
	Controls int
	// NegControls has bit i set when control i fires on |0> instead of |1>.
	NegControls uint64
	Clbit       int      // OpMeasure: the classical bit written
	Channel     *Channel // OpChannel
	Cond        Cond     // OpIf, OpWhile
	Then, Else  []Op     // OpIf branches; OpWhile's body is Then
	Pos         sokr.Position
}

// Targets returns the gate's target qubits (Qubits after the controls).
func (o *Op) Targets() []int { return o.Qubits[o.Controls:] }

// CmpOp compares a classical register value with a constant.
type CmpOp uint8

// The comparisons.
const (
	Eq CmpOp = iota
	Ne
	Lt
	Le
	Gt
	Ge
)

var cmpNames = [...]string{"==", "!=", "<", "<=", ">", ">="}

func (c CmpOp) String() string { return cmpNames[c] }

// Cond is a classical condition: the unsigned integer formed by Clbits
// (Clbits[0] the least significant bit) compared with Value.
type Cond struct {
	Clbits []int
	Cmp    CmpOp
	Value  uint64
}

// Holds evaluates the condition on the classical bits.
func (c Cond) Holds(bits []bool) bool {
	var v uint64
	for i, b := range c.Clbits {
		if bits[b] {
			v |= 1 << i
		}
	}
	switch c.Cmp {
	case Eq:
		return v == c.Value
	case Ne:
		return v != c.Value
	case Lt:
		return v < c.Value
	case Le:
		return v <= c.Value
	case Gt:
		return v > c.Value
	default:
		return v >= c.Value
	}
}

// Register is a named, contiguous range of qubits or classical bits.
type Register struct {
	Name  string
	Start int
	Size  int
}

// Unsupported records a construct the front-end parsed but that has no
// circuit meaning (pulse-level calibration, timing). Substrates refuse a
// program that has any, naming the first.
type Unsupported struct {
	Feature string // e.g. "defcal (pulse-level calibration)"
	Pos     sokr.Position
}

// Program is a quantum circuit. Build one with a front-end or by filling
// the fields and calling Validate; do not change it afterwards.
type Program struct {
	// Source is the format it was read from, e.g. "openqasm/2"; Format()
	// is always "sokr.circuit/1".
	Source string
	// Text is the source the front-end read, in format Source (see
	// ProgramSource); nil for a program built in Go or derived from
	// another (WithNoise).
	Text   []byte
	Qubits int
	Clbits int
	QRegs  []Register
	CRegs  []Register
	// Params names the runtime parameters in input order: each dispatch
	// passes one f64 scalar per name.
	Params      []string
	Ops         []Op
	Unsupported []Unsupported

	once sync.Once
	reqs sokr.Requirements
}

// Format returns "sokr.circuit/1".
func (p *Program) Format() string { return Format }

// Requirements lists the features used ("gate:cx" style names from the
// source, "op:measure", "op:mid-circuit-measure", "op:reset", "op:if",
// "op:while", "noise:<channel>", "unsupported:<feature>") and the
// quantities "qubits", "clbits" and "gates" (ops after unrolling).
func (p *Program) Requirements() sokr.Requirements {
	p.once.Do(func() {
		feats := map[string]bool{}
		gateNames := map[string]bool{} // "gate:" is added once a name, not once an op
		gatesN := int64(0)
		measured := make([]bool, p.Qubits)
		var walk func(ops []Op, inBranch bool)
		walk = func(ops []Op, inBranch bool) {
			for i := range ops {
				o := &ops[i]
				switch o.Kind {
				case OpGate:
					gatesN++
					gateNames[o.Name] = true
					for _, q := range o.Qubits {
						if measured[q] {
							feats["op:mid-circuit-measure"] = true
						}
					}
				case OpMeasure:
					feats["op:measure"] = true
					measured[o.Qubits[0]] = true
				case OpReset:
					feats["op:reset"] = true
					if measured[o.Qubits[0]] {
						feats["op:mid-circuit-measure"] = true
					}
				case OpChannel:
					feats["noise:"+o.Channel.Kind.String()] = true
				case OpIf:
					feats["op:if"] = true
					walk(o.Then, true)
					walk(o.Else, true)
				case OpWhile:
					feats["op:while"] = true
					walk(o.Then, true)
				}
			}
		}
		walk(p.Ops, false)
		for name := range gateNames {
			feats["gate:"+name] = true
		}
		for _, u := range p.Unsupported {
			feats["unsupported:"+u.Feature] = true
		}
		list := make([]string, 0, len(feats))
		for f := range feats {
			list = append(list, f)
		}
		sort.Strings(list)
		p.reqs = sokr.Requirements{Features: list, Quantities: map[string]int64{
			"qubits": int64(p.Qubits), "clbits": int64(p.Clbits), "gates": gatesN,
		}}
	})
	return p.reqs
}

// Dynamic reports whether a run needs per-shot simulation: a gate, reset
// or condition after a measurement, a loop, or a noise channel. A program
// that is not dynamic can be simulated once and sampled many times.
func (p *Program) Dynamic() bool {
	r := p.Requirements()
	for _, f := range r.Features {
		if f == "op:mid-circuit-measure" || f == "op:if" || f == "op:while" || strings.HasPrefix(f, "noise:") {
			return true
		}
	}
	return false
}

// Measured reports whether the program measures anything. Samplers measure
// every qubit (qubit i into bit i) when it does not.
func (p *Program) Measured() bool {
	return slices.Contains(p.Requirements().Features, "op:measure")
}

// Validate checks every op: known gates with the right number of
// parameters and qubits, indices in range, distinct qubits per op,
// parameter references in range, conditions on existing bits. Front-ends
// call it before returning a Program.
func (p *Program) Validate() error {
	if p.Qubits < 0 || p.Qubits > MaxQubits {
		return p.errorf(sokr.Position{}, "%d qubits: at most %d are allowed", p.Qubits, MaxQubits)
	}
	if p.Clbits < 0 || p.Clbits > MaxClbits {
		return p.errorf(sokr.Position{}, "%d classical bits: at most %d are allowed", p.Clbits, MaxClbits)
	}
	for _, r := range p.QRegs {
		if r.Start < 0 || r.Size < 0 || r.Start+r.Size > p.Qubits {
			return p.errorf(sokr.Position{}, "quantum register %s [%d, %d) lies outside the %d qubits", r.Name, r.Start, r.Start+r.Size, p.Qubits)
		}
	}
	for _, r := range p.CRegs {
		if r.Start < 0 || r.Size < 0 || r.Start+r.Size > p.Clbits {
			return p.errorf(sokr.Position{}, "classical register %s [%d, %d) lies outside the %d bits", r.Name, r.Start, r.Start+r.Size, p.Clbits)
		}
	}
	n := 0
	return p.validate(p.Ops, &n)
}

func (p *Program) validate(ops []Op, n *int) error {
	for i := range ops {
		o := &ops[i]
		if *n++; *n > MaxOps {
			return p.errorf(o.Pos, "more than %d operations", MaxOps)
		}
		if err := p.validateOp(o); err != nil {
			return err
		}
		if o.Kind == OpIf || o.Kind == OpWhile {
			if err := p.validate(o.Then, n); err != nil {
				return err
			}
			if err := p.validate(o.Else, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Program) validateOp(o *Op) error {
	if err := p.checkQubits(o); err != nil {
		return err
	}
	switch o.Kind {
	case OpGate:
		if !o.Gate.Valid() {
			return p.errorf(o.Pos, "%s: unknown gate", o.Name)
		}
		if o.Controls < 0 || o.Controls > 63 {
			return p.errorf(o.Pos, "%s: %d controls", o.Name, o.Controls)
		}
		if want := o.Controls + o.Gate.Targets(); len(o.Qubits) != want {
			return p.errorf(o.Pos, "%s acts on %d qubits, got %d", o.Name, want, len(o.Qubits))
		}
		if len(o.Params) != o.Gate.NumParams() {
			return p.errorf(o.Pos, "%s takes %d parameters, got %d", o.Name, o.Gate.NumParams(), len(o.Params))
		}
		for _, e := range o.Params {
			if m := e.maxParam(); m >= len(p.Params) {
				return p.errorf(o.Pos, "%s uses runtime parameter %d of %d", o.Name, m, len(p.Params))
			}
		}
	case OpMeasure, OpReset:
		if len(o.Qubits) != 1 {
			return p.errorf(o.Pos, "%s acts on one qubit, got %d", o.Kind, len(o.Qubits))
		}
		if o.Kind == OpMeasure && (o.Clbit < 0 || o.Clbit >= p.Clbits) {
			return p.errorf(o.Pos, "measure into bit %d: the program has %d classical bits", o.Clbit, p.Clbits)
		}
	case OpBarrier:
	case OpChannel:
		if o.Channel == nil {
			return p.errorf(o.Pos, "channel op without a channel")
		}
		if err := o.Channel.Validate(len(o.Qubits)); err != nil {
			return p.errorf(o.Pos, "%v", err)
		}
	case OpIf, OpWhile:
		if len(o.Cond.Clbits) == 0 || len(o.Cond.Clbits) > 64 {
			return p.errorf(o.Pos, "%s condition on %d bits: 1 to 64 are allowed", o.Kind, len(o.Cond.Clbits))
		}
		for _, b := range o.Cond.Clbits {
			if b < 0 || b >= p.Clbits {
				return p.errorf(o.Pos, "%s condition reads bit %d: the program has %d classical bits", o.Kind, b, p.Clbits)
			}
		}
		if o.Cond.Cmp > Ge {
			return p.errorf(o.Pos, "%s condition: unknown comparison %d", o.Kind, o.Cond.Cmp)
		}
		if o.Kind == OpWhile && len(o.Else) > 0 {
			return p.errorf(o.Pos, "while has no else branch")
		}
	default:
		return p.errorf(o.Pos, "unknown op kind %d", o.Kind)
	}
	return nil
}

func (p *Program) checkQubits(o *Op) error {
	for i, q := range o.Qubits {
		if q < 0 || q >= p.Qubits {
			return p.errorf(o.Pos, "%s: qubit %d out of range: the program has %d qubits", o.label(), q, p.Qubits)
		}
		if o.Kind != OpBarrier && slices.Contains(o.Qubits[:i], q) {
			return p.errorf(o.Pos, "%s: qubit %d appears twice", o.label(), q)
		}
	}
	return nil
}

func (o *Op) label() string {
	if o.Name != "" {
		return o.Name
	}
	return o.Kind.String()
}

func (p *Program) errorf(pos sokr.Position, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Walk calls f on every op, descending into branches and loop bodies.
func Walk(ops []Op, f func(*Op)) {
	for i := range ops {
		f(&ops[i])
		Walk(ops[i].Then, f)
		Walk(ops[i].Else, f)
	}
}
