package statevec

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
)

// chiSquareCritical returns the upper 0.1% point of the chi-square
// distribution with df degrees of freedom, by the Wilson–Hilferty
// approximation (E. B. Wilson and M. M. Hilferty, "The distribution of
// chi-square", PNAS 17(12):684–688, 1931): (X²/df)^(1/3) is close to normal
// with mean 1 - 2/(9 df) and variance 2/(9 df). z = 3.0902 is the normal
// 99.9% point. For df = 15 it gives 37.8 (tables: 37.70), for df = 1
// 11.2 (10.83): slightly conservative.
func chiSquareCritical(df int) float64 {
	const z999 = 3.0902
	v := 2 / (9 * float64(df))
	return float64(df) * math.Pow(1-v+z999*math.Sqrt(v), 3)
}

// chiSquare is Pearson's statistic of counts against probabilities, bins
// with an expected count under 5 merged into one (the usual rule for the
// approximation to hold); it returns the statistic and degrees of freedom.
func chiSquare(counts map[string]int64, probs map[string]float64, shots int) (float64, int) {
	var stat, restE, restO float64
	bins := 0
	for k, p := range probs {
		e := p * float64(shots)
		if e < 5 {
			restE += e
			restO += float64(counts[k])
			continue
		}
		o := float64(counts[k])
		stat += (o - e) * (o - e) / e
		bins++
	}
	if restE > 0 {
		stat += (restO - restE) * (restO - restE) / restE
		bins++
	}
	return stat, bins - 1
}

func TestChiSquareTableValue(t *testing.T) {
	// Upper 0.1% points from the NIST/SEMATECH e-Handbook of Statistical
	// Methods, table 1.3.6.7.4.
	assert.InDelta(t, 37.697, chiSquareCritical(15), 0.2)
	assert.InDelta(t, 10.828, chiSquareCritical(1), 0.4) // rougher at df = 1
	assert.InDelta(t, 59.703, chiSquareCritical(30), 0.2)
}

// Sampled counts of random circuits follow the exact probabilities.
func TestSampledCountsPassChiSquare(t *testing.T) {
	s := New(Config{})
	for _, n := range []int{3, 6} {
		p := circuittest.Random(rand.New(rand.NewPCG(uint64(n), 99)), n, 6)
		psi, err := circuittest.State(p, nil)
		require.NoError(t, err)
		probs := map[string]float64{}
		for i, a := range psi {
			probs[bitstring(i, n)] = real(a)*real(a) + imag(a)*imag(a)
		}
		const shots = 20000
		for _, prec := range []string{"complex128", "complex64"} {
			c := countsOf(t, mustRun(t, s, p, map[string]any{"shots": shots, "precision": prec}, 2024))
			stat, df := chiSquare(c, probs, shots)
			assert.Less(t, stat, chiSquareCritical(df), "n=%d %s: chi-square %.1f with %d degrees of freedom", n, prec, stat, df)
		}
	}
}

func bitstring(i, n int) string {
	s := strconv.FormatInt(int64(i), 2)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// TestNoise runs each case by trajectories and with the density matrix.
func TestNoise(t *testing.T) {
	for _, method := range []string{"trajectories", "density_matrix"} {
		t.Run(method, func(t *testing.T) { testNoise(t, method) })
	}
}

func testNoise(t *testing.T, method string) {
	s := New(Config{})
	// with adds the method to a run's options.
	with := func(m map[string]any) map[string]any {
		m["method"] = method
		return m
	}
	t.Run("bit flip p=1", func(t *testing.T) {
		p := newCircuit(2, 2).channel(circuit.Channel{Kind: circuit.BitFlip, P: 1}, 0).measure(0, 0).measure(1, 1).build(t)
		res := mustRun(t, s, p, with(map[string]any{"shots": 100}), 1)
		assert.Equal(t, map[string]int64{"01": 100}, countsOf(t, res))
		assert.Equal(t, method, res.Meta["method"])
	})
	t.Run("depolarizing", func(t *testing.T) {
		// X and Y flip |0>, Z does not: P(1) = 2p/3.
		const p, shots = 0.3, 20000
		c := newCircuit(1, 1).channel(circuit.Channel{Kind: circuit.Depolarizing, P: p}, 0).measure(0, 0).build(t)
		counts := countsOf(t, mustRun(t, s, c, with(map[string]any{"shots": shots}), 7))
		stat, df := chiSquare(counts, map[string]float64{"0": 1 - 2*p/3, "1": 2 * p / 3}, shots)
		assert.Less(t, stat, chiSquareCritical(df), "counts %v", counts)
		// Two-qubit depolarizing on |00>: 12 of the 15 Paulis flip something.
		c = newCircuit(2, 2).channel(circuit.Channel{Kind: circuit.Depolarizing, P: p}, 0, 1).measure(0, 0).measure(1, 1).build(t)
		counts = countsOf(t, mustRun(t, s, c, with(map[string]any{"shots": shots}), 8))
		q := p / 15
		stat, df = chiSquare(counts, map[string]float64{"00": 1 - p + 3*q, "01": 4 * q, "10": 4 * q, "11": 4 * q}, shots)
		assert.Less(t, stat, chiSquareCritical(df), "counts %v", counts)
	})
	t.Run("amplitude damping p=1", func(t *testing.T) {
		p := newCircuit(1, 1).x(0).channel(circuit.Channel{Kind: circuit.AmplitudeDamping, P: 1}, 0).measure(0, 0).build(t)
		assert.Equal(t, map[string]int64{"0": 100}, countsOf(t, mustRun(t, s, p, with(map[string]any{"shots": 100}), 1)))
	})
	t.Run("phase damping", func(t *testing.T) {
		// On |+>, <X> = sqrt(1-p) averaged over trajectories; a trajectory
		// gives 0 or 2 sqrt(1-p)/(2-p), so the standard error is below 1/sqrt(N).
		const p, n = 0.36, 4000
		c := newCircuit(1, 0).h(0).channel(circuit.Channel{Kind: circuit.PhaseDamping, P: p}, 0).build(t)
		e := expectationsOf(t, mustRun(t, s, c, with(map[string]any{"mode": "observe", "trajectories": n, "observable": []PauliTerm{{Coef: 1, Paulis: "X"}}}), 3))
		assert.InDelta(t, math.Sqrt(1-p), e[0], 4/math.Sqrt(n))
	})
	t.Run("kraus", func(t *testing.T) {
		// A two-qubit Kraus channel: with probability 1/2 swap the qubits, else nothing.
		r := complex(math.Sqrt(0.5), 0)
		id := []complex128{r, 0, 0, 0, 0, r, 0, 0, 0, 0, r, 0, 0, 0, 0, r}
		sw := []complex128{r, 0, 0, 0, 0, 0, r, 0, 0, r, 0, 0, 0, 0, 0, r}
		c := newCircuit(2, 2).x(0).channel(circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{id, sw}}, 0, 1).measure(0, 0).measure(1, 1).build(t)
		counts := countsOf(t, mustRun(t, s, c, with(map[string]any{"shots": 4000}), 5))
		assert.Equal(t, int64(4000), counts["01"]+counts["10"])
		assert.InDelta(t, 2000, counts["01"], 220) // 7 sigma
	})
	t.Run("invalid channel refused", func(t *testing.T) {
		c := newCircuit(1, 0).channel(circuit.Channel{Kind: circuit.Kraus, Ops: [][]complex128{{1, 0, 0, 0.5}}}, 0).p
		o := s.Capability(t.Context(), c)
		require.False(t, o.OK)
		assert.Contains(t, o.Reason, "not trace preserving")
		_, err := dispatch(t, s, c, nil, nil)
		require.Error(t, err)
	})
	t.Run("noise from rules", func(t *testing.T) {
		p := newCircuit(1, 1).x(0).measure(0, 0).build(t)
		noisy, err := circuit.WithNoise(p, []circuit.NoiseRule{{Gate: "x", Channel: circuit.Channel{Kind: circuit.BitFlip, P: 1}}})
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{"0": 10}, countsOf(t, mustRun(t, s, noisy, with(map[string]any{"shots": 10}))))
	})
}

// pauliMatrix is the dense 2^n x 2^n matrix of a Pauli string (character k
// on qubit k), built by Kronecker products.
func pauliMatrix(ps string) []complex128 {
	one := map[byte][]complex128{'I': {1, 0, 0, 1}, 'X': {0, 1, 1, 0}, 'Y': {0, -1i, 1i, 0}, 'Z': {1, 0, 0, -1}}
	m, d := []complex128{1}, 1
	for k := len(ps) - 1; k >= 0; k-- { // qubit k becomes the least significant bit so far
		p := one[ps[k]]
		nd := 2 * d
		out := make([]complex128, nd*nd)
		for r := range nd {
			for c := range nd {
				out[r*nd+c] = m[(r/2)*d+c/2] * p[(r%2)*2+c%2]
			}
		}
		m, d = out, nd
	}
	return m
}

func denseExpectation(psi []complex128, m []complex128) float64 {
	d := len(psi)
	var s complex128
	for r := range d {
		var t complex128
		for c := range d {
			t += m[r*d+c] * psi[c]
		}
		s += cmplx.Conj(psi[r]) * t
	}
	return real(s)
}

func TestObserveMatchesDenseReference(t *testing.T) {
	s := New(Config{Workers: 2, MinParallel: 1})
	for _, n := range []int{1, 3, 5} {
		rng := rand.New(rand.NewPCG(uint64(n), 5))
		p := circuittest.Random(rng, n, 5)
		psi, err := circuittest.State(p, nil)
		require.NoError(t, err)
		var terms []any
		var want []float64
		for range 12 {
			b := make([]byte, n)
			for q := range b {
				b[q] = "IXYZ"[rng.IntN(4)]
			}
			terms = append(terms, map[string]any{"coef": []any{rng.NormFloat64(), 0.0}, "paulis": string(b)})
			want = append(want, denseExpectation(psi, pauliMatrix(string(b))))
		}
		for _, prec := range []string{"complex128", "complex64"} {
			tol := 1e-10
			if prec == "complex64" {
				tol = 1e-4
			}
			res := mustRun(t, s, p, map[string]any{"mode": "observe", "observable": terms, "precision": prec})
			assert.Equal(t, "exact", res.Meta["method"])
			got := expectationsOf(t, res)
			for i := range want {
				assert.InDelta(t, want[i], got[i], tol, "n=%d %s term %v", n, prec, terms[i])
			}
			// Sampled estimates: within 5 standard errors (each term's variance is at most 1).
			const shots = 20000
			res = mustRun(t, s, p, map[string]any{"mode": "observe", "observable": terms, "precision": prec, "shots": shots}, 8)
			assert.Equal(t, "sampled", res.Meta["method"])
			got = expectationsOf(t, res)
			for i := range want {
				assert.InDelta(t, want[i], got[i], 5/math.Sqrt(shots), "n=%d %s sampled term %v", n, prec, terms[i])
			}
		}
	}
}

func TestObserveGroupsCommutingTerms(t *testing.T) {
	// qsim's TestGroupTerms checks the grouping: ZZI+IIZ, XIX+XXI+IXX, YII.
	terms := []PauliTerm{{Coef: 1, Paulis: "ZZI"}, {Coef: 1, Paulis: "XIX"}, {Coef: 1, Paulis: "XXI"}, {Coef: 1, Paulis: "IIZ"}, {Coef: 1, Paulis: "YII"}, {Coef: 1, Paulis: "IXX"}}
	groups := groupTerms(terms, 3, 5)
	require.Len(t, groups, 3)
	assert.Nil(t, groups[0].rotation)
	assert.Len(t, groups[1].rotation, len(groups[1].Rotation)) // one CPU pass per qsim pass
	assert.NotEmpty(t, groups[2].rotation)
	res := mustRun(t, New(Config{}), newCircuit(3, 0).h(0).build(t), map[string]any{"mode": "observe", "observable": terms})
	assert.Equal(t, "3", res.Meta["groups"])
	assert.Equal(t, fmt.Sprint([]float64{0, 0, 0, 1, 0, 0}), fmt.Sprint(roundAll(expectationsOf(t, res))))
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*1e9) / 1e9
		if out[i] == 0 {
			out[i] = 0 // no -0
		}
	}
	return out
}

// Both samplers (binary search for small states, sorted uniforms for
// large ones) follow the probabilities, also with weights in different
// chunks, zero-weight runs and an unnormalised state.
func TestSamplersPassChiSquare(t *testing.T) {
	const n = 15 // 32768 amplitudes: two reduction chunks, above smallSample
	weights := map[int]float64{3: 0.1, 5000: 0.25, 16383: 0.05, 16384: 0.3, 32767: 0.3}
	a := make([]complex128, 1<<n)
	for i, w := range weights {
		a[i] = complex(math.Sqrt(2*w), 0) // norm 2: the samplers normalise
	}
	probs := map[string]float64{}
	for i, w := range weights {
		probs[strconv.Itoa(i)] = w
	}
	const shots = 20000
	for name, draw := range map[string]func(*rand.Rand) ([]int, []int64){
		"sorted": func(rng *rand.Rand) ([]int, []int64) { return sampleIndices(a, shots, rng, 2) },
		"small":  func(rng *rand.Rand) ([]int, []int64) { return sampleSmall(a, shots, rng) },
	} {
		idx, cnt := draw(rand.New(rand.NewPCG(1, 2)))
		counts := map[string]int64{}
		var total int64
		for k, i := range idx {
			require.Contains(t, weights, i, "%s drew index %d of weight 0", name, i)
			counts[strconv.Itoa(i)] = cnt[k]
			total += cnt[k]
		}
		require.Equal(t, int64(shots), total, name)
		stat, df := chiSquare(counts, probs, shots)
		assert.Less(t, stat, chiSquareCritical(df), "%s: counts %v", name, counts)
	}
}
