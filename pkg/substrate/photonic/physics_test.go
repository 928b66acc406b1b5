package photonic

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
)

var hom = "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"

// TestHongOuMandel: two photons meeting on a balanced beam splitter leave
// together (C. K. Hong, Z. Y. Ou and L. Mandel, Phys. Rev. Lett. 59, 2044
// (1987)): |1,1> never, |2,0> and |0,2> with probability 1/2 each; by
// SLOS, by permanents and by sampling.
func TestHongOuMandel(t *testing.T) {
	s := testSubstrate()
	p := parse(t, hom)
	for name, pr := range map[string]ir.Probabilities{
		"slos":       probabilities(t, s, p),
		"permanents": probabilities(t, s, p, ir.FockState{2, 0}, ir.FockState{1, 1}, ir.FockState{0, 2}),
	} {
		assert.InDelta(t, 0.5, pr.Get(ir.FockState{2, 0}), probTol, name)
		assert.InDelta(t, 0.5, pr.Get(ir.FockState{0, 2}), probTol, name)
		assert.InDelta(t, 0, pr.Get(ir.FockState{1, 1}), probTol, name)
		assert.InDelta(t, 1, pr.Total(), probTol, name)
	}
	c := sample(t, s, p, 4000, 1)
	assert.Zero(t, c.Get(ir.FockState{1, 1}), "the dip: no coincidences")
	assert.InDelta(t, 2000, c.Get(ir.FockState{2, 0}), 4*math.Sqrt(1000), "binomial: 4 standard deviations")
	// Distinguishable photons would give |1,1> half the time; a beam
	// splitter of θ = 0 (no mixing) gives it always.
	p = build(t, ir.NewBuilder(2).Input(1, 1).BeamSplitter(0, 1, ir.BeamSplitter{}))
	assert.InDelta(t, 1, probabilities(t, s, p).Get(ir.FockState{1, 1}), probTol)
}

// TestBeamSplitterReflectivity: one photon through Perceval's BS(θ)
// leaves in its own mode with probability cos²(θ/2) whatever the phases;
// two photons (|1,1>) coincide with probability (R − T)² = cos²θ.
func TestBeamSplitterReflectivity(t *testing.T) {
	s := testSubstrate()
	for _, th := range []float64{0.3, math.Pi / 3, 2, 3} {
		bs := ir.BeamSplitter{Theta: th, PhiTL: 0.4, PhiBL: 1.1, PhiTR: -0.7, PhiBR: 2.5}
		p := build(t, ir.NewBuilder(2).Input(1, 0).BeamSplitter(0, 1, bs))
		assert.InDelta(t, math.Pow(math.Cos(th/2), 2), probabilities(t, s, p).Get(ir.FockState{1, 0}), probTol)
		p = build(t, ir.NewBuilder(2).Input(1, 1).BeamSplitter(0, 1, bs))
		assert.InDelta(t, math.Pow(math.Cos(th), 2), probabilities(t, s, p).Get(ir.FockState{1, 1}), probTol)
	}
}

// TestMachZehnder: a photon through BS · PS(φ) · BS leaves in mode 0 with
// probability sin²(φ/2) (the fringe of a balanced Mach–Zehnder).
func TestMachZehnder(t *testing.T) {
	s := testSubstrate()
	for _, phi := range []float64{0, 0.5, math.Pi / 2, 2, math.Pi} {
		p := build(t, ir.NewBuilder(2).Input(1, 0).BS(0, 1).PS(0, phi).BS(0, 1))
		pr := probabilities(t, s, p)
		assert.InDelta(t, math.Pow(math.Sin(phi/2), 2), pr.Get(ir.FockState{1, 0}), probTol, "phi=%v", phi)
		assert.InDelta(t, math.Pow(math.Cos(phi/2), 2), pr.Get(ir.FockState{0, 1}), probTol, "phi=%v", phi)
	}
}

// fourier returns the balanced m-mode interferometer F_jk = ω^{jk}/√m.
func fourier(m int) []complex128 {
	u := make([]complex128, m*m)
	for j := range m {
		for k := range m {
			u[j*m+k] = cmplx.Rect(1/math.Sqrt(float64(m)), 2*math.Pi*float64(j*k)/float64(m))
		}
	}
	return u
}

// TestTritterSuppression: |1,1,1> through the balanced (Fourier) tritter.
// The suppression law of M. C. Tichy et al. (Phys. Rev. Lett. 104, 220405
// (2010)) forbids every outcome with Σ_j j·t_j ≠ 0 mod 3; the four allowed
// ones have |1,1,1> 1/3 and |3,0,0>, |0,3,0>, |0,0,3> 2/9 each (perm of
// three equal rows of F is 3!·(1/√3)³).
func TestTritterSuppression(t *testing.T) {
	s := testSubstrate()
	p := build(t, ir.NewBuilder(3).Input(1, 1, 1).Unitary(allModes(3), fourier(3)))
	pr := probabilities(t, s, p)
	want := map[string]float64{"|1,1,1>": 1.0 / 3, "|3,0,0>": 2.0 / 9, "|0,3,0>": 2.0 / 9, "|0,0,3>": 2.0 / 9}
	for _, st := range allStates(3, 3) {
		assert.InDelta(t, want[st.String()], pr.Get(st), probTol, "%v", st)
	}
	c := sample(t, s, p, 3000, 5)
	for k := range c {
		assert.Contains(t, want, k, "suppressed outcome sampled")
	}
	// The Fourier quadrupole with |1,0,1,0>: outcomes with an odd number
	// of photons in odd modes... are not suppressed; |1,1,1,1> through F4
	// suppresses every outcome with Σ j·t_j ≠ 0 mod 4 (Tichy et al.).
	p = build(t, ir.NewBuilder(4).Input(1, 1, 1, 1).Unitary(allModes(4), fourier(4)))
	pr = probabilities(t, s, p)
	for _, st := range allStates(4, 4) {
		q := 0
		for j, c := range st {
			q += j * c
		}
		if q%4 != 0 {
			assert.InDelta(t, 0, pr.Get(st), probTol, "%v is suppressed", st)
		}
	}
	assert.InDelta(t, 1, pr.Total(), probTol)
}

// allStates lists the Fock states of n photons in m modes.
func allStates(m, n int) []ir.FockState {
	var out []ir.FockState
	t := make(ir.FockState, m)
	var rec func(mode, left int)
	rec = func(mode, left int) {
		if mode == m-1 {
			t[mode] = left
			out = append(out, append(ir.FockState(nil), t...))
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

// TestRandomInterferometers compares SLOS, permanents of chosen outcomes
// and the definition (naive permanents of every outcome) on Haar-random
// interferometers, inputs with and without bunching, up to 6 photons in
// 12 modes.
func TestRandomInterferometers(t *testing.T) {
	s := testSubstrate()
	r := rand.New(rand.NewPCG(20, 20))
	for _, in := range []ir.FockState{
		{1, 0}, {2, 1, 0}, {1, 1, 1, 0, 0}, {3, 0, 1, 0}, {1, 1, 1, 1, 0, 0, 0, 0},
		{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, {0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0},
	} {
		m := len(in)
		u := haar(r, m)
		p := build(t, ir.NewBuilder(m).Input(in...).Unitary(allModes(m), u))
		slos := probabilities(t, s, p)
		want := bruteForce(p.Transfer(), m, in)
		assert.InDelta(t, 1, slos.Total(), 1e-12, "%v", in)
		chosen := make([]ir.FockState, 0, 20)
		for k, v := range want {
			assert.InDelta(t, v, slos[k], probTol, "%v: %s", in, k)
			if len(chosen) < cap(chosen) {
				st, err := ir.ParseFockState(k)
				require.NoError(t, err)
				chosen = append(chosen, st)
			}
		}
		for k, v := range probabilities(t, s, p, chosen...) {
			assert.InDelta(t, want[k], v, probTol, "%v: %s by permanents", in, k)
		}
	}
}

// TestSampleChiSquare checks samples against exact probabilities with a
// chi-square test at significance 1e-4 (fixed seeds): lossless with and
// without bunching, uniform loss (thinning), other loss (dilation), and
// threshold detectors.
func TestSampleChiSquare(t *testing.T) {
	s := testSubstrate()
	r := rand.New(rand.NewPCG(9, 9))
	u5, u6 := haar(r, 5), haar(r, 6)
	for _, c := range []struct {
		name string
		b    *ir.Builder
	}{
		{"lossless", ir.NewBuilder(5).Input(1, 1, 1, 0, 0).Unitary(allModes(5), u5)},
		{"bunched", ir.NewBuilder(5).Input(2, 0, 1, 0, 1).Unitary(allModes(5), u5)},
		{"uniform-loss", ir.NewBuilder(5).Input(1, 1, 1, 0, 0).Loss(0.8).Unitary(allModes(5), u5).Loss(0.75)},
		{"mode-loss", ir.NewBuilder(5).Input(1, 1, 1, 0, 0).Loss(0.3, 0).Unitary(allModes(5), u5).Loss(0.6, 2, 4)},
		{"threshold", ir.NewBuilder(6).Input(1, 1, 1, 1, 0, 0).Unitary(allModes(6), u6).Detect(ir.Threshold, 0, 1, 2, 3)},
		{"lossy-threshold", ir.NewBuilder(6).Input(2, 1, 1, 0, 0, 0).Unitary(allModes(6), u6).Loss(0.5, 5).Detect(ir.Threshold)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := build(t, c.b)
			probs := probabilities(t, s, p)
			assert.InDelta(t, 1, probs.Total(), 1e-12)
			counts := sample(t, s, p, 20000, 42)
			stat, dof, crit := chiSquare(counts, probs)
			t.Logf("chi-square %.1f on %d degrees of freedom (critical %.1f at 1e-4)", stat, dof, crit)
			assert.Greater(t, dof, 3)
			assert.Less(t, stat, crit)
		})
	}
}

// TestLossAnalytic checks loss against closed forms: a photon through a
// channel of transmissivity η arrives with probability η; three photons
// in one mode arrive binomially; HOM with loss on one output mode, and
// with loss on one input mode before the beam splitter.
func TestLossAnalytic(t *testing.T) {
	s := testSubstrate()
	for _, eta := range []float64{0, 0.25, 0.9, 1} {
		p := build(t, ir.NewBuilder(1).Input(1).Loss(eta))
		pr := probabilities(t, s, p)
		assert.InDelta(t, eta, pr.Get(ir.FockState{1}), probTol, "eta=%v", eta)
		assert.InDelta(t, 1-eta, pr.Get(ir.FockState{0}), probTol, "eta=%v", eta)

		p = build(t, ir.NewBuilder(2).Input(3, 0).Loss(eta, 0).BS(0, 1).BS(0, 1))
		pr = probabilities(t, s, p)
		for k := 0; k <= 3; k++ {
			var got float64
			for _, st := range allStates(2, k) {
				got += pr.Get(st)
			}
			want := math.Exp(lchoose(3, k)) * math.Pow(eta, float64(k)) * math.Pow(1-eta, float64(3-k))
			assert.InDelta(t, want, got, probTol, "eta=%v, %d photons arrive", eta, k)
		}
	}
	eta := 0.6
	p := build(t, ir.NewBuilder(2).Input(1, 1).BS(0, 1).Loss(eta, 0))
	pr := probabilities(t, s, p)
	for st, want := range map[string]float64{"|2,0>": eta * eta / 2, "|1,0>": eta * (1 - eta), "|0,0>": (1 - eta) * (1 - eta) / 2, "|0,2>": 0.5, "|1,1>": 0, "|0,1>": 0} {
		assert.InDelta(t, want, pr[st], probTol, "loss after the BS: %s", st)
	}
	assert.Contains(t, probabilities(t, s, p, ir.FockState{1, 0}), "|1,0>")
	assert.InDelta(t, eta*(1-eta), probabilities(t, s, p, ir.FockState{1, 0})["|1,0>"], probTol, "by permanents over the environment")

	p = build(t, ir.NewBuilder(2).Input(1, 1).Loss(eta, 0).BS(0, 1))
	pr = probabilities(t, s, p)
	for st, want := range map[string]float64{"|2,0>": eta / 2, "|0,2>": eta / 2, "|1,0>": (1 - eta) / 2, "|0,1>": (1 - eta) / 2, "|1,1>": 0, "|0,0>": 0} {
		assert.InDelta(t, want, pr[st], probTol, "loss before the BS: %s", st)
	}
	c := sample(t, s, p, 4000, 3)
	assert.Zero(t, c.Get(ir.FockState{1, 1}))
	assert.Zero(t, c.Get(ir.FockState{0, 0}))
	assert.InDelta(t, 4000*(1-eta)/2, c.Get(ir.FockState{0, 1}), 4*math.Sqrt(4000*0.2*0.8))

	// Uniform loss anywhere in the circuit is one loss of the product η.
	p = build(t, ir.NewBuilder(2).Input(1, 1).Loss(0.8).BS(0, 1).Loss(0.5))
	md := modelOf(p)
	assert.True(t, md.uniform)
	assert.InDelta(t, 0.4, md.eta, 1e-15)
	pr = probabilities(t, s, p)
	assert.InDelta(t, 0.4*0.4/2, pr.Get(ir.FockState{2, 0}), probTol)
	assert.InDelta(t, 0.4*0.6, pr.Get(ir.FockState{1, 0}), probTol)
	assert.InDelta(t, 0.6*0.6, pr.Get(ir.FockState{0, 0}), probTol)
}

// TestThresholdAnalytic: threshold detectors after a balanced beam
// splitter. |1,1> (HOM) clicks on one side only, 1/2 each; |2,0> gives
// |2,0>, |1,1>, |0,2> with 1/4, 1/2, 1/4 in Fock terms, so the clicks
// |1,0>, |1,1>, |0,1> have those probabilities; with one threshold and
// one PNR detector, the PNR mode keeps its count.
func TestThresholdAnalytic(t *testing.T) {
	s := testSubstrate()
	p := build(t, ir.NewBuilder(2).Input(1, 1).BS(0, 1).Detect(ir.Threshold))
	pr := probabilities(t, s, p)
	assert.InDelta(t, 0.5, pr.Get(ir.FockState{1, 0}), probTol)
	assert.InDelta(t, 0.5, pr.Get(ir.FockState{0, 1}), probTol)
	assert.InDelta(t, 0, pr.Get(ir.FockState{1, 1}), probTol)
	c := sample(t, s, p, 1000, 8)
	assert.Equal(t, int64(1000), c.Get(ir.FockState{1, 0})+c.Get(ir.FockState{0, 1}))

	p = build(t, ir.NewBuilder(2).Input(2, 0).BS(0, 1).Detect(ir.Threshold))
	pr = probabilities(t, s, p)
	want := map[string]float64{"|1,0>": 0.25, "|1,1>": 0.5, "|0,1>": 0.25}
	for k, v := range want {
		assert.InDelta(t, v, pr[k], probTol, k)
	}
	chosen := probabilities(t, s, p, ir.FockState{1, 0}, ir.FockState{1, 1}, ir.FockState{0, 0})
	assert.InDelta(t, 0.25, chosen.Get(ir.FockState{1, 0}), probTol)
	assert.InDelta(t, 0.5, chosen.Get(ir.FockState{1, 1}), probTol)
	assert.Zero(t, chosen.Get(ir.FockState{0, 0}))

	p = build(t, ir.NewBuilder(2).Input(2, 0).BS(0, 1).Detect(ir.Threshold, 1))
	pr = probabilities(t, s, p)
	want = map[string]float64{"|2,0>": 0.25, "|1,1>": 0.5, "|0,1>": 0.25}
	for k, v := range want {
		assert.InDelta(t, v, pr[k], probTol, k)
	}
}

// TestDistributionSums checks that full distributions sum to 1 for random
// lossy, threshold and bunched programs.
func TestDistributionSums(t *testing.T) {
	s := testSubstrate()
	r := rand.New(rand.NewPCG(4, 4))
	for i := range 6 {
		m := 3 + i
		in := make(ir.FockState, m)
		for range 1 + i%4 {
			in[r.IntN(m)]++
		}
		b := ir.NewBuilder(m).Input(in...).Unitary(allModes(m), haar(r, m))
		if i%2 == 1 {
			b.Loss(r.Float64(), r.IntN(m))
		}
		if i%3 == 2 {
			b.Detect(ir.Threshold, r.IntN(m))
		}
		p := build(t, b)
		assert.InDelta(t, 1, probabilities(t, s, p).Total(), 1e-12, fmt.Sprint(p))
	}
}

// TestVacuumAndEdges: no photons, one mode, all photons lost.
func TestVacuumAndEdges(t *testing.T) {
	s := testSubstrate()
	p := build(t, ir.NewBuilder(3).BS(0, 1))
	assert.Equal(t, ir.Probabilities{"|0,0,0>": 1}, probabilities(t, s, p))
	assert.Equal(t, ir.Counts{"|0,0,0>": 10}, sample(t, s, p, 10, 1))
	p = build(t, ir.NewBuilder(1).Input(4))
	assert.Equal(t, ir.Probabilities{"|4>": 1}, probabilities(t, s, p))
	assert.Equal(t, ir.Counts{"|4>": 7}, sample(t, s, p, 7, 1))
	p = build(t, ir.NewBuilder(2).Input(2, 1).BS(0, 1).Loss(0))
	assert.Equal(t, ir.Counts{"|0,0>": 5}, sample(t, s, p, 5, 1))
	assert.InDelta(t, 1, probabilities(t, s, p).Get(ir.FockState{0, 0}), probTol)
}
