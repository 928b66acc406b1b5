package facade

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeasuredInBasisRotatesAndMeasuresTheTermsQubits(t *testing.T) {
	prog := parse(t, "OPENQASM 3;\ninclude \"stdgates.inc\";\nqubit[3] q;\nbit[3] c;\nh q[0];\nc = measure q;\n")
	defer FreeProgram(prog)
	m, err := MeasuredInBasis(prog, "XIY")
	require.NoError(t, err)
	defer FreeProgram(m)
	var ops []drawOp
	s, err := CircuitOps(m, "")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(s), &ops))
	got := make([]string, len(ops))
	for i, o := range ops {
		got[i] = o.Kind + ":" + o.Gate
		if o.Kind == "measure" {
			got[i] += string(rune('0' + o.Qubits[0]))
		}
	}
	assert.Equal(t, []string{"gate:h", "gate:h", "gate:sdg", "gate:h", "measure:0", "measure:2"}, got,
		"the kernel's measurements out, X and Y turned to Z, qubits 0 and 2 measured")
	assert.Equal(t, 1, ops[5].Clbit)

	_, err = MeasuredInBasis(prog, "XQ")
	assert.ErrorContains(t, err, "want I, X, Y or Z")
	_, err = MeasuredInBasis(prog, "XXXX")
	assert.ErrorContains(t, err, "4 Paulis for 3 qubits")
	dyn := parse(t, "OPENQASM 3;\ninclude \"stdgates.inc\";\nqubit[1] q;\nbit[1] c;\nc[0] = measure q[0];\nx q[0];\n")
	defer FreeProgram(dyn)
	_, err = MeasuredInBasis(dyn, "Z")
	assert.ErrorContains(t, err, "mid-circuit")
}
