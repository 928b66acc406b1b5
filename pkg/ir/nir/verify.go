package nir

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/edit"
)

// verifyGraph checks a graph and the graphs nested in it, resolves its
// edges, marks recurrent edges and infers every node's shapes. path is the
// graph's dotted position ("" for the root).
func verifyGraph(g *Graph, path string, depth int) error {
	if depth > maxDepth {
		return errAt(path, "graphs nested deeper than %d", maxDepth)
	}
	slices.SortStableFunc(g.Nodes, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	for i, n := range g.Nodes {
		np := join(path, n.Name)
		switch {
		case n.Name == "":
			return errAt(path, "a node has an empty name")
		case i > 0 && g.Nodes[i-1].Name == n.Name:
			return errAt(np, "two nodes are named %q", n.Name)
		case n.Prim == nil:
			return errAt(np, "node has no primitive")
		}
		if sub, ok := n.Prim.(*Graph); ok {
			if err := verifyGraph(sub, np, depth+1); err != nil {
				return err
			}
			n.InShape, n.OutShape = nil, nil
			if in := sub.Inputs(); len(in) == 1 {
				n.InShape = in[0].OutShape
			}
			if out := sub.Outputs(); len(out) == 1 {
				n.OutShape = out[0].InShape
			}
			continue
		}
		if err := checkParams(n, np); err != nil {
			return err
		}
	}
	if err := resolveEdges(g, path); err != nil {
		return err
	}
	order := markRecurrent(g)
	return inferShapes(g, path, order)
}

// where names the graph an edge belongs to, for messages.
func where(path string) string {
	if path == "" {
		return ""
	}
	return " in subgraph " + path
}

func resolveEdges(g *Graph, path string) error {
	seen := map[[2]string]bool{}
	for i := range g.Edges {
		e := &g.Edges[i]
		var err error
		if e.Src, err = resolve(g, path, e, e.From, true); err != nil {
			return err
		}
		if e.Dst, err = resolve(g, path, e, e.To, false); err != nil {
			return err
		}
		key := [2]string{e.From, e.To}
		if seen[key] {
			return errAt(join(path, e.From), "edge %s -> %s%s is listed twice", e.From, e.To, where(path))
		}
		seen[key] = true
	}
	return nil
}

// resolve finds the node an edge end names: a node of g, or "G.port", a
// subgraph's Output (src) or Input (dst) node. A name that is a node of g
// wins over a port reading ("lif1.lif" may be a plain node name).
func resolve(g *Graph, path string, e *Edge, name string, src bool) (Endpoint, error) {
	role, portType := "target", "Input"
	if src {
		role, portType = "source", "Output"
	}
	fail := func(format string, args ...any) (Endpoint, error) {
		return Endpoint{}, errAt(join(path, name), "edge %s -> %s%s: %s", e.From, e.To, where(path), fmt.Sprintf(format, args...))
	}
	if n := g.Node(name); n != nil {
		switch p := n.Prim.(type) {
		case *Graph:
			ports := p.nodesOf(portType)
			if len(ports) != 1 {
				return fail("subgraph %s has %d %s nodes (%s); name one as %s.NAME", name, len(ports), portType, nodeNames(ports), name)
			}
			return Endpoint{Node: name, Port: ports[0].Name}, nil
		case *Input:
			if !src {
				return fail("an Input node takes no edges from its own graph")
			}
		case *Output:
			if src {
				return fail("an Output node feeds no node of its own graph")
			}
		}
		return Endpoint{Node: name}, nil
	}
	for i := strings.IndexByte(name, '.'); i >= 0; i = next(name, i) {
		head, port := name[:i], name[i+1:]
		sub, ok := nodePrim[*Graph](g, head)
		if !ok {
			continue
		}
		ports := sub.nodesOf(portType)
		for _, p := range ports {
			if p.Name == port {
				return Endpoint{Node: head, Port: port}, nil
			}
		}
		return fail("subgraph %s has no %s node named %q (its %s nodes: %s)", head, portType, port, portType, nodeNames(ports))
	}
	msg := fmt.Sprintf("no node named %q as its %s (nodes%s: %s)", name, role, where(path), nodeNames(g.Nodes))
	if s := suggest(name, g.Nodes); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return fail("%s", msg)
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func nodePrim[T Primitive](g *Graph, name string) (T, bool) {
	var zero T
	n := g.Node(name)
	if n == nil {
		return zero, false
	}
	p, ok := n.Prim.(T)
	return p, ok
}

func nodeNames(nodes []*Node) string {
	if len(nodes) == 0 {
		return "none"
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

// suggest returns the node name closest to name (edit distance at most 2),
// or "".
func suggest(name string, nodes []*Node) string {
	best, bestD := "", 3
	for _, n := range nodes {
		if len(name) > 64 || len(n.Name) > 64 {
			continue // not a typo, and too costly to compare
		}
		if d := edit.Distance(name, n.Name, bestD); d < bestD {
			best, bestD = n.Name, d
		}
	}
	return best
}

// markRecurrent sets Edge.Recurrent on g's edges and returns the node
// indices in topological order of the other edges.
func markRecurrent(g *Graph) []int {
	index := make(map[string]int, len(g.Nodes))
	isInput := make([]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.Name] = i
		_, isInput[i] = n.Prim.(*Input)
	}
	edges := make([][2]int, len(g.Edges))
	for i, e := range g.Edges {
		edges[i] = [2]int{index[e.Src.Node], index[e.Dst.Node]}
	}
	order, rec := orderGraph(len(g.Nodes), isInput, edges)
	for i := range g.Edges {
		g.Edges[i].Recurrent = rec[i]
	}
	return order
}

// orderGraph finds the recurrent edges of a graph of n nodes, those a
// depth-first search reaches while their target is still open (searching
// from the inputs first, then from nodes without incoming edges, then from
// the rest, each in index order), and returns a topological order of the
// other edges that keeps index order where it can.
func orderGraph(n int, isInput []bool, edges [][2]int) (order []int, recurrent []bool) {
	out := make([][]int, n) // edge indices by source
	indeg := make([]int, n)
	for i, e := range edges {
		out[e[0]] = append(out[e[0]], i)
		indeg[e[1]]++
	}
	recurrent = make([]bool, len(edges))
	state := make([]uint8, n) // 0 unseen, 1 open, 2 done
	type frame struct{ node, next int }
	dfs := func(root int) {
		if state[root] != 0 {
			return
		}
		stack := []frame{{root, 0}}
		state[root] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(out[top.node]) {
				state[top.node] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			ei := out[top.node][top.next]
			top.next++
			switch to := edges[ei][1]; state[to] {
			case 0:
				state[to] = 1
				stack = append(stack, frame{to, 0})
			case 1:
				recurrent[ei] = true
			}
		}
	}
	for pass := range 3 {
		for i := range n {
			if pass == 2 || (pass == 0 && isInput[i]) || (pass == 1 && indeg[i] == 0) {
				dfs(i)
			}
		}
	}
	// Kahn's algorithm over the forward edges, smallest index first.
	indeg = make([]int, n)
	for i, e := range edges {
		if !recurrent[i] {
			indeg[e[1]]++
		}
	}
	var ready []int
	for i := range n {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := slices.Min(ready)
		ready = slices.DeleteFunc(ready, func(j int) bool { return j == i })
		order = append(order, i)
		for _, ei := range out[i] {
			if !recurrent[ei] {
				to := edges[ei][1]
				if indeg[to]--; indeg[to] == 0 {
					ready = append(ready, to)
				}
			}
		}
	}
	return order, recurrent
}

// inferShapes gives every node its input and output shapes, in
// topological order, and checks that the two ends of every edge agree.
func inferShapes(g *Graph, path string, order []int) error {
	into := make(map[string][]*Edge)
	for i := range g.Edges {
		e := &g.Edges[i]
		into[e.Dst.Node] = append(into[e.Dst.Node], e)
	}
	check := func(e *Edge) error {
		src, dst := endShape(g, e.Src, true), endShape(g, e.Dst, false)
		if src == nil || dst == nil || sameShape(src, dst) {
			return nil
		}
		return errAt(join(path, e.To), "edge %s -> %s%s: %s produces shape %v, %s takes %v", e.From, e.To, where(path), e.From, src, e.To, dst)
	}
	for _, i := range order {
		n := g.Nodes[i]
		for _, e := range into[n.Name] {
			if e.Recurrent {
				continue
			}
			if n.InShape == nil && e.Dst.Port == "" {
				if err := inferFrom(n, join(path, n.Name), endShape(g, e.Src, true)); err != nil {
					return err
				}
			}
			if err := check(e); err != nil {
				return err
			}
		}
	}
	for _, n := range g.Nodes {
		if _, sub := n.Prim.(*Graph); !sub && (n.InShape == nil || n.OutShape == nil) {
			return errAt(join(path, n.Name), "%s: the input shape is unknown: the node does not give it and no edge reaches it", n.Prim.Type())
		}
	}
	for i := range g.Edges {
		if err := check(&g.Edges[i]); err != nil {
			return err
		}
	}
	return nil
}

// endShape is the shape at an edge end: a node's output (src) or input,
// or a subgraph port's.
func endShape(g *Graph, ep Endpoint, src bool) []int {
	n := g.Node(ep.Node)
	if sub, ok := n.Prim.(*Graph); ok {
		p := sub.Node(ep.Port)
		if src {
			return p.InShape
		}
		return p.OutShape
	}
	if src {
		return n.OutShape
	}
	return n.InShape
}

// sameShape compares shapes, ignoring dimensions of size 1: Rockpool,
// for one, writes an Output of shape (1, 1, 1) for a LIF of shape (1,).
// The elements line up the same either way.
func sameShape(a, b []int) bool {
	one := func(d int) bool { return d == 1 }
	return slices.Equal(slices.DeleteFunc(slices.Clone(a), one), slices.DeleteFunc(slices.Clone(b), one))
}
