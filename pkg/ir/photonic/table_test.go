package photonic_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// decodedTable is a Table as Python reads it: states and values back
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

func TestResultsHaveTables(t *testing.T) {
	counts := ir.Counts{"|0,2,0>": 5, "|2,0,0>": 3, "|1,0,1>": 7, "|0,0,12>": 1, "|0,1,1>": 2}
	b, err := json.Marshal(counts.Table())
	require.NoError(t, err)
	d := decodeTable(t, b)
	assert.Equal(t, "counts", d.kind)
	// ir's state order (Counts.States): larger occupations of mode 0 first, then mode 1.
	assert.Equal(t, [][]int{{2, 0, 0}, {1, 0, 1}, {0, 2, 0}, {0, 1, 1}, {0, 0, 12}}, d.states)
	assert.Equal(t, []uint64{3, 7, 5, 2, 1}, d.values)
	want := counts.States()
	for i, s := range want {
		assert.Equal(t, []int(s), d.states[i])
	}

	// Keys that are not canonical are read as ir reads them; keys that are not
	// Fock states are left out.
	probs := ir.Probabilities{" |1, 0>": 0.25, "|0,1>": 0.75, "|x,1>": 0.5, "|123456,0>": 0.5, "|1,0,": 0.5, "|1;0>": 0.5, "|1,0>>": 0.5}
	b, err = json.Marshal(probs.Table())
	require.NoError(t, err)
	d = decodeTable(t, b)
	assert.Equal(t, "probabilities", d.kind)
	require.Equal(t, [][]int{{1, 0}, {0, 1}}, d.states)
	assert.Equal(t, []float64{0.25, 0.75}, []float64{math.Float64frombits(d.values[0]), math.Float64frombits(d.values[1])})

	b, err = json.Marshal(ir.Probabilities{}.Table())
	require.NoError(t, err)
	assert.Empty(t, decodeTable(t, b).states)

	mixed := ir.Probabilities{"|1,0>": 0.5, "|1,1,1>": 0.5}
	assert.Nil(t, mixed.Table(), "states of different sizes have no table: they cross as the map")
	var _ sokr.Tabular = mixed
}

// TestTableOrderMatchesStates checks every sort (states packed into one
// or two words, and slices compared where they do not fit) and both widths
// against ir.Counts.States on random states.
func TestTableOrderMatchesStates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name        string
		modes, most int
	}{
		{"one-word", 6, 3},
		{"one-word-wide", 3, 300},    // 9 bits a mode, 2-byte occupations
		{"two-words", 30, 5},         // 3 bits x 30 modes: 90 bits
		{"two-words-wide", 12, 1000}, // 10 bits x 12 modes, 2-byte occupations
		{"two-words-full", 64, 3},    // 2 bits x 64 modes: 128 bits
		{"compared", 50, 5},          // 3 bits x 50 modes > 128
		{"compared-wide", 20, 1000},  // 10 bits x 20 modes > 128
	} {
		t.Run(c.name, func(t *testing.T) {
			counts := ir.Counts{}
			for range 500 {
				s := make(ir.FockState, c.modes)
				for i := range s {
					s[i] = rng.IntN(c.most + 1)
				}
				counts[s.String()]++
			}
			b, err := json.Marshal(counts.Table())
			require.NoError(t, err)
			d := decodeTable(t, b)
			want := counts.States()
			require.Len(t, d.states, len(want))
			for i, s := range want {
				require.Equal(t, []int(s), d.states[i], "row %d", i)
				require.Equal(t, uint64(counts.Get(s)), d.values[i], "row %d", i)
			}
		})
	}
}
