package snn

import (
	"context"

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
	inputs := make([]neuron.Input, len(net.inputs))
	for k, i := range net.inputs {
		inputs[k] = neuron.Input{Name: net.units[i].name, Shape: net.units[i].outShape}
	}
	if steps, batch, err = neuron.Steps(in, inputs); err == nil && steps < 0 {
		err = &sokr.InputError{Index: -1, Msg: "the graph has no input"}
	}
	return steps, batch, err
}

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
