//go:build cgo

package vulkan

// NIR graphs on the GPU: a NIR graph of Input, Output, Affine, Linear,
// Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, Scale, Threshold, Delay,
// LIF, LI, IF, I, CubaLIF and CubaLI nodes, recurrent edges included, is
// lowered, for a run of T steps and a batch of B, onto a native program
// (pkg/ir/native) that the built-in kernels run in one command buffer.
//
// In a feed-forward graph a layer's products for all the steps are one
// matmul (mergeMatmuls), as its input is known before it runs, and the
// neuron updates are elementwise chains that the fused kernel runs step by
// step. The nodes of a cycle (closed by a recurrent edge, which reads a
// node's output recurrent_delay steps back), and those between two
// cycles, are lowered step by step instead (every such node at step t
// before any at t+1), their products one matmul per step; the nodes
// before the cycles and after them are still lowered node by node. Delay
// nodes (and the synaptic_delay option) read their input's value d steps
// back, element by element, as selects.
//
// A product's kernel is the "propagation" option's (eventMatmuls): the
// event-driven kernel (kernels/eventmm.comp) skips the weight rows of
// inputs that are zero in all of a 16-row group, so a layer's weight
// traffic follows its inputs' activity; "auto" gives it the products of
// up to 16 rows (a cycle's per-step products at a small batch), where it
// is never the slower, and the tiled matmul kernel the rest.
//
// Conv1d, Conv2d, SumPool2d and AvgPool2d run on the matmul kernel too,
// through a dense (inputs × outputs) f32 matrix built on the host from the
// kernel (zeros where a window does not reach): 4·in·out bytes, on the
// host and on the device, which grows as the square of the image: the
// N-MNIST CNN of the NIR paper (cnn_sinabs.nir, 2×34×34 input, about
// 39 000 weights) takes 102 MiB, its largest layer (16×16×16 to 16×16×16)
// 64 MiB. Pooling whose windows tile the image (cnn_sinabs's) needs no
// matrix: it is a reshape and a sum. A node whose matrix would exceed
// nirDenseLimit (256 MiB) is refused, naming it, so that the snn
// substrate runs the graph; a direct convolution kernel would need none
// of this.
//
// A program's graph (nirNet: its weights transposed to f32, its dense
// matrices) is read once and kept while the program lives (nirNets);
// the native program is lowered anew at each dispatch, as T and B are the
// run's.
//
// The semantics are the snn substrate's, option for option (dt, solver,
// reset, spike_timing, spike_amplitude, synaptic_delay, recurrent_delay,
// initial_state zero, v_leak or given values, final_state, record of any
// node's output and of neurons' v, i and spikes, session (nir_chunks.go);
// the Euler warning in Meta; not precision f64): the coefficients come from
// pkg/internal/neuron, as snn's do, in float64 rounded to f32, and the
// update evaluates the same expression in the same order ((av·v + bv) +
// gv·x; for the current-based neurons i' = ai·i + bi·x and
// ((av·v + bv) + ci·i) + gv·x with the current before the step; the spike
// read with a strict >); the tests compare this substrate's traces with
// snn's.

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"
	"weak"

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
	nirFlatten
	nirAffine // Affine, Linear, and Conv1d, Conv2d, SumPool2d, AvgPool2d as a dense matrix
	nirPool   // SumPool2d, AvgPool2d whose windows tile the image: a reshape and a sum
	nirScale
	nirThreshold
	nirDelay
	nirNeuron
)

// nirSource is an edge into a node.
type nirSource struct {
	node      int
	recurrent bool // reads the node's output recurrent_delay steps back
}

// nirNode is one flat node of a graph the substrate runs.
type nirNode struct {
	name    string
	prim    string // the primitive's type, for messages
	op      nirOp
	shape   []int // output shape
	nin, n  int   // input and output elements per batch row
	inputs  []nirSource
	wt      []float32 // the matrix the input is multiplied by, (in, out), f32
	bias    []float64 // one per output element
	div     float64   // AvgPool2d: the window's area, which the sum is divided by
	window  [5]int    // nirPool: the input as (C, H/kh, kh, W/kw, kw)
	perElem []float64 // scale, threshold, or delay in seconds
	neuron  *nirNeuronParams
}

// nirNeuronParams are a neuron population's parameters, one per neuron.
type nirNeuronParams struct {
	kind                      string // "LIF", "LI", "IF", "I", "CubaLIF", "CubaLI"
	tau, r, vLeak, vTh, vRest []float64
	tauSyn, tauMem, wIn       []float64
}

func (p *nirNeuronParams) spiking() bool {
	return p.kind == "LIF" || p.kind == "IF" || p.kind == "CubaLIF"
}

// current reports whether the population has a synaptic current i.
func (p *nirNeuronParams) current() bool { return p.kind == "CubaLIF" || p.kind == "CubaLI" }

// nirNet is a NIR program the substrate runs.
type nirNet struct {
	nodes     []nirNode
	inputs    []int
	outputs   []int
	recurrent bool
}

// nirNetOf reads a NIR program, refusing (naming the node and its
// primitive) what the built-in kernels do not run; the snn substrate runs
// those.
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
		u := nirNode{name: fn.Name, prim: fn.Prim.Type(), shape: fn.OutShape, nin: prod(fn.InShape), n: prod(fn.OutShape)}
		for _, e := range fn.In {
			fe := f.Edges[e]
			if !fe.Recurrent && fe.From >= i {
				return nil, refuse("an edge from node %q, later in the graph's order, feeds it without being marked recurrent", f.Nodes[fe.From].Name)
			}
			u.inputs = append(u.inputs, nirSource{node: fe.From, recurrent: fe.Recurrent})
			net.recurrent = net.recurrent || fe.Recurrent
		}
		var err error
		switch p := fn.Prim.(type) {
		case *nir.Input:
			u.op = nirInput
		case *nir.Output:
			u.op = nirOutput
		case *nir.Flatten:
			u.op = nirFlatten
		case *nir.Affine:
			u.op = nirAffine
			if u.wt, err = nirMatrix(p.Weight, u); err == nil {
				u.bias, err = nirPerElement("bias", p.Bias, u.n)
			}
		case *nir.Linear:
			u.op = nirAffine
			u.wt, err = nirMatrix(p.Weight, u)
		case *nir.Conv1d:
			u.op = nirAffine
			err = u.conv(fn, p.Weight, p.Bias, []int{1, p.Stride}, []int{1, p.Dilation}, p.Padding, p.Groups, true)
		case *nir.Conv2d:
			u.op = nirAffine
			err = u.conv(fn, p.Weight, p.Bias, p.Stride, p.Dilation, p.Padding, p.Groups, false)
		case *nir.SumPool2d:
			u.op = nirAffine
			err = u.pool(fn, p.KernelSize, p.Stride, p.Padding, false)
		case *nir.AvgPool2d:
			u.op = nirAffine
			err = u.pool(fn, p.KernelSize, p.Stride, p.Padding, true)
		case *nir.Scale:
			u.op = nirScale
			u.perElem, err = nirPerElement("scale", p.Scale, u.n)
		case *nir.Threshold:
			u.op = nirThreshold
			u.perElem, err = nirPerElement("threshold", p.Threshold, u.n)
		case *nir.Delay:
			u.op = nirDelay
			u.perElem, err = nirPerElement("delay", p.Delay, u.n)
		case *nir.LIF, *nir.LI, *nir.IF, *nir.I, *nir.CubaLIF, *nir.CubaLI:
			u.op = nirNeuron
			u.neuron, err = nirNeuronOf(fn.Prim, u.n)
		default:
			return nil, refuse("vulkan has no kernel for this primitive (the snn substrate runs it)")
		}
		if err != nil {
			return nil, refuse("%v", err)
		}
		if u.op != nirInput && len(u.inputs) == 0 {
			return nil, refuse("nothing feeds it")
		}
		if u.op != nirInput && u.nin != u.n && u.op != nirAffine && u.op != nirPool {
			return nil, refuse("its input %v and output %v differ in size", fn.InShape, fn.OutShape)
		}
		net.nodes[i] = u
	}
	for i := range net.nodes {
		u := &net.nodes[i]
		for _, src := range u.inputs {
			if net.nodes[src.node].n != u.nin {
				return nil, fmt.Errorf("node %q (%s): node %q gives it %d values per step, it takes %d", u.name, u.prim, net.nodes[src.node].name, net.nodes[src.node].n, u.nin)
			}
		}
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

// nirMatrix checks an (out, in) weight and returns it transposed, (in,
// out), in f32: the matmul's right operand. It goes by 64 × 64 tiles,
// which a cache holds, on several goroutines (a Linear(16384, 16384) is
// 268 M weights).
func nirMatrix(w nir.Array, u nirNode) ([]float32, error) {
	if len(w.Shape) != 2 || w.Shape[0] != u.n || w.Shape[1] != u.nin {
		return nil, fmt.Errorf("weight of shape %v: want an (out, in) matrix (%d, %d)", w.Shape, u.n, u.nin)
	}
	nin, nout := u.nin, u.n
	wt := make([]float32, nin*nout)
	const tile = 64
	tiles := (nout + tile - 1) / tile
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), nin*nout/(1<<20), tiles))
	for k := range workers {
		wg.Go(func() {
			for to := k * tiles / workers * tile; to < min(nout, (k+1)*tiles/workers*tile); to += tile {
				for ti := 0; ti < nin; ti += tile {
					for o := to; o < min(to+tile, nout); o++ {
						row := w.Data[o*nin : (o+1)*nin]
						for i := ti; i < min(ti+tile, nin); i++ {
							wt[i*nout+o] = float32(row[i])
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return wt, nil
}

// nirNets caches a program's nirNet (its transposed f32 weights and dense
// convolution matrices, the costly part) for as long as the program
// lives: a dispatch reads the graph three times (Capability, the memory
// estimate, the run), and a benchmark or a training loop dispatches one
// program many times. Keyed by a weak pointer, so the cache does not keep
// the program alive; an entry goes when its program is collected.
var nirNets sync.Map // weak.Pointer[nir.Program] -> *nirNet

// nirNetCached is nirNetOf, once per program (a refusal is not cached).
// The nirNet is never modified after nirNetOf, so runs share it.
func nirNetCached(prog *nir.Program) (*nirNet, error) {
	key := weak.Make(prog)
	if v, ok := nirNets.Load(key); ok {
		return v.(*nirNet), nil
	}
	net, err := nirNetOf(prog)
	if err != nil {
		return nil, err
	}
	if _, loaded := nirNets.LoadOrStore(key, net); !loaded {
		runtime.AddCleanup(prog, func(k weak.Pointer[nir.Program]) { nirNets.Delete(k) }, key)
	}
	return net, nil
}

func nirNeuronOf(p nir.Primitive, n int) (*nirNeuronParams, error) {
	q := &nirNeuronParams{}
	get := func(name string, a nir.Array, dst *[]float64) error {
		if a.Len() == 0 && (name == "v_reset" || name == "w_in") {
			// NIR's defaults: v_reset 0, w_in 1 (as snn reads them)
			def := 0.0
			if name == "w_in" {
				def = 1
			}
			*dst = make([]float64, n)
			for k := range *dst {
				(*dst)[k] = def
			}
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
	case *nir.CubaLIF:
		q.kind = "CubaLIF"
		errs = append(errs, get("tau_syn", p.TauSyn, &q.tauSyn), get("tau_mem", p.TauMem, &q.tauMem), get("r", p.R, &q.r),
			get("v_leak", p.VLeak, &q.vLeak), get("v_threshold", p.VThreshold, &q.vTh), get("v_reset", p.VReset, &q.vRest),
			get("w_in", p.WIn, &q.wIn))
	case *nir.CubaLI:
		q.kind = "CubaLI"
		errs = append(errs, get("tau_syn", p.TauSyn, &q.tauSyn), get("tau_mem", p.TauMem, &q.tauMem), get("r", p.R, &q.r),
			get("v_leak", p.VLeak, &q.vLeak), get("w_in", p.WIn, &q.wIn))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := neuron.PositiveTaus(q.tau, q.tauSyn, q.tauMem); err != nil {
		return nil, err
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
	// initial is "zero", "v_leak" or "given"; given holds the given
	// values by node and variable ("v", "i"): one per neuron or per batch
	// row and neuron.
	initial        string
	given          map[string]map[string][]float64
	synapticDelay  int // steps in front of every neuron population
	recurrentDelay int // steps a recurrent edge delays its signal
	record         []string
	// propagation is "auto", "event" or "dense": which kernel runs a
	// layer's products (eventMatmuls).
	propagation string
	// finalState asks for the state variables after the last step as
	// outputs "state:NODE.v" and "state:NODE.i", shaped [B, *shape], and
	// the delay lines and recurrent histories, "state:NODE.delay_line"
	// and "state:NODE.recurrent", [rows, B, *shape], as snn gives them.
	finalState bool
	// session names a NIR session whose state carries from dispatch to
	// dispatch (nir_chunks.go); sessionReset starts it afresh.
	session      string
	sessionReset bool
	// least marks Capability's one-step, one-row run at the default dt:
	// delays that are not whole steps of that dt are not refused there
	// (the run's dt may make them whole), as snn does not.
	least bool
}

// The snn substrate's defaults (snn.DefaultDT, DefaultSpikeAmplitude,
// DefaultRecurrentDelay: 0.1 ms, 1 and 1 step, for the reasons given
// there).
const (
	nirDefaultDT             = 1e-4
	nirDefaultAmplitude      = 1.0
	nirDefaultRecurrentDelay = 1
)

// nirDefaults are the semantics of a run with no options.
func nirDefaults() nirSemantics {
	return nirSemantics{dt: nirDefaultDT, solver: neuron.Euler, reset: "to_v_reset", amplitude: nirDefaultAmplitude,
		initial: "zero", recurrentDelay: nirDefaultRecurrentDelay, propagation: "auto"}
}

// nirOptions lists the options a NIR run on vulkan takes.
const nirOptions = "dt, solver, reset, spike_timing, spike_amplitude, precision (f32), propagation, synaptic_delay, recurrent_delay, initial_state, final_state, record, session and session_reset"

func parseNIRSemantics(params map[string]any) (nirSemantics, error) {
	s := nirDefaults()
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
			s.propagation, err = opt.Choice(name, v, "auto", "event", "dense")
		case "synaptic_delay":
			s.synapticDelay, err = nirSteps(name, v, 0)
		case "recurrent_delay":
			s.recurrentDelay, err = nirSteps(name, v, 1)
		case "initial_state":
			s.initial, s.given, err = neuron.InitialState(v)
		case "record":
			s.record, err = opt.Probes(name, v)
		case "final_state":
			b, ok := v.(bool)
			if !ok {
				err = opt.Err(name, "must be true or false, not %v", v)
			}
			s.finalState = b
		case "session":
			str, ok := v.(string)
			if !ok || str == "" {
				err = opt.Err(name, "must be a non-empty string, not %v", v)
			}
			s.session = str
		case "session_reset":
			b, ok := v.(bool)
			if !ok {
				err = opt.Err(name, "must be true or false, not %v", v)
			}
			s.sessionReset = b
		default:
			err = opt.Err(name, "vulkan does not run this option for NIR graphs; it takes %s (the snn substrate takes the rest)", nirOptions)
		}
		if err != nil {
			return s, err
		}
	}
	if s.sessionReset && s.session == "" {
		return s, opt.Err("session_reset", "needs the \"session\" option")
	}
	return s, nil
}

// nirMaxSteps bounds synaptic_delay and recurrent_delay, as snn's
// integer options are bounded.
const nirMaxSteps = 1 << 30

// nirSteps reads a whole number of steps, at least least.
func nirSteps(name string, v any, least int) (int, error) {
	f, err := opt.Number(name, v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < float64(least) || f > nirMaxSteps {
		return 0, opt.Err(name, "must be a whole number of steps ≥ %d, not %v", least, v)
	}
	return int(f), nil
}

// checkInitial verifies the given initial values against the network and
// the batch, as snn does: each names a node and one of its state
// variables (a neuron's v and i; a Delay node's, or a synaptic delay's
// "NEURON.synapse", neuron.DelayLine; neuron.Recurrent for a node that a
// recurrent edge reads), with one value per element or per batch row and
// element, times the rows of a line or history.
func (net *nirNet) checkInitial(sem nirSemantics, batch int) error {
	const name = "initial_state"
	rec := net.recurrentSources()
	for _, node := range slices.Sorted(maps.Keys(sem.given)) {
		i := net.named(node)
		if i < 0 {
			base, ok := strings.CutSuffix(node, neuron.SynapseSuffix)
			b := net.named(base)
			if !ok || sem.synapticDelay == 0 || b < 0 || net.nodes[b].op != nirNeuron {
				return opt.Err(name, "the graph has no node %q", node)
			}
		}
		for _, v := range slices.Sorted(maps.Keys(sem.given[node])) {
			rows, n, err := net.initialRows(sem, rec, node, i, v)
			if err != nil {
				return err
			}
			if err := neuron.CheckCount(node, v, len(sem.given[node][v]), rows, n, batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// initialRows returns the rows and values per row of variable v of node
// (net.nodes[i], or a synaptic delay line when i < 0).
func (net *nirNet) initialRows(sem nirSemantics, rec []bool, node string, i int, v string) (rows, n int, err error) {
	const name = "initial_state"
	if i < 0 {
		if v != neuron.DelayLine {
			return 0, 0, opt.Err(name, "node %q (a synaptic delay) has no state variable %q (it has %s)", node, v, neuron.DelayLine)
		}
		return sem.synapticDelay, net.nodes[net.named(strings.TrimSuffix(node, neuron.SynapseSuffix))].n, nil
	}
	u := &net.nodes[i]
	var has []string
	switch u.op {
	case nirNeuron:
		has = append(has, "v")
		if u.neuron.current() {
			has = append(has, "i")
		}
	case nirDelay:
		has = append(has, neuron.DelayLine)
	}
	if rec[i] {
		has = append(has, neuron.Recurrent)
	}
	switch {
	case len(has) == 0:
		return 0, 0, opt.Err(name, "node %q (%s) has no state variables (neurons have v, CubaLIF and CubaLI also i; Delay nodes %s, and nodes that recurrent edges read %s)",
			node, u.prim, neuron.DelayLine, neuron.Recurrent)
	case !slices.Contains(has, v):
		return 0, 0, opt.Err(name, "node %q (%s) has no state variable %q (it has %s)", node, u.prim, v, strings.Join(has, ", "))
	case v == neuron.DelayLine:
		d, err := nirDelaySteps(u, sem.dt)
		if err != nil {
			return 0, 0, opt.Err(name, "%v", err)
		}
		return slices.Max(d), u.n, nil
	case v == neuron.Recurrent:
		return sem.recurrentDelay, u.n, nil
	}
	return 1, u.n, nil
}

// recurrentSources marks the nodes that a recurrent edge reads.
func (net *nirNet) recurrentSources() []bool {
	rec := make([]bool, len(net.nodes))
	for i := range net.nodes {
		for _, src := range net.nodes[i].inputs {
			if src.recurrent {
				rec[src.node] = true
			}
		}
	}
	return rec
}

// named returns the index of the node called name, or -1.
func (net *nirNet) named(name string) int {
	for i := range net.nodes {
		if net.nodes[i].name == name {
			return i
		}
	}
	return -1
}

// nirProbe is a recorded quantity: node's "v", "i" or its output ("out",
// "spikes").
type nirProbe struct {
	name  string
	node  int
	field string
}

// nirProbeFields are what a probe "NODE.FIELD" can record.
var nirProbeFields = map[string]bool{"out": true, "v": true, "i": true, "spikes": true}

// probes resolves the "record" names as snn does: "NODE.v", "NODE.i",
// "NODE.spikes", and "NODE.out" or plain "NODE" (any node's output).
func (net *nirNet) probes(names []string) ([]nirProbe, error) {
	out := make([]nirProbe, 0, len(names))
	for _, name := range names {
		node, field := -1, "out"
		dot := strings.LastIndexByte(name, '.')
		if dot > 0 && nirProbeFields[name[dot+1:]] {
			if i := net.named(name[:dot]); i >= 0 {
				node, field = i, name[dot+1:]
			}
		}
		if node < 0 {
			node = net.named(name)
		}
		if node < 0 {
			want := name
			if dot > 0 && nirProbeFields[name[dot+1:]] {
				want = name[:dot]
			}
			return nil, opt.Err("record", "probe %q: the graph has no node %q (want NODE, NODE.out, NODE.v, NODE.i or NODE.spikes)", name, want)
		}
		u := &net.nodes[node]
		ok := false
		switch field {
		case "out":
			ok = true
		case "v":
			ok = u.op == nirNeuron
		case "i":
			ok = u.op == nirNeuron && u.neuron.current()
		case "spikes":
			ok = (u.op == nirNeuron && u.neuron.spiking()) || u.op == nirThreshold
			field = "out"
		}
		if !ok {
			return nil, opt.Err("record", "probe %q: node %q (%s) has no %q to record", name, u.name, u.prim, name[dot+1:])
		}
		out = append(out, nirProbe{name: name, node: node, field: field})
	}
	return out, nil
}

// nirCoefficients returns ai, bi, av, bv, ci, gv of neuron k's update
// i' = ai·i + bi·x, v' = av·v + bv + ci·i + gv·x, as the snn substrate
// computes them: neuron.Leak for LIF and LI, neuron.Cuba for CubaLIF and
// CubaLI (ai, bi, ci are 0 for the others); dv/dt = r·x, integrated
// exactly by every solver, for IF and I.
func nirCoefficients(p *nirNeuronParams, k int, solver string, dt float64) [6]float64 {
	switch p.kind {
	case "IF", "I":
		return [6]float64{0, 0, 1, 0, 0, dt * p.r[k]}
	case "CubaLIF", "CubaLI":
		ai, bi, av, bv, ci, gv := neuron.Cuba(solver, dt, p.tauSyn[k], p.tauMem[k], p.vLeak[k], p.r[k], p.wIn[k])
		return [6]float64{ai, bi, av, bv, ci, gv}
	}
	av, bv, gv := neuron.Leak(solver, dt, p.tau[k], p.vLeak[k], p.r[k])
	return [6]float64{0, 0, av, bv, 0, gv}
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
	inputs  []int       // the graph's input nodes
	perStep int         // outputs per step
	finals  []nirResult // after the steps' outputs: the final state, [B, *shape] or [rows, B, *shape] each
	merged  bool        // the plan's matmuls are merged (nirPlan)
	// propagation is the option: which kernel runs the products
	// (eventMatmuls); the one used is Meta "propagation".
	propagation string
}

// nirResult is one output of the run, assembled from a native output per
// step.
type nirResult struct {
	name  string
	shape []int
	// rows > 0 (a final delay line or recurrent history): the result is
	// [rows, B, *shape], from rows native outputs.
	rows int
}

// nirDelaySteps converts a Delay node's delays (seconds) to steps of dt,
// checked as snn checks them: whole, finite, non-negative, at most
// nirMaxDelay.
func nirDelaySteps(u *nirNode, dt float64) ([]int, error) {
	out := make([]int, len(u.perElem))
	for e, d := range u.perElem {
		steps := math.Round(d / dt)
		switch {
		case d < 0 || math.IsNaN(d) || math.IsInf(d, 0):
			return nil, fmt.Errorf("node %q: delay %g s: a delay is a finite, non-negative time", u.name, d)
		case steps > nirMaxDelay:
			return nil, fmt.Errorf("node %q: delay %g s is %g steps of dt = %g s, more than the %d steps a delay line holds", u.name, d, steps, dt, nirMaxDelay)
		case math.Abs(steps*dt-d) > 1e-6*dt+1e-12*math.Abs(d):
			return nil, fmt.Errorf("node %q: delay %g s is not a whole number of steps of dt = %g s", u.name, d, dt)
		}
		out[e] = int(steps)
	}
	return out, nil
}

// nirMaxDelay is snn's bound on a delay in steps (snn.maxDelay, 2^24).
const nirMaxDelay = 1 << 24

// lower builds the native program of steps steps of batch rows.
func (net *nirNet) lower(sem nirSemantics, steps, batch int) (*nirLowered, error) {
	probes, err := net.probes(sem.record)
	if err != nil {
		return nil, err
	}
	if err := net.checkInitial(sem, batch); err != nil {
		return nil, err
	}
	b := native.NewBuilder()
	row := func(vals []float64, n int) native.Value { // [batch, n], one value per element of a row (or of the batch)
		uniform := true
		for _, v := range vals {
			uniform = uniform && float32(v) == float32(vals[0])
		}
		if uniform {
			return b.Fill(sokr.F32, float64(float32(vals[0])), batch, n)
		}
		data := make([]float32, batch*n)
		for e := range data {
			data[e] = float32(vals[e%len(vals)])
		}
		return b.Const(sokr.FromSlice(data, batch, n))
	}
	fill := func(v float64, n int) native.Value { return b.Fill(sokr.F32, float64(float32(v)), batch, n) }
	low := &nirLowered{steps: steps, batch: batch, inputs: net.inputs, propagation: sem.propagation}
	for _, i := range net.outputs {
		low.outs = append(low.outs, nirResult{name: net.nodes[i].name, shape: net.nodes[i].shape})
	}
	for _, p := range probes {
		low.outs = append(low.outs, nirResult{name: "probe:" + p.name, shape: net.nodes[p.node].shape})
	}
	low.perStep = len(low.outs)
	// Per node: its constants, its state and its value at each step.
	type nodeCode struct {
		w, bias, per, div              native.Value
		ai, bi, av, bv, ci, gv, th, vr native.Value
		v, i                           native.Value // the state
		amp, zero                      native.Value
		delays                         []int          // Delay: the distinct delays in steps
		masks                          []native.Value // Delay: where each of delays[1:] applies
		xs                             []native.Value // a neuron's summed input per step, for synaptic_delay
		// line is the delay line's length in steps (a Delay node's longest
		// delay; a neuron's synaptic_delay); hist its given initial_state
		// rows (oldest first, steps -line to -1), nil for zeros.
		line int
		hist []native.Value
		// recHist is a recurrent edge's source's given history: its
		// outputs at steps -recurrent_delay to -1, nil for zeros.
		recHist []native.Value
	}
	codes := make([]nodeCode, len(net.nodes))
	vals := make([][]native.Value, len(net.nodes))   // [node][step]
	vTrace := make([][]native.Value, len(net.nodes)) // [node][step], for probes
	iTrace := make([][]native.Value, len(net.nodes))
	// history returns node's given rows of variable name (initial_state's
	// neuron.DelayLine or neuron.Recurrent, checkInitial's sizes), each
	// [batch, n]; nil when none is given.
	history := func(node, name string, rows, n int) []native.Value {
		given := sem.given[node][name]
		if given == nil || rows == 0 {
			return nil
		}
		per := len(given) / rows
		out := make([]native.Value, rows)
		for k := range out {
			out[k] = row(given[k*per:(k+1)*per], n)
		}
		return out
	}
	recSource := net.recurrentSources()
	recordV, recordI := make([]bool, len(net.nodes)), make([]bool, len(net.nodes))
	for _, p := range probes {
		recordV[p.node] = recordV[p.node] || p.field == "v"
		recordI[p.node] = recordI[p.node] || p.field == "i"
	}
	for i := range net.nodes {
		u := &net.nodes[i]
		c := &codes[i]
		switch u.op {
		case nirAffine:
			c.w = b.Const(sokr.FromSlice(u.wt, u.nin, u.n))
			if u.bias != nil {
				c.bias = row(u.bias, u.n)
			}
			if u.div != 0 {
				c.div = fill(u.div, u.n)
			}
		case nirPool:
			if u.div != 0 {
				c.div = fill(u.div, u.n)
			}
		case nirScale, nirThreshold:
			c.per = row(u.perElem, u.n)
			c.amp, c.zero = fill(sem.amplitude, u.n), fill(0, u.n)
		case nirDelay:
			d, err := nirDelaySteps(u, sem.dt)
			if err != nil && sem.least {
				d, err = make([]int, u.n), nil
			}
			if err != nil {
				return nil, err
			}
			seen := map[int]bool{}
			for _, k := range d {
				if !seen[k] {
					seen[k] = true
					c.delays = append(c.delays, k)
				}
			}
			for _, k := range c.delays[1:] {
				m := make([]float64, u.n)
				for e := range m {
					if d[e] == k {
						m[e] = 1
					}
				}
				c.masks = append(c.masks, row(m, u.n).Gt(fill(0.5, u.n)))
			}
			c.zero = fill(0, u.n)
			c.xs = make([]native.Value, steps)
			c.line = slices.Max(d)
			c.hist = history(u.name, neuron.DelayLine, c.line, u.n)
		case nirNeuron:
			p := u.neuron
			coef := make([][]float64, 6)
			for j := range coef {
				coef[j] = make([]float64, u.n)
			}
			for k := range u.n {
				cs := nirCoefficients(p, k, sem.solver, sem.dt)
				for j, x := range cs {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						return nil, fmt.Errorf("node %q (%s): neuron %d gives a non-finite update coefficient (%v) at dt = %g s", u.name, p.kind, k, x, sem.dt)
					}
					coef[j][k] = x
				}
			}
			c.av, c.bv, c.gv = row(coef[2], u.n), row(coef[3], u.n), row(coef[5], u.n)
			if p.current() {
				c.ai, c.bi, c.ci = row(coef[0], u.n), row(coef[1], u.n), row(coef[4], u.n)
			}
			if p.spiking() {
				c.th = row(p.vTh, u.n)
				vr := p.vRest
				if sem.reset == "zero" {
					vr = make([]float64, u.n)
				}
				c.vr = row(vr, u.n)
				c.amp, c.zero = fill(sem.amplitude, u.n), fill(0, u.n)
			}
			c.v = fill(0, u.n)
			if sem.initial == "v_leak" && p.vLeak != nil { // IF and I have no v_leak: they start at 0
				c.v = row(p.vLeak, u.n)
			}
			if given := sem.given[u.name]["v"]; given != nil {
				c.v = row(given, u.n)
			}
			if p.current() {
				c.i = fill(0, u.n)
				if given := sem.given[u.name]["i"]; given != nil {
					c.i = row(given, u.n)
				}
			}
			c.xs = make([]native.Value, steps)
			c.line = sem.synapticDelay
			c.hist = history(u.name+neuron.SynapseSuffix, neuron.DelayLine, c.line, u.n)
		}
		if recSource[i] {
			c.recHist = history(u.name, neuron.Recurrent, sem.recurrentDelay, u.n)
		}
		vals[i] = make([]native.Value, steps)
		if recordV[i] {
			vTrace[i] = make([]native.Value, steps)
		}
		if recordI[i] {
			iTrace[i] = make([]native.Value, steps)
		}
	}
	// input is node i's input at step t: the sum of its sources, in the
	// order of its edges (snn's), a recurrent edge reading its source
	// recurrent_delay steps back (0 before the run), and 0 when no source
	// gives anything yet.
	input := func(i, t int) native.Value {
		u := &net.nodes[i]
		var x native.Value
		have := false
		for _, src := range u.inputs {
			ts := t
			var v native.Value
			switch {
			case !src.recurrent:
				v = vals[src.node][ts]
			case ts-sem.recurrentDelay >= 0:
				v = vals[src.node][ts-sem.recurrentDelay]
			case codes[src.node].recHist != nil:
				v = codes[src.node].recHist[ts]
			default:
				continue
			}
			if !have {
				x, have = v, true
			} else {
				x = x.Add(v)
			}
		}
		if !have {
			return fill(0, u.nin)
		}
		return x
	}
	// step emits node i at step t (all but a feed-forward layer's product).
	step := func(i, t int) {
		u, c := &net.nodes[i], &codes[i]
		if u.op == nirInput {
			vals[i][t] = b.Param(fmt.Sprintf("in%d_t%d", indexOf(net.inputs, i), t), sokr.F32, batch, u.n)
			return
		}
		x := input(i, t)
		var y native.Value
		switch u.op {
		case nirOutput, nirFlatten:
			y = x
		case nirAffine:
			y = x.Matmul(c.w)
			if u.bias != nil {
				y = y.Add(c.bias)
			}
			if u.div != 0 {
				y = y.Div(c.div)
			}
		case nirPool:
			w := u.window
			y = x.Reshape(batch, w[0], w[1], w[2], w[3], w[4]).ReduceSum(3, 5).Reshape(batch, u.n)
			if u.div != 0 {
				y = y.Div(c.div)
			}
		case nirScale:
			y = x.Mul(c.per)
		case nirThreshold:
			y = b.Select(x.Gt(c.per), c.amp, c.zero)
		case nirDelay:
			// y(t) = x(t − d) per element: the value of each distinct
			// delay, selected where it applies (copies, not sums: the
			// values are snn's exactly).
			c.xs[t] = x
			at := func(d int) native.Value {
				switch {
				case t >= d:
					return c.xs[t-d]
				case c.hist != nil:
					return c.hist[t-d+c.line]
				}
				return c.zero
			}
			y = at(c.delays[0])
			for k, d := range c.delays[1:] {
				y = b.Select(c.masks[k], at(d), y)
			}
		case nirNeuron:
			c.xs[t] = x
			if sem.synapticDelay > 0 {
				switch {
				case t >= sem.synapticDelay:
					x = c.xs[t-sem.synapticDelay]
				case c.hist != nil:
					x = c.hist[t]
				default:
					x = fill(0, u.n)
				}
			}
			vo := c.v
			var vn native.Value
			if u.neuron.current() {
				// As snn's neuron step: i' = ai·i + bi·x;
				// vn = ((av·v + bv) + ci·i) + gv·x with i before the step.
				io := c.i
				c.i = c.ai.Mul(io).Add(c.bi.Mul(x))
				vn = c.av.Mul(vo).Add(c.bv).Add(c.ci.Mul(io)).Add(c.gv.Mul(x))
			} else {
				// vn = (av·v + bv) + gv·x
				vn = c.av.Mul(vo).Add(c.bv).Add(c.gv.Mul(x))
			}
			if !u.neuron.spiking() {
				c.v, y = vn, vn
				break
			}
			// A spike where vn (or v, spiking before the update) >
			// v_threshold.
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
		if iTrace[i] != nil {
			iTrace[i][t] = c.i
		}
	}
	// nodeMajor lowers node i for all the steps: the steps of one
	// population are consecutive elementwise nodes, which the fused kernel
	// runs as chains, and a layer's products are consecutive matmuls
	// (every step's input, then every step's product, then the biases:
	// evenly spaced operands, which mergeMatmuls makes one GEMM, or one
	// batched matmul, over all the steps).
	nodeMajor := func(i int) {
		u, c := &net.nodes[i], &codes[i]
		if u.op != nirAffine {
			for t := range steps {
				step(i, t)
			}
			return
		}
		xs := make([]native.Value, steps)
		for t := range steps {
			xs[t] = input(i, t)
		}
		for t := range steps {
			vals[i][t] = xs[t].Matmul(c.w)
		}
		for t := range steps {
			if u.bias != nil {
				vals[i][t] = vals[i][t].Add(c.bias)
			}
			if u.div != 0 {
				vals[i][t] = vals[i][t].Div(c.div)
			}
		}
	}
	// A node in a cycle needs its cycle's other nodes' earlier steps: the
	// nodes of the cycles, and the nodes between two cycles, go step by
	// step (every such node at step t before any at t+1); the nodes before
	// them, and the nodes after them, node by node.
	phase := net.phases()
	for i := range net.nodes {
		if phase[i] == nirBefore {
			nodeMajor(i)
		}
	}
	for t := range steps {
		for i := range net.nodes {
			if phase[i] == nirAmid {
				step(i, t)
			}
		}
	}
	for i := range net.nodes {
		if phase[i] == nirAfter {
			nodeMajor(i)
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
			switch p.field {
			case "v":
				src = vTrace[p.node][t]
			case "i":
				src = iTrace[p.node][t]
			}
			outputs = append(outputs, src.Reshape(batch, net.nodes[p.node].n))
		}
	}
	if sem.finalState {
		// As snn gives them, node by node: a neuron's synaptic delay line
		// (snn's unit NEURON.synapse comes before the neuron), v, i; a
		// Delay node's line; the history of a node recurrent edges read.
		// A line's row k is step steps-rows+k: from the run, from the
		// given history before it, or 0.
		final := func(name string, shape []int, rows int, at func(s int) native.Value, hist []native.Value, zero native.Value) {
			low.finals = append(low.finals, nirResult{name: name, shape: shape, rows: rows})
			if rows == 0 { // a state variable, zero its value
				outputs = append(outputs, zero.Reshape(batch, prod(shape)))
				return
			}
			for k := range rows {
				v := zero
				switch s := steps - rows + k; {
				case s >= 0:
					v = at(s)
				case hist != nil:
					v = hist[s+rows]
				}
				outputs = append(outputs, v.Reshape(batch, prod(shape)))
			}
		}
		for i := range net.nodes {
			u, c := &net.nodes[i], &codes[i]
			zero := func() native.Value { return fill(0, u.n) }
			xs := func(s int) native.Value { return c.xs[s] }
			switch {
			case u.op == nirNeuron:
				if c.line > 0 {
					final("state:"+u.name+neuron.SynapseSuffix+"."+neuron.DelayLine, u.shape, c.line, xs, c.hist, zero())
				}
				final("state:"+u.name+".v", u.shape, 0, nil, nil, c.v)
				if u.neuron.current() {
					final("state:"+u.name+".i", u.shape, 0, nil, nil, c.i)
				}
			case u.op == nirDelay && c.line > 0:
				final("state:"+u.name+"."+neuron.DelayLine, u.shape, c.line, xs, c.hist, zero())
			}
			if recSource[i] {
				final("state:"+u.name+"."+neuron.Recurrent, u.shape, sem.recurrentDelay, func(s int) native.Value { return vals[i][s] }, c.recHist, zero())
			}
		}
	}
	prog, err := b.Build(outputs...)
	if err != nil {
		return nil, err
	}
	low.prog = prog
	var warnings []string
	for i := range net.nodes {
		if w := nirEulerWarning(&net.nodes[i], sem); w != "" {
			warnings = append(warnings, w)
		}
	}
	low.meta = map[string]string{
		"dt":              strconv.FormatFloat(sem.dt, 'g', -1, 64),
		"solver":          sem.solver,
		"reset":           sem.reset,
		"spike_timing":    map[bool]string{false: "after_update", true: "before_update"}[sem.before],
		"synaptic_delay":  strconv.Itoa(sem.synapticDelay),
		"recurrent_delay": strconv.Itoa(sem.recurrentDelay),
		"spike_amplitude": strconv.FormatFloat(sem.amplitude, 'g', -1, 64),
		"precision":       "f32",
		"initial_state":   sem.initial,
	}
	if len(warnings) > 0 {
		low.meta["warnings"] = strings.Join(warnings, "\n")
	}
	return low, nil
}

// A node's place in the lowering of a graph with cycles (phases).
const (
	nirBefore = iota // depends on no cycle: lowered node by node, first
	nirAmid          // in a cycle, or between two: step by step
	nirAfter         // after the cycles, feeding none: node by node, last
)

// phases places each node: in a cycle (reachable from itself through its
// edges, recurrent ones included) or depending on one and feeding one is
// nirAmid; depending on no cycle nirBefore; the rest nirAfter. Nodes
// depend only on nodes before them in the graph's order, but for
// recurrent edges, so one pass in each direction does.
func (net *nirNet) phases() []int {
	n := len(net.nodes)
	next := make([][]int, n) // consumers, by any edge
	for i := range net.nodes {
		for _, src := range net.nodes[i].inputs {
			next[src.node] = append(next[src.node], i)
		}
	}
	cyclic := make([]bool, n)
	for i := range n {
		seen := make([]bool, n)
		stack := append([]int(nil), next[i]...)
		for len(stack) > 0 && !cyclic[i] {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if j == i {
				cyclic[i] = true
			}
			if !seen[j] {
				seen[j] = true
				stack = append(stack, next[j]...)
			}
		}
	}
	phase := make([]int, n)
	for i := range net.nodes { // inputs come first, recurrent edges are within cycles
		phase[i] = nirBefore
		if cyclic[i] {
			phase[i] = nirAmid
			continue
		}
		for _, src := range net.nodes[i].inputs {
			if phase[src.node] != nirBefore {
				phase[i] = nirAfter
			}
		}
	}
	for i := n - 1; i >= 0; i-- { // consumers come later
		if phase[i] != nirAfter {
			continue
		}
		for _, j := range next[i] {
			if phase[j] == nirAmid {
				phase[i] = nirAmid
			}
		}
	}
	return phase
}

// nirEulerWarning says, as snn does (neuron.EulerWarning), when forward
// Euler is unstable for a population.
func nirEulerWarning(u *nirNode, sem nirSemantics) string {
	if u.op != nirNeuron || sem.solver != neuron.Euler {
		return ""
	}
	p := u.neuron
	return neuron.EulerWarning(u.name, p.kind, sem.dt, p.tau, p.tauSyn, p.tauMem)
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
// [B, n] tensor per graph input and step from step t0, in the builder's
// order (input by input, step by step).
func (low *nirLowered) stepInputs(net *nirNet, in []sokr.Tensor, t0 int) []sokr.Tensor {
	out := make([]sokr.Tensor, 0, len(in)*low.steps)
	for k, t := range in {
		n := net.nodes[low.inputs[k]].n
		f := neuron.Values[float32](t)
		size := low.batch * n
		for s := t0; s < t0+low.steps; s++ {
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
	next := low.steps * low.perStep
	for _, o := range low.finals {
		shape := append([]int{low.batch}, o.shape...)
		if o.rows > 0 {
			shape = append([]int{o.rows}, shape...)
		}
		t := sokr.NewTensor(sokr.F32, shape...)
		size := low.batch * prod(o.shape) * 4
		for k := range max(o.rows, 1) {
			copy(t.Data[k*size:(k+1)*size], r.Outputs[next].Tensor.Data)
			next++
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
	net, err := nirNetCached(p)
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
	w, err := s.nativeWork(d, low.prog, low.stepInputs(net, inputs, 0))
	if err != nil {
		return nil, err
	}
	low.collectInto(w)
	return w, nil
}

// collectInto makes w's results the run's: the native outputs assembled
// (assemble).
func (low *nirLowered) collectInto(w *work) {
	collect := w.collect
	w.collect = func(stage []byte) (sokr.Result, error) {
		r, err := collect(stage)
		if err != nil {
			return r, err
		}
		return low.assemble(r), nil
	}
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
		low.meta["propagation"] = eventMatmuls(pl, low.propagation, s.info)
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

// eventMaxRows is the most rows (per batch entry) of a product that
// propagation "auto" runs event-driven: up to 16 rows, one row group of
// the event kernel, it reads the weight once, as the matmul kernel does,
// and does none of the work of the matmul kernel's missing rows (its
// tiles are 64 rows), so it is never the slower one, and it reads no
// weight row of an input that is zero in every row. A layer inside a
// cycle, whose products are one per step, is such a product at a batch
// of up to 16, as is a layer's product at such a batch that could not be
// merged into one GEMM.
//
// A merged product over all the steps (T·B rows) stays dense under
// "auto": the matmul kernel reads each weight once per 64 rows and keeps
// it in shared memory, the event kernel once per 16 rows, and it skips a
// weight row only where all 16 rows are zero: at 10% activity 0.9^16 =
// 19% of them. (On lavapipe, whose tiled kernel is slow, the event kernel
// wins even at 50%: docs/benchmarks.md; bench/gpu's neuro section
// measures both on a GPU.) "event" runs every product event-driven (for a
// user who knows the activity is far lower); "dense" none.
const eventMaxRows = eventRows

// eventRows is the rows of the event kernels' groups (ROWS in
// kernels/eventmask.comp and kernels/eventmm.comp).
const eventRows = 16

// eventMatmuls turns the plan's products into event-driven ones as
// propagation ("auto", "event" or "dense") asks, and returns the
// propagation that runs, in the snn substrate's words: "event", "dense",
// "mixed" or "none" (no products). An event-driven product is two steps
// with the matmul's push constants and one more word, the offset of its
// masks: kernels/eventmask.comp writes each 16-row group's bitmask of
// live inputs, kernels/eventmm.comp multiplies by the weight rows they
// name. The masks take one bit per input and row group, in one region at
// the end of the arena that the products share (each mask pass rewrites
// it); a product whose masks would not fit the device's largest buffer
// stays dense.
func eventMatmuls(pl *plan, propagation string, dev info) string {
	limit := min(int64(dev.MaxStorageRange), int64(dev.MaxAlloc))
	maskOff := pl.arenaBytes / 4 // the layout's values are whole 64-element blocks: aligned
	var maskWords int64
	out := make([]kstep, 0, len(pl.steps)+8)
	event, dense := 0, 0
	for _, st := range pl.steps {
		if st.k != kMatmul {
			out = append(out, st)
			continue
		}
		m, n, k, batch := st.push[0], st.push[1], st.push[2], st.groups[2]
		groups, words := (m+eventRows-1)/eventRows, (k+31)/32
		need := int64(batch) * int64(groups) * int64(words)
		fits := groups <= dev.MaxGroupCount[1] && (n+63)/64 <= dev.MaxGroupCount[0] && (words+63)/64 <= dev.MaxGroupCount[0] &&
			4*(maskOff+max(maskWords, need)) <= limit
		if fits && (propagation == "event" || propagation == "auto" && m <= eventMaxRows) {
			push := append(slices.Clip(st.push[:9]), uint32(maskOff))
			out = append(out, kstep{k: kEventMask, push: push, groups: [3]uint32{(words + 63) / 64, groups, batch}},
				kstep{k: kEventMM, push: push, groups: [3]uint32{(n + 63) / 64, groups, batch}})
			maskWords = max(maskWords, need)
			event++
			continue
		}
		out = append(out, st)
		dense++
	}
	pl.steps = out
	if maskWords > 0 {
		pl.arenaBytes = 4 * (maskOff + maskWords)
	}
	switch {
	case event > 0 && dense > 0:
		return "mixed"
	case event > 0:
		return "event"
	case dense > 0:
		return "dense"
	}
	return "none"
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
	for _, o := range low.finals {
		extra += outputOverhead + 4*int64(max(o.rows, 1)*low.batch*prod(o.shape))
	}
	// The graph's f32 matrices (nirNetCached), made at the program's first
	// Capability or dispatch and held while the program lives.
	for i := range net.nodes {
		extra += 4 * int64(len(net.nodes[i].wt))
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
	net, err := nirNetCached(p)
	if err != nil {
		return sokr.No(s, err.Error())
	}
	least := nirDefaults()
	least.least = true
	low, err := net.lower(least, 1, 1)
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
