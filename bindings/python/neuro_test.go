package facade

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoLIF = `{"type": "NIRGraph", "metadata": {}, "edges": [["in", "lin"], ["lin", "lif"], ["lif", "out"]], "nodes": {
 "in": {"type": "Input", "shape": [2]},
 "lin": {"type": "Linear", "weight": [[1, 0], [0, 2]]},
 "lif": {"type": "LIF", "tau": [0.01, 0.01], "r": [1, 1], "v_leak": [0, 0], "v_threshold": [1, 1]},
 "out": {"type": "Output", "shape": [2]}}}`

func TestNIRInfoAndDict(t *testing.T) {
	h := parse(t, twoLIF)
	defer FreeProgram(h)
	type port struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	}
	var info struct {
		NIR *struct {
			Inputs  []port           `json:"inputs"`
			Outputs []port           `json:"outputs"`
			Nodes   []map[string]any `json:"nodes"`
		} `json:"nir"`
	}
	require.NoError(t, json.Unmarshal([]byte(ProgramInfo(h)), &info))
	require.NotNil(t, info.NIR)
	assert.Equal(t, []port{{Name: "in", Shape: []int{2}}}, info.NIR.Inputs)
	assert.Equal(t, []port{{Name: "out", Shape: []int{2}}}, info.NIR.Outputs)
	assert.Len(t, info.NIR.Nodes, 4)

	s, err := NIRDict(h)
	require.NoError(t, err)
	var d struct {
		Node struct {
			Nodes map[string]map[string]any `json:"nodes"`
		} `json:"node"`
	}
	require.NoError(t, json.Unmarshal([]byte(s), &d))
	assert.Equal(t, []any{0.0, 0.0}, d.Node.Nodes["lif"]["v_reset"], "nir's default v_reset is written out")

	q := parse(t, axpy)
	defer FreeProgram(q)
	_, err = NIRDict(q)
	assert.Contains(t, errInfo(t, err).Message, "not a NIR graph")
}

func TestEndSession(t *testing.T) {
	ok, err := EndSession(0, "snn", "nobody")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = EndSession(0, "cpu", "x")
	assert.Contains(t, errInfo(t, err).Message, "no sessions")
	_, err = EndSession(0, "nope", "x")
	assert.Contains(t, errInfo(t, err).Message, "no substrate of this name")
}
