package snn

import (
	"context"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// checkInputs verifies one tensor per graph input, each [T, B, *shape] of
// real numbers (f32, f64, i32, i64 or bool) with the same T and B, and
// returns T and B. Whatever their dtype, inputs are converted to the
// run's precision (the "precision" option): the input's dtype never
// chooses it.
func checkInputs(net *network, in []sokr.Tensor) (steps, batch int, err error) {
	if len(in) != len(net.inputs) {
		names := make([]string, len(net.inputs))
		for k, i := range net.inputs {
			names[k] = net.units[i].name
		}
		return 0, 0, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("the graph has %d inputs %v, got %d tensors", len(net.inputs), names, len(in))}
	}
	steps, batch = -1, -1
	for k, i := range net.inputs {
		u, t := net.units[i], in[k]
		bad := func(format string, args ...any) error {
			return &sokr.InputError{Index: k, Name: u.name, Msg: fmt.Sprintf(format, args...)}
		}
		switch t.DType {
		case sokr.F32, sokr.F64, sokr.I32, sokr.I64, sokr.Bool:
		default:
			return 0, 0, bad("dtype %v: want real numbers (f32, f64, i32, i64 or bool)", t.DType)
		}
		if err := t.Check(); err != nil {
			return 0, 0, bad("%v", err)
		}
		want := append([]int{-1, -1}, u.outShape...)
		if len(t.Shape) != len(want) || !sokr.Shape(t.Shape[2:]).Equal(u.outShape) {
			return 0, 0, bad("shape %v: want [T, B, %s] (time steps, batch, then the input's shape)", t.Shape, trim(sokr.Shape(u.outShape).String()))
		}
		if steps >= 0 && (t.Shape[0] != steps || t.Shape[1] != batch) {
			return 0, 0, bad("shape %v: T and B differ from the first input's [%d, %d, ...]", t.Shape, steps, batch)
		}
		steps, batch = t.Shape[0], t.Shape[1]
	}
	if steps < 0 {
		return 0, 0, &sokr.InputError{Index: -1, Msg: "the graph has no input"}
	}
	return steps, batch, nil
}

func trim(s string) string { return s[1 : len(s)-1] }

// simulate runs c for the inputs from st (advanced in place) and returns
// the outputs (graph outputs, then probes) and the counters.
func simulate[F float](ctx context.Context, c *compiled[F], st *state[F], in []sokr.Tensor, steps, workers int, lib *blas.Lib) ([]sokr.Output, counters, error) {
	r := newRunner(c, st, steps, workers, lib)
	if err := r.addProbes(c.sem.record, steps); err != nil {
		return nil, counters{}, err
	}
	inputs := make([][]F, len(in))
	for k, t := range in {
		inputs[k] = neuron.Values[F](t)
	}
	outs := make([][]F, len(c.net.outputs))
	for k, i := range c.net.outputs {
		outs[k] = make([]F, steps*st.batch*c.net.units[i].outSize())
	}
	if err := r.run(ctx, inputs, outs, steps); err != nil {
		return nil, r.cnt, err
	}
	res := make([]sokr.Output, 0, len(outs)+len(r.probes))
	for k, i := range c.net.outputs {
		u := c.net.units[i]
		res = append(res, sokr.Output{Name: u.name, Tensor: sokr.FromSlice(outs[k], append([]int{steps, st.batch}, u.outShape...)...)})
	}
	for _, p := range r.probes {
		res = append(res, sokr.Output{Name: "probe:" + p.name, Tensor: sokr.FromSlice(p.data, append([]int{steps, st.batch}, p.shape...)...)})
	}
	return res, r.cnt, nil
}
