//go:build cgo

package vulkan

import (
	"context"
	"errors"
	"fmt"
	gomaps "maps"
	"math"
	"math/cmplx"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/qcases"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
)

func parseQASM(t testing.TB, src string) *circuit.Program {
	t.Helper()
	p, err := qasm.Parse([]byte(src))
	require.NoError(t, err)
	return p
}

func paramInputs(vals []float64) []sokr.Tensor {
	var in []sokr.Tensor
	for _, v := range vals {
		in = append(in, sokr.Scalar(v))
	}
	return in
}

// cpuRef is statevec, the reference the GPU's results are compared with.
var cpuRef = statevec.New(statevec.Config{})

func runOpts(t *testing.T, s sokr.Substrate, p sokr.Program, in []sokr.Tensor, params map[string]any, seed ...uint64) (sokr.Result, error) {
	t.Helper()
	opts := []sokr.DispatchOption{sokr.On(s.Name())}
	for k, v := range params {
		opts = append(opts, sokr.Param(k, v))
	}
	if len(seed) > 0 {
		opts = append(opts, sokr.Seed(seed[0]))
	}
	return run(t, s, p, in, opts...)
}

func stateOf(t *testing.T, s sokr.Substrate, p *circuit.Program, in []sokr.Tensor, params map[string]any) []complex128 {
	t.Helper()
	ps := map[string]any{"mode": "state"}
	gomaps.Copy(ps, params)
	res, err := runOpts(t, s, p, in, ps)
	require.NoError(t, err)
	st := res.Outputs[0].Tensor
	out := make([]complex128, st.Shape.NumElements())
	for i := range out {
		switch st.DType {
		case sokr.C64:
			out[i] = complex128(sokr.View[complex64](st)[i])
		default:
			out[i] = sokr.View[complex128](st)[i]
		}
	}
	return out
}

func assertStates(t *testing.T, got, want []complex128, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	worst := 0.0
	for i := range want {
		worst = max(worst, cmplx.Abs(got[i]-want[i]))
	}
	assert.LessOrEqual(t, worst, tol, "largest amplitude difference")
}

// TestCircuitAmplitudes: every unitary test circuit gives statevec's
// amplitudes, to 1e-5 in complex64 and 1e-12 in complex128, with and
// without fusion.
func TestCircuitAmplitudes(t *testing.T) {
	s := gpu(t)
	for _, c := range qcases.Unitary() {
		p := parseQASM(t, c.QASM)
		in := paramInputs(c.Params)
		want := stateOf(t, cpuRef, p, in, map[string]any{"fusion": 0})
		for _, prec := range []string{"complex64", "complex128"} {
			for _, fusion := range []int{0, 2, 5} {
				t.Run(fmt.Sprintf("%s/%s/fusion=%d", c.Name, prec, fusion), func(t *testing.T) {
					tol := 1e-5
					if prec == "complex128" {
						tol = 1e-12
					}
					got := stateOf(t, s, p, in, map[string]any{"precision": prec, "fusion": fusion})
					assertStates(t, got, want, tol)
				})
			}
		}
	}
}

// TestCircuitChunks splits the state over several device buffers
// (MaxChunkBytes lowered to the least: 2^13 amplitudes a chunk) and checks
// the amplitudes, expectations and sampling against one buffer's.
func TestCircuitChunks(t *testing.T) {
	gpu(t)
	var p *circuit.Program
	for _, c := range qcases.Unitary() {
		if strings.HasPrefix(c.Name, "controls across") {
			p = parseQASM(t, c.QASM)
		}
	}
	require.NotNil(t, p)
	want := stateOf(t, cpuRef, p, nil, nil)
	for _, tc := range []struct {
		prec  string
		chunk int64
		tol   float64
	}{{"complex64", 64 << 10, 1e-5}, {"complex128", 128 << 10, 1e-12}} {
		t.Run(tc.prec, func(t *testing.T) {
			s := openFirst(t, Config{Validation: true, CacheDir: "-", MaxChunkBytes: tc.chunk})
			defer func() { require.NoError(t, s.Close()) }()
			noValidationMessages(t, s)
			res, err := runOpts(t, s, p, nil, map[string]any{"mode": "state", "precision": tc.prec})
			require.NoError(t, err)
			assert.Equal(t, "4", res.Meta["chunks"])
			for _, fusion := range []int{0, 5} {
				got := stateOf(t, s, p, nil, map[string]any{"precision": tc.prec, "fusion": fusion})
				assertStates(t, got, want, tc.tol)
			}
			obs := []map[string]any{{"paulis": strings.Repeat("Z", 15)}, {"paulis": "X" + strings.Repeat("I", 13) + "Y"},
				{"paulis": strings.Repeat("I", 13) + "ZZ"}}
			ref, err := runOpts(t, cpuRef, p, nil, map[string]any{"mode": "observe", "observable": obs})
			require.NoError(t, err)
			got, err := runOpts(t, s, p, nil, map[string]any{"mode": "observe", "observable": obs, "precision": tc.prec})
			require.NoError(t, err)
			assertClose(t, sokr.View[float64](got.Outputs[0].Tensor), sokr.View[float64](ref.Outputs[0].Tensor), 1e-4)
			one, err := runOpts(t, s, p, nil, map[string]any{"precision": tc.prec, "shots": 500}, 7)
			require.NoError(t, err)
			s1 := openFirst(t, Config{CacheDir: "-"})
			defer func() { require.NoError(t, s1.Close()) }()
			whole, err := runOpts(t, s1, p, nil, map[string]any{"precision": tc.prec, "shots": 500}, 7)
			require.NoError(t, err)
			assert.Equal(t, "1", whole.Meta["chunks"])
			if tc.prec == "complex128" { // the same probabilities to the last bits: the same shots
				assert.Equal(t, whole.Outputs[0].Value, one.Outputs[0].Value)
			}
		})
	}
}

func assertClose(t *testing.T, got, want []float64, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol, "element %d", i)
	}
}

func counts(t *testing.T, res sokr.Result) map[string]int64 {
	t.Helper()
	c, ok := res.Outputs[0].Value.(map[string]int64)
	require.True(t, ok, "counts output: %T", res.Outputs[0].Value)
	return c
}

// TestCircuitSameSeedAsStatevec: a static circuit sampled with a seed
// gives statevec's counts (complex128: the same probabilities).
func TestCircuitSameSeedAsStatevec(t *testing.T) {
	s := gpu(t)
	for _, c := range qcases.Unitary()[:7] {
		p := parseQASM(t, c.QASM+measureAll(parseQASM(t, c.QASM).Qubits))
		in := paramInputs(c.Params)
		ref, err := runOpts(t, cpuRef, p, in, map[string]any{"shots": 2000}, 42)
		require.NoError(t, err)
		got, err := runOpts(t, s, p, in, map[string]any{"shots": 2000, "precision": "complex128"}, 42)
		require.NoError(t, err, c.Name)
		assert.Equal(t, counts(t, ref), counts(t, got), c.Name)
		assert.Equal(t, "sampled", got.Meta["method"])
		assert.Equal(t, ref.Meta["registers"], got.Meta["registers"])
		assert.NotEmpty(t, got.Meta["gpu_time_ns"])
	}
}

func measureAll(n int) string {
	return fmt.Sprintf("bit[%d] m;\nm = measure q;\n", n)
}

// TestCircuitChiSquare: complex64 sampling (the default) follows the
// state's distribution.
func TestCircuitChiSquare(t *testing.T) {
	s := gpu(t)
	c := qcases.Unitary()[3] // controls and negative controls, 5 qubits
	p := parseQASM(t, c.QASM)
	want := stateOf(t, cpuRef, p, nil, nil)
	const shots = 40000
	res, err := runOpts(t, s, p, nil, map[string]any{"shots": shots}, 3)
	require.NoError(t, err)
	assert.Equal(t, "complex64", res.Meta["precision"])
	got := counts(t, res)
	chi2, df := 0.0, -1
	for i, a := range want {
		pr := real(a)*real(a) + imag(a)*imag(a)
		if pr < 1e-9 {
			assert.Zero(t, got[fmt.Sprintf("%05b", i)])
			continue
		}
		e := pr * shots
		d := float64(got[fmt.Sprintf("%05b", i)]) - e
		chi2 += d * d / e
		df++
	}
	// The 1e-6 quantile of chi-square for df <= 31 is below 80.
	assert.Less(t, chi2, 80.0, "chi-square with %d degrees of freedom", df)
}

// TestCircuitObserve: expectations on the device equal statevec's, exact
// and sampled with the same seed.
func TestCircuitObserve(t *testing.T) {
	s := gpu(t)
	c := qcases.Unitary()[2] // 4 qubits
	p := parseQASM(t, c.QASM)
	obs := []map[string]any{{"paulis": "ZZII"}, {"paulis": "XIXI", "coef": 0.5}, {"paulis": "YYZI"}, {"paulis": "IIIZ"},
		{"paulis": "XYZX"}, {"paulis": "IIII"}, {"paulis": "ZIZI"}, {"paulis": "XXXX"}, {"paulis": "IZIZ"}, {"paulis": "ZZZZ"}}
	ref, err := runOpts(t, cpuRef, p, nil, map[string]any{"mode": "observe", "observable": obs})
	require.NoError(t, err)
	for _, prec := range []string{"complex64", "complex128"} {
		got, err := runOpts(t, s, p, nil, map[string]any{"mode": "observe", "observable": obs, "precision": prec})
		require.NoError(t, err)
		tol := 1e-5
		if prec == "complex128" {
			tol = 1e-12
		}
		assertClose(t, sokr.View[float64](got.Outputs[0].Tensor), sokr.View[float64](ref.Outputs[0].Tensor), tol)
		assert.Equal(t, ref.Meta["groups"], got.Meta["groups"])
	}
	refS, err := runOpts(t, cpuRef, p, nil, map[string]any{"mode": "observe", "observable": obs, "shots": 3000}, 9)
	require.NoError(t, err)
	gotS, err := runOpts(t, s, p, nil, map[string]any{"mode": "observe", "observable": obs, "shots": 3000, "precision": "complex128"}, 9)
	require.NoError(t, err)
	assertClose(t, sokr.View[float64](gotS.Outputs[0].Tensor), sokr.View[float64](refS.Outputs[0].Tensor), 1e-12)
}

// distance is the total variation distance between two count maps.
func distance(a, b map[string]int64) float64 {
	var na, nb float64
	for _, v := range a {
		na += float64(v)
	}
	for _, v := range b {
		nb += float64(v)
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	d := 0.0
	for k := range keys {
		d += math.Abs(float64(a[k])/na - float64(b[k])/nb)
	}
	return d / 2
}

// TestCircuitDynamic: mid-circuit measurement, reset, if/else and while
// sample as on statevec: the same counts for the same seed where there is
// no branch (the host draws statevec's uniforms in statevec's order), the
// same distribution otherwise.
func TestCircuitDynamic(t *testing.T) {
	s := gpu(t)
	for _, c := range qcases.Dynamic() {
		t.Run(c.Name, func(t *testing.T) {
			p := parseQASM(t, c.QASM)
			// Without branches the counts equal statevec's, whatever the shots;
			// with them only the distribution does, which takes more shots to
			// compare. The seeds are fixed, so each comparison is too.
			branches := strings.Contains(c.QASM, "if (") || strings.Contains(c.QASM, "while (")
			shots := 500
			if branches {
				shots = 3000
			}
			ref, err := runOpts(t, cpuRef, p, nil, map[string]any{"shots": shots}, 5)
			require.NoError(t, err)
			got, err := runOpts(t, s, p, nil, map[string]any{"shots": shots, "precision": "complex128"}, 5)
			require.NoError(t, err)
			assert.Equal(t, "trajectories", got.Meta["method"])
			if !branches {
				assert.Equal(t, counts(t, ref), counts(t, got))
			}
			assert.Less(t, distance(counts(t, ref), counts(t, got)), 0.05, "%v vs %v", counts(t, got), counts(t, ref))
			c64, err := runOpts(t, s, p, nil, map[string]any{"shots": 1000}, 6)
			require.NoError(t, err)
			assert.Less(t, distance(counts(t, ref), counts(t, c64)), 0.1)
		})
	}
}

// TestCircuitWhileLimit: a while loop that never ends faults, as on
// statevec, rather than hanging.
func TestCircuitWhileLimit(t *testing.T) {
	s := gpu(t)
	p := parseQASM(t, `OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q;
bit[1] c;
x q[0];
c[0] = measure q[0];
while (c[0]) { c[0] = measure q[0]; }
`)
	old := qWhileLimit
	qWhileLimit = 20
	defer func() { qWhileLimit = old }()
	_, err := runOpts(t, s, p, nil, map[string]any{"shots": 1})
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Msg, "while loop")
}

// noisy returns p with channels appended after its gates (before its
// measurements).
func noisy(p *circuit.Program, chs ...circuit.Op) *circuit.Program {
	var gates, meas []circuit.Op
	for _, o := range p.Ops {
		if o.Kind == circuit.OpMeasure {
			meas = append(meas, o)
		} else {
			gates = append(gates, o)
		}
	}
	p.Ops = append(append(gates, chs...), meas...)
	return p
}

func channelOp(ch circuit.Channel, qubits ...int) circuit.Op {
	return circuit.Op{Kind: circuit.OpChannel, Name: ch.Kind.String(), Channel: &ch, Qubits: qubits}
}

// TestCircuitNoise: noise trajectories (mixed-unitary channels picked on
// the host, a general Kraus channel decided on the device) give statevec's
// trajectories' counts for the same seed, and its expectations
// statistically.
func TestCircuitNoise(t *testing.T) {
	s := gpu(t)
	src := qcases.Unitary()[0].QASM + "bit[2] c;\nc = measure q;\n"
	mk := func() *circuit.Program {
		return noisy(parseQASM(t, src),
			channelOp(circuit.Channel{Kind: circuit.Depolarizing, P: 0.2}, 0),
			channelOp(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.3}, 1),
			channelOp(circuit.Channel{Kind: circuit.BitFlip, P: 0.1}, 1),
			channelOp(circuit.Channel{Kind: circuit.PhaseDamping, P: 0.4}, 0),
			channelOp(circuit.Channel{Kind: circuit.Depolarizing, P: 0.1}, 0, 1))
	}
	p := mk()
	const shots = 3000
	ref, err := runOpts(t, cpuRef, p, nil, map[string]any{"shots": shots, "method": "trajectories"}, 11)
	require.NoError(t, err)
	got, err := runOpts(t, s, mk(), nil, map[string]any{"shots": shots, "precision": "complex128"}, 11)
	require.NoError(t, err)
	assert.Equal(t, counts(t, ref), counts(t, got))
	c64, err := runOpts(t, s, mk(), nil, map[string]any{"shots": 1000}, 12)
	require.NoError(t, err)
	assert.Less(t, distance(counts(t, ref), counts(t, c64)), 0.1)

	obs := []map[string]any{{"paulis": "ZI"}, {"paulis": "IZ"}, {"paulis": "XX"}}
	po := noisy(parseQASM(t, qcases.Unitary()[0].QASM),
		channelOp(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.3}, 1),
		channelOp(circuit.Channel{Kind: circuit.Depolarizing, P: 0.2}, 0))
	exact, err := runOpts(t, cpuRef, po, nil, map[string]any{"mode": "observe", "observable": obs, "method": "density_matrix"})
	require.NoError(t, err)
	traj, err := runOpts(t, s, po, nil, map[string]any{"mode": "observe", "observable": obs, "trajectories": 2000}, 13)
	require.NoError(t, err)
	assert.Equal(t, "trajectories", traj.Meta["method"])
	assertClose(t, sokr.View[float64](traj.Outputs[0].Tensor), sokr.View[float64](exact.Outputs[0].Tensor), 0.06)

	// Expectations from one sampled outcome per group and trajectory, and
	// the counts of a noisy circuit that measures nothing (each shot drawn
	// from its final state): statevec's, for the same seed.
	refO, err := runOpts(t, cpuRef, po, nil, map[string]any{"mode": "observe", "observable": obs, "shots": 500, "method": "trajectories"}, 14)
	require.NoError(t, err)
	gotO, err := runOpts(t, s, po, nil, map[string]any{"mode": "observe", "observable": obs, "shots": 500, "precision": "complex128"}, 14)
	require.NoError(t, err)
	assertClose(t, sokr.View[float64](gotO.Outputs[0].Tensor), sokr.View[float64](refO.Outputs[0].Tensor), 1e-12)
	refU, err := runOpts(t, cpuRef, po, nil, map[string]any{"shots": 500, "method": "trajectories"}, 15)
	require.NoError(t, err)
	gotU, err := runOpts(t, s, po, nil, map[string]any{"shots": 500, "precision": "complex128"}, 15)
	require.NoError(t, err)
	assert.Equal(t, counts(t, refU), counts(t, gotU))
}

// TestCircuitRefusals: too many qubits for the device, complex128 without
// shaderFloat64, the density matrix, bad options.
func TestCircuitRefusals(t *testing.T) {
	s := gpu(t)
	big := parseQASM(t, "OPENQASM 3.0;\nqubit[40] q;\n")
	off := s.Capability(context.Background(), big)
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "needs 40 qubits")

	// On lavapipe a chunk holds 2^24 complex64 amplitudes (128 MiB), 32 of
	// them 29 qubits.
	most := maxCircuitQubits(s.info, 8, 0, 1)
	tooMany := parseQASM(t, fmt.Sprintf("OPENQASM 3.0;\nqubit[%d] q;\n", most+1))
	off = s.Capability(context.Background(), tooMany)
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, fmt.Sprintf("needs %d qubits", most+1))
	assert.Contains(t, off.Reason, fmt.Sprintf("holds at most %d", most))
	fits := parseQASM(t, fmt.Sprintf("OPENQASM 3.0;\nqubit[%d] q;\n", most))
	assert.True(t, s.Capability(context.Background(), fits).OK)
	assert.Equal(t, fmt.Sprint(most), s.Describe()["circuit_max_qubits_c64"])

	p := parseQASM(t, qcases.Unitary()[0].QASM)
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"shotz": 3}, `vulkan option "shotz": unknown option`},
		{map[string]any{"method": "density_matrix"}, "statevec substrate runs it"},
		{map[string]any{"precision": "complex32"}, `vulkan option "precision"`},
		{map[string]any{"mode": "observe"}, `vulkan option "observable"`},
	} {
		_, err := runOpts(t, s, p, nil, tc.params)
		var ie *sokr.InputError
		require.ErrorAs(t, err, &ie, "%v", tc.params)
		assert.Contains(t, ie.Msg, tc.want)
	}

	// A device without shaderFloat64 (faked): complex128 is refused,
	// naming the option and the device.
	nof64 := openFirst(t, Config{CacheDir: "-"})
	defer func() { require.NoError(t, nof64.Close()) }()
	feats := gomaps.Clone(nof64.info.features)
	feats["Float64"] = false
	nof64.info.features = feats
	_, err := runOpts(t, nof64, p, nil, map[string]any{"precision": "complex128"})
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Msg, `option "precision"`)
	assert.Contains(t, ie.Msg, nof64.info.Name)
	res, err := runOpts(t, nof64, p, nil, nil)
	require.NoError(t, err, "complex64 still runs")
	assert.Equal(t, "complex64", res.Meta["precision"])

	// get_state of a dynamic circuit.
	_, err = runOpts(t, s, parseQASM(t, qcases.Dynamic()[0].QASM), nil, map[string]any{"mode": "state"})
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Msg, "get_state")
}

// TestCircuitConformance runs the substrate contract on circuits.
func TestCircuitConformance(t *testing.T) {
	s := gpu(t)
	bell := parseQASM(t, qcases.Unitary()[0].QASM)
	amp := complex(1/math.Sqrt2, 0)
	state := sokr.FromSlice([]complex64{complex64(amp), 0, 0, complex64(amp)})
	var cases []sokrtest.Case
	cases = append(cases, sokrtest.Case{Name: "bell state", Program: bell, Want: []sokr.Tensor{state}, Tol: 1e-6,
		Options: []sokr.DispatchOption{sokr.Param("mode", "state")}})
	cases = append(cases, sokrtest.Case{Name: "bell counts", Program: bell, Options: []sokr.DispatchOption{sokr.Seed(1)},
		Check: func(r sokr.Result) error {
			c := r.Outputs[0].Value.(map[string]int64)
			if c["01"]+c["10"] != 0 || c["00"]+c["11"] != 1000 {
				return fmt.Errorf("counts %v", c)
			}
			return nil
		}})
	dyn := parseQASM(t, qcases.Dynamic()[1].QASM)
	cases = append(cases, sokrtest.Case{Name: "reset", Program: dyn, Options: []sokr.DispatchOption{sokr.Param("shots", 100)}, Check: func(r sokr.Result) error {
		c := r.Outputs[0].Value.(map[string]int64)
		var n int64
		for _, v := range c {
			n += v
		}
		if n != 100 {
			return fmt.Errorf("%d shots", n)
		}
		return nil
	}})
	// Slow: a deep circuit on 16 qubits, many submissions on lavapipe.
	var b strings.Builder
	b.WriteString("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[16] q;\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "rx(0.1) q[%d];\ncx q[%d], q[%d];\n", i%16, i%16, (i+7)%16)
	}
	slow := sokrtest.Case{Name: "deep", Program: parseQASM(t, b.String()), Options: []sokr.DispatchOption{sokr.Param("fusion", 0)},
		Check: func(sokr.Result) error { return nil }}
	sokrtest.Run(t, s, sokrtest.Suite{Cases: cases, Slow: &slow,
		Refused: []sokr.Program{parseQASM(t, "OPENQASM 3.0;\nqubit[40] q;\n")}})
}

// TestCircuitEstimate: the host-memory estimate covers a run.
func TestCircuitEstimate(t *testing.T) {
	s := gpu(t)
	for _, c := range []qcases.Case{qcases.Unitary()[7], qcases.Dynamic()[2]} {
		p := parseQASM(t, c.QASM)
		for _, mode := range []string{"sample", "state"} {
			if c.Dynamic && mode == "state" {
				continue
			}
			sokrtest.CheckEstimate(t, s, p, nil, sokr.Options{Params: map[string]any{"mode": mode, "shots": 4}, Seed: 1, HasSeed: true})
		}
	}
	var nc *sokr.NoCapableError
	_, err := s.EstimateRun(parseQASM(t, "OPENQASM 3.0;\nqubit[40] q;\n"), nil, sokr.Options{})
	assert.True(t, err != nil && (errors.As(err, &nc) || strings.Contains(err.Error(), "40 qubits")), "%v", err)
}

// TestCircuitDynamicChunks runs trajectories on a state split over four
// buffers (15 qubits in complex128, two in complex64, MaxChunkBytes
// lowered), where a measurement is four
// steps on the device (partial sums, their sum, the decision, the
// collapse) and a Kraus channel spans the chunks: the same counts as
// statevec for the same seed without branches, the same distribution with
// one.
func TestCircuitDynamicChunks(t *testing.T) {
	gpu(t)
	s := openFirst(t, Config{Validation: true, CacheDir: "-", MaxChunkBytes: 128 << 10})
	defer func() { require.NoError(t, s.Close()) }()
	noValidationMessages(t, s)
	var wide string
	for _, c := range qcases.Unitary() {
		if strings.HasPrefix(c.Name, "controls across") {
			wide = c.QASM
		}
	}
	tail := `bit[4] c;
c[0] = measure q[14];
reset q[0];
x q[13];
c[1] = measure q[0];
c[2] = measure q[13];
ry(0.6) q[5];
c[3] = measure q[5];
`
	mk := func(src string) *circuit.Program {
		p := parseQASM(t, src)
		// Noise after the first measurement: a Kraus channel across the
		// chunks (qubit 14 is the top one) and a mixed-unitary one.
		var ops []circuit.Op
		for i, o := range p.Ops {
			ops = append(ops, o)
			if o.Kind == circuit.OpMeasure && i > 0 && p.Ops[i-1].Kind != circuit.OpMeasure && len(ops) > 0 {
				ops = append(ops, channelOp(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 0.3}, 14),
					channelOp(circuit.Channel{Kind: circuit.Depolarizing, P: 0.2}, 2, 13))
			}
		}
		p.Ops = ops
		return p
	}
	const shots = 60 // 30 to 100 ms each on lavapipe
	p := mk(wide + tail)
	ref, err := runOpts(t, cpuRef, p, nil, map[string]any{"shots": shots, "method": "trajectories"}, 21)
	require.NoError(t, err)
	got, err := runOpts(t, s, mk(wide+tail), nil, map[string]any{"shots": shots, "precision": "complex128"}, 21)
	require.NoError(t, err)
	assert.Equal(t, "4", got.Meta["chunks"])
	assert.Equal(t, counts(t, ref), counts(t, got))

	branch := strings.Replace(tail, "ry(0.6) q[5];", "if (c[0] == 1) { ry(0.6) q[5]; } else { h q[5]; }", 1)
	pb := mk(wide + branch)
	ref, err = runOpts(t, cpuRef, pb, nil, map[string]any{"shots": 2000, "method": "trajectories"}, 22)
	require.NoError(t, err)
	got, err = runOpts(t, s, mk(wide+branch), nil, map[string]any{"shots": 100}, 23)
	require.NoError(t, err)
	assert.Less(t, distance(counts(t, ref), counts(t, got)), 0.2, "%v vs %v", counts(t, got), counts(t, ref))
}
