package nir

import (
	"slices"
	"strings"
)

// Flat is a graph with its subgraphs spliced in: what a simulator runs.
// Nodes are in topological order of the forward (non-recurrent) edges, so
// a node comes after every node that feeds it except through a recurrent
// edge. Nested nodes are named by their dotted path ("lif1.lin"); the
// Input and Output nodes of nested graphs are gone, their edges joined
// through, so the only Input and Output nodes left are the root's.
type Flat struct {
	Nodes   []FlatNode
	Edges   []FlatEdge
	Inputs  []int // indices in Nodes of the root's Input nodes, by name
	Outputs []int // indices in Nodes of the root's Output nodes, by name
}

// FlatNode is a node of a Flat graph. Prim is never a *Graph.
type FlatNode struct {
	Name              string
	Prim              Primitive
	Metadata          Metadata
	InShape, OutShape []int
	In, Out           []int // indices in Flat.Edges of the edges into and out of the node
}

// FlatEdge is an edge of a Flat graph between node indices.
type FlatEdge struct {
	From, To  int
	Recurrent bool // closes a cycle; see Edge.Recurrent
}

// Index returns the index of the node with the given dotted name, or -1.
func (f *Flat) Index(name string) int {
	return slices.IndexFunc(f.Nodes, func(n FlatNode) bool { return n.Name == name })
}

// flatten splices the subgraphs of a verified graph into one level.
func flatten(root *Graph) (*Flat, error) {
	type fnode struct {
		node     *Node
		identity bool // a nested graph's Input or Output: joined through
	}
	nodes := map[string]fnode{}
	var names []string
	var edges [][2]string
	var collect func(g *Graph, prefix string) error
	collect = func(g *Graph, prefix string) error {
		for _, n := range g.Nodes {
			name := prefix + n.Name
			if sub, ok := n.Prim.(*Graph); ok {
				if err := collect(sub, name+"."); err != nil {
					return err
				}
				continue
			}
			if _, dup := nodes[name]; dup {
				return errAt(name, "two nodes share the name %q once nested graphs are flattened (a node named with a dot collides with a subgraph's node)", name)
			}
			_, in := n.Prim.(*Input)
			_, out := n.Prim.(*Output)
			nodes[name] = fnode{node: n, identity: prefix != "" && (in || out)}
			names = append(names, name)
		}
		end := func(ep Endpoint) string {
			if ep.Port != "" {
				return prefix + ep.Node + "." + ep.Port
			}
			return prefix + ep.Node
		}
		for _, e := range g.Edges {
			edges = append(edges, [2]string{end(e.Src), end(e.Dst)})
		}
		return nil
	}
	if err := collect(root, ""); err != nil {
		return nil, err
	}
	// Join edges through the nested Input and Output nodes.
	sort := func(s []string) []string { slices.Sort(s); return s }
	for _, x := range sort(slices.Clone(names)) {
		if !nodes[x].identity {
			continue
		}
		var preds, succs []string
		kept := edges[:0:0]
		for _, e := range edges {
			switch {
			case e[1] == x && e[0] != x:
				preds = append(preds, e[0])
			case e[0] == x && e[1] != x:
				succs = append(succs, e[1])
			case e[0] != x && e[1] != x:
				kept = append(kept, e)
			}
		}
		for _, p := range preds {
			for _, s := range succs {
				kept = append(kept, [2]string{p, s})
			}
		}
		edges = kept
		delete(nodes, x)
	}
	names = slices.DeleteFunc(sort(names), func(n string) bool { _, ok := nodes[n]; return !ok })
	index := make(map[string]int, len(names))
	isInput := make([]bool, len(names))
	for i, n := range names {
		index[n] = i
		_, isInput[i] = nodes[n].node.Prim.(*Input)
	}
	var idx [][2]int
	seen := map[[2]int]bool{}
	for _, e := range edges {
		k := [2]int{index[e[0]], index[e[1]]}
		if !seen[k] {
			seen[k] = true
			idx = append(idx, k)
		}
	}
	order, rec := orderGraph(len(names), isInput, idx)
	pos := make([]int, len(names)) // old index -> position in order
	f := &Flat{Nodes: make([]FlatNode, len(order))}
	for i, old := range order {
		pos[old] = i
		n := nodes[names[old]].node
		f.Nodes[i] = FlatNode{Name: names[old], Prim: n.Prim, Metadata: n.Metadata, InShape: n.InShape, OutShape: n.OutShape}
	}
	for i, e := range idx {
		fe := FlatEdge{From: pos[e[0]], To: pos[e[1]], Recurrent: rec[i]}
		f.Nodes[fe.From].Out = append(f.Nodes[fe.From].Out, len(f.Edges))
		f.Nodes[fe.To].In = append(f.Nodes[fe.To].In, len(f.Edges))
		f.Edges = append(f.Edges, fe)
	}
	for i, n := range f.Nodes {
		switch n.Prim.(type) {
		case *Input:
			f.Inputs = append(f.Inputs, i)
		case *Output:
			f.Outputs = append(f.Outputs, i)
		}
	}
	byName := func(a, b int) int { return strings.Compare(f.Nodes[a].Name, f.Nodes[b].Name) }
	slices.SortFunc(f.Inputs, byName)
	slices.SortFunc(f.Outputs, byName)
	return f, checkFlow(f)
}

// checkFlow checks that data can reach every node: the graph has an Input
// node, and every other node has an edge into it (nested graphs joined
// through). A node that nothing feeds has no input to compute from, and a
// graph without inputs nothing to run on; no simulator can run either,
// so they are faults of the program, found here rather than refused by
// every substrate in turn.
func checkFlow(f *Flat) error {
	if len(f.Inputs) == 0 {
		return errAt("", "the graph has no Input node: data enters a NIR graph through its Input nodes")
	}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if _, in := n.Prim.(*Input); !in && len(n.In) == 0 {
			return errAt(n.Name, "%s: nothing feeds it: no edge reaches it (every node but an Input needs one)", n.Prim.Type())
		}
	}
	return nil
}
