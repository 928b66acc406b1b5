package neuron

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/internal/opt"
)

// Initial states: what the "initial_state" option chooses.
const (
	InitialZero  = "zero"   // every v and i is 0 (the default)
	InitialVLeak = "v_leak" // v = v_leak (LIF, LI, CubaLIF, CubaLI; IF and I start at 0), i = 0
	InitialGiven = "given"  // values given per node and variable, the rest 0
)

// The state variables of a run that are not a neuron's v and i: the
// signals still in flight when a run ends, which a run started from its
// final state needs to continue as one uninterrupted run would.
const (
	// DelayLine is a Delay node's (or a synaptic delay's, node
	// "NEURON.synapse") last D inputs, D its longest delay in steps:
	// [D, B, *input shape], oldest first.
	DelayLine = "delay_line"
	// Recurrent is the last recurrent_delay outputs of a node that a
	// recurrent edge reads: [recurrent_delay, B, *shape], oldest first.
	Recurrent = "recurrent"
)

// SynapseSuffix names a neuron population's synaptic delay line
// ("lif.synapse"), as the snn substrate names the Delay unit it puts in
// front of each population under the synaptic_delay option.
const SynapseSuffix = ".synapse"

// optInitialState is the option InitialState reads.
const optInitialState = "initial_state"

// InitialState reads the "initial_state" option: InitialZero,
// InitialVLeak, or a map from node to a map from variable ("v", "i") to
// finite values (InitialGiven, with the values). Bad values are an
// *sokr.InputError naming the option, the node and the variable; whether
// the nodes and variables exist is the substrate's to check.
//
//	kind, given, err := neuron.InitialState(map[string]any{"lif": map[string]any{"v": []float64{0.5}}})
func InitialState(v any) (string, map[string]map[string][]float64, error) {
	if str, ok := v.(string); ok {
		c, err := opt.Choice(optInitialState, str, InitialZero, InitialVLeak)
		return c, nil, err
	}
	nodes, ok := v.(map[string]any)
	if !ok {
		return "", nil, opt.Err(optInitialState, "must be \"zero\", \"v_leak\" or a map from node to {variable: values}, not %v (%T)", v, v)
	}
	out := make(map[string]map[string][]float64, len(nodes))
	for node, vars := range nodes {
		m, ok := vars.(map[string]any)
		if !ok {
			return "", nil, opt.Err(optInitialState, "node %q: want a map from variable (\"v\", \"i\") to values, not %T", node, vars)
		}
		out[node] = make(map[string][]float64, len(m))
		for name, vals := range m {
			f, err := floats(vals)
			if err != nil {
				return "", nil, opt.Err(optInitialState, "node %q, variable %q: %v", node, name, err)
			}
			out[node][name] = f
		}
	}
	return InitialGiven, out, nil
}

// CheckCount checks the number of values given for variable v of node:
// rows × n (one row of n elements: per neuron, for v and i; a line's or
// history's rows) or rows × batch × n. The error names the option, the
// node and the variable, and what would fit.
func CheckCount(node, v string, got, rows, n, batch int) error {
	if got == rows*n || got == rows*batch*n {
		return nil
	}
	want := fmt.Sprintf("%d (one per neuron) or %d (batch %d × %d neurons)", n, batch*n, batch, n)
	if rows != 1 || v != "v" && v != "i" {
		want = fmt.Sprintf("%d (%d steps × %d elements) or %d (%d steps × batch %d × %d elements)", rows*n, rows, n, rows*batch*n, rows, batch, n)
	}
	return opt.Err(optInitialState, "node %q, variable %q: %d values, want %s", node, v, got, want)
}

// floats reads a list of finite numbers.
func floats(v any) ([]float64, error) {
	var out []float64
	switch x := v.(type) {
	case []float64:
		out = x
	case []float32:
		out = make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
	case []any:
		out = make([]float64, len(x))
		for i, e := range x {
			f, err := opt.Number(optInitialState, e)
			if err != nil {
				return nil, fmt.Errorf("element %d is %v (%T), not a number", i, e, e)
			}
			out[i] = f
		}
	default:
		return nil, fmt.Errorf("want a list of numbers, not %T", v)
	}
	for i, f := range out {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("element %d is %v: values must be finite", i, f)
		}
	}
	return out, nil
}

// PositiveTaus checks that every time constant is positive (NaN is not).
func PositiveTaus(taus ...[]float64) error {
	for _, ts := range taus {
		for _, t := range ts {
			if !(t > 0) {
				return fmt.Errorf("time constant %g s: must be positive", t)
			}
		}
	}
	return nil
}
