//go:build cgo

package vulkan

// NIR graphs on the GPU: a feed-forward NIR graph of Input, Affine, Linear,
// Scale, Threshold, LIF, LI, IF, I and Output nodes is lowered, for a run
// of T steps and a batch of B, onto a native program (pkg/ir/native) that
// the built-in kernels run in one command buffer: a layer's products for
// all the steps are one matmul (mergeMatmuls), as its input is known
// before it runs, and the neuron updates are elementwise chains that the
// fused kernel runs step by step. The semantics are the snn substrate's, option
// for option (dt, solver, reset, spike_timing, spike_amplitude,
// initial_state zero or v_leak, record): the coefficients come from
// pkg/internal/neuron, as snn's do, in float64 rounded to f32, and the
// update evaluates the same expression in the same order ((av·v + bv) +
// gv·x, the spike read with a strict >); the tests compare this
// substrate's traces with snn's.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/internal/opt"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// nirOp is what a lowered node computes.
type nirOp int

const (
	nirInput nirOp = iota
	nirOutput
	nirAffine
	nirScale
	nirThreshold
	nirNeuron
)

// nirNode is one flat node of a graph the substrate runs.
type nirNode struct {
	name    string
	op      nirOp
	shape   []int // output shape
	nin, n  int   // input and output elements per batch row
	inputs  []int // node indices, all earlier than this node
	weight  []float64
	bias    []float64
	perElem []float64 // scale or threshold
	neuron  *nirNeuronParams
}

// nirNeuronParams are a neuron population's parameters, one per neuron.
type nirNeuronParams struct {
	kind                      string // "LIF", "LI", "IF", "I"
	tau, r, vLeak, vTh, vRest []float64
}

func (p *nirNeuronParams) spiking() bool { return p.kind == "LIF" || p.kind == "IF" }

// nirNet is a NIR program the substrate runs.
type nirNet struct {
	nodes   []nirNode
	inputs  []int
	outputs []int
}

// nirNetOf reads a NIR program, refusing (naming the node and its
// primitive) what the built-in kernels do not run: recurrent edges and the
// primitives other than the ones above. The snn substrate runs those.
func nirNetOf(prog *nir.Program) (*nirNet, error) {
	f := prog.Flat()
	if f == nil {
		return nil, fmt.Errorf("the NIR program has no graph")
	}
	net := &nirNet{nodes: make([]nirNode, len(f.Nodes)), inputs: f.Inputs, outputs: f.Outputs}
	for i := range f.Nodes {
		fn := &f.Nodes[i]
		refuse := func(format string, args ...any) error {
			return fmt.Errorf("node %q (%s): %s", fn.Name, fn.Prim.Type(), fmt.Sprintf(format, args...))
		}
		if fn.InShape == nil || fn.OutShape == nil {
			return nil, refuse("its input or output shape is unknown (give the graph's Input shapes)")
		}
		u := nirNode{name: fn.Name, shape: fn.OutShape, nin: prod(fn.InShape), n: prod(fn.OutShape)}
		for _, e := range fn.In {
			fe := f.Edges[e]
			if fe.Recurrent || fe.From >= i {
				return nil, refuse("a recurrent edge feeds it; vulkan runs feed-forward NIR graphs only (the snn substrate runs recurrent ones)")
			}
			u.inputs = append(u.inputs, fe.From)
		}
		var err error
		switch p := fn.Prim.(type) {
		case *nir.Input:
			u.op = nirInput
		case *nir.Output:
			u.op = nirOutput
		case *nir.Affine:
			u.op = nirAffine
			if u.weight, err = nirMatrix(p.Weight, u); err == nil {
				u.bias, err = nirPerElement("bias", p.Bias, u.n)
			}
		case *nir.Linear:
			u.op = nirAffine
			u.weight, err = nirMatrix(p.Weight, u)
		case *nir.Scale:
			u.op = nirScale
			u.perElem, err = nirPerElement("scale", p.Scale, u.n)
		case *nir.Threshold:
			u.op = nirThreshold
			u.perElem, err = nirPerElement("threshold", p.Threshold, u.n)
		case *nir.LIF, *nir.LI, *nir.IF, *nir.I:
			u.op = nirNeuron
			u.neuron, err = nirNeuronOf(fn.Prim, u.n)
		default:
			return nil, refuse("vulkan has no kernel for this primitive (it runs Input, Output, Affine, Linear, Scale, Threshold, LIF, LI, IF and I; the snn substrate runs the rest)")
		}
		if err != nil {
			return nil, refuse("%v", err)
		}
		if u.op != nirInput && len(u.inputs) == 0 {
			return nil, refuse("nothing feeds it")
		}
		if u.op != nirInput && u.nin != u.n && u.op != nirAffine {
			return nil, refuse("its input %v and output %v differ in size", fn.InShape, fn.OutShape)
		}
		for _, src := range u.inputs {
			if net.nodes[src].n != u.nin {
				return nil, refuse("node %q gives it %d values per step, it takes %d", net.nodes[src].name, net.nodes[src].n, u.nin)
			}
		}
		net.nodes[i] = u
	}
	if len(net.inputs) == 0 {
		return nil, fmt.Errorf("the graph has no Input node")
	}
	return net, nil
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// nirPerElement returns a parameter with n values: as given, or one value
// repeated (as snn reads them).
func nirPerElement(name string, a nir.Array, n int) ([]float64, error) {
	switch a.Len() {
	case n:
		return a.Data, nil
	case 1:
		out := make([]float64, n)
		for i := range out {
			out[i] = a.Data[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has %d values (shape %v) for %d elements", name, a.Len(), a.Shape, n)
}

func nirMatrix(w nir.Array, u nirNode) ([]float64, error) {
	if len(w.Shape) != 2 || w.Shape[0] != u.n || w.Shape[1] != u.nin {
		return nil, fmt.Errorf("weight of shape %v: want an (out, in) matrix (%d, %d)", w.Shape, u.n, u.nin)
	}
	return w.Data, nil
}

func nirNeuronOf(p nir.Primitive, n int) (*nirNeuronParams, error) {
	q := &nirNeuronParams{}
	get := func(name string, a nir.Array, dst *[]float64) error {
		if a.Len() == 0 && name == "v_reset" {
			*dst = make([]float64, n) // NIR's default v_reset is 0
			return nil
		}
		v, err := nirPerElement(name, a, n)
		*dst = v
		return err
	}
	var errs []error
	switch p := p.(type) {
	case *nir.LIF:
		q.kind = "LIF"
		errs = append(errs, get("tau", p.Tau, &q.tau), get("r", p.R, &q.r), get("v_leak", p.VLeak, &q.vLeak),
			get("v_threshold", p.VThreshold, &q.vTh), get("v_reset", p.VReset, &q.vRest))
	case *nir.LI:
		q.kind = "LI"
		errs = append(errs, get("tau", p.Tau, &q.tau), get("r", p.R, &q.r), get("v_leak", p.VLeak, &q.vLeak))
	case *nir.IF:
		q.kind = "IF"
		errs = append(errs, get("r", p.R, &q.r), get("v_threshold", p.VThreshold, &q.vTh), get("v_reset", p.VReset, &q.vRest))
	case *nir.I:
		q.kind = "I"
		errs = append(errs, get("r", p.R, &q.r))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, t := range q.tau {
		if !(t > 0) {
			return nil, fmt.Errorf("time constant %g s: must be positive", t)
		}
	}
	return q, nil
}

// nirSemantics are the dispatch options, as the snn substrate reads them
// (pkg/substrate/snn/semantics.go), less the ones vulkan does not run.
type nirSemantics struct {
	dt        float64
	solver    string
	reset     string
	before    bool // spike_timing "before_update"
	amplitude float64
	vLeak     bool // initial_state "v_leak"
	record    []string
}

// The snn substrate's defaults (snn.DefaultDT, DefaultSpikeAmplitude: 0.1 ms
// and 1, for the reasons given there).
const (
	nirDefaultDT        = 1e-4
	nirDefaultAmplitude = 1.0
)

// nirOptions lists the options a NIR run on vulkan takes.
const nirOptions = "dt, solver, reset, spike_timing, spike_amplitude, precision (f32), propagation (dense), synaptic_delay (0), initial_state (zero or v_leak) and record"

func parseNIRSemantics(params map[string]any) (nirSemantics, error) {
	s := nirSemantics{dt: nirDefaultDT, solver: "euler", reset: "to_v_reset", amplitude: nirDefaultAmplitude}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := params[name]
		var err error
		var str string
		switch name {
		case "dt":
			s.dt, err = opt.Number(name, v)
			if err == nil && !(s.dt > 0 && !math.IsInf(s.dt, 0)) {
				err = opt.Err(name, "must be a positive number of seconds, not %v", v)
			}
		case "solver":
			s.solver, err = opt.Choice(name, v, neuron.Euler, neuron.Exact, neuron.Impulse)
		case "reset":
			s.reset, err = opt.Choice(name, v, "to_v_reset", "zero", "subtract")
		case "spike_timing":
			str, err = opt.Choice(name, v, "after_update", "before_update")
			s.before = str == "before_update"
		case "spike_amplitude":
			s.amplitude, err = opt.Number(name, v)
			if err == nil && (math.IsNaN(s.amplitude) || math.IsInf(s.amplitude, 0)) {
				err = opt.Err(name, "must be finite, not %v", v)
			}
		case "precision":
			_, err = opt.Choice(name, v, "f32")
		case "propagation":
			_, err = opt.Choice(name, v, "auto", "dense")
		case "synaptic_delay":
			var d float64
			if d, err = opt.Number(name, v); err == nil && d != 0 {
				err = opt.Err(name, "vulkan runs synaptic_delay 0 only, not %v (the snn substrate runs others)", v)
			}
		case "initial_state":
			str, err = opt.Choice(name, v, "zero", "v_leak")
			s.vLeak = str == "v_leak"
		case "record":
			s.record, err = opt.Probes(name, v)
		default:
			err = opt.Err(name, "vulkan does not run this option for NIR graphs; it takes %s (the snn substrate takes the rest)", nirOptions)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// nirProbe is a recorded quantity: node's "v" or its output ("out",
// "spikes").
type nirProbe struct {
	name  string
	node  int
	field string
}

func (net *nirNet) probes(names []string) ([]nirProbe, error) {
	out := make([]nirProbe, 0, len(names))
	for _, name := range names {
		node, field := -1, "out"
		for i, u := range net.nodes {
			switch {
			case u.name == name:
				node = i
			case strings.HasPrefix(name, u.name+".") && u.op == nirNeuron:
				switch f := name[len(u.name)+1:]; {
				case f == "v", f == "spikes" && u.neuron.spiking():
					node, field = i, f
				}
			}
		}
		if node < 0 {
			return nil, opt.Err("record", "vulkan records NODE (its output), NEURON.v and NEURON.spikes of the graph's nodes, not %q", name)
		}
		if field == "spikes" {
			field = "out"
		}
		out = append(out, nirProbe{name: name, node: node, field: field})
	}
	return out, nil
}

// nirCoefficients returns av, bv, gv of neuron k's update
// v' = av·v + bv + gv·x, as the snn substrate computes them (neuron.Leak
// for LIF and LI; dv/dt = r·x, integrated exactly by every solver,
// for IF and I).
func nirCoefficients(p *nirNeuronParams, k int, solver string, dt float64) (av, bv, gv float64) {
	if p.kind == "IF" || p.kind == "I" {
		return 1, 0, dt * p.r[k]
	}
	return neuron.Leak(solver, dt, p.tau[k], p.vLeak[k], p.r[k])
}

// nirLowered is a NIR run lowered onto a native program: one param per
// graph input and step, then the outputs per step: the graph's outputs,
// then the probes.
type nirLowered struct {
	prog    *native.Program
	steps   int
	batch   int
	outs    []nirResult
	meta    map[string]string
	inputs  []int // the graph's input nodes
	perStep int   // outputs per step
	merged  bool  // the plan's matmuls are merged (nirPlan)
}

// nirResult is one output of the run, assembled from a native output per
// step.
type nirResult struct {
	name  string
	shape []int
}

// lower builds the native program of steps steps of batch rows.
func (net *nirNet) lower(sem nirSemantics, steps, batch int) (*nirLowered, error) {
	probes, err := net.probes(sem.record)
	if err != nil {
		return nil, err
	}
	b := native.NewBuilder()
	row := func(vals []float64, n int) native.Value { // [batch, n], one value per element of a row
		uniform := true
		for _, v := range vals {
			uniform = uniform && float32(v) == float32(vals[0])
		}
		if uniform {
			return b.Fill(sokr.F32, float64(float32(vals[0])), batch, n)
		}
		data := make([]float32, batch*n)
		for e := range data {
			data[e] = float32(vals[e%n])
		}
		return b.Const(sokr.FromSlice(data, batch, n))
	}
	fill := func(v float64, n int) native.Value { return b.Fill(sokr.F32, float64(float32(v)), batch, n) }
	low := &nirLowered{steps: steps, batch: batch, inputs: net.inputs}
	for _, i := range net.outputs {
		low.outs = append(low.outs, nirResult{name: net.nodes[i].name, shape: net.nodes[i].shape})
	}
	for _, p := range probes {
		low.outs = append(low.outs, nirResult{name: "probe:" + p.name, shape: net.nodes[p.node].shape})
	}
	low.perStep = len(low.outs)
	// Per node: its constants, its state and its value at each step.
	type nodeCode struct {
		w, bias, per          native.Value
		av, bv, gv, th, vr, v native.Value
		amp, zero             native.Value
	}
	codes := make([]nodeCode, len(net.nodes))
	vals := make([][]native.Value, len(net.nodes))   // [node][step]
	vTrace := make([][]native.Value, len(net.nodes)) // [node][step], for probes
	recordV := make([]bool, len(net.nodes))
	for _, p := range probes {
		recordV[p.node] = recordV[p.node] || p.field == "v"
	}
	for i := range net.nodes {
		u := &net.nodes[i]
		c := &codes[i]
		switch u.op {
		case nirAffine:
			wt := make([]float32, u.nin*u.n) // Wᵀ: (in, out)
			for o := range u.n {
				for k := range u.nin {
					wt[k*u.n+o] = float32(u.weight[o*u.nin+k])
				}
			}
			c.w = b.Const(sokr.FromSlice(wt, u.nin, u.n))
			if u.bias != nil {
				c.bias = row(u.bias, u.n)
			}
		case nirScale, nirThreshold:
			c.per = row(u.perElem, u.n)
			c.amp, c.zero = fill(sem.amplitude, u.n), fill(0, u.n)
		case nirNeuron:
			p := u.neuron
			av, bv, gv := make([]float64, u.n), make([]float64, u.n), make([]float64, u.n)
			for k := range u.n {
				av[k], bv[k], gv[k] = nirCoefficients(p, k, sem.solver, sem.dt)
				for _, x := range []float64{av[k], bv[k], gv[k]} {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						return nil, fmt.Errorf("node %q (%s): neuron %d gives a non-finite update coefficient (%v) at dt = %g s", u.name, p.kind, k, x, sem.dt)
					}
				}
			}
			c.av, c.bv, c.gv = row(av, u.n), row(bv, u.n), row(gv, u.n)
			if p.spiking() {
				c.th = row(p.vTh, u.n)
				vr := p.vRest
				if sem.reset == "zero" {
					vr = make([]float64, u.n)
				}
				c.vr = row(vr, u.n)
				c.amp, c.zero = fill(sem.amplitude, u.n), fill(0, u.n)
			}
			if sem.vLeak && p.vLeak != nil { // IF and I have no v_leak: they start at 0
				c.v = row(p.vLeak, u.n)
			} else {
				c.v = fill(0, u.n)
			}
		}
		vals[i] = make([]native.Value, steps)
		if recordV[i] {
			vTrace[i] = make([]native.Value, steps)
		}
	}
	// Node by node, step by step: the steps of one population are
	// consecutive elementwise nodes, which the fused kernel runs as chains.
	sum := func(u *nirNode, t int) native.Value {
		x := vals[u.inputs[0]][t]
		for _, src := range u.inputs[1:] {
			x = x.Add(vals[src][t])
		}
		return x
	}
	for i := range net.nodes {
		u, c := &net.nodes[i], &codes[i]
		if u.op == nirAffine {
			// Every step's input, then every step's product, then the
			// biases: the products are consecutive matmul steps with
			// evenly spaced operands, which mergeMatmuls makes one GEMM
			// (or one batched matmul) over all the steps.
			xs := make([]native.Value, steps)
			for t := range steps {
				xs[t] = sum(u, t)
			}
			for t := range steps {
				vals[i][t] = xs[t].Matmul(c.w)
			}
			if u.bias != nil {
				for t := range steps {
					vals[i][t] = vals[i][t].Add(c.bias)
				}
			}
			continue
		}
		for t := range steps {
			var x native.Value
			if u.op == nirInput {
				vals[i][t] = b.Param(fmt.Sprintf("in%d_t%d", indexOf(net.inputs, i), t), sokr.F32, batch, u.n)
				continue
			}
			for k, src := range u.inputs {
				if k == 0 {
					x = vals[src][t]
				} else {
					x = x.Add(vals[src][t])
				}
			}
			var y native.Value
			switch u.op {
			case nirOutput:
				y = x
			case nirScale:
				y = x.Mul(c.per)
			case nirThreshold:
				y = b.Select(x.Gt(c.per), c.amp, c.zero)
			case nirNeuron:
				// As snn's neuron step: vn = (av·v + bv) + gv·x; a spike
				// where vn (or v, spiking before the update) > v_threshold.
				vo := c.v
				vn := c.av.Mul(vo).Add(c.bv).Add(c.gv.Mul(x))
				if !u.neuron.spiking() {
					c.v, y = vn, vn
					break
				}
				probe := vn
				if sem.before {
					probe = vo
				}
				spike := probe.Gt(c.th)
				after := c.vr
				if sem.reset == "subtract" {
					after = vn.Sub(c.th)
				}
				c.v = b.Select(spike, after, vn)
				y = b.Select(spike, c.amp, c.zero)
			}
			vals[i][t] = y
			if vTrace[i] != nil {
				vTrace[i][t] = c.v
			}
		}
	}
	// The outputs, step-major; each through its own reshape, so that a value
	// returned twice is two nodes.
	outputs := make([]native.Value, 0, steps*low.perStep)
	for t := range steps {
		for _, i := range net.outputs {
			outputs = append(outputs, vals[i][t].Reshape(batch, net.nodes[i].n))
		}
		for _, p := range probes {
			src := vals[p.node][t]
			if p.field == "v" {
				src = vTrace[p.node][t]
			}
			outputs = append(outputs, src.Reshape(batch, net.nodes[p.node].n))
		}
	}
	prog, err := b.Build(outputs...)
	if err != nil {
		return nil, err
	}
	low.prog = prog
	low.meta = map[string]string{
		"dt":              strconv.FormatFloat(sem.dt, 'g', -1, 64),
		"solver":          sem.solver,
		"reset":           sem.reset,
		"spike_timing":    map[bool]string{false: "after_update", true: "before_update"}[sem.before],
		"synaptic_delay":  "0",
		"spike_amplitude": strconv.FormatFloat(sem.amplitude, 'g', -1, 64),
		"precision":       "f32",
		"initial_state":   map[bool]string{false: "zero", true: "v_leak"}[sem.vLeak],
		"propagation":     "dense",
	}
	return low, nil
}

func indexOf(s []int, v int) int {
	for k, x := range s {
		if x == v {
			return k
		}
	}
	return -1
}

// shape checks the inputs against the graph as snn does (neuron.Steps),
// and that they hold at least one step of one row.
func (net *nirNet) shape(in []sokr.Tensor) (steps, batch int, err error) {
	inputs := make([]neuron.Input, len(net.inputs))
	for k, i := range net.inputs {
		inputs[k] = neuron.Input{Name: net.nodes[i].name, Shape: net.nodes[i].shape}
	}
	if steps, batch, err = neuron.Steps(in, inputs); err != nil {
		return 0, 0, err
	}
	if steps < 1 || batch < 1 {
		return 0, 0, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("the inputs hold %d steps of %d rows: at least one of each is needed", max(steps, 0), max(batch, 0))}
	}
	return steps, batch, nil
}

// stepInputs splits the inputs into the native program's params: one f32
// [B, n] tensor per graph input and step, in the builder's order (input by
// input, step by step).
func (low *nirLowered) stepInputs(net *nirNet, in []sokr.Tensor) []sokr.Tensor {
	out := make([]sokr.Tensor, 0, len(in)*low.steps)
	for k, t := range in {
		n := net.nodes[low.inputs[k]].n
		f := neuron.Values[float32](t)
		size := low.batch * n
		for s := range low.steps {
			out = append(out, sokr.FromSlice(f[s*size:(s+1)*size], low.batch, n))
		}
	}
	return out
}

// assemble joins the per-step outputs into [T, B, *shape] tensors.
func (low *nirLowered) assemble(r sokr.Result) sokr.Result {
	res := sokr.Result{Meta: low.meta}
	for k, o := range low.outs {
		t := sokr.NewTensor(sokr.F32, append([]int{low.steps, low.batch}, o.shape...)...)
		size := len(t.Data) / low.steps
		for s := range low.steps {
			copy(t.Data[s*size:(s+1)*size], r.Outputs[s*low.perStep+k].Tensor.Data)
		}
		res.Outputs = append(res.Outputs, sokr.Output{Name: o.name, Tensor: t})
	}
	for k, v := range r.Meta {
		res.Meta[k] = v
	}
	return res
}

// nirPrepare reads a NIR dispatch: the graph, the options and the inputs,
// lowered.
func nirPrepare(p *nir.Program, inputs []sokr.Tensor, opts sokr.Options) (*nirNet, *nirLowered, error) {
	net, err := nirNetOf(p)
	if err != nil {
		return nil, nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
	}
	sem, err := parseNIRSemantics(opts.Params)
	if err != nil {
		return nil, nil, err
	}
	steps, batch, err := net.shape(inputs)
	if err != nil {
		return nil, nil, err
	}
	low, err := net.lower(sem, steps, batch)
	if err != nil {
		return nil, nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
	}
	return net, low, nil
}

// nirWork lowers a NIR dispatch and builds the native program's work; its
// results are assembled into the graph's outputs.
func (s *Substrate) nirWork(d *device, p *nir.Program, inputs []sokr.Tensor, opts sokr.Options) (*work, error) {
	net, low, err := nirPrepare(p, inputs, opts)
	if err != nil {
		return nil, err
	}
	if _, err := s.nirPlan(low); err != nil {
		return nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
	}
	w, err := s.nativeWork(d, low.prog, low.stepInputs(net, inputs))
	if err != nil {
		return nil, err
	}
	collect := w.collect
	w.collect = func(stage []byte) (sokr.Result, error) {
		r, err := collect(stage)
		if err != nil {
			return r, err
		}
		return low.assemble(r), nil
	}
	return w, nil
}

// nirPlan returns the lowered program's plan with its per-step matmuls
// merged (the plan is the program's, and the program this run's own).
func (s *Substrate) nirPlan(low *nirLowered) (*plan, error) {
	pl, err := s.plan(low.prog)
	if err != nil {
		return nil, err
	}
	if !low.merged {
		low.merged = true
		pl.steps = mergeMatmuls(pl.steps, s.info)
	}
	return pl, nil
}

// mergeMatmuls joins runs of consecutive f32 matmul steps that multiply
// evenly spaced operands by one matrix, as a layer's per-step products
// are: one GEMM of all their rows where the operands and products lie end
// to end in the arena, else one batched matmul (the kernel's batch strides,
// the matrix's 0). Each output element is the same sum, in the same order,
// as in the separate steps: only the dispatch changes.
func mergeMatmuls(steps []kstep, dev info) []kstep {
	out := steps[:0]
	for i := 0; i < len(steps); {
		st := steps[i]
		j := i + 1
		if st.k == kMatmul && st.groups[2] == 1 {
			p := st.push // m, n, k, a, b, c, sa, sb, sc
			for j < len(steps) {
				q, prev := steps[j].push, steps[j-1].push
				if steps[j].k != kMatmul || steps[j].groups[2] != 1 || q[0] != p[0] || q[1] != p[1] || q[2] != p[2] || q[4] != p[4] ||
					q[3] <= prev[3] || q[5] <= prev[5] || (j > i+1 && (q[3]-prev[3] != p[9] || q[5]-prev[5] != p[10])) {
					break
				}
				if j == i+1 {
					p = append(p[:9:9], q[3]-p[3], q[5]-p[5]) // the strides, kept after the push words
				}
				j++
			}
			if n := uint32(j - i); n > 1 {
				m, nn, k, sa, sc := p[0], p[1], p[2], p[9], p[10]
				var merged kstep
				switch {
				case sa == m*k && sc == m*nn && uint64(m)*uint64(n) <= math.MaxUint32/max(uint64(k), uint64(nn)):
					merged = kstep{k: kMatmul, groups: [3]uint32{(nn + 63) / 64, (m*n + 63) / 64, 1},
						push: words(m*n, nn, k, p[3], p[4], p[5], m*n*k, k*nn, m*n*nn)}
				default:
					merged = kstep{k: kMatmul, groups: [3]uint32{(nn + 63) / 64, (m + 63) / 64, n},
						push: words(m, nn, k, p[3], p[4], p[5], sa, 0, sc)}
				}
				if merged.groups[1] <= dev.MaxGroupCount[1] && merged.groups[2] <= dev.MaxGroupCount[2] {
					out = append(out, merged)
					i = j
					continue
				}
			}
			j = i + 1
		}
		out = append(out, steps[i:j]...)
		i = j
	}
	return out
}

// nirUsage is a NIR run's memory: the native program's run, the per-step
// inputs converted to f32, and the assembled outputs.
func (s *Substrate) nirUsage(net *nirNet, low *nirLowered) (usage, error) {
	pl, err := s.nirPlan(low)
	if err != nil {
		return usage{}, err
	}
	u := nativeUsage(low.prog, pl, s.info)
	extra := int64(0)
	for _, i := range net.inputs {
		// A tensor header per step, and an f32 copy of a non-f32 input.
		extra += int64(low.steps)*(outputOverhead) + 4*int64(low.steps*low.batch*net.nodes[i].n)
	}
	for _, o := range low.outs {
		extra += outputOverhead + 4*int64(low.steps*low.batch*prod(o.shape))
	}
	// The lowered program itself is built at each dispatch (a native
	// program's is the caller's): its nodes, as the builder grows its slice
	// (to twice the count), verifies and copies them, each with a name
	// and its shape and operand slices; its constants, held by the caller's
	// tensor, the builder and the program.
	nodes := int64(len(low.prog.Nodes))
	extra += nodes * (4*int64(unsafe.Sizeof(native.Node{})) + nirNodeExtra)
	for _, n := range low.prog.Nodes {
		extra += 3 * int64(len(n.Const.Data))
	}
	u.host += extra
	return u, nil
}

// nirNodeExtra is what a lowered node takes besides its Node: its name
// and its entry in the builder's name map, its shape in the builder and in
// the program, its operands, the plan's offset and the fuser's and
// verifier's bookkeeping. Measured (runtime.MemStats.TotalAlloc over
// lower and plan, two-layer LIF networks of 50 to 300 steps): 1.6 to 1.8
// KB per node in all, every allocation counted, garbage included, which
// 4·sizeof(Node) + 1 KiB covers.
const nirNodeExtra = 1024

// nirCapability answers Capability for a NIR program: the graph's nodes
// and a one-step, one-row run.
func (s *Substrate) nirCapability(p *nir.Program) sokr.Offer {
	net, err := nirNetOf(p)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	low, err := net.lower(nirSemantics{dt: nirDefaultDT, solver: "euler", reset: "to_v_reset", amplitude: 1}, 1, 1)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	u, err := s.nirUsage(net, low)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	if why := deviceRefusal(u, s.info); why != "" {
		return sokr.No(s, why)
	}
	return sokr.Yes(s, sokr.Estimate{MemoryBytes: u.host})
}
