package snn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	refSteps = 40
	refBatch = 3
	refDT    = 1e-3
)

// reference computes one sample's outputs [steps][outSize] from its inputs
// [steps][inSize], straight from NIR's definitions, in float64.
type reference func(x [][]float64) [][]float64

// checkUnit runs u alone (input -> u -> output) on random input in f64 and
// f32 and compares each batch entry with ref.
func checkUnit(t *testing.T, u *unit, opts map[string]any, sparse bool, ref reference) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	in, out := u.inSize(), u.outSize()
	x := make([]float64, refSteps*refBatch*in)
	for i := range x {
		x[i] = rng.Float64()*2 - 0.5
		if sparse && rng.IntN(4) != 0 {
			x[i] = 0
		}
	}
	for _, precision := range []string{"f64", "f32"} {
		o := map[string]any{"dt": refDT, "precision": precision}
		for k, v := range opts {
			o[k] = v
		}
		res, _ := runNet(t, chainNet(t, u.inShape, u), o, sokr.FromSlice(x, append([]int{refSteps, refBatch}, u.inShape...)...))
		got := viewF64(res[0].Tensor)
		require.Equal(t, append([]int{refSteps, refBatch}, u.outShape...), []int(res[0].Tensor.Shape))
		tol := 1e-9
		if precision == "f32" {
			tol = 2e-4
		}
		for b := range refBatch {
			seq := make([][]float64, refSteps)
			for s := range seq {
				seq[s] = x[(s*refBatch+b)*in : (s*refBatch+b+1)*in]
			}
			want := ref(seq)
			for s := range refSteps {
				for e := range out {
					g := got[(s*refBatch+b)*out+e]
					require.InDelta(t, want[s][e], g, tol*(1+math.Abs(want[s][e])), "%s: step %d batch %d element %d", precision, s, b, e)
				}
			}
		}
	}
}

func neuronUnit(p *neuronParams, n int) *unit {
	return &unit{name: "n", op: opNeuron, inShape: []int{n}, outShape: []int{n}, neuron: p}
}

// spikeRef applies NIR's threshold and reset to v, returning the output.
func spikeRef(v *float64, th, vr float64, subtract bool) float64 {
	if *v > th {
		if subtract {
			*v -= th
		} else {
			*v = vr
		}
		return 1
	}
	return 0
}

func TestLIF(t *testing.T) {
	const n = 5
	rng := rand.New(rand.NewPCG(1, 1))
	p := &neuronParams{model: modelLIF, tau: randSlice(rng, n, 2e-3, 2e-2), r: randSlice(rng, n, 0.5, 3),
		vLeak: randSlice(rng, n, -0.1, 0.1), vThresh: randSlice(rng, n, 0.2, 0.5), vReset: randSlice(rng, n, -0.2, 0)}
	for _, tc := range []struct {
		solver, reset string
	}{{"euler", "to_v_reset"}, {"euler", "subtract"}, {"exact", "to_v_reset"}, {"impulse", "subtract"}} {
		t.Run(tc.solver+"/"+tc.reset, func(t *testing.T) {
			checkUnit(t, neuronUnit(p, n), map[string]any{"solver": tc.solver, "reset": tc.reset}, false, func(x [][]float64) [][]float64 {
				v := make([]float64, n)
				var out [][]float64
				for _, xs := range x {
					row := make([]float64, n)
					for k := range n {
						a := refDT / p.tau[k]
						switch tc.solver {
						case "euler":
							v[k] += a * ((p.vLeak[k] - v[k]) + p.r[k]*xs[k])
						case "exact":
							d := math.Exp(-a)
							v[k] = p.vLeak[k] + (v[k]-p.vLeak[k])*d + p.r[k]*xs[k]*(1-d)
						case "impulse":
							v[k] = p.vLeak[k] + (v[k]-p.vLeak[k])*math.Exp(-a) + a*p.r[k]*xs[k]
						}
						row[k] = spikeRef(&v[k], p.vThresh[k], p.vReset[k], tc.reset == "subtract")
					}
					out = append(out, row)
				}
				return out
			})
		})
	}
}

func TestIFAndIntegrators(t *testing.T) {
	const n = 4
	rng := rand.New(rand.NewPCG(2, 2))
	r, th, vr := randSlice(rng, n, 50, 200), randSlice(rng, n, 0.2, 0.6), randSlice(rng, n, -0.1, 0.1)
	for _, model := range []neuronModel{modelIF, modelI} {
		p := &neuronParams{model: model, r: r}
		if model == modelIF {
			p.vThresh, p.vReset = th, vr
		}
		t.Run(string(model), func(t *testing.T) {
			checkUnit(t, neuronUnit(p, n), nil, false, func(x [][]float64) [][]float64 {
				v := make([]float64, n)
				var out [][]float64
				for _, xs := range x {
					row := make([]float64, n)
					for k := range n {
						v[k] += refDT * r[k] * xs[k]
						row[k] = v[k]
						if model == modelIF {
							row[k] = spikeRef(&v[k], th[k], vr[k], false)
						}
					}
					out = append(out, row)
				}
				return out
			})
		})
	}
}

func TestLI(t *testing.T) {
	const n = 4
	rng := rand.New(rand.NewPCG(3, 3))
	p := &neuronParams{model: modelLI, tau: randSlice(rng, n, 2e-3, 2e-2), r: randSlice(rng, n, 0.5, 3), vLeak: randSlice(rng, n, -0.1, 0.1)}
	checkUnit(t, neuronUnit(p, n), nil, false, func(x [][]float64) [][]float64 {
		v := make([]float64, n)
		var out [][]float64
		for _, xs := range x {
			for k := range n {
				v[k] += refDT / p.tau[k] * ((p.vLeak[k] - v[k]) + p.r[k]*xs[k])
			}
			out = append(out, slices.Clone(v))
		}
		return out
	})
}

// cubaParams draws CubaLIF parameters; one neuron has τ_syn = τ_mem, the
// limit case of the exact solution.
func cubaParams(rng *rand.Rand, model neuronModel, n int) *neuronParams {
	p := &neuronParams{model: model, tauSyn: randSlice(rng, n, 2e-3, 1e-2), tauMem: randSlice(rng, n, 2e-3, 2e-2),
		r: randSlice(rng, n, 0.5, 3), vLeak: randSlice(rng, n, -0.1, 0.1), wIn: randSlice(rng, n, 0.5, 2)}
	p.tauSyn[0] = p.tauMem[0]
	if model == modelCubaLIF {
		p.vThresh, p.vReset = randSlice(rng, n, 0.1, 0.3), randSlice(rng, n, -0.1, 0)
	}
	return p
}

func TestCubaLIFEuler(t *testing.T) {
	const n = 5
	p := cubaParams(rand.New(rand.NewPCG(4, 4)), modelCubaLIF, n)
	for _, reset := range []string{"to_v_reset", "subtract"} {
		checkUnit(t, neuronUnit(p, n), map[string]any{"reset": reset}, true, func(x [][]float64) [][]float64 {
			v, i := make([]float64, n), make([]float64, n)
			var out [][]float64
			for _, xs := range x {
				row := make([]float64, n)
				for k := range n {
					i[k] += refDT / p.tauSyn[k] * (-i[k] + p.wIn[k]*xs[k])
					v[k] += refDT / p.tauMem[k] * ((p.vLeak[k] - v[k]) + p.r[k]*i[k])
					row[k] = spikeRef(&v[k], p.vThresh[k], p.vReset[k], reset == "subtract")
				}
				out = append(out, row)
			}
			return out
		})
	}
}

// TestCubaLIExact checks the closed-form solution against fine-grained
// Euler integration of the same ODEs (10⁴ substeps a step, input held).
func TestCubaLIExact(t *testing.T) {
	const n, sub = 4, 10000
	p := cubaParams(rand.New(rand.NewPCG(5, 5)), modelCubaLI, n)
	u := neuronUnit(p, n)
	rng := rand.New(rand.NewPCG(11, 12))
	_ = rng
	ref := func(x [][]float64) [][]float64 {
		v, i := make([]float64, n), make([]float64, n)
		var out [][]float64
		h := refDT / sub
		for _, xs := range x {
			for k := range n {
				for range sub {
					di := (-i[k] + p.wIn[k]*xs[k]) / p.tauSyn[k]
					dv := ((p.vLeak[k] - v[k]) + p.r[k]*i[k]) / p.tauMem[k]
					i[k] += h * di
					v[k] += h * dv
				}
			}
			out = append(out, slices.Clone(v))
		}
		return out
	}
	// Euler with 10⁴ substeps is accurate to about 1e-4 relative.
	x := make([]float64, refSteps*refBatch*n)
	for e := range x {
		x[e] = rng.Float64()
	}
	res, _ := runNet(t, chainNet(t, u.inShape, u), map[string]any{"dt": refDT, "solver": "exact", "precision": "f64", "record": []string{"n.i"}},
		sokr.FromSlice(x, refSteps, refBatch, n))
	got := viewF64(res[0].Tensor)
	for b := range refBatch {
		seq := make([][]float64, refSteps)
		for s := range seq {
			seq[s] = x[(s*refBatch+b)*n : (s*refBatch+b+1)*n]
		}
		want := ref(seq)
		for s := range refSteps {
			for k := range n {
				require.InDelta(t, want[s][k], got[(s*refBatch+b)*n+k], 1e-4*(1+math.Abs(want[s][k])), "step %d batch %d neuron %d", s, b, k)
			}
		}
	}
	assert.Equal(t, "probe:n.i", res[1].Name)
}

func TestAffineLinearScaleThreshold(t *testing.T) {
	const nin, nout = 7, 5
	rng := rand.New(rand.NewPCG(6, 6))
	w, b := randSlice(rng, nout*nin, -1, 1), randSlice(rng, nout, -1, 1)
	for _, bias := range [][]float64{b, nil} {
		u := &unit{name: "a", op: opAffine, inShape: []int{nin}, outShape: []int{nout}, weight: w, bias: bias}
		for _, prop := range []string{"event", "dense"} {
			checkUnit(t, u, map[string]any{"propagation": prop}, true, func(x [][]float64) [][]float64 {
				var out [][]float64
				for _, xs := range x {
					row := make([]float64, nout)
					for o := range nout {
						if bias != nil {
							row[o] = bias[o]
						}
						for j := range nin {
							row[o] += w[o*nin+j] * xs[j]
						}
					}
					out = append(out, row)
				}
				return out
			})
		}
	}
	s := randSlice(rng, nin, -2, 2)
	checkUnit(t, &unit{name: "s", op: opScale, inShape: []int{nin}, outShape: []int{nin}, scale: s}, nil, false, func(x [][]float64) [][]float64 {
		var out [][]float64
		for _, xs := range x {
			row := make([]float64, nin)
			for k := range row {
				row[k] = xs[k] * s[k]
			}
			out = append(out, row)
		}
		return out
	})
	th := randSlice(rng, nin, 0, 1)
	checkUnit(t, &unit{name: "t", op: opThreshold, inShape: []int{nin}, outShape: []int{nin}, threshold: th},
		map[string]any{"spike_amplitude": 2.5}, false, func(x [][]float64) [][]float64 {
			var out [][]float64
			for _, xs := range x {
				row := make([]float64, nin)
				for k := range row {
					if xs[k] > th[k] {
						row[k] = 2.5
					}
				}
				out = append(out, row)
			}
			return out
		})
}

// convRef is a direct transcription of PyTorch's Conv2d definition,
// padding the input explicitly first.
func convRef(p *convParams, w, b, x []float64) []float64 {
	ph, pw := p.inH+2*p.padH, p.inW+2*p.padW
	padded := make([]float64, p.cin*ph*pw)
	for c := range p.cin {
		for h := range p.inH {
			for v := range p.inW {
				padded[(c*ph+h+p.padH)*pw+v+p.padW] = x[(c*p.inH+h)*p.inW+v]
			}
		}
	}
	cinG, coutG := p.cin/p.groups, p.cout/p.groups
	out := make([]float64, p.cout*p.outH*p.outW)
	for co := range p.cout {
		for oh := range p.outH {
			for ow := range p.outW {
				s := 0.0
				if b != nil {
					s = b[co]
				}
				for k := range cinG {
					ci := co/coutG*cinG + k
					for i := range p.kh {
						for j := range p.kw {
							s += w[((co*cinG+k)*p.kh+i)*p.kw+j] * padded[(ci*ph+oh*p.strideH+i*p.dilH)*pw+ow*p.strideW+j*p.dilW]
						}
					}
				}
				out[(co*p.outH+oh)*p.outW+ow] = s
			}
		}
	}
	return out
}

func TestConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, p := range []*convParams{
		{cin: 4, cout: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 2, dilH: 1, dilW: 2, groups: 2, inH: 7, inW: 6},
		{cin: 2, cout: 3, kh: 1, kw: 3, strideH: 1, strideW: 2, padH: 0, padW: 1, dilH: 1, dilW: 1, groups: 1, inH: 1, inW: 9}, // Conv1d
	} {
		p.outH, p.outW = convOut(p.inH, p.padH, p.dilH, p.kh, p.strideH), convOut(p.inW, p.padW, p.dilW, p.kw, p.strideW)
		p.weight = randSlice(rng, p.cout*p.cin/p.groups*p.kh*p.kw, -1, 1)
		p.bias = randSlice(rng, p.cout, -1, 1)
		u := &unit{name: "c", op: opConv, inShape: []int{p.cin, p.inH, p.inW}, outShape: []int{p.cout, p.outH, p.outW}, conv: p}
		checkUnit(t, u, nil, true, func(x [][]float64) [][]float64 {
			var out [][]float64
			for _, xs := range x {
				out = append(out, convRef(p, p.weight, p.bias, xs))
			}
			return out
		})
	}
}

func TestPools(t *testing.T) {
	p := &poolParams{c: 2, inH: 6, inW: 5, kh: 2, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1}
	p.outH, p.outW = convOut(p.inH, p.ph, 1, p.kh, p.sh), convOut(p.inW, p.pw, 1, p.kw, p.sw)
	for _, op := range []opKind{opSumPool, opAvgPool} {
		u := &unit{name: "p", op: op, inShape: []int{p.c, p.inH, p.inW}, outShape: []int{p.c, p.outH, p.outW}, pool: p}
		// A pool is a grouped convolution with a weight of ones (or 1/area).
		cp := &convParams{cin: p.c, cout: p.c, kh: p.kh, kw: p.kw, strideH: p.sh, strideW: p.sw, padH: p.ph, padW: p.pw,
			dilH: 1, dilW: 1, groups: p.c, inH: p.inH, inW: p.inW, outH: p.outH, outW: p.outW}
		wv := 1.0
		if op == opAvgPool {
			wv = 1.0 / float64(p.kh*p.kw)
		}
		w := fill(p.c*p.kh*p.kw, wv)
		checkUnit(t, u, nil, false, func(x [][]float64) [][]float64 {
			var out [][]float64
			for _, xs := range x {
				out = append(out, convRef(cp, w, nil, xs))
			}
			return out
		})
	}
}

func TestDelayAndFlatten(t *testing.T) {
	steps := []int{0, 1, 3, 7}
	d := make([]float64, len(steps))
	for k, s := range steps {
		d[k] = float64(s) * refDT
	}
	u := &unit{name: "d", op: opDelay, inShape: []int{4}, outShape: []int{4}, delay: d}
	checkUnit(t, u, nil, false, func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for s := range x {
			out[s] = make([]float64, 4)
			for k, ds := range steps {
				if s >= ds {
					out[s][k] = x[s-ds][k]
				}
			}
		}
		return out
	})
	f := &unit{name: "f", op: opFlatten, inShape: []int{2, 3}, outShape: []int{6}}
	checkUnit(t, f, nil, false, func(x [][]float64) [][]float64 { return x })
}

func TestDelayNotWholeSteps(t *testing.T) {
	u := &unit{name: "d", op: opDelay, inShape: []int{1}, outShape: []int{1}, delay: []float64{1.5e-3}}
	sem, err := parseSemantics(map[string]any{"dt": 1e-3})
	require.NoError(t, err)
	_, err = compile[float32](chainNet(t, []int{1}, u), sem)
	require.ErrorContains(t, err, `node "d": delay 0.0015 s is not a whole number of steps`)
}
