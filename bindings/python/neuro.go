package facade

import (
	"encoding/json"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// nirInfo is what Python needs to know of a NIR graph: its inputs and
// outputs (root Input and Output nodes, by name, as the simulator orders
// them) and every node of the flattened graph, for probes.
type nirInfo struct {
	Version   string        `json:"version"`
	Inputs    []nirPort     `json:"inputs"`
	Outputs   []nirPort     `json:"outputs"`
	Nodes     []nirNodeInfo `json:"nodes"`
	Recurrent int           `json:"recurrent"`
}

type nirPort struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type nirNodeInfo struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"` // the node's output shape
}

func nirInfoOf(p *nir.Program) *nirInfo {
	f := p.Flat()
	in := &nirInfo{Version: p.Version, Inputs: []nirPort{}, Outputs: []nirPort{}, Nodes: make([]nirNodeInfo, len(f.Nodes))}
	for _, i := range f.Inputs {
		in.Inputs = append(in.Inputs, nirPort{Name: f.Nodes[i].Name, Shape: orEmpty(f.Nodes[i].OutShape)})
	}
	for _, i := range f.Outputs {
		in.Outputs = append(in.Outputs, nirPort{Name: f.Nodes[i].Name, Shape: orEmpty(f.Nodes[i].InShape)})
	}
	for i, n := range f.Nodes {
		in.Nodes[i] = nirNodeInfo{Name: n.Name, Type: n.Prim.Type(), Shape: orEmpty(n.OutShape)}
	}
	for _, e := range f.Edges {
		if e.Recurrent {
			in.Recurrent++
		}
	}
	return in
}

func orEmpty(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// NIRDict returns NIR program prog in NIR's dict form as JSON (arrays as
// nested lists), the graph as SOKR read it: {"version": v, "node": dict}.
// python/sokr/neuro turns it into a nir.NIRGraph (to_nir).
func NIRDict(prog int64) (string, error) {
	p, ok := programs.get(prog)
	if !ok {
		return "", fail(&sokr.ProgramError{Msg: fmt.Sprintf("no program with handle %d (freed?)", prog)})
	}
	n, ok := p.(*nir.Program)
	if !ok {
		return "", fail(&sokr.ProgramError{Format: p.Format(), Msg: "not a NIR graph: a " + p.Format() + " program"})
	}
	b, err := json.Marshal(map[string]any{"version": n.Version, "node": n.Dict()})
	if err != nil {
		return "", fail(&sokr.ProgramError{Format: nir.Format, Msg: "cannot write the graph as JSON: " + err.Error()})
	}
	return string(b), nil
}

// sessionEnder is a substrate with stateful sessions (snn).
type sessionEnder interface {
	EndSession(id string) bool
}

// EndSession forgets session id of substrate in runtime rt (0: the
// default runtime) and reports whether it was live.
func EndSession(rt int64, substrate, id string) (bool, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return false, fail(err)
	}
	s, ok := r.Substrate(substrate)
	if !ok {
		return false, fail(&sokr.RegistrationError{Name: substrate, Msg: "no substrate of this name (have: " + substrateNames(r) + ")"})
	}
	e, ok := s.(sessionEnder)
	if !ok {
		return false, fail(&sokr.RegistrationError{Name: substrate, Msg: "this substrate has no sessions"})
	}
	return e.EndSession(id), nil
}
