package facade

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCircuitOpsListsGatesControlsAndParams(t *testing.T) {
	prog := parse(t, "OPENQASM 3;\ninclude \"stdgates.inc\";\ninput float theta;\nqubit[3] q;\nbit[3] c;\n"+
		"h q[0];\nccx q[0], q[1], q[2];\nrx(2*theta + 1) q[1];\nrz(0.5) q[2];\nc[0] = measure q[0];\nif (c[0] == 1) x q[2];\n")
	defer FreeProgram(prog)

	var ops []drawOp
	s, err := CircuitOps(prog, "")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(s), &ops))
	require.Len(t, ops, 6)
	assert.Equal(t, drawOp{Kind: "gate", Gate: "h", Qubits: []int{0}}, ops[0])
	assert.Equal(t, drawOp{Kind: "gate", Gate: "x", Qubits: []int{0, 1, 2}, Controls: 2}, ops[1])
	assert.Equal(t, []any{"(2 * theta) + 1"}, ops[2].Params, "symbolic without values")
	assert.Equal(t, []any{0.5}, ops[3].Params)
	assert.Equal(t, drawOp{Kind: "measure", Qubits: []int{0}, Clbit: 0}, ops[4])
	assert.Equal(t, "if", ops[5].Kind)
	assert.Equal(t, "c[0]==1", ops[5].Cond, "a bit of a register, by its name")
	require.Len(t, ops[5].Then, 1)
	assert.Equal(t, "x", ops[5].Then[0].Gate)

	s, err = CircuitOps(prog, "[0.25]")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(s), &ops))
	assert.Equal(t, []any{1.5}, ops[2].Params, "evaluated with values")

	_, err = CircuitOps(prog, "[1, 2]")
	assert.ErrorContains(t, err, "takes 1 parameter")
	_, err = CircuitOps(prog, "nope")
	assert.ErrorContains(t, err, "not a JSON list")
	_, err = CircuitOps(-7, "")
	assert.ErrorContains(t, err, "no program with handle")
}
