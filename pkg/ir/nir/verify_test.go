package nir

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Faults that no simulator can give a meaning to are faults of the
// program, found when the graph is read, with the node and the parameter
// named (issue 15 item 10): before, NaN weights were accepted (the
// voltage became NaN and never spiked), a NaN neuron parameter came back
// from dispatch as an invalid input, structural faults as every
// substrate's refusal, and a negative delay as "not a whole number of
// steps".
func TestParameterAndFlowFaults(t *testing.T) {
	lif := func(tau, thr float64) map[string]any {
		return map[string]any{"type": "LIF", "tau": []float64{1e-3, tau}, "r": []float64{1, 1}, "v_leak": []float64{0, 0}, "v_threshold": []float64{1, thr}}
	}
	affine := func(w, b float64) map[string]any {
		return map[string]any{"type": "Affine", "weight": []any{[]float64{1, 0}, []float64{0, w}}, "bias": []float64{0, b}}
	}
	graph := func(mid map[string]any, extra ...[2]string) map[string]any {
		nodes := map[string]any{"i": in(2), "x": mid, "o": out(2)}
		edges := []any{[]any{"i", "x"}, []any{"x", "o"}}
		for _, e := range extra {
			edges = append(edges, []any{e[0], e[1]})
		}
		return map[string]any{"type": "NIRGraph", "nodes": nodes, "edges": edges}
	}
	cases := []struct {
		name, node, msg string
		g               map[string]any
	}{
		{"NaN weight", "x", "Affine: weight: element [1, 1] is NaN; parameters must be finite numbers", graph(affine(math.NaN(), 0))},
		{"infinite bias", "x", "Affine: bias: element [1] is +Inf; parameters must be finite numbers", graph(affine(1, math.Inf(1)))},
		{"NaN linear", "x", "Linear: weight: element [0, 0] is NaN", graph(map[string]any{"type": "Linear", "weight": []any{[]float64{math.NaN(), 0}, []float64{0, 1}}})},
		{"NaN threshold", "x", "LIF: v_threshold: element [1] is NaN; parameters must be finite numbers", graph(lif(1e-3, math.NaN()))},
		{"NaN scale", "x", "Scale: scale: element [0] is -Inf", graph(map[string]any{"type": "Scale", "scale": []float64{math.Inf(-1), 1}})},
		{"zero tau", "x", "LIF: tau: element [1] is 0 s; a time constant must be positive", graph(lif(0, 1))},
		{"negative tau", "x", "LIF: tau: element [1] is -0.001 s; a time constant must be positive", graph(lif(-1e-3, 1))},
		{"negative tau_syn", "x", "CubaLIF: tau_syn: element [0] is -1 s; a time constant must be positive", graph(map[string]any{"type": "CubaLIF",
			"tau_syn": []float64{-1, 1}, "tau_mem": []float64{1, 1}, "r": []float64{1, 1}, "v_leak": []float64{0, 0}, "v_threshold": []float64{1, 1}})},
		{"negative delay", "x", "Delay: delay: element [0] is -0.001 s; a delay cannot be negative", graph(map[string]any{"type": "Delay", "delay": []float64{-1e-3, 0}})},
		{"NaN delay", "x", "Delay: delay: element [1] is NaN", graph(map[string]any{"type": "Delay", "delay": []float64{0, math.NaN()}})},
		{"no input", "", "the graph has no Input node", map[string]any{"type": "NIRGraph",
			"nodes": map[string]any{"x": lif(1e-3, 1), "o": out(2)}, "edges": []any{[]any{"x", "o"}}}},
		{"dangling node", "y", "LIF: nothing feeds it", func() map[string]any {
			g := graph(lif(1e-3, 1), [2]string{"y", "o"})
			g["nodes"].(map[string]any)["y"] = lif(1e-3, 1)
			return g
		}()},
		{"dangling output", "p", "Output: nothing feeds it", func() map[string]any {
			g := graph(lif(1e-3, 1))
			g["nodes"].(map[string]any)["p"] = out(2)
			return g
		}()},
		{"nested dangling", "x.y", "LIF: nothing feeds it", func() map[string]any {
			sub := map[string]any{"type": "NIRGraph", "nodes": map[string]any{"a": in(2), "y": lif(1e-3, 1), "b": out(2)},
				"edges": []any{[]any{"a", "b"}, []any{"y", "b"}}}
			return graph(sub)
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromDict(tc.g)
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.True(t, errors.Is(err, sokr.ErrInvalidProgram))
			assert.Equal(t, tc.node, pe.Pos.Node)
			assert.Contains(t, pe.Msg, tc.msg)
			assert.Equal(t, Format, pe.Format)
		})
	}

	// The same faults in a graph built in Go, and through the IR plugin.
	g := &Graph{
		Nodes: []*Node{
			{Name: "i", Prim: &Input{Shape: []int{2}}},
			{Name: "x", Prim: &Affine{Weight: Array{Shape: []int{2, 2}, Data: []float64{1, 0, 0, math.NaN()}}, Bias: Array{Shape: []int{2}, Data: []float64{0, 0}}}},
			{Name: "o", Prim: &Output{Shape: []int{2}}},
		},
		Edges: []Edge{{From: "i", To: "x"}, {From: "x", To: "o"}},
	}
	_, err := IR{}.Lower(context.Background(), g)
	var pe *sokr.ProgramError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "x", pe.Pos.Node)
	assert.Contains(t, pe.Msg, "weight: element [1, 1] is NaN")

	// A well-formed graph of the same shapes is accepted: the checks
	// reject only the faults.
	_, err = FromDict(graph(affine(2, -1)))
	require.NoError(t, err)
	_, err = FromDict(graph(map[string]any{"type": "Delay", "delay": []float64{0, 1e-3}}))
	require.NoError(t, err)
}

func TestIndex(t *testing.T) {
	assert.Equal(t, "[0]", index(nil, 0))
	assert.Equal(t, "[4]", index([]int{5}, 4))
	assert.Equal(t, "[1, 2]", index([]int{2, 3}, 5))
	assert.Equal(t, "[1, 0, 1]", index([]int{2, 2, 2}, 5))
}
