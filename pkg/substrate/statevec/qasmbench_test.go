package statevec

import (
	"math/cmplx"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
)

// loadQASMBench parses a circuit of QASMBench, part of the optional test
// corpus (testcorpus skips the test where the corpus is absent).
func loadQASMBench(t *testing.T, rel string) *circuit.Program {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testcorpus.Dir(t, "qasm/qasmbench"), filepath.FromSlash(rel)))
	require.NoError(t, err)
	p, err := qasm.Parse(src)
	require.NoError(t, err, rel)
	return p
}

// QASMBench circuits with a deterministic answer give it with every shot.
func TestQASMBenchKnownAnswers(t *testing.T) {
	s := New(Config{})
	const shots = 64
	for _, tc := range []struct {
		file  string
		want  string // the one bitstring of every shot
		large bool   // kept out of -race runs
	}{
		// Cuccaro ripple-carry adder: a = 0001, b = 1111; ans = cout b = 1 0000.
		{"small/adder_n10/adder_n10.qasm", "10000", false},
		// Hidden string 1111111111111.
		{"medium/bv_n14/bv_n14.qasm", "1111111111111", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if tc.large && raceEnabled {
				t.Skip("large state: not under -race")
			}
			p := loadQASMBench(t, tc.file)
			c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": shots}, 1))
			assert.Equal(t, map[string]int64{tc.want: shots}, c)
		})
	}
	t.Run("adder_n4", func(t *testing.T) {
		// QASMBench's 4-qubit adder (inputs q0 = q1 = 1, measure q_i -> c_i):
		// the reference simulator puts all weight on the basis state 1001
		// (q3 q2 q1 q0), and so must every shot.
		p := loadQASMBench(t, "small/adder_n4/adder_n4.qasm")
		gates := &circuit.Program{Qubits: p.Qubits, Ops: slices.DeleteFunc(slices.Clone(p.Ops), func(o circuit.Op) bool {
			return o.Kind == circuit.OpMeasure
		})}
		psi, err := circuittest.State(gates, nil)
		require.NoError(t, err)
		assert.InDelta(t, 1, cmplx.Abs(psi[0b1001]), 1e-12)
		c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": shots}, 1))
		assert.Equal(t, map[string]int64{"1001": shots}, c)
	})
	t.Run("deutsch_n2", func(t *testing.T) {
		// f(x) = x is balanced: c[0] is 1 every time; c[1] holds the |-> ancilla, random.
		p := loadQASMBench(t, "small/deutsch_n2/deutsch_n2.qasm")
		c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": shots}, 1))
		assert.Equal(t, int64(shots), c["01"]+c["11"], "%v", c)
	})
	for _, tc := range []struct {
		file  string
		large bool
	}{{"small/cat_state_n4/cat_state_n4.qasm", false}, {"medium/ghz_state_n23/ghz_state_n23.qasm", true}} {
		t.Run(tc.file, func(t *testing.T) {
			if tc.large && raceEnabled {
				t.Skip("large state: not under -race")
			}
			p := loadQASMBench(t, tc.file)
			c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": shots}, 1))
			// All qubits agree: every key is all zeros or all ones on the measured bits.
			var total int64
			for k, n := range c {
				ones := strings.Count(k, "1")
				assert.True(t, ones == 0 || ones == p.Qubits, "key %s", k)
				total += n
			}
			assert.Equal(t, int64(shots), total)
			assert.Len(t, c, 2)
		})
	}
}
