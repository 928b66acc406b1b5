package nir

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxElements bounds the element count of any shape, so that products of
// dimensions cannot overflow.
const maxElements = 1 << 40

// checkParams checks a primitive's parameters against each other and sets
// the node's shapes where the parameters determine them (a convolution
// without input_shape, a pooling or a Flatten without input_type learns
// its input shape from the edge into it, see inferFrom).
func checkParams(n *Node, path string) error {
	fail := func(format string, args ...any) error {
		return errAt(path, "%s: %s", n.Prim.Type(), fmt.Sprintf(format, args...))
	}
	params := arrays(n.Prim)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		a := params[name]
		if err := checkArray(a); err != nil {
			return fail("%s: %v", name, err)
		}
		// A NaN weight makes every voltage it reaches NaN, and a NaN
		// voltage never crosses a threshold: the network falls silent
		// without a word. No primitive gives a meaning to a non-finite
		// parameter.
		if i := slices.IndexFunc(a.Data, nonFinite); i >= 0 {
			return fail("%s: element %s is %v; parameters must be finite numbers", name, index(a.Shape, i), a.Data[i])
		}
		switch {
		case timeConstant[name]:
			if i := slices.IndexFunc(a.Data, func(v float64) bool { return v <= 0 }); i >= 0 {
				return fail("%s: element %s is %v s; a time constant must be positive", name, index(a.Shape, i), a.Data[i])
			}
		case name == "delay":
			if i := slices.IndexFunc(a.Data, func(v float64) bool { return v < 0 }); i >= 0 {
				return fail("%s: element %s is %v s; a delay cannot be negative", name, index(a.Shape, i), a.Data[i])
			}
		}
	}
	same := func(names []string, arrs ...Array) error {
		for i, a := range arrs[1:] {
			if !slices.Equal(a.Shape, arrs[0].Shape) {
				return fail("%s has shape %v but %s has shape %v; all parameters must have one shape", names[i+1], a.Shape, names[0], arrs[0].Shape)
			}
		}
		n.InShape, n.OutShape = arrs[0].Shape, arrs[0].Shape
		return nil
	}
	switch p := n.Prim.(type) {
	case *Input:
		return setShape(n, p.Shape, fail)
	case *Output:
		return setShape(n, p.Shape, fail)
	case *Affine:
		if err := weightShapes(n, p.Weight, fail); err != nil {
			return err
		}
		if !broadcasts(p.Bias.Shape, n.OutShape) {
			return fail("bias of shape %v does not broadcast to the output shape %v", p.Bias.Shape, n.OutShape)
		}
		return nil
	case *Linear:
		return weightShapes(n, p.Weight, fail)
	case *Scale:
		return same([]string{"scale"}, p.Scale)
	case *Delay:
		return same([]string{"delay"}, p.Delay)
	case *Threshold:
		return same([]string{"threshold"}, p.Threshold)
	case *I:
		return same([]string{"r"}, p.R)
	case *IF:
		return same([]string{"r", "v_threshold", "v_reset"}, p.R, p.VThreshold, p.VReset)
	case *LI:
		return same([]string{"tau", "r", "v_leak"}, p.Tau, p.R, p.VLeak)
	case *LIF:
		return same([]string{"tau", "r", "v_leak", "v_threshold", "v_reset"}, p.Tau, p.R, p.VLeak, p.VThreshold, p.VReset)
	case *CubaLI:
		return same([]string{"tau_syn", "tau_mem", "r", "v_leak", "w_in"}, p.TauSyn, p.TauMem, p.R, p.VLeak, p.WIn)
	case *CubaLIF:
		return same([]string{"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"}, p.TauSyn, p.TauMem, p.R, p.VLeak, p.VThreshold, p.VReset, p.WIn)
	case *Conv1d:
		var in []int
		if p.InputShape != 0 {
			in = []int{p.InputShape}
		}
		return checkConv(n, path, p.Weight, p.Bias, in, []int{p.Stride}, []int{p.Dilation}, p.Padding, p.Groups, fail)
	case *Conv2d:
		return checkConv(n, path, p.Weight, p.Bias, p.InputShape, p.Stride, p.Dilation, p.Padding, p.Groups, fail)
	case *SumPool2d:
		return checkPool(p.KernelSize, p.Stride, p.Padding, fail)
	case *AvgPool2d:
		return checkPool(p.KernelSize, p.Stride, p.Padding, fail)
	case *Flatten:
		if p.InputType != nil {
			return inferFrom(n, path, p.InputType)
		}
		return nil
	}
	return fail("unknown primitive %T", n.Prim)
}

// timeConstant names the parameters that are time constants (τ in
// seconds, which the neuron equations divide by).
var timeConstant = map[string]bool{"tau": true, "tau_syn": true, "tau_mem": true}

func nonFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// index renders the position of element i of an array of the given shape
// as numpy would index it: "[2, 0]" ("[0]" for a scalar's one element).
func index(shape []int, i int) string {
	if len(shape) == 0 {
		return fmt.Sprintf("[%d]", i)
	}
	idx := make([]string, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = strconv.Itoa(i % shape[d])
		i /= shape[d]
	}
	return "[" + strings.Join(idx, ", ") + "]"
}

// checkArray checks that an array's data fills its shape.
func checkArray(a Array) error {
	count := 1
	for _, d := range a.Shape {
		if d < 0 || (d > 0 && count > maxElements/d) {
			return fmt.Errorf("invalid shape %v", a.Shape)
		}
		count *= d
	}
	if count != len(a.Data) {
		return fmt.Errorf("shape %v holds %d elements, the data %d", a.Shape, count, len(a.Data))
	}
	return nil
}

func setShape(n *Node, s []int, fail func(string, ...any) error) error {
	if err := checkShape(s); err != nil {
		return fail("%v", err)
	}
	n.InShape, n.OutShape = s, s
	return nil
}

func checkShape(s []int) error {
	count := 1
	for _, d := range s {
		if d < 1 || count > maxElements/d {
			return fmt.Errorf("invalid shape %v", s)
		}
		count *= d
	}
	return nil
}

// weightShapes sets a linear map's shapes from its weight (..., out, in).
func weightShapes(n *Node, w Array, fail func(string, ...any) error) error {
	r := len(w.Shape)
	if r < 2 {
		return fail("weight has shape %v, want at least 2 dimensions (out, in)", w.Shape)
	}
	if slices.Contains(w.Shape, 0) {
		return fail("weight has an empty dimension: shape %v", w.Shape)
	}
	n.InShape = append(slices.Clone(w.Shape[:r-2]), w.Shape[r-1])
	n.OutShape = append(slices.Clone(w.Shape[:r-2]), w.Shape[r-2])
	return nil
}

// broadcasts reports whether numpy broadcasts shape a to shape b.
func broadcasts(a, b []int) bool {
	if len(a) > len(b) {
		return false
	}
	for i := 1; i <= len(a); i++ {
		if d := a[len(a)-i]; d != 1 && d != b[len(b)-i] {
			return false
		}
	}
	return true
}

func checkConv(n *Node, path string, w, bias Array, in, stride, dilation []int, pad Padding, groups int, fail func(string, ...any) error) error {
	dims := len(w.Shape) - 2
	want := len(stride)
	switch {
	case dims != want:
		return fail("weight has shape %v, want %d dimensions (out channels, in channels / groups, kernel...)", w.Shape, want+2)
	case slices.Contains(w.Shape, 0):
		return fail("weight has an empty dimension: shape %v", w.Shape)
	case groups < 1 || w.Shape[0]%groups != 0:
		return fail("groups is %d, which must be positive and divide the %d output channels", groups, w.Shape[0])
	case len(bias.Shape) != 1 || bias.Shape[0] != w.Shape[0]:
		return fail("bias has shape %v, want (%d,)", bias.Shape, w.Shape[0])
	case len(dilation) != want || slices.ContainsFunc(stride, nonPositive) || slices.ContainsFunc(dilation, nonPositive):
		return fail("stride %v and dilation %v must be positive", stride, dilation)
	case pad.Mode == "" && (len(pad.Size) != want || slices.ContainsFunc(pad.Size, func(p int) bool { return p < 0 })):
		return fail("padding %v must be %d non-negative integers", pad.Size, want)
	}
	if in != nil {
		return inferFrom(n, path, append([]int{w.Shape[1] * groups}, in...))
	}
	return nil
}

func nonPositive(v int) bool { return v < 1 }

func checkPool(kernel, stride, pad []int, fail func(string, ...any) error) error {
	if len(kernel) != 2 || len(stride) != 2 || len(pad) != 2 ||
		slices.ContainsFunc(kernel, nonPositive) || slices.ContainsFunc(stride, nonPositive) ||
		slices.ContainsFunc(pad, func(p int) bool { return p < 0 }) {
		return fail("kernel_size %v and stride %v must be two positive integers, padding %v two non-negative ones", kernel, stride, pad)
	}
	return nil
}

// inferFrom sets the shapes of a node whose input shape comes from outside
// its parameters (an edge, or the input_shape / input_type it gives).
func inferFrom(n *Node, path string, in []int) error {
	fail := func(format string, args ...any) error {
		return errAt(path, "%s: %s", n.Prim.Type(), fmt.Sprintf(format, args...))
	}
	if err := checkShape(in); err != nil {
		return fail("input: %v", err)
	}
	var out []int
	switch p := n.Prim.(type) {
	case *Conv1d:
		o, err := convOut(in, p.Weight, []int{p.Stride}, []int{p.Dilation}, p.Padding, p.Groups)
		if err != nil {
			return fail("%v", err)
		}
		out = o
	case *Conv2d:
		o, err := convOut(in, p.Weight, p.Stride, p.Dilation, p.Padding, p.Groups)
		if err != nil {
			return fail("%v", err)
		}
		out = o
	case *SumPool2d:
		o, err := poolOut(in, p.KernelSize, p.Stride, p.Padding)
		if err != nil {
			return fail("%v", err)
		}
		out = o
	case *AvgPool2d:
		o, err := poolOut(in, p.KernelSize, p.Stride, p.Padding)
		if err != nil {
			return fail("%v", err)
		}
		out = o
	case *Flatten:
		r := len(in)
		start, end := p.StartDim, p.EndDim
		if start < 0 {
			start += r
		}
		if end < 0 {
			end += r
		}
		if start < 0 || end >= r || start > end {
			return fail("start_dim %d and end_dim %d do not fit an input of shape %v", p.StartDim, p.EndDim, in)
		}
		prod := 1
		for _, d := range in[start : end+1] {
			prod *= d
		}
		out = append(append(slices.Clone(in[:start]), prod), in[end+1:]...)
	default:
		return fail("the input shape %v cannot be given to this primitive", in)
	}
	n.InShape, n.OutShape = in, out
	return nil
}

// convOut is the output shape of a convolution over in = (C_in, spatial...),
// by PyTorch's formula (torch.nn.Conv1d/Conv2d), which nir follows.
func convOut(in []int, w Array, stride, dilation []int, pad Padding, groups int) ([]int, error) {
	dims := len(w.Shape) - 2
	if len(in) != dims+1 {
		return nil, fmt.Errorf("input of shape %v, want (channels, %d spatial dimensions)", in, dims)
	}
	if cin := w.Shape[1] * groups; in[0] != cin {
		return nil, fmt.Errorf("input of shape %v has %d channels, the weight %v with %d groups takes %d", in, in[0], w.Shape, groups, cin)
	}
	out := []int{w.Shape[0]}
	for i := range dims {
		p := 0
		switch pad.Mode {
		case "same":
			out = append(out, in[i+1])
			continue
		case "":
			p = pad.Size[i]
		}
		num := in[i+1] + 2*p - dilation[i]*(w.Shape[i+2]-1) - 1
		if num < 0 {
			return nil, fmt.Errorf("kernel %v with dilation %v and padding %d does not fit an input of shape %v", w.Shape[2:], dilation, p, in)
		}
		out = append(out, num/stride[i]+1)
	}
	return out, nil
}

// poolOut is the output shape of a 2-d pooling over (C, H, W).
func poolOut(in, kernel, stride, pad []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("input of shape %v, want (channels, height, width)", in)
	}
	out := []int{in[0]}
	for i := range 2 {
		num := in[i+1] + 2*pad[i] - kernel[i]
		if num < 0 {
			return nil, fmt.Errorf("kernel %v with padding %v does not fit an input of shape %v", kernel, pad, in)
		}
		out = append(out, num/stride[i]+1)
	}
	return out, nil
}

// arrays lists a primitive's numeric parameters by their nir names.
func arrays(p Primitive) map[string]Array {
	switch p := p.(type) {
	case *Affine:
		return map[string]Array{"weight": p.Weight, "bias": p.Bias}
	case *Linear:
		return map[string]Array{"weight": p.Weight}
	case *Scale:
		return map[string]Array{"scale": p.Scale}
	case *Conv1d:
		return map[string]Array{"weight": p.Weight, "bias": p.Bias}
	case *Conv2d:
		return map[string]Array{"weight": p.Weight, "bias": p.Bias}
	case *Delay:
		return map[string]Array{"delay": p.Delay}
	case *Threshold:
		return map[string]Array{"threshold": p.Threshold}
	case *I:
		return map[string]Array{"r": p.R}
	case *IF:
		return map[string]Array{"r": p.R, "v_threshold": p.VThreshold, "v_reset": p.VReset}
	case *LI:
		return map[string]Array{"tau": p.Tau, "r": p.R, "v_leak": p.VLeak}
	case *LIF:
		return map[string]Array{"tau": p.Tau, "r": p.R, "v_leak": p.VLeak, "v_threshold": p.VThreshold, "v_reset": p.VReset}
	case *CubaLI:
		return map[string]Array{"tau_syn": p.TauSyn, "tau_mem": p.TauMem, "r": p.R, "v_leak": p.VLeak, "w_in": p.WIn}
	case *CubaLIF:
		return map[string]Array{"tau_syn": p.TauSyn, "tau_mem": p.TauMem, "r": p.R, "v_leak": p.VLeak, "v_threshold": p.VThreshold, "v_reset": p.VReset, "w_in": p.WIn}
	}
	return nil
}
