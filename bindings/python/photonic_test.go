package facade

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
)

// decodedTable is a photonic table as Python reads it: states and values back
// from their little-endian bytes.
type decodedTable struct {
	kind   string
	states [][]int
	values []uint64
}

func decodeTable(t *testing.T, raw json.RawMessage) decodedTable {
	t.Helper()
	var ft ir.Table
	require.NoError(t, json.Unmarshal(raw, &ft))
	require.Contains(t, []int{1, 2}, ft.Width)
	require.Len(t, ft.States, ft.Width*ft.Rows*ft.Modes)
	require.Len(t, ft.Values, 8*ft.Rows)
	d := decodedTable{kind: ft.Kind}
	for r := range ft.Rows {
		s := make([]int, ft.Modes)
		for i := range s {
			if j := r*ft.Modes + i; ft.Width == 1 {
				s[i] = int(ft.States[j])
			} else {
				s[i] = int(binary.LittleEndian.Uint16(ft.States[2*j:]))
			}
		}
		d.states = append(d.states, s)
		d.values = append(d.values, binary.LittleEndian.Uint64(ft.Values[8*r:]))
	}
	return d
}

func TestDomainValuesCrossAsTheirTables(t *testing.T) {
	counts := ir.Counts{"|0,2,0>": 5, "|2,0,0>": 3}
	b, err := json.Marshal(pythonValue(counts))
	require.NoError(t, err)
	d := decodeTable(t, b)
	assert.Equal(t, "counts", d.kind)
	assert.Equal(t, [][]int{{2, 0, 0}, {0, 2, 0}}, d.states)

	mixed := ir.Probabilities{"|1,0>": 0.5, "|1,1,1>": 0.5}
	assert.Equal(t, mixed, pythonValue(mixed), "a value without a table crosses as itself")
	other := map[string]int64{"00": 1}
	assert.Equal(t, other, pythonValue(other), "other domain values pass as they are")
}

func TestPhotonicOutcomeHasATable(t *testing.T) {
	hom := parse(t, "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n")
	defer FreeProgram(hom)
	ticket, err := Dispatch(0, hom, "", "", "", `{"shots": 100, "seed": 1}`)
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	_, _, o := readRec(t, ticket, 0)
	require.NotNil(t, o)
	require.Len(t, o.Outputs, 1)
	assert.Equal(t, "counts", o.Outputs[0].Name)
	raw, err := json.Marshal(o.Outputs[0].Value)
	require.NoError(t, err)
	d := decodeTable(t, raw)
	assert.Equal(t, [][]int{{2, 0}, {0, 2}}, d.states, "Hong-Ou-Mandel: never |1,1>")
	assert.Equal(t, uint64(100), d.values[0]+d.values[1])
}
