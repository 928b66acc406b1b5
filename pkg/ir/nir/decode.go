package nir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/hdf5"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// dict is a node of NIR's dict form (nir's to_dict(), or an HDF5 group):
// values are dict or *leaf.
type dict map[string]any

// leaf is an array or scalar of NIR's dict form: numbers or strings.
type leaf struct {
	shape []int
	nums  []float64
	ints  bool // every number was written as an integer
	strs  []string
}

func (l *leaf) len() int { return max(len(l.nums), len(l.strs)) }

// errAt makes a *sokr.ProgramError naming a node (its dotted path).
func errAt(node string, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: sokr.Position{Node: node}, Msg: fmt.Sprintf(format, args...)}
}

// fromHDF5 reads a .nir file's tree: /version and the /node group.
func fromHDF5(src []byte) (dict, string, error) {
	root, err := hdf5.Decode(src)
	if err != nil {
		pe := &sokr.ProgramError{Format: Format, Msg: err.Error()}
		if fe, ok := err.(*hdf5.FormatError); ok {
			pe.Pos.Offset = fe.Offset
		}
		return nil, "", pe
	}
	version := ""
	if v := root.Member("version"); v != nil && !v.IsGroup() {
		if s, err := v.Value.Strings(); err == nil && len(s) == 1 {
			version = s[0]
		}
	}
	node := root.Member("node")
	if node == nil || !node.IsGroup() {
		return nil, "", &sokr.ProgramError{Format: Format, Msg: "not a NIR file: the HDF5 file has no /node group"}
	}
	d, err := hdf5Dict(node)
	return d, version, err
}

func hdf5Dict(o *hdf5.Object) (dict, error) {
	d := make(dict, len(o.Members))
	for _, m := range o.Members {
		if m.IsGroup() {
			sub, err := hdf5Dict(m)
			if err != nil {
				return nil, err
			}
			d[m.Name] = sub
			continue
		}
		l := &leaf{shape: m.Value.Shape}
		switch m.Value.Class {
		case hdf5.String:
			l.strs, _ = m.Value.Strings()
		default:
			l.nums, _ = m.Value.Float64s()
			l.ints = m.Value.Class == hdf5.Integer
		}
		d[m.Name] = l
	}
	return d, nil
}

// fromJSON reads NIR's dict form as JSON: the graph's to_dict(), or
// {"version": ..., "node": {...}} as in a .nir file.
func fromJSON(src []byte) (dict, string, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		pe := &sokr.ProgramError{Format: Format, Msg: "invalid JSON: " + err.Error()}
		if se, ok := err.(*json.SyntaxError); ok {
			pe.Pos.Offset = se.Offset
		}
		return nil, "", pe
	}
	if dec.More() {
		return nil, "", &sokr.ProgramError{Format: Format, Msg: "invalid JSON: data after the top-level value"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("the JSON holds a %s, not a NIR graph dictionary", jsonKind(v))}
	}
	return fromMap(m)
}

// fromMap converts a Go map in NIR's dict form (values as encoding/json
// produces them, or float64, int, []float64, []int, []string).
func fromMap(m map[string]any) (dict, string, error) {
	version := ""
	if _, hasType := m["type"]; !hasType {
		if node, ok := m["node"].(map[string]any); ok {
			version, _ = m["version"].(string)
			m = node
		}
	}
	d, err := mapDict(m, "")
	return d, version, err
}

func mapDict(m map[string]any, path string) (dict, error) {
	d := make(dict, len(m))
	for k, v := range m {
		if v == nil {
			continue // None: the parameter is absent
		}
		if sub, ok := v.(map[string]any); ok {
			sp := join(path, k) // node paths skip the "nodes" level: "g.l"
			if k == "nodes" {
				sp = path
			}
			sd, err := mapDict(sub, sp)
			if err != nil {
				return nil, err
			}
			d[k] = sd
			continue
		}
		l, err := toLeaf(v)
		if err != nil {
			return nil, errAt(path, "%s: %v", k, err)
		}
		d[k] = l
	}
	return d, nil
}

// toLeaf converts a scalar or nested list to a leaf, checking that the
// nesting is rectangular (numpy would make an object array otherwise).
func toLeaf(v any) (*leaf, error) {
	l := &leaf{ints: true}
	var shape []int
	depth := -1
	var walk func(v any, d int) error
	walk = func(v any, d int) error {
		switch x := v.(type) {
		case []any:
			if d == len(shape) {
				if depth >= 0 && d >= depth {
					return fmt.Errorf("ragged nested list")
				}
				shape = append(shape, len(x))
			} else if d > len(shape) || shape[d] != len(x) {
				return fmt.Errorf("ragged nested list: lengths %d and %d at depth %d", shape[min(d, len(shape)-1)], len(x), d)
			}
			for _, e := range x {
				if err := walk(e, d+1); err != nil {
					return err
				}
			}
			return nil
		case []float64:
			return walk(anys(x), d)
		case []int:
			return walk(anys(x), d)
		case []string:
			return walk(anys(x), d)
		}
		if depth < 0 {
			depth = d
		} else if d != depth || d != len(shape) {
			return fmt.Errorf("ragged nested list")
		}
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return fmt.Errorf("number %s: %v", x, err)
			}
			l.ints = l.ints && !strings.ContainsAny(string(x), ".eE")
			l.nums = append(l.nums, f)
		case float64:
			l.ints = l.ints && x == math.Trunc(x)
			l.nums = append(l.nums, x)
		case int:
			l.nums = append(l.nums, float64(x))
		case int64:
			l.nums = append(l.nums, float64(x))
		case bool:
			l.nums = append(l.nums, map[bool]float64{false: 0, true: 1}[x])
		case string:
			l.strs = append(l.strs, x)
		default:
			return fmt.Errorf("unexpected %s", jsonKind(v))
		}
		if len(l.nums) > 0 && len(l.strs) > 0 {
			return fmt.Errorf("a list mixes numbers and strings")
		}
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, err
	}
	l.shape = shape
	if l.shape == nil {
		l.shape = []int{}
	}
	return l, nil
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "dictionary"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// decodeGraph builds a Graph from its dict; path is its dotted position
// ("" for the root).
func decodeGraph(d dict, path string, depth int) (*Graph, error) {
	if depth > maxDepth {
		return nil, errAt(path, "graphs nested deeper than %d", maxDepth)
	}
	if typ, _ := d["type"].(*leaf); typ != nil && (len(typ.strs) != 1 || typ.strs[0] != "NIRGraph") {
		return nil, errAt(path, "the top-level node is a %s, not a NIRGraph", describe(typ))
	}
	nodes, ok := d["nodes"].(dict)
	if !ok {
		return nil, errAt(path, "graph has no \"nodes\" dictionary")
	}
	g := &Graph{}
	var err error
	if g.Metadata, err = decodeMetadata(d, path); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(nodes))
	for name := range nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		nd, ok := nodes[name].(dict)
		if !ok {
			return nil, errAt(join(path, name), "node is not a dictionary")
		}
		n, err := decodeNode(nd, name, join(path, name), depth)
		if err != nil {
			return nil, err
		}
		g.Nodes = append(g.Nodes, n)
	}
	switch e := d["edges"].(type) {
	case nil:
		if _, present := d["edges"]; !present {
			return nil, errAt(path, "graph has no \"edges\" list")
		}
	case *leaf:
		switch {
		case e.len() == 0:
		case len(e.strs) == 0 || len(e.shape) != 2 || e.shape[1] != 2:
			return nil, errAt(path, "edges must be a list of (source, target) name pairs, found %s", describe(e))
		default:
			for i := 0; i < len(e.strs); i += 2 {
				g.Edges = append(g.Edges, Edge{From: e.strs[i], To: e.strs[i+1]})
			}
		}
	default:
		return nil, errAt(path, "edges must be a list of (source, target) name pairs, found a dictionary")
	}
	for k := range d {
		if k != "type" && k != "nodes" && k != "edges" && k != "metadata" {
			return nil, errAt(path, "graph has an unknown entry %q", k)
		}
	}
	return g, nil
}

func describe(l *leaf) string {
	switch {
	case len(l.strs) == 1 && len(l.shape) == 0:
		return fmt.Sprintf("%q", l.strs[0])
	case len(l.strs) > 0:
		return fmt.Sprintf("strings of shape %v", l.shape)
	}
	return fmt.Sprintf("numbers of shape %v", l.shape)
}

func decodeMetadata(d dict, path string) (Metadata, error) {
	switch m := d["metadata"].(type) {
	case nil:
		return Metadata{}, nil
	case dict:
		return metadataOf(m), nil
	default:
		return nil, errAt(path, "metadata must be a dictionary")
	}
}

func metadataOf(d dict) Metadata {
	md := make(Metadata, len(d))
	for k, v := range d {
		switch x := v.(type) {
		case dict:
			md[k] = metadataOf(x)
		case *leaf:
			switch {
			case len(x.shape) == 0 && len(x.strs) == 1:
				md[k] = x.strs[0]
			case len(x.strs) > 0:
				md[k] = slices.Clone(x.strs)
			case len(x.shape) == 0 && len(x.nums) == 1 && x.ints:
				md[k] = int64(x.nums[0])
			case len(x.shape) == 0 && len(x.nums) == 1:
				md[k] = x.nums[0]
			default:
				md[k] = Array{Shape: x.shape, Data: x.nums}
			}
		}
	}
	return md
}

// fields reads the parameters of one node, remembering which it used so
// that unknown ones are refused.
type fields struct {
	d    dict
	node string // dotted path
	typ  string
	used map[string]bool
}

func (f *fields) errorf(format string, args ...any) error {
	return errAt(f.node, "%s: %s", f.typ, fmt.Sprintf(format, args...))
}

func (f *fields) leaf(key string) (*leaf, bool, error) {
	f.used[key] = true
	v, ok := f.d[key]
	if !ok {
		return nil, false, nil
	}
	l, ok := v.(*leaf)
	if !ok {
		return nil, false, f.errorf("parameter %s is a dictionary, want an array", key)
	}
	return l, true, nil
}

// array reads an optional numeric parameter.
func (f *fields) array(key string) (Array, bool, error) {
	l, ok, err := f.leaf(key)
	if !ok || err != nil {
		return Array{}, false, err
	}
	if len(l.strs) > 0 {
		return Array{}, false, f.errorf("parameter %s holds strings, want numbers", key)
	}
	return Array{Shape: slices.Clone(l.shape), Data: l.nums}, true, nil
}

// need reads a required numeric parameter.
func (f *fields) need(key string) (Array, error) {
	a, ok, err := f.array(key)
	if err == nil && !ok {
		err = f.errorf("missing parameter %s", key)
	}
	return a, err
}

// ints reads integers: a scalar or a 1-d array (n elements when n > 0).
func (f *fields) ints(key string, n int, required bool) ([]int, error) {
	a, ok, err := f.array(key)
	if err != nil || !ok {
		if err == nil && required {
			err = f.errorf("missing parameter %s", key)
		}
		return nil, err
	}
	if len(a.Shape) > 1 || (n > 0 && len(a.Shape) == 1 && len(a.Data) != n) {
		return nil, f.errorf("parameter %s has shape %v, want %d integers", key, a.Shape, max(n, 1))
	}
	out := make([]int, len(a.Data))
	for i, v := range a.Data {
		if v != math.Trunc(v) || math.Abs(v) > 1<<40 {
			return nil, f.errorf("parameter %s holds %v, want integers", key, v)
		}
		out[i] = int(v)
	}
	if n > 1 && len(a.Shape) == 0 {
		out = slices.Repeat(out, n) // an int applies to every dimension, as in nir
	}
	return out, nil
}

// int reads one integer (a scalar or a 1-element array) or def.
func (f *fields) int(key string, def int, required bool) (int, error) {
	v, err := f.ints(key, 1, required)
	if err != nil || v == nil {
		return def, err
	}
	return v[0], nil
}

func (f *fields) shape(key string) ([]int, bool, error) {
	l, ok, err := f.leaf(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	s, err := f.ints(key, 0, false)
	if err == nil && len(l.shape) == 0 {
		err = f.errorf("parameter %s must be a list of dimensions", key)
	}
	return s, true, err
}

func (f *fields) done() error {
	var extra []string
	for k := range f.d {
		if !f.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return f.errorf("unknown parameter %s", strings.Join(extra, ", "))
	}
	return nil
}

// maxDepth bounds the nesting of graphs.
const maxDepth = 32

func decodeNode(d dict, name, path string, depth int) (*Node, error) {
	if name == "" {
		return nil, errAt(path, "a node has an empty name")
	}
	tl, _ := d["type"].(*leaf)
	if tl == nil || len(tl.strs) != 1 || len(tl.shape) != 0 {
		return nil, errAt(path, "node has no \"type\" string")
	}
	f := &fields{d: d, node: path, typ: tl.strs[0], used: map[string]bool{"type": true, "metadata": true}}
	md, err := decodeMetadata(d, path)
	if err != nil {
		return nil, err
	}
	n := &Node{Name: name, Metadata: md}
	var e error
	arr := func(key string) Array {
		a, err := f.need(key)
		e = cmpErr(e, err)
		return a
	}
	opt := func(key string) (Array, bool) {
		a, ok, err := f.array(key)
		e = cmpErr(e, err)
		return a, ok
	}
	switch f.typ {
	case "NIRGraph":
		g, err := decodeGraph(d, path, depth+1)
		if err != nil {
			return nil, err
		}
		g.Metadata = md
		n.Prim = g
		return n, nil
	case "Input", "Output":
		// nir 1.0 writes "shape"; keep the older input_type / output_type.
		s, ok, err := f.shape("shape")
		if err == nil && !ok {
			key := map[string]string{"Input": "input_type", "Output": "output_type"}[f.typ]
			s, ok, err = f.shape(key)
		}
		e = cmpErr(e, err)
		if e == nil && !ok {
			e = f.errorf("missing parameter shape")
		}
		if f.typ == "Input" {
			n.Prim = &Input{Shape: s}
		} else {
			n.Prim = &Output{Shape: s}
		}
	case "Affine":
		n.Prim = &Affine{Weight: arr("weight"), Bias: arr("bias")}
	case "Linear":
		n.Prim = &Linear{Weight: arr("weight")}
	case "Scale":
		n.Prim = &Scale{Scale: arr("scale")}
	case "Conv1d", "Conv2d":
		dims := map[string]int{"Conv1d": 1, "Conv2d": 2}[f.typ]
		var pad Padding
		if l, ok, err := f.leaf("padding"); err != nil || !ok {
			e = cmpErr(e, cmpErr(err, f.errorf("missing parameter padding")))
		} else if len(l.strs) == 1 {
			pad.Mode = l.strs[0]
			if pad.Mode != "same" && pad.Mode != "valid" {
				e = cmpErr(e, f.errorf("padding %q must be \"same\", \"valid\" or integers", pad.Mode))
			}
		} else {
			pad.Size, err = f.ints("padding", dims, true)
			e = cmpErr(e, err)
		}
		stride, err1 := f.ints("stride", dims, true)
		dilation, err2 := f.ints("dilation", dims, true)
		groups, err3 := f.int("groups", 1, true)
		e = cmpErr(e, cmpErr(err1, cmpErr(err2, err3)))
		in, err := f.ints("input_shape", dims, false)
		e = cmpErr(e, err)
		if dims == 1 {
			c := &Conv1d{Weight: arr("weight"), Padding: pad, Groups: groups, Bias: arr("bias")}
			if e == nil {
				c.Stride, c.Dilation = stride[0], dilation[0]
				if in != nil {
					c.InputShape = in[0]
				}
			}
			n.Prim = c
		} else {
			n.Prim = &Conv2d{InputShape: in, Weight: arr("weight"), Stride: stride, Padding: pad, Dilation: dilation, Groups: groups, Bias: arr("bias")}
		}
	case "SumPool2d", "AvgPool2d":
		k, err1 := f.ints("kernel_size", 2, true)
		s, err2 := f.ints("stride", 2, true)
		p, err3 := f.ints("padding", 2, true)
		e = cmpErr(e, cmpErr(err1, cmpErr(err2, err3)))
		if f.typ == "SumPool2d" {
			n.Prim = &SumPool2d{KernelSize: k, Stride: s, Padding: p}
		} else {
			n.Prim = &AvgPool2d{KernelSize: k, Stride: s, Padding: p}
		}
	case "Flatten":
		in, _, err := f.shape("input_type")
		start, err1 := f.int("start_dim", 1, false)
		end, err2 := f.int("end_dim", -1, false)
		e = cmpErr(e, cmpErr(err, cmpErr(err1, err2)))
		n.Prim = &Flatten{InputType: in, StartDim: start, EndDim: end}
	case "Delay":
		n.Prim = &Delay{Delay: arr("delay")}
	case "Threshold":
		n.Prim = &Threshold{Threshold: arr("threshold")}
	case "I":
		n.Prim = &I{R: arr("r")}
	case "IF":
		p := &IF{R: arr("r"), VThreshold: arr("v_threshold")}
		p.VReset = orFill(opt("v_reset"))(p.VThreshold, 0)
		n.Prim = p
	case "LI":
		n.Prim = &LI{Tau: arr("tau"), R: arr("r"), VLeak: arr("v_leak")}
	case "LIF":
		p := &LIF{Tau: arr("tau"), R: arr("r"), VLeak: arr("v_leak"), VThreshold: arr("v_threshold")}
		p.VReset = orFill(opt("v_reset"))(p.VThreshold, 0)
		n.Prim = p
	case "CubaLI":
		p := &CubaLI{TauSyn: arr("tau_syn"), TauMem: arr("tau_mem"), R: arr("r"), VLeak: arr("v_leak")}
		p.WIn = orFill(opt("w_in"))(p.VLeak, 1)
		n.Prim = p
	case "CubaLIF":
		p := &CubaLIF{TauSyn: arr("tau_syn"), TauMem: arr("tau_mem"), R: arr("r"), VLeak: arr("v_leak"), VThreshold: arr("v_threshold")}
		p.VReset = orFill(opt("v_reset"))(p.VThreshold, 0)
		p.WIn = orFill(opt("w_in"))(p.VThreshold, 1)
		n.Prim = p
	default:
		return nil, errAt(path, "unknown node type %q (NIR has %s)", f.typ, strings.Join(Types, ", "))
	}
	if e != nil {
		return nil, e
	}
	return n, f.done()
}

// orFill returns a parameter that nir defaults when absent: v_reset to
// zeros, w_in to ones, shaped like like. A scalar w_in broadcasts, as nir's
// np.ones_like(v) * w_in does.
func orFill(a Array, ok bool) func(like Array, v float64) Array {
	return func(like Array, v float64) Array {
		if ok && !(len(a.Shape) == 0 && len(a.Data) == 1 && len(like.Shape) > 0) {
			return a
		}
		if ok {
			v = a.Data[0]
		}
		out := Array{Shape: slices.Clone(like.Shape), Data: make([]float64, len(like.Data))}
		for i := range out.Data {
			out.Data[i] = v
		}
		return out
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
