package qsim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// InputParams checks a run's inputs, one rank-0 f64 or f32 tensor per
// runtime parameter of p, and returns their values. A bad input is a
// *sokr.InputError naming the parameter; a wrong count, one with Index -1.
func InputParams(p *circuit.Program, in []sokr.Tensor) ([]float64, error) {
	if len(in) != len(p.Params) {
		return nil, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("the circuit has %d runtime parameters (%s), got %d inputs",
			len(p.Params), strings.Join(p.Params, ", "), len(in))}
	}
	vals := make([]float64, len(in))
	for i, t := range in {
		bad := func(msg string) error { return &sokr.InputError{Index: i, Name: p.Params[i], Msg: msg} }
		if err := t.Check(); err != nil {
			return nil, bad(err.Error())
		}
		if len(t.Shape) != 0 {
			return nil, bad(fmt.Sprintf("a runtime parameter is a scalar (rank 0) f64 or f32, got %v", t))
		}
		switch t.DType {
		case sokr.F64:
			vals[i] = sokr.View[float64](t)[0]
		case sokr.F32:
			vals[i] = float64(sokr.View[float32](t)[0])
		default:
			return nil, bad(fmt.Sprintf("a runtime parameter is a scalar f64 or f32, got %v", t))
		}
		if math.IsNaN(vals[i]) || math.IsInf(vals[i], 0) {
			return nil, bad(fmt.Sprintf("value %v is not finite", vals[i]))
		}
	}
	return vals, nil
}

// Pick draws an index with probability proportional to w (weights <= 0
// are never drawn) from one rng.Float64(), so that every substrate makes
// the same choice (a Kraus operator, a trajectory's branch) from the same
// generator.
func Pick(w []float64, rng *rand.Rand) int {
	var total float64
	for _, v := range w {
		total += v
	}
	u := rng.Float64() * total
	last := 0
	for i, v := range w {
		if v <= 0 {
			continue
		}
		if u < v {
			return i
		}
		u -= v
		last = i
	}
	return last // rounding left u just above the total
}

// KeyLayout returns whether p measures, the width of a counts key (its
// classical bits, or every qubit when it measures nothing) and its
// classical registers as a run's "registers" meta: a JSON list of
// {"name", "start", "size"}. A program that measures nothing reads its
// qubits as register "m"; one with bits but no registers, as register "c".
func KeyLayout(p *circuit.Program) (measured bool, width int, registers string) {
	measured = p.Measured()
	width = p.Clbits
	regs := p.CRegs
	if !measured {
		width, regs = p.Qubits, []circuit.Register{{Name: "m", Start: 0, Size: p.Qubits}}
	} else if len(regs) == 0 && p.Clbits > 0 {
		regs = []circuit.Register{{Name: "c", Start: 0, Size: p.Clbits}}
	}
	type reg struct {
		Name  string `json:"name"`
		Start int    `json:"start"`
		Size  int    `json:"size"`
	}
	list := make([]reg, len(regs))
	for i, g := range regs {
		list[i] = reg{g.Name, g.Start, g.Size}
	}
	b, _ := json.Marshal(list) // strings and ints: cannot fail
	return measured, width, string(b)
}
