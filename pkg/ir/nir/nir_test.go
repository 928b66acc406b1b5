package nir

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func parseFile(t testing.TB, path string) *Program {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := Parse(data)
	require.NoError(t, err, path)
	return p
}

// paperDir is the repository's copy of the NIR paper's graphs (testdata/nir
// at the root; its README gives provenance and licence).
var paperDir = filepath.Join("..", "..", "..", "testdata", "nir")

// TestRoundTrip reads the graphs nir.write wrote (gen.py) in each HDF5
// flavour and compares every parameter, edge and metadata entry with the
// same graph's to_dict() JSON.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		json  string
		files []string
	}{
		{"testdata/every.json", []string{"testdata/every_v0_gzip.nir", "testdata/every_v0_plain.nir", "testdata/every_v3_gzip.nir"}},
		{"testdata/ports.json", []string{"testdata/ports.nir"}},
	} {
		want := parseFile(t, tc.json)
		assert.Empty(t, want.Version)
		for _, f := range tc.files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				got := parseFile(t, f)
				assert.Equal(t, "1.0.8", got.Version)
				assert.Equal(t, want.Graph, got.Graph)
				assert.Equal(t, want.Flat(), got.Flat())
			})
		}
	}

	// Spot checks against gen.py, beyond the file-against-JSON comparison.
	p := parseFile(t, "testdata/every_v0_gzip.nir")
	g := p.Graph
	types := map[string]bool{}
	var walk func(g *Graph)
	walk = func(g *Graph) {
		for _, n := range g.Nodes {
			types[n.Prim.Type()] = true
			if sub, ok := n.Prim.(*Graph); ok {
				walk(sub)
			}
		}
	}
	walk(g)
	assert.ElementsMatch(t, Types, slices.Collect(mapKeys(types)), "every primitive is in the fixture")

	conv := g.Node("conv2").Prim.(*Conv2d)
	assert.Equal(t, []int{4, 2, 3, 3}, conv.Weight.Shape)
	assert.Equal(t, float64(float32(conv.Weight.Data[0])), conv.Weight.Data[0], "float32 weights widen exactly")
	assert.Equal(t, Padding{Size: []int{1, 1}}, conv.Padding)
	assert.Equal(t, []int{1, 1}, conv.Stride)
	assert.Equal(t, Padding{Mode: "valid"}, g.Node("conv1").Prim.(*Conv1d).Padding)
	assert.Equal(t, &Flatten{InputType: []int{4, 3, 3}, StartDim: 1, EndDim: -1}, g.Node("flat").Prim)
	assert.Equal(t, Metadata{"note": "last", "k": int64(3), "x": 0.25, "v": Array{Shape: []int{3}, Data: []float64{0, 1, 2}}}, g.Node("cubalif").Metadata)
	assert.Equal(t, Metadata{"source": "sokr gen.py", "seed": int64(20240607)}, g.Metadata)
	sub := g.Node("sub").Prim.(*Graph)
	assert.Equal(t, Metadata{"role": "recurrent block"}, sub.Metadata)
	assert.Equal(t, []Edge{
		{From: "in", To: "lif", Src: Endpoint{Node: "in"}, Dst: Endpoint{Node: "lif"}},
		{From: "lif", To: "lin", Src: Endpoint{Node: "lif"}, Dst: Endpoint{Node: "lin"}},
		{From: "lin", To: "lif", Src: Endpoint{Node: "lin"}, Dst: Endpoint{Node: "lif"}, Recurrent: true},
		{From: "lif", To: "out", Src: Endpoint{Node: "lif"}, Dst: Endpoint{Node: "out"}},
	}, sub.Edges)
	assert.Equal(t, Endpoint{Node: "sub", Port: "in"}, g.Edges[slices.IndexFunc(g.Edges, func(e Edge) bool { return e.To == "sub" })].Dst)
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestPaperGraphs loads every NIR file of the repository's testdata/nir or
// rejects it with its reason.
func TestPaperGraphs(t *testing.T) {
	checkPaperGraphs(t, paperDir)
}

// TestPaperGraphsCorpus does the same for the full NIR paper set of the
// external corpus (adding the N-MNIST CNN and the other braille variants).
func TestPaperGraphsCorpus(t *testing.T) {
	checkPaperGraphs(t, testcorpus.Dir(t, "nir"))
}

// checkPaperGraphs checks each .nir file of dir against what is known of
// it; a file it does not know fails the test.
func checkPaperGraphs(t *testing.T, dir string) {
	lif := func(t *testing.T, p *Program) {
		f := p.Flat()
		require.Len(t, f.Nodes, 4)
		assert.Equal(t, []int{1}, f.Nodes[f.Outputs[0]].InShape[len(f.Nodes[f.Outputs[0]].InShape)-1:])
		assert.Equal(t, int64(1), p.Requirements().Quantities[QuantityNeurons])
	}
	malformed := `edge input -> lif in subgraph lif1: no node named "lif" as its target (nodes in subgraph lif1: input, lif1, lin, output); did you mean lif1?`
	braille := func(neurons int64) func(*testing.T, *Program) {
		return func(t *testing.T, p *Program) {
			f := p.Flat()
			var rec []string
			for _, e := range f.Edges {
				if e.Recurrent {
					rec = append(rec, f.Nodes[e.From].Name+" -> "+f.Nodes[e.To].Name)
				}
			}
			assert.Equal(t, []string{"lif1.w_rec -> lif1.lif"}, rec)
			assert.Equal(t, neurons, p.Requirements().Quantities[QuantityNeurons])
			assert.Contains(t, p.Requirements().Features, FeatureRecurrent)
			assert.Contains(t, p.Requirements().Features, "nir:CubaLIF")
		}
	}
	cases := map[string]struct {
		check  func(*testing.T, *Program)
		reject string // the message of the *sokr.ProgramError
	}{
		"braille_noDelay_bias_zero.nir":                {check: braille(45)},
		"braille_noDelay_noBias_subtract.nir":          {check: braille(47)},
		"braille_noDelay_bias_zero_subgraph.nir":       {reject: malformed},
		"braille_noDelay_noBias_subtract_subgraph.nir": {reject: malformed},
		"cnn_sinabs.nir": {check: func(t *testing.T, p *Program) {
			n := p.Graph.Node("8")
			assert.Equal(t, []int{8, 4, 4}, n.InShape, "inferred through Conv2d and SumPool2d")
			assert.Equal(t, []int{128}, n.OutShape)
			assert.Equal(t, []int{16, 8, 8}, p.Graph.Node("4").OutShape)
			assert.Equal(t, []int{10}, p.Graph.Node("output").InShape)
		}},
		"lif_norse.nir": {check: func(t *testing.T, p *Program) {
			lif(t, p)
			l := p.Graph.Node("1").Prim.(*LIF)
			assert.Equal(t, []float64{float64(float32(0.0025))}, l.Tau.Data)
			assert.Equal(t, []float64{0}, l.VReset.Data, "v_reset defaults to zeros, as in nir")
			assert.Equal(t, "0.1.1", p.Version)
		}},
		"lif_rockpool.nir": {check: func(t *testing.T, p *Program) {
			lif(t, p)
			assert.Equal(t, []int{1, 1, 1}, p.Graph.Node("output").InShape, "unit dimensions are tolerated")
		}},
		"two_lif_neurons.nir": {check: func(t *testing.T, p *Program) {
			names := []string{}
			for _, n := range p.Flat().Nodes {
				names = append(names, n.Name)
			}
			assert.Equal(t, []string{"in", "linear1", "lif1", "linear2", "lif2", "out"}, names)
		}},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.nir"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			tc, ok := cases[name]
			require.True(t, ok, "%s is new: add it to this table", name)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			p, err := Parse(data)
			if tc.reject != "" {
				var pe *sokr.ProgramError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.reject, pe.Msg)
				assert.Equal(t, "lif1.lif", pe.Pos.Node)
				assert.True(t, errors.Is(err, sokr.ErrInvalidProgram))
				return
			}
			require.NoError(t, err)
			tc.check(t, p)
		})
	}
}

// graphJSON builds NIR dict JSON from nodes and edges.
func graphJSON(nodes map[string]any, edges ...[2]string) []byte {
	e := make([]any, len(edges))
	for i, x := range edges {
		e[i] = []any{x[0], x[1]}
	}
	b, _ := json.Marshal(map[string]any{"type": "NIRGraph", "nodes": nodes, "edges": e, "metadata": map[string]any{}})
	return b
}

func in(shape ...int) map[string]any  { return map[string]any{"type": "Input", "shape": shape} }
func out(shape ...int) map[string]any { return map[string]any{"type": "Output", "shape": shape} }
func lifNode(n int) map[string]any {
	v, tau := make([]float64, n), make([]float64, n)
	for i := range tau {
		tau[i] = 1e-3
	}
	return map[string]any{"type": "LIF", "tau": tau, "r": v, "v_leak": v, "v_threshold": v}
}

func TestErrors(t *testing.T) {
	sub := map[string]any{"type": "NIRGraph", "nodes": map[string]any{"a": in(2), "b": in(2), "l": lifNode(2), "o": out(2)},
		"edges": []any{[]any{"a", "l"}, []any{"b", "l"}, []any{"l", "o"}}}
	cases := []struct {
		name, node, msg string
		src             []byte
	}{
		{"unknown type", "x", `unknown node type "Foo"`, graphJSON(map[string]any{"x": map[string]any{"type": "Foo"}})},
		{"missing parameter", "l", "LIF: missing parameter v_threshold", graphJSON(map[string]any{"l": map[string]any{"type": "LIF", "tau": []float64{1}, "r": []float64{1}, "v_leak": []float64{1}}})},
		{"unknown parameter", "l", "LIF: unknown parameter bias", graphJSON(map[string]any{"l": func() map[string]any { m := lifNode(1); m["bias"] = 1; return m }()})},
		{"parameter shapes", "l", "LIF: r has shape [3] but tau has shape [2]", graphJSON(map[string]any{"l": map[string]any{"type": "LIF", "tau": []float64{1, 1}, "r": []float64{1, 1, 1}, "v_leak": []float64{1, 1}, "v_threshold": []float64{1, 1}}})},
		{"ragged", "l", "tau: ragged nested list", graphJSON(map[string]any{"l": map[string]any{"type": "LI", "tau": []any{[]float64{1}, []float64{1, 2}}}})},
		{"unknown node", "x", `edge i -> x: no node named "x" as its target`, graphJSON(map[string]any{"i": in(1)}, [2]string{"i", "x"})},
		{"duplicate edge", "i", "edge i -> l is listed twice", graphJSON(map[string]any{"i": in(1), "l": lifNode(1)}, [2]string{"i", "l"}, [2]string{"i", "l"})},
		{"edge into input", "j", "an Input node takes no edges from its own graph", graphJSON(map[string]any{"i": in(1), "j": in(1)}, [2]string{"i", "j"})},
		{"shape mismatch", "l", "edge i -> l: i produces shape [3], l takes [2]", graphJSON(map[string]any{"i": in(3), "l": lifNode(2)}, [2]string{"i", "l"})},
		{"ambiguous port", "g", "subgraph g has 2 Input nodes (a, b); name one as g.NAME", graphJSON(map[string]any{"i": in(2), "g": sub}, [2]string{"i", "g"})},
		{"unknown port", "g.c", `subgraph g has no Input node named "c" (its Input nodes: a, b)`, graphJSON(map[string]any{"i": in(2), "g": sub}, [2]string{"i", "g.c"})},
		{"nested fault", "g.l", "LIF: r has shape [1] but tau has shape [2]", graphJSON(map[string]any{"g": map[string]any{"type": "NIRGraph", "edges": []any{},
			"nodes": map[string]any{"l": map[string]any{"type": "LIF", "tau": []float64{1, 1}, "r": []float64{1}, "v_leak": []float64{1, 1}, "v_threshold": []float64{1, 1}}}}})},
		{"pool without input", "p", "SumPool2d: the input shape is unknown", graphJSON(map[string]any{"p": map[string]any{"type": "SumPool2d", "kernel_size": []int{2, 2}, "stride": []int{2, 2}, "padding": []int{0, 0}}})},
		{"conv channels", "c", "input of shape [3 8] has 3 channels, the weight [2 2 3] with 1 groups takes 2", graphJSON(map[string]any{"i": in(3, 8),
			"c": map[string]any{"type": "Conv1d", "weight": [][][]float64{{{1, 1, 1}, {1, 1, 1}}, {{1, 1, 1}, {1, 1, 1}}}, "bias": []float64{0, 0}, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}},
			[2]string{"i", "c"})},
		{"flatten dims", "f", "start_dim 2 and end_dim 0 do not fit an input of shape [2 3 4]", graphJSON(map[string]any{"f": map[string]any{"type": "Flatten", "input_type": []int{2, 3, 4}, "start_dim": 2, "end_dim": 0}})},
		{"no nodes", "", `graph has no "nodes" dictionary`, []byte(`{"type": "NIRGraph", "edges": []}`)},
		{"not a graph", "", "the top-level node is a \"LIF\", not a NIRGraph", []byte(`{"type": "LIF", "nodes": {}, "edges": []}`)},
		{"bad JSON", "", "invalid JSON", []byte(`{"type": "NIRGraph",`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.src)
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.node, pe.Pos.Node)
			assert.Contains(t, pe.Msg, tc.msg)
			assert.Equal(t, Format, pe.Format)
		})
	}

	// A malformed HDF5 file gives the byte offset of the fault.
	data, err := os.ReadFile("testdata/every_v0_plain.nir")
	require.NoError(t, err)
	_, err = Parse(data[:5000])
	var pe *sokr.ProgramError
	require.ErrorAs(t, err, &pe)
	assert.Positive(t, pe.Pos.Offset)
	assert.Contains(t, pe.Msg, "hdf5: at byte")
}

// TestPorts checks "G.port" edges into and out of a subgraph with two
// inputs and a cycle through it, in the graph and in the flat view.
func TestPorts(t *testing.T) {
	p := parseFile(t, "testdata/ports.json")
	g := p.Graph.Node("g")
	assert.Nil(t, g.InShape, "two inputs: shapes are per port")
	assert.Equal(t, []int{3}, p.Graph.Node("back").InShape)
	f := p.Flat()
	var names []string
	for _, n := range f.Nodes {
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"x", "g.li", "g.fwd", "back", "y"}, names)
	type edge struct {
		from, to string
		rec      bool
	}
	var edges []edge
	for _, e := range f.Edges {
		edges = append(edges, edge{f.Nodes[e.From].Name, f.Nodes[e.To].Name, e.Recurrent})
	}
	assert.ElementsMatch(t, []edge{{"x", "g.li", false}, {"back", "g.li", true}, {"g.li", "y", false}, {"g.li", "g.fwd", false}, {"g.fwd", "back", false}}, edges)
	assert.Equal(t, []int{0}, f.Inputs)
	assert.Equal(t, []int{4}, f.Outputs)
	assert.Equal(t, 1, f.Index("g.li"))
	assert.Equal(t, -1, f.Index("g.a"), "nested Input nodes are joined through")
	for i, e := range f.Edges {
		assert.Contains(t, f.Nodes[e.From].Out, i)
		assert.Contains(t, f.Nodes[e.To].In, i)
		if !e.Recurrent {
			assert.Less(t, e.From, e.To, "forward edges follow the order")
		}
	}
}

func TestNew(t *testing.T) {
	ones := Array{Shape: []int{2}, Data: []float64{1, 1}}
	g := &Graph{
		Nodes: []*Node{
			{Name: "out", Prim: &Output{Shape: []int{2}}},
			{Name: "in", Prim: &Input{Shape: []int{4}}},
			{Name: "fc", Prim: &Linear{Weight: Array{Shape: []int{2, 4}, Data: make([]float64, 8)}}},
			{Name: "lif", Prim: &CubaLIF{TauSyn: ones, TauMem: ones, R: ones, VLeak: ones, VThreshold: ones, VReset: ones, WIn: ones}},
		},
		Edges: []Edge{{From: "in", To: "fc"}, {From: "fc", To: "lif"}, {From: "lif", To: "out"}},
	}
	p, err := New(g)
	require.NoError(t, err)
	assert.Equal(t, "fc", g.Nodes[0].Name, "nodes sorted by name")
	assert.Equal(t, []int{4}, g.Node("fc").InShape)
	assert.Equal(t, sokr.Requirements{
		Features:   []string{"nir:CubaLIF", "nir:Input", "nir:Linear", "nir:Output"},
		Quantities: map[string]int64{QuantityNeurons: 2, QuantitySynapses: 8, sokr.QuantityMemoryBytes: 8 * (8 + 14 + 4)},
	}, p.Requirements())
	assert.Equal(t, Format, p.Format())

	g.Nodes = append(g.Nodes, &Node{Name: "fc", Prim: &Scale{Scale: ones}})
	_, err = New(g)
	assert.ErrorContains(t, err, `two nodes are named "fc"`)
}

func TestIR(t *testing.T) {
	ir := NewIR()
	assert.Equal(t, Format, ir.Format())
	hdf, err := os.ReadFile("testdata/ports.nir")
	require.NoError(t, err)
	js, err := os.ReadFile("testdata/ports.json")
	require.NoError(t, err)
	assert.True(t, ir.Detect(hdf))
	assert.True(t, ir.Detect(js))
	assert.False(t, ir.Detect([]byte(`{"type": "circuit"}`)))
	assert.False(t, ir.Detect([]byte("OPENQASM 2.0;")))

	ctx := context.Background()
	for _, src := range [][]byte{hdf, js} {
		p, err := ir.Parse(ctx, src)
		require.NoError(t, err)
		assert.Equal(t, Format, p.Format())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ir.Parse(cancelled, js)
	assert.ErrorIs(t, err, sokr.ErrCancelled)

	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	assert.True(t, ir.Accepts(m))
	assert.True(t, ir.Accepts(map[string]any{"version": "1.0", "node": m}))
	assert.False(t, ir.Accepts(map[string]any{"type": "LIF"}))
	assert.False(t, ir.Accepts("text"))
	p, err := ir.Lower(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, parseFile(t, "testdata/ports.json").Graph, p.(*Program).Graph)
	_, err = ir.Lower(ctx, 42)
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)

	// Go values as a caller builds them, not only as encoding/json does.
	q, err := FromDict(map[string]any{"type": "NIRGraph", "edges": []any{[]string{"i", "s"}, []string{"s", "o"}},
		"nodes": map[string]any{"i": map[string]any{"type": "Input", "shape": []int{2}}, "s": map[string]any{"type": "Scale", "scale": []float64{2, math.Pi}},
			"o": map[string]any{"type": "Output", "shape": []int{2}}}})
	require.NoError(t, err)
	assert.Equal(t, &Scale{Scale: Array{Shape: []int{2}, Data: []float64{2, math.Pi}}}, q.Graph.Node("s").Prim)
}
