package facade

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// drawOp is one op of a circuit as sokr.quantum.draw reads it: what to put
// on which wires. Params are numbers, or text where they depend on runtime
// parameters that were not given.
type drawOp struct {
	Kind     string   `json:"kind"`
	Gate     string   `json:"gate,omitempty"`
	Params   []any    `json:"params,omitempty"`
	Qubits   []int    `json:"qubits"`
	Controls int      `json:"controls,omitempty"`
	Negated  []int    `json:"negated,omitempty"` // indices into Qubits of controls on |0>
	Clbit    int      `json:"clbit"`
	Cond     string   `json:"cond,omitempty"`
	Then     []drawOp `json:"then,omitempty"`
	Else     []drawOp `json:"else,omitempty"`
}

// CircuitOps lists the ops of circuit prog as JSON, for drawing. values is
// a JSON list of the runtime parameters' values, or "" to leave them as
// names.
func CircuitOps(prog int64, values string) (string, error) {
	p, err := programFor(prog)
	if err != nil {
		return "", fail(err)
	}
	c, ok := p.(*circuit.Program)
	if !ok {
		return "", fail(&sokr.ProgramError{Format: p.Format(), Msg: "only quantum circuits can be drawn, not " + p.Format()})
	}
	var vals []float64
	if values != "" {
		if err := json.Unmarshal([]byte(values), &vals); err != nil {
			return "", fail(&sokr.InputError{Index: -1, Msg: "parameter values are not a JSON list of numbers: " + err.Error()})
		}
		if len(vals) != len(c.Params) {
			return "", fail(&sokr.InputError{Index: min(len(vals), len(c.Params)),
				Msg: fmt.Sprintf("the kernel takes %d parameter(s) (%s), got %d", len(c.Params), strings.Join(c.Params, ", "), len(vals))})
		}
	}
	b, err := json.Marshal(drawOps(c, c.Ops, vals))
	if err != nil {
		return "", fail(err)
	}
	return string(b), nil
}

func drawOps(c *circuit.Program, ops []circuit.Op, vals []float64) []drawOp {
	out := make([]drawOp, 0, len(ops))
	for i := range ops {
		o := &ops[i]
		d := drawOp{Kind: o.Kind.String(), Qubits: o.Qubits, Controls: o.Controls, Clbit: o.Clbit}
		if d.Qubits == nil {
			d.Qubits = []int{}
		}
		for j := range o.Controls {
			if o.NegControls&(1<<j) != 0 {
				d.Negated = append(d.Negated, j)
			}
		}
		switch o.Kind {
		case circuit.OpGate:
			d.Gate = o.Gate.String()
			for _, e := range o.Params {
				switch {
				case e.IsConst() || vals != nil:
					d.Params = append(d.Params, e.Eval(vals))
				default:
					d.Params = append(d.Params, exprText(e, c.Params))
				}
			}
		case circuit.OpChannel:
			d.Gate = o.Channel.Kind.String()
		case circuit.OpIf, circuit.OpWhile:
			d.Cond = condText(c, o.Cond)
			d.Then = drawOps(c, o.Then, vals)
			d.Else = drawOps(c, o.Else, vals)
		}
		out = append(out, d)
	}
	return out
}

// exprText is e with its parameters named, without outer parentheses.
func exprText(e circuit.Expr, names []string) string {
	s := e.String()
	// Highest index first, so that $1 does not rewrite the start of $12.
	for i := len(names) - 1; i >= 0; i-- {
		s = strings.ReplaceAll(s, "$"+strconv.Itoa(i), names[i])
	}
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") && balanced(s[1:len(s)-1]) {
		s = s[1 : len(s)-1]
	}
	return s
}

// balanced reports whether s's parentheses never close more than they open.
func balanced(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// condText names a condition by its register when its bits are one whole
// classical register, else by its bits.
func condText(c *circuit.Program, cond circuit.Cond) string {
	what := ""
	for _, r := range c.CRegs {
		if r.Size == len(cond.Clbits) && r.Size > 0 && cond.Clbits[0] == r.Start && contiguous(cond.Clbits) {
			what = r.Name
			break
		}
	}
	if what == "" {
		parts := make([]string, len(cond.Clbits))
		for i, b := range cond.Clbits {
			parts[i] = bitName(c, b)
		}
		what = strings.Join(parts, ",")
	}
	return fmt.Sprintf("%s%s%d", what, cond.Cmp, cond.Value)
}

func contiguous(bits []int) bool {
	for i := 1; i < len(bits); i++ {
		if bits[i] != bits[i-1]+1 {
			return false
		}
	}
	return true
}

// bitName is classical bit b as its register names it: "c[0]".
func bitName(c *circuit.Program, b int) string {
	for _, r := range c.CRegs {
		if b >= r.Start && b < r.Start+r.Size {
			return r.Name + "[" + strconv.Itoa(b-r.Start) + "]"
		}
	}
	return "bit" + strconv.Itoa(b)
}
