package nir_test

import (
	"fmt"
	"os"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
)

// A graph in NIR's dict form, as json.dumps of nir's to_dict() gives it
// (arrays as lists): an input, a linear map into a recurrent LIF
// population, an output.
const recurrent = `{
  "type": "NIRGraph",
  "nodes": {
    "in":  {"type": "Input", "shape": [2]},
    "w":   {"type": "Linear", "weight": [[1, 0], [0, 1], [1, 1]]},
    "lif": {"type": "LIF", "tau": [0.01, 0.01, 0.01], "r": [1, 1, 1], "v_leak": [0, 0, 0], "v_threshold": [1, 1, 1]},
    "rec": {"type": "Linear", "weight": [[0, 1, 0], [0, 0, 1], [1, 0, 0]]},
    "out": {"type": "Output", "shape": [3]}
  },
  "edges": [["in", "w"], ["w", "lif"], ["lif", "rec"], ["rec", "lif"], ["lif", "out"]],
  "metadata": {}
}`

func Example() {
	p, err := nir.Parse([]byte(recurrent))
	if err != nil {
		fmt.Println(err)
		return
	}
	f := p.Flat()
	for _, n := range f.Nodes {
		fmt.Printf("%-3s %-6s %v -> %v\n", n.Name, n.Prim.Type(), n.InShape, n.OutShape)
	}
	for _, e := range f.Edges {
		if e.Recurrent {
			fmt.Println("recurrent:", f.Nodes[e.From].Name, "->", f.Nodes[e.To].Name)
		}
	}
	req := p.Requirements()
	fmt.Println(req.Features, req.Quantities[nir.QuantityNeurons])
	// Output:
	// in  Input  [2] -> [2]
	// w   Linear [2] -> [3]
	// lif LIF    [3] -> [3]
	// out Output [3] -> [3]
	// rec Linear [3] -> [3]
	// recurrent: rec -> lif
	// [nir:Input nir:LIF nir:Linear nir:Output nir:recurrent] 3
}

// Reading a .nir file written by nir.write, with a nested graph joined
// through "g.port" edges.
func ExampleParse() {
	data, err := os.ReadFile("testdata/ports.nir")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := nir.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("written by nir", p.Version)
	for _, e := range p.Graph.Edges {
		fmt.Printf("%s -> %s: %+v -> %+v\n", e.From, e.To, e.Src, e.Dst)
	}
	li := p.Graph.Node("g").Prim.(*nir.Graph).Node("li").Prim.(*nir.LI)
	fmt.Println(li.Tau.Shape)
	// Output:
	// written by nir 1.0.8
	// x -> g.a: {Node:x Port:} -> {Node:g Port:a}
	// g.z -> back: {Node:g Port:z} -> {Node:back Port:}
	// back -> g.b: {Node:back Port:} -> {Node:g Port:b}
	// g.v -> y: {Node:g Port:v} -> {Node:y Port:}
	// [3]
}

// Validation names the node or edge at fault.
func ExampleParse_error() {
	_, err := nir.Parse([]byte(`{"type": "NIRGraph", "edges": [["in", "lfi"]], "nodes": {
		"in": {"type": "Input", "shape": [1]},
		"lif": {"type": "LIF", "tau": [0.01], "r": [1], "v_leak": [0], "v_threshold": [1]}}}`))
	fmt.Println(err)
	// Output:
	// sokr: invalid program (nir/1) at node lfi: edge in -> lfi: no node named "lfi" as its target (nodes: in, lif); did you mean lif?
}

// Building a graph in Go.
func ExampleNew() {
	v := func(x ...float64) nir.Array { return nir.Array{Shape: []int{len(x)}, Data: x} }
	g := &nir.Graph{
		Nodes: []*nir.Node{
			{Name: "in", Prim: &nir.Input{Shape: []int{2}}},
			{Name: "lif", Prim: &nir.LIF{Tau: v(0.02, 0.02), R: v(1, 1), VLeak: v(0, 0), VThreshold: v(1, 1), VReset: v(0, 0)}},
			{Name: "out", Prim: &nir.Output{Shape: []int{2}}},
		},
		Edges: []nir.Edge{{From: "in", To: "lif"}, {From: "lif", To: "out"}},
	}
	p, err := nir.New(g)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Format(), p.Requirements().Quantities)
	// Output:
	// nir/1 map[memory_bytes:96 neurons:2 synapses:0]
}
