package nir

import "slices"

// Array is an n-dimensional array of parameters in row-major (C) order,
// as numpy holds them. Float32 parameters are widened exactly to float64.
type Array struct {
	Shape []int
	Data  []float64
}

// Len is the number of elements.
func (a Array) Len() int { return len(a.Data) }

// Primitive is one of the 19 NIR primitives: *Input, *Output, *Graph,
// *Affine, *Linear, *Scale, *Conv1d, *Conv2d, *SumPool2d, *AvgPool2d,
// *Flatten, *Delay, *Threshold, *I, *IF, *LI, *LIF, *CubaLI, *CubaLIF.
// Field names follow the nir Python package (neuromorphs/NIR 1.0);
// parameters are in SI units (seconds, volts, ohms as nir states them).
type Primitive interface {
	// Type is the primitive's nir class name, e.g. "LIF".
	Type() string
}

// Input is a graph input: data of the given shape enters here.
type Input struct{ Shape []int }

// Output is a graph output: data of the given shape leaves here.
type Output struct{ Shape []int }

// Affine is y = W x + b. Weight has shape (..., out, in); Bias
// broadcasts to the output (usually shape (out,)).
type Affine struct{ Weight, Bias Array }

// Linear is y = W x, Weight of shape (..., out, in).
type Linear struct{ Weight Array }

// Scale is y = s ⊙ x.
type Scale struct{ Scale Array }

// Padding is a convolution's padding: explicit sizes per spatial
// dimension, or Mode "same" or "valid" (then Size is nil).
type Padding struct {
	Mode string // "", "same" or "valid"
	Size []int  // per spatial dimension when Mode is ""
}

// Conv1d is a 1-d convolution over input (C_in, N): Weight of shape
// (C_out, C_in/Groups, K), Bias of shape (C_out,).
type Conv1d struct {
	InputShape int // N; 0 when the file leaves it to inference
	Weight     Array
	Stride     int
	Padding    Padding
	Dilation   int
	Groups     int
	Bias       Array
}

// Conv2d is a 2-d convolution over input (C_in, H, W): Weight of shape
// (C_out, C_in/Groups, K_h, K_w), Bias of shape (C_out,). Stride,
// Dilation and Padding.Size hold (h, w) pairs.
type Conv2d struct {
	InputShape []int // (H, W); nil when the file leaves it to inference
	Weight     Array
	Stride     []int
	Padding    Padding
	Dilation   []int
	Groups     int
	Bias       Array
}

// SumPool2d sums (C, H, W) input over windows; each field holds (h, w).
type SumPool2d struct{ KernelSize, Stride, Padding []int }

// AvgPool2d averages (C, H, W) input over windows; each field holds (h, w).
type AvgPool2d struct{ KernelSize, Stride, Padding []int }

// Flatten merges dimensions StartDim..EndDim (inclusive; negative counts
// from the end, as in numpy) of its input.
type Flatten struct {
	InputType []int // the input shape; nil when the file leaves it to inference
	StartDim  int
	EndDim    int
}

// Delay is y(t) = x(t - τ), τ in seconds per element.
type Delay struct{ Delay Array }

// Threshold is z = 1 if x > threshold else 0.
type Threshold struct{ Threshold Array }

// I is an integrator: dv/dt = R I.
type I struct{ R Array }

// IF is integrate-and-fire: dv/dt = R I; spike and reset to VReset when
// v > VThreshold.
type IF struct{ R, VThreshold, VReset Array }

// LI is a leaky integrator: τ dv/dt = (v_leak - v) + R I.
type LI struct{ Tau, R, VLeak Array }

// LIF is leaky integrate-and-fire: τ dv/dt = (v_leak - v) + R I; spike
// and reset to VReset when v > VThreshold.
type LIF struct{ Tau, R, VLeak, VThreshold, VReset Array }

// CubaLI is a current-based leaky integrator: τ_syn dI/dt = -I + w_in S,
// τ_mem dv/dt = (v_leak - v) + R I.
type CubaLI struct{ TauSyn, TauMem, R, VLeak, WIn Array }

// CubaLIF is CubaLI with a threshold and reset, as LIF.
type CubaLIF struct{ TauSyn, TauMem, R, VLeak, VThreshold, VReset, WIn Array }

// Graph is a NIR graph: named nodes and the edges between them. A Graph
// is also a primitive, so graphs nest.
type Graph struct {
	Nodes    []*Node // sorted by name
	Edges    []Edge  // in the order the source lists them
	Metadata Metadata
}

// Metadata is a node's or graph's free-form metadata. Values are string,
// float64, int64, bool, Array, []string, []any or Metadata.
type Metadata map[string]any

// Node is a named node of a graph.
type Node struct {
	Name     string
	Prim     Primitive
	Metadata Metadata // for a subgraph, the same map as its Graph.Metadata
	// InShape and OutShape are the shapes the node consumes and produces,
	// known or inferred once the graph is verified. A subgraph with
	// several inputs (outputs) has a nil InShape (OutShape): its ports
	// are its Input (Output) nodes.
	InShape, OutShape []int
}

// Edge carries a node's output to another node's input. Edges into one
// node add up.
type Edge struct {
	From, To string // as written: a node name, or "G.port" for a subgraph's Input or Output node
	// Src and Dst are the resolved ends, set by verification.
	Src, Dst Endpoint
	// Recurrent marks an edge that closes a cycle: a depth-first search
	// from the graph's inputs reaches its target before its source.
	// A simulator breaks cycles at these edges (typically with a delay of
	// one step).
	Recurrent bool
}

// Endpoint is a resolved edge end: a node of the same graph and, when that
// node is a subgraph, the name of its Input (for Dst) or Output (for Src)
// node that the edge attaches to.
type Endpoint struct {
	Node string
	Port string
}

// Node returns the node with the given name, or nil.
func (g *Graph) Node(name string) *Node {
	i, ok := slices.BinarySearchFunc(g.Nodes, name, func(n *Node, s string) int {
		switch {
		case n.Name < s:
			return -1
		case n.Name > s:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return g.Nodes[i]
}

// Inputs returns the graph's Input nodes, sorted by name.
func (g *Graph) Inputs() []*Node { return g.nodesOf("Input") }

// Outputs returns the graph's Output nodes, sorted by name.
func (g *Graph) Outputs() []*Node { return g.nodesOf("Output") }

func (g *Graph) nodesOf(typ string) []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.Prim.Type() == typ {
			out = append(out, n)
		}
	}
	return out
}

func (*Input) Type() string     { return "Input" }
func (*Output) Type() string    { return "Output" }
func (*Graph) Type() string     { return "NIRGraph" }
func (*Affine) Type() string    { return "Affine" }
func (*Linear) Type() string    { return "Linear" }
func (*Scale) Type() string     { return "Scale" }
func (*Conv1d) Type() string    { return "Conv1d" }
func (*Conv2d) Type() string    { return "Conv2d" }
func (*SumPool2d) Type() string { return "SumPool2d" }
func (*AvgPool2d) Type() string { return "AvgPool2d" }
func (*Flatten) Type() string   { return "Flatten" }
func (*Delay) Type() string     { return "Delay" }
func (*Threshold) Type() string { return "Threshold" }
func (*I) Type() string         { return "I" }
func (*IF) Type() string        { return "IF" }
func (*LI) Type() string        { return "LI" }
func (*LIF) Type() string       { return "LIF" }
func (*CubaLI) Type() string    { return "CubaLI" }
func (*CubaLIF) Type() string   { return "CubaLIF" }

// Types lists the 19 primitive type names.
var Types = []string{
	"Input", "Output", "NIRGraph", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d",
	"Flatten", "Delay", "Threshold", "I", "IF", "LI", "LIF", "CubaLI", "CubaLIF",
}

// IsNeuron reports a primitive with neuron state: I, IF, LI, LIF, CubaLI,
// CubaLIF.
func IsNeuron(p Primitive) bool {
	switch p.(type) {
	case *I, *IF, *LI, *LIF, *CubaLI, *CubaLIF:
		return true
	}
	return false
}
