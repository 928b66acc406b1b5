package snn

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// formatNIR is the format of the programs this substrate runs.
const formatNIR = nir.Format

// networkOf flattens a NIR program for simulation. It refuses, naming the
// node, anything it cannot simulate exactly as NIR defines it.
func networkOf(p sokr.Program) (*network, error) {
	prog, ok := p.(*nir.Program)
	if !ok || prog == nil || prog.Flat() == nil {
		return nil, fmt.Errorf("runs %s programs only, not %s", formatNIR, p.Format())
	}
	f := prog.Flat()
	net := &network{units: make([]*unit, len(f.Nodes)), inputs: f.Inputs, outputs: f.Outputs}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		u, err := unitOf(n)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Prim.Type(), err)
		}
		for _, e := range n.In {
			fe := f.Edges[e]
			u.inputs = append(u.inputs, source{unit: fe.From, recurrent: fe.Recurrent})
			net.recurrent = net.recurrent || fe.Recurrent
		}
		if u.op != opInput && len(u.inputs) == 0 {
			return nil, fmt.Errorf("node %q (%s): nothing feeds it", n.Name, n.Prim.Type())
		}
		net.units[i] = u
	}
	if len(net.inputs) == 0 {
		return nil, fmt.Errorf("the graph has no Input node")
	}
	return net, nil
}

// unitOf translates one flat node.
func unitOf(n *nir.FlatNode) (*unit, error) {
	if n.InShape == nil || n.OutShape == nil {
		return nil, fmt.Errorf("its input or output shape is unknown (give the graph's Input shapes)")
	}
	u := &unit{name: n.Name, inShape: n.InShape, outShape: n.OutShape}
	size := u.outSize()
	var err error
	switch p := n.Prim.(type) {
	case *nir.Input:
		u.op = opInput
	case *nir.Output:
		u.op = opOutput
	case *nir.Flatten:
		u.op = opFlatten
	case *nir.Affine:
		u.op = opAffine
		if u.weight, err = matrix("weight", p.Weight, u); err == nil {
			u.bias, err = perElement("bias", p.Bias, size)
		}
	case *nir.Linear:
		u.op = opAffine
		u.weight, err = matrix("weight", p.Weight, u)
	case *nir.Scale:
		u.op = opScale
		u.scale, err = perElement("scale", p.Scale, size)
	case *nir.Threshold:
		u.op = opThreshold
		u.threshold, err = perElement("threshold", p.Threshold, size)
	case *nir.Delay:
		u.op = opDelay
		u.delay, err = perElement("delay", p.Delay, size)
	case *nir.Conv1d:
		u.op = opConv
		u.conv, err = convOf(u, p.Weight, p.Bias, []int{1, p.Stride}, []int{1, p.Dilation}, p.Padding, p.Groups, true)
	case *nir.Conv2d:
		u.op = opConv
		u.conv, err = convOf(u, p.Weight, p.Bias, p.Stride, p.Dilation, p.Padding, p.Groups, false)
	case *nir.SumPool2d:
		u.op = opSumPool
		u.pool, err = poolOf(u, p.KernelSize, p.Stride, p.Padding)
	case *nir.AvgPool2d:
		u.op = opAvgPool
		u.pool, err = poolOf(u, p.KernelSize, p.Stride, p.Padding)
	default:
		u.op = opNeuron
		u.neuron, err = neuronOf(n.Prim, size)
	}
	return u, err
}

// neuronOf reads a neuron primitive's parameters, each one value per
// neuron or one value for all.
func neuronOf(p nir.Primitive, n int) (*neuronParams, error) {
	q := &neuronParams{}
	var arrs []struct {
		name string
		a    nir.Array
		dst  *[]float64
	}
	add := func(name string, a nir.Array, dst *[]float64) {
		arrs = append(arrs, struct {
			name string
			a    nir.Array
			dst  *[]float64
		}{name, a, dst})
	}
	switch p := p.(type) {
	case *nir.I:
		q.model = modelI
		add("r", p.R, &q.r)
	case *nir.IF:
		q.model = modelIF
		add("r", p.R, &q.r)
		add("v_threshold", p.VThreshold, &q.vThresh)
		add("v_reset", p.VReset, &q.vReset)
	case *nir.LI:
		q.model = modelLI
		add("tau", p.Tau, &q.tau)
		add("r", p.R, &q.r)
		add("v_leak", p.VLeak, &q.vLeak)
	case *nir.LIF:
		q.model = modelLIF
		add("tau", p.Tau, &q.tau)
		add("r", p.R, &q.r)
		add("v_leak", p.VLeak, &q.vLeak)
		add("v_threshold", p.VThreshold, &q.vThresh)
		add("v_reset", p.VReset, &q.vReset)
	case *nir.CubaLI:
		q.model = modelCubaLI
		add("tau_syn", p.TauSyn, &q.tauSyn)
		add("tau_mem", p.TauMem, &q.tauMem)
		add("r", p.R, &q.r)
		add("v_leak", p.VLeak, &q.vLeak)
		add("w_in", p.WIn, &q.wIn)
	case *nir.CubaLIF:
		q.model = modelCubaLIF
		add("tau_syn", p.TauSyn, &q.tauSyn)
		add("tau_mem", p.TauMem, &q.tauMem)
		add("r", p.R, &q.r)
		add("v_leak", p.VLeak, &q.vLeak)
		add("v_threshold", p.VThreshold, &q.vThresh)
		add("v_reset", p.VReset, &q.vReset)
		add("w_in", p.WIn, &q.wIn)
	default:
		return nil, fmt.Errorf("not a primitive this substrate simulates")
	}
	for _, a := range arrs {
		if a.a.Len() == 0 && (a.name == "v_reset" || a.name == "w_in") {
			def := 0.0 // nir's defaults: v_reset 0, w_in 1
			if a.name == "w_in" {
				def = 1
			}
			*a.dst = fill(n, def)
			continue
		}
		v, err := perElement(a.name, a.a, n)
		if err != nil {
			return nil, err
		}
		*a.dst = v
	}
	if err := neuron.PositiveTaus(q.tau, q.tauSyn, q.tauMem); err != nil {
		return nil, err
	}
	return q, nil
}

// perElement returns a parameter with one value per element: n values as
// given, or one value repeated.
func perElement(name string, a nir.Array, n int) ([]float64, error) {
	switch a.Len() {
	case n:
		return a.Data, nil
	case 1:
		return fill(n, a.Data[0]), nil
	}
	return nil, fmt.Errorf("%s has %d values (shape %v) for %d elements", name, a.Len(), a.Shape, n)
}

// matrix checks an (out, in) weight against the node's shapes.
func matrix(name string, w nir.Array, u *unit) ([]float64, error) {
	if len(w.Shape) != 2 {
		return nil, fmt.Errorf("%s of shape %v: only (out, in) matrices are supported, not stacked ones", name, w.Shape)
	}
	if w.Shape[0] != u.outSize() || w.Shape[1] != u.inSize() {
		return nil, fmt.Errorf("%s of shape %v does not map input %v to output %v", name, w.Shape, u.inShape, u.outShape)
	}
	return w.Data, nil
}

// convOf reads a convolution; a 1-d one becomes a 2-d one of height 1.
func convOf(u *unit, w, bias nir.Array, stride, dilation []int, pad nir.Padding, groups int, oneD bool) (*convParams, error) {
	in, out := u.inShape, u.outShape
	if oneD {
		if len(w.Shape) != 3 || len(in) != 2 || len(out) != 2 {
			return nil, fmt.Errorf("weight %v, input %v, output %v: want (C_out, C_in/groups, K), (C_in, N), (C_out, N_out)", w.Shape, in, out)
		}
		w.Shape = []int{w.Shape[0], w.Shape[1], 1, w.Shape[2]}
		in, out = []int{in[0], 1, in[1]}, []int{out[0], 1, out[1]}
		if pad.Mode == "" {
			pad.Size = append([]int{0}, pad.Size...)
		}
	}
	if len(w.Shape) != 4 || len(in) != 3 || len(out) != 3 || len(stride) != 2 || len(dilation) != 2 {
		return nil, fmt.Errorf("weight %v, input %v, stride %v, dilation %v: want a 2-d convolution", w.Shape, in, stride, dilation)
	}
	if groups < 1 || in[0]%groups != 0 || w.Shape[0]%groups != 0 || w.Shape[1]*groups != in[0] {
		return nil, fmt.Errorf("groups = %d does not divide %d input channels (weight %v)", groups, in[0], w.Shape)
	}
	p := &convParams{weight: w.Data, cin: in[0], cout: w.Shape[0], kh: w.Shape[2], kw: w.Shape[3],
		strideH: stride[0], strideW: stride[1], dilH: dilation[0], dilW: dilation[1], groups: groups,
		inH: in[1], inW: in[2], outH: out[1], outW: out[2]}
	switch pad.Mode {
	case "", "valid":
		if pad.Mode == "" {
			if len(pad.Size) != 2 {
				return nil, fmt.Errorf("padding %v: want one size per spatial dimension", pad.Size)
			}
			p.padH, p.padW = pad.Size[0], pad.Size[1]
		}
	case "same":
		if p.strideH != 1 || p.strideW != 1 {
			return nil, fmt.Errorf("padding \"same\" with stride %v: PyTorch defines it for stride 1 only", stride)
		}
		// PyTorch pads dilation·(k−1) in all, the smaller half before.
		p.padH, p.padW = p.dilH*(p.kh-1)/2, p.dilW*(p.kw-1)/2
	default:
		return nil, fmt.Errorf("padding mode %q is not supported", pad.Mode)
	}
	if p.strideH < 1 || p.strideW < 1 || p.dilH < 1 || p.dilW < 1 {
		return nil, fmt.Errorf("stride %v and dilation %v must be positive", stride, dilation)
	}
	if pad.Mode != "same" && (convOut(p.inH, p.padH, p.dilH, p.kh, p.strideH) != p.outH || convOut(p.inW, p.padW, p.dilW, p.kw, p.strideW) != p.outW) {
		return nil, fmt.Errorf("output shape %v does not follow from input %v, weight %v, stride %v, padding %v, dilation %v", u.outShape, u.inShape, w.Shape, stride, pad.Size, dilation)
	}
	if out[0] != p.cout {
		return nil, fmt.Errorf("output has %d channels, the weight %v makes %d", out[0], w.Shape, p.cout)
	}
	if bias.Len() > 0 {
		b, err := perElement("bias", bias, p.cout)
		if err != nil {
			return nil, err
		}
		p.bias = b
	}
	return p, nil
}

// poolOf reads a 2-d pooling over (C, H, W).
func poolOf(u *unit, kernel, stride, pad []int) (*poolParams, error) {
	in, out := u.inShape, u.outShape
	if len(kernel) != 2 || len(stride) != 2 || len(pad) != 2 || len(in) != 3 || len(out) != 3 {
		return nil, fmt.Errorf("kernel %v, stride %v, padding %v over input %v: want (h, w) pairs over (C, H, W)", kernel, stride, pad, in)
	}
	p := &poolParams{c: in[0], inH: in[1], inW: in[2], outH: out[1], outW: out[2], kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], ph: pad[0], pw: pad[1]}
	if p.kh < 1 || p.kw < 1 || p.sh < 1 || p.sw < 1 || p.ph < 0 || p.pw < 0 {
		return nil, fmt.Errorf("kernel %v, stride %v and padding %v must be positive (padding non-negative)", kernel, stride, pad)
	}
	if out[0] != in[0] || convOut(p.inH, p.ph, 1, p.kh, p.sh) != p.outH || convOut(p.inW, p.pw, 1, p.kw, p.sw) != p.outW {
		return nil, fmt.Errorf("output shape %v does not follow from input %v, kernel %v, stride %v, padding %v", out, in, kernel, stride, pad)
	}
	return p, nil
}

// fill returns n copies of v.
func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}
