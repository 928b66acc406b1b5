package nir

import "github.com/sokr-rs/sokr/pkg/sokr"

var (
	_ sokr.Sourcer   = (*Program)(nil)
	_ sokr.Describer = (*Program)(nil)
)

// ProgramSource returns the bytes (a .nir file or NIR dict JSON) the IR
// plugin parsed p from; a graph lowered from memory has none.
func (p *Program) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: Format, Bytes: p.src}, p.src != nil
}

// info is what front-ends need to know of a NIR graph: its inputs and
// outputs (root Input and Output nodes, by name, as the simulator orders
// them) and every node of the flattened graph, for probes. The Python
// package reads it as Program.info["nir"].
type info struct {
	Version   string     `json:"version"`
	Inputs    []port     `json:"inputs"`
	Outputs   []port     `json:"outputs"`
	Nodes     []nodeInfo `json:"nodes"`
	Recurrent int        `json:"recurrent"`
}

type port struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type nodeInfo struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"` // the node's output shape
}

// Description describes the graph under the name "nir": its version, its
// inputs and outputs with their shapes, every node of the flattened graph
// (name, primitive type, output shape) and the number of recurrent edges.
func (p *Program) Description() (string, any) {
	f := p.Flat()
	in := &info{Version: p.Version, Inputs: []port{}, Outputs: []port{}, Nodes: make([]nodeInfo, len(f.Nodes))}
	for _, i := range f.Inputs {
		in.Inputs = append(in.Inputs, port{Name: f.Nodes[i].Name, Shape: orEmpty(f.Nodes[i].OutShape)})
	}
	for _, i := range f.Outputs {
		in.Outputs = append(in.Outputs, port{Name: f.Nodes[i].Name, Shape: orEmpty(f.Nodes[i].InShape)})
	}
	for i, n := range f.Nodes {
		in.Nodes[i] = nodeInfo{Name: n.Name, Type: n.Prim.Type(), Shape: orEmpty(n.OutShape)}
	}
	for _, e := range f.Edges {
		if e.Recurrent {
			in.Recurrent++
		}
	}
	return "nir", in
}

// orEmpty makes a nil shape an empty JSON list rather than null.
func orEmpty(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
