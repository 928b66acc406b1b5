package nir

// Dict returns the program's root graph in NIR's dict form, the inverse
// of FromDict: the map that nir's NIRGraph.to_dict() gives, with arrays
// as nested []any lists of float64 and shapes, strides and sizes as []int,
// ready for encoding/json. Parameters nir defaults (v_reset, w_in) are
// written out. A Conv1d or Conv2d without an input shape has nil there.
// The NIR version (Program.Version) is not part of the graph's dict; a
// file holds it beside the graph, as {"version": v, "node": dict}.
//
//	b, _ := json.Marshal(prog.Dict())
//	// Python: nir.NIRGraph.from_dict(...) after turning the lists into arrays
func (p *Program) Dict() map[string]any { return graphDict(p.Graph) }

func graphDict(g *Graph) map[string]any {
	nodes := make(map[string]any, len(g.Nodes))
	for _, n := range g.Nodes {
		nodes[n.Name] = nodeDict(n)
	}
	edges := make([]any, len(g.Edges))
	for i, e := range g.Edges {
		edges[i] = []any{e.From, e.To}
	}
	return map[string]any{"type": "NIRGraph", "nodes": nodes, "edges": edges, "metadata": metadataDict(g.Metadata)}
}

func nodeDict(n *Node) map[string]any {
	if g, ok := n.Prim.(*Graph); ok {
		return graphDict(g)
	}
	d := map[string]any{"type": n.Prim.Type(), "metadata": metadataDict(n.Metadata)}
	a := func(kv ...any) {
		for i := 0; i < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
	}
	switch p := n.Prim.(type) {
	case *Input:
		a("shape", p.Shape)
	case *Output:
		a("shape", p.Shape)
	case *Affine:
		a("weight", nested(p.Weight), "bias", nested(p.Bias))
	case *Linear:
		a("weight", nested(p.Weight))
	case *Scale:
		a("scale", nested(p.Scale))
	case *Conv1d:
		var in any
		if p.InputShape > 0 {
			in = p.InputShape
		}
		a("input_shape", in, "weight", nested(p.Weight), "stride", p.Stride, "padding", padding(p.Padding),
			"dilation", p.Dilation, "groups", p.Groups, "bias", nested(p.Bias))
	case *Conv2d:
		var in any
		if p.InputShape != nil {
			in = p.InputShape
		}
		a("input_shape", in, "weight", nested(p.Weight), "stride", p.Stride, "padding", padding(p.Padding),
			"dilation", p.Dilation, "groups", p.Groups, "bias", nested(p.Bias))
	case *SumPool2d:
		a("kernel_size", p.KernelSize, "stride", p.Stride, "padding", p.Padding)
	case *AvgPool2d:
		a("kernel_size", p.KernelSize, "stride", p.Stride, "padding", p.Padding)
	case *Flatten:
		in := p.InputType
		if in == nil {
			in = n.InShape // inferred by verification
		}
		a("input_type", in, "start_dim", p.StartDim, "end_dim", p.EndDim)
	case *Delay:
		a("delay", nested(p.Delay))
	case *Threshold:
		a("threshold", nested(p.Threshold))
	case *I:
		a("r", nested(p.R))
	case *IF:
		a("r", nested(p.R), "v_threshold", nested(p.VThreshold), "v_reset", nested(p.VReset))
	case *LI:
		a("tau", nested(p.Tau), "r", nested(p.R), "v_leak", nested(p.VLeak))
	case *LIF:
		a("tau", nested(p.Tau), "r", nested(p.R), "v_leak", nested(p.VLeak), "v_threshold", nested(p.VThreshold), "v_reset", nested(p.VReset))
	case *CubaLI:
		a("tau_syn", nested(p.TauSyn), "tau_mem", nested(p.TauMem), "r", nested(p.R), "v_leak", nested(p.VLeak), "w_in", nested(p.WIn))
	case *CubaLIF:
		a("tau_syn", nested(p.TauSyn), "tau_mem", nested(p.TauMem), "r", nested(p.R), "v_leak", nested(p.VLeak),
			"v_threshold", nested(p.VThreshold), "v_reset", nested(p.VReset), "w_in", nested(p.WIn))
	}
	return d
}

// padding is a convolution's padding as nir writes it: a mode string or
// one size per spatial dimension.
func padding(p Padding) any {
	if p.Mode != "" {
		return p.Mode
	}
	return p.Size
}

// nested turns an array into nested lists of float64 in row-major order;
// a 0-d array is its one number.
func nested(a Array) any {
	if len(a.Shape) == 0 {
		if len(a.Data) == 1 {
			return a.Data[0]
		}
		return anys(a.Data)
	}
	var build func(dim, off int) any
	build = func(dim, off int) any {
		n := a.Shape[dim]
		out := make([]any, n)
		if dim == len(a.Shape)-1 {
			for i := range n {
				out[i] = a.Data[off+i]
			}
			return out
		}
		stride := 1
		for _, s := range a.Shape[dim+1:] {
			stride *= s
		}
		for i := range n {
			out[i] = build(dim+1, off+i*stride)
		}
		return out
	}
	return build(0, 0)
}

func metadataDict(m Metadata) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case Array:
			out[k] = nested(v)
		case Metadata:
			out[k] = metadataDict(v)
		default:
			out[k] = v
		}
	}
	return out
}
