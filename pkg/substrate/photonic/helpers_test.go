package photonic

import (
	"context"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// probTol is the tolerance of exact probabilities: sums of a few hundred
// products of doubles.
const probTol = 1e-12

// testSubstrate is a substrate with 2 workers, as on the CI machine,
// whatever GOMAXPROCS is.
func testSubstrate() *Substrate { return New(Config{Workers: 2}) }

// dispatch runs p on s with params and seed and returns the result.
func dispatch(t testing.TB, s *Substrate, p *ir.Program, params map[string]any, seed uint64) (sokr.Result, error) {
	t.Helper()
	j := sokr.NewJob(context.Background(), p, nil, sokr.Options{Seed: seed, HasSeed: true, Params: params})
	s.Dispatch(j, j)
	return j.Future().Wait(context.Background())
}

func probabilities(t testing.TB, s *Substrate, p *ir.Program, outputs ...ir.FockState) ir.Probabilities {
	t.Helper()
	params := map[string]any{"mode": "probabilities"}
	if len(outputs) > 0 {
		params["outputs"] = outputs
	}
	res, err := dispatch(t, s, p, params, 0)
	require.NoError(t, err)
	out, ok := res.Get("probabilities")
	require.True(t, ok)
	pr, ok := out.Value.(ir.Probabilities)
	require.True(t, ok, "%T", out.Value)
	return pr
}

func sample(t testing.TB, s *Substrate, p *ir.Program, shots int, seed uint64) ir.Counts {
	t.Helper()
	res, err := dispatch(t, s, p, map[string]any{"shots": shots}, seed)
	require.NoError(t, err)
	out, ok := res.Get("counts")
	require.True(t, ok)
	c, ok := out.Value.(ir.Counts)
	require.True(t, ok, "%T", out.Value)
	require.Equal(t, int64(shots), c.Shots())
	return c
}

func build(t testing.TB, b *ir.Builder) *ir.Program {
	t.Helper()
	p, err := b.Build()
	require.NoError(t, err)
	return p
}

func parse(t testing.TB, src string) *ir.Program {
	t.Helper()
	p, err := ir.Parse([]byte(src))
	require.NoError(t, err)
	return p
}

// haar returns an m×m Haar-random unitary: QR of a complex Gaussian
// matrix by Gram–Schmidt, with R's diagonal phases divided out (Mezzadri,
// "How to generate random matrices from the classical compact groups",
// Notices of the AMS 54 (2007)).
func haar(r *rand.Rand, m int) []complex128 {
	u := make([]complex128, m*m)
	for i := range u {
		u[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	for c := range m {
		for p := range c {
			var d complex128
			for i := range m {
				d += cmplx.Conj(u[i*m+p]) * u[i*m+c]
			}
			for i := range m {
				u[i*m+c] -= d * u[i*m+p]
			}
		}
		var n float64
		for i := range m {
			n += sq(u[i*m+c])
		}
		n = math.Sqrt(n)
		for i := range m {
			u[i*m+c] /= complex(n, 0)
		}
	}
	return u
}

func allModes(m int) []int {
	modes := make([]int, m)
	for i := range modes {
		modes[i] = i
	}
	return modes
}

// bruteForce computes the lossless PNR distribution outcome by outcome:
// every n-photon outcome t gets |perm(U_{t,s})|²/(t! s!), with the naive
// permanent (the definition) up to 4 photons and Glynn's (checked
// against the definition in TestPermanentNaive) above, where the
// definition is slow under -race.
func bruteForce(u []complex128, m int, in ir.FockState) map[string]float64 {
	var cols []int
	sFact := 1.0
	for i, c := range in {
		for range c {
			cols = append(cols, i)
		}
		sFact *= factorial(c)
	}
	n := len(cols)
	out := map[string]float64{}
	t := make(ir.FockState, m)
	var rec func(mode, left int)
	rec = func(mode, left int) {
		if mode == m-1 {
			t[mode] = left
			var rows []int
			tFact := 1.0
			for j, c := range t {
				for range c {
					rows = append(rows, j)
				}
				tFact *= factorial(c)
			}
			a := make([]complex128, n*n)
			for r, j := range rows {
				for c, i := range cols {
					a[r*n+c] = u[j*m+i]
				}
			}
			var perm complex128
			if n <= 4 {
				perm = naivePermanent(a, n)
			} else {
				perm, _ = permanent(context.Background(), a, n, 1, nil)
			}
			out[t.String()] = sq(perm) / (tFact * sFact)
			return
		}
		for x := 0; x <= left; x++ {
			t[mode] = x
			rec(mode+1, left-x)
		}
	}
	rec(0, n)
	return out
}

// chiSquare compares counts with the exact probabilities: outcomes
// expected fewer than 5 times are pooled into one bin, as the test's
// validity asks (Cochran's rule). It returns the statistic, the degrees
// of freedom, and the critical value at significance 1e-4 by the
// Wilson–Hilferty approximation (z = 3.719). Outcomes of zero probability
// that occur make the statistic infinite.
func chiSquare(counts ir.Counts, probs ir.Probabilities) (stat float64, dof int, critical float64) {
	shots := float64(counts.Shots())
	var pooledExp, pooledObs float64
	bins := 0
	for k, p := range probs {
		e := p * shots
		o := float64(counts[k])
		if e < 5 {
			pooledExp += e
			pooledObs += o
			continue
		}
		stat += (o - e) * (o - e) / e
		bins++
	}
	if pooledExp > 0 {
		stat += (pooledObs - pooledExp) * (pooledObs - pooledExp) / pooledExp
		bins++
	}
	for k, c := range counts {
		if probs[k] == 0 && c > 0 {
			return math.Inf(1), bins - 1, 0
		}
	}
	dof = bins - 1
	const z = 3.719 // the standard normal's 1 − 1e-4 quantile
	k := float64(dof)
	critical = k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
	return stat, dof, critical
}
