package qasm_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// testdata returns the folder sub of the optional external test corpus
// (QASMBench, the OpenQASM 3 examples); testcorpus skips the test where the
// corpus is absent and fails it under CI.
func testdata(t *testing.T, sub string) string {
	t.Helper()
	return testcorpus.Dir(t, sub)
}

func qasmFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".qasm") {
			files = append(files, path)
		}
		return err
	}))
	require.NotEmpty(t, files, dir)
	return files
}

// brokenUpstream are QASMBench files that measure registers they never
// declare (q and c), so no OpenQASM 2 reader can accept them: the error
// must point at that first measurement.
var brokenUpstream = map[string]int{
	"hhl_n10.qasm": 186801, "hhl_n10_transpiled.qasm": 199246,
	"vqe_uccsd_n4.qasm": 225, "vqe_uccsd_n4_transpiled.qasm": 242,
	"vqe_uccsd_n6.qasm": 2286, "vqe_uccsd_n6_transpiled.qasm": 2128,
	"vqe_uccsd_n8.qasm": 10813, "vqe_uccsd_n8_transpiled.qasm": 9680,
}

func TestQASMBenchParses(t *testing.T) {
	dir := testdata(t, "qasm/qasmbench")
	files := qasmFiles(t, dir)
	assert.GreaterOrEqual(t, len(files), 120)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			if raceEnabled && len(src) > 1<<20 {
				t.Skipf("%d bytes: too slow under -race; the plain test run parses it", len(src))
			}
			p, err := qasm.Parse(src)
			if line, broken := brokenUpstream[name]; broken {
				var pe *sokr.ProgramError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, line, pe.Pos.Line)
				assert.Contains(t, pe.Msg, `undeclared identifier "q"`)
				return
			}
			require.NoError(t, err)
			require.NoError(t, p.Validate())
			assert.Empty(t, p.Unsupported)
			assert.Positive(t, p.Qubits)
			assert.Equal(t, circuit.Format, p.Format())
			if strings.Contains(string(src), "OPENQASM 2") {
				assert.Equal(t, qasm.Format2, p.Source)
			}
		})
	}
}

// outcomes simulates a program whose measurements all come last and
// returns the probability of each classical register value.
func outcomes(t *testing.T, p *circuit.Program) map[uint64]float64 {
	t.Helper()
	gates := circuit.Program{Qubits: p.Qubits, Clbits: p.Clbits}
	var meas []circuit.Op
	for _, o := range p.Ops {
		switch {
		case o.Kind == circuit.OpMeasure:
			meas = append(meas, o)
		case o.Kind == circuit.OpGate && len(meas) > 0:
			for _, m := range meas {
				require.NotContains(t, o.Qubits, m.Qubits[0], "a gate after a measurement")
			}
			gates.Ops = append(gates.Ops, o)
		case o.Kind == circuit.OpGate || o.Kind == circuit.OpBarrier:
			gates.Ops = append(gates.Ops, o)
		default:
			t.Fatalf("op %s is not a gate, barrier or final measurement", o.Kind)
		}
	}
	psi, err := circuittest.State(&gates, nil)
	require.NoError(t, err)
	probs := map[uint64]float64{}
	for i, a := range psi {
		pr := real(a)*real(a) + imag(a)*imag(a)
		if pr < 1e-14 {
			continue
		}
		var v uint64
		for _, m := range meas {
			if i>>m.Qubits[0]&1 == 1 {
				v |= 1 << m.Clbit
			}
		}
		probs[v] += pr
	}
	return probs
}

func readProgram(t *testing.T, path string) *circuit.Program {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := qasm.Parse(src)
	require.NoError(t, err, path)
	return p
}

func TestQASMBenchKnownAnswers(t *testing.T) {
	dir := testdata(t, "qasm/qasmbench")
	certain := func(t *testing.T, probs map[uint64]float64, want uint64) {
		t.Helper()
		assert.InDelta(t, 1, probs[want], 1e-9, "P(%b) in %v", want, probs)
	}
	for _, suffix := range []string{"", "_transpiled"} {
		t.Run("deutsch"+suffix, func(t *testing.T) {
			// f(x) = x is balanced: the first qubit reads 1 for sure.
			probs := outcomes(t, readProgram(t, filepath.Join(dir, "small/deutsch_n2/deutsch_n2"+suffix+".qasm")))
			assert.InDelta(t, 1, probs[0b01]+probs[0b11], 1e-9, "%v", probs)
		})
		t.Run("cat"+suffix, func(t *testing.T) {
			probs := outcomes(t, readProgram(t, filepath.Join(dir, "small/cat_state_n4/cat_state_n4"+suffix+".qasm")))
			assert.InDelta(t, 0.5, probs[0], 1e-9)
			assert.InDelta(t, 0.5, probs[0b1111], 1e-9)
		})
		t.Run("adder_n10"+suffix, func(t *testing.T) {
			// a = 0001, b = 1111: ans = cout b = 1 + 15 = 16.
			certain(t, outcomes(t, readProgram(t, filepath.Join(dir, "small/adder_n10/adder_n10"+suffix+".qasm"))), 16)
		})
		t.Run("adder_n4"+suffix, func(t *testing.T) {
			// x q[0]; x q[1]: the sum bits come out as 1001 (pinned).
			certain(t, outcomes(t, readProgram(t, filepath.Join(dir, "small/adder_n4/adder_n4"+suffix+".qasm"))), 0b1001)
		})
		t.Run("bv_n14"+suffix, func(t *testing.T) {
			path := filepath.Join(dir, "medium/bv_n14/bv_n14"+suffix+".qasm")
			p := readProgram(t, path)
			// The hidden string is the set of qubits that control a cx
			// onto the ancilla qr[13] (in the untransposed file).
			orig := readProgram(t, filepath.Join(dir, "medium/bv_n14/bv_n14.qasm"))
			var secret uint64
			for _, o := range orig.Ops {
				if o.Name == "cx" && o.Qubits[1] == 13 {
					secret |= 1 << o.Qubits[0]
				}
			}
			require.Equal(t, uint64(1<<13-1), secret, "the file's comment says 1111111111111")
			certain(t, outcomes(t, p), secret)
		})
	}
	t.Run("teleportation", func(t *testing.T) {
		p := readProgram(t, filepath.Join(dir, "small/teleportation_n3/teleportation_n3.qasm"))
		var kinds []string
		for _, o := range p.Ops {
			if k := o.Kind.String(); len(kinds) == 0 || kinds[len(kinds)-1] != k {
				kinds = append(kinds, k)
			}
		}
		assert.Equal(t, []string{"gate", "measure"}, kinds)
		assert.Equal(t, 3, p.Qubits)
		assert.Equal(t, 3, p.Clbits)
		assert.True(t, p.Measured())
	})
}

// TestQASMBenchTranspiledAgrees compares each small circuit's outcome
// distribution with that of its transpiled form (rz, sx, cx), which
// exercises the gate maps on real programs.
func TestQASMBenchTranspiledAgrees(t *testing.T) {
	dir := testdata(t, "qasm/qasmbench/small")
	for _, path := range qasmFiles(t, dir) {
		if !strings.HasSuffix(path, "_transpiled.qasm") {
			continue
		}
		orig := strings.Replace(path, "_transpiled.qasm", ".qasm", 1)
		name := filepath.Base(orig)
		if _, broken := brokenUpstream[name]; broken {
			continue
		}
		t.Run(name, func(t *testing.T) {
			a, b := readProgram(t, orig), readProgram(t, path)
			if a.Qubits > 12 || a.Dynamic() || b.Dynamic() || hasReset(a) || hasReset(b) {
				t.Skip("not a unitary circuit with final measurements on at most 12 qubits")
			}
			pa, pb := outcomes(t, a), outcomes(t, b)
			for k, v := range pa {
				assert.InDelta(t, v, pb[k], 1e-6, "P(%b)", k)
			}
			for k, v := range pb {
				assert.InDelta(t, v, pa[k], 1e-6, "P(%b)", k)
			}
		})
	}
}

func hasReset(p *circuit.Program) bool {
	for _, o := range p.Ops {
		if o.Kind == circuit.OpReset {
			return true
		}
	}
	return false
}

// TestOpenQASM3Invalid checks that every statement of openqasm3/invalid
// (one per line) is rejected with a position on that line, and so is each
// file as a whole.
func TestOpenQASM3Invalid(t *testing.T) {
	dir := testdata(t, "qasm/openqasm3/invalid")
	for _, path := range qasmFiles(t, dir) {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		_, err = qasm.Parse(src)
		var pe *sokr.ProgramError
		require.ErrorAs(t, err, &pe, path)
		assert.Positive(t, pe.Pos.Line, path)
		assert.Positive(t, pe.Pos.Col, path)
		assert.Equal(t, qasm.Format3, pe.Format)
		for i, line := range strings.Split(string(src), "\n") {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || strings.HasPrefix(trimmed, "//") {
				continue
			}
			p, err := qasm.Parse([]byte(line))
			require.Errorf(t, err, "%s:%d %q was accepted (%d ops)", filepath.Base(path), i+1, line, opsOf(p))
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.True(t, errors.Is(err, sokr.ErrInvalidProgram))
			assert.Equal(t, 1, pe.Pos.Line, line)
			assert.Positive(t, pe.Pos.Col, line)
			assert.LessOrEqual(t, pe.Pos.Col, len([]rune(line)), line)
		}
	}
}

func opsOf(p *circuit.Program) int {
	if p == nil {
		return 0
	}
	return len(p.Ops)
}

// examples says how each openqasm3/examples program fares: "" runs (no
// Unsupported entries); otherwise the features it is refused for (each
// must be recorded), or "invalid: why" for programs the specification
// itself rejects.
var examples = map[string][]string{
	"adder.qasm":        nil,
	"alignment.qasm":    {"stretch (timing)", "delay (timing)"},
	"arrays.qasm":       {"arrays"},
	"cphase.qasm":       {"invalid: uses CX without including stdgates.inc and the undeclared register q"},
	"dd.qasm":           {"stretch (timing)", "duration (timing)", "box (timing)"},
	"defcal.qasm":       {"defcalgrammar (pulse-level calibration)", "defcal (pulse-level calibration)"},
	"gateteleport.qasm": {"extern functions"},
	"inverseqft1.qasm":  nil,
	"inverseqft2.qasm":  nil,
	"ipe.qasm":          {"the bits of angle variables at run time"},
	"msd.qasm":          {"invalid: distill indexes scratch[3] of qubit[3] scratch (and assigns the undeclared success)"},
	"qec.qasm":          nil,
	"qft.qasm":          nil,
	"qpt.qasm":          nil,
	"rb.qasm":           nil,
	"rus.qasm":          {"writing constant bits other than zero"},
	"scqec.qasm":        {"extern functions"},
	"t1.qasm":           {"duration (timing)", "extern functions", "defcal (pulse-level calibration)", "delay (timing)"},
	"teleport.qasm":     nil,
	"varteleport.qasm":  nil,
	"vqe.qasm":          {"extern functions"},
}

func TestOpenQASM3Examples(t *testing.T) {
	dir := testdata(t, "qasm/openqasm3/examples")
	files := qasmFiles(t, dir)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, known := examples[name]
			require.True(t, known, "add %s to the examples table", name)
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			p, err := qasm.Parse(src)
			if len(want) == 1 && strings.HasPrefix(want[0], "invalid: ") {
				var pe *sokr.ProgramError
				require.ErrorAs(t, err, &pe)
				assert.Positive(t, pe.Pos.Line)
				return
			}
			require.NoError(t, err)
			require.NoError(t, p.Validate())
			got := map[string]bool{}
			for _, u := range p.Unsupported {
				got[u.Feature] = true
				assert.Positive(t, u.Pos.Line, u.Feature)
				assert.Contains(t, p.Requirements().Features, "unsupported:"+u.Feature)
			}
			if want == nil {
				assert.Empty(t, p.Unsupported)
				assert.Positive(t, len(p.Ops))
			}
			for _, f := range want {
				assert.True(t, got[f], "%s: want unsupported %q, got %v", name, f, p.Unsupported)
			}
		})
	}
	assert.Len(t, files, len(examples))
}

// TestOpenQASM3ExampleStates checks the programs that run beyond parsing.
func TestOpenQASM3ExampleStates(t *testing.T) {
	dir := testdata(t, "qasm/openqasm3/examples")
	t.Run("teleport has conditions", func(t *testing.T) {
		p := readProgram(t, filepath.Join(dir, "teleport.qasm"))
		var ifs int
		circuit.Walk(p.Ops, func(o *circuit.Op) {
			if o.Kind == circuit.OpIf {
				ifs++
				assert.Equal(t, circuit.Eq, o.Cond.Cmp)
				assert.Equal(t, uint64(1), o.Cond.Value)
				assert.Len(t, o.Cond.Clbits, 1)
			}
		})
		assert.Equal(t, 2, ifs)
		assert.True(t, p.Dynamic())
	})
	t.Run("adder adds", func(t *testing.T) {
		p := readProgram(t, filepath.Join(dir, "adder.qasm"))
		rest := circuit.Program{Qubits: p.Qubits, Clbits: p.Clbits}
		for _, o := range p.Ops {
			if o.Kind != circuit.OpReset { // the state starts in |0...0> anyway
				rest.Ops = append(rest.Ops, o)
			}
		}
		// a = 0001 and b = 1111 give 10000.
		probs := outcomes(t, &rest)
		assert.InDelta(t, 1, probs[0b10000], 1e-9, "%v", probs)
	})
	t.Run("qft", func(t *testing.T) {
		p := readProgram(t, filepath.Join(dir, "qft.qasm"))
		rest := circuit.Program{Qubits: p.Qubits, Clbits: p.Clbits}
		for _, o := range p.Ops {
			if o.Kind != circuit.OpReset {
				rest.Ops = append(rest.Ops, o)
			}
		}
		// The QFT of a basis state is uniform in magnitude.
		for _, pr := range outcomes(t, &rest) {
			assert.InDelta(t, 1.0/16, pr, 1e-9)
		}
	})
}
