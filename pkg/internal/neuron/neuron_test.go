package neuron_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestLeak(t *testing.T) {
	const dt, tau, vLeak, r = 1e-3, 1e-2, 0.5, 2.0
	av, bv, gv := neuron.Leak(neuron.Euler, dt, tau, vLeak, r)
	assert.InDeltaSlice(t, []float64{0.9, 0.05, 0.2}, []float64{av, bv, gv}, 1e-15)
	d := math.Exp(-0.1)
	av, bv, gv = neuron.Leak(neuron.Exact, dt, tau, vLeak, r)
	assert.InDeltaSlice(t, []float64{d, (1 - d) * vLeak, (1 - d) * r}, []float64{av, bv, gv}, 1e-15)
	av, bv, gv = neuron.Leak(neuron.Impulse, dt, tau, vLeak, r)
	assert.InDeltaSlice(t, []float64{d, (1 - d) * vLeak, 0.1 * r}, []float64{av, bv, gv}, 1e-15)
}

func TestValues(t *testing.T) {
	f := []float32{1, 2.5}
	got := neuron.Values[float32](sokr.FromSlice(f, 2))
	assert.Same(t, &f[0], &got[0], "no copy when the dtype matches")
	assert.Equal(t, []float64{1, 2.5}, neuron.Values[float64](sokr.FromSlice(f, 2)))
	assert.Equal(t, []float32{3, -1}, neuron.Values[float32](sokr.FromSlice([]int64{3, -1}, 2)))
	assert.Equal(t, []float32{0, 1}, neuron.Values[float32](sokr.FromSlice([]bool{false, true}, 2)))
}

func TestSteps(t *testing.T) {
	inputs := []neuron.Input{{Name: "a", Shape: []int{2}}, {Name: "b", Shape: []int{1, 3}}}
	a := sokr.FromSlice(make([]float32, 4*5*2), 4, 5, 2)
	b := sokr.FromSlice(make([]bool, 4*5*3), 4, 5, 1, 3)
	steps, batch, err := neuron.Steps([]sokr.Tensor{a, b}, inputs)
	require.NoError(t, err)
	assert.Equal(t, [2]int{4, 5}, [2]int{steps, batch})

	_, _, err = neuron.Steps([]sokr.Tensor{a}, inputs)
	assert.EqualError(t, err, "sokr: invalid input: the graph has 2 inputs [a b], got 1 tensors")
	_, _, err = neuron.Steps([]sokr.Tensor{b, b}, inputs)
	assert.ErrorContains(t, err, "invalid input 0 (a): shape [4,5,1,3]: want [T, B, 2]")
	_, _, err = neuron.Steps([]sokr.Tensor{a, sokr.FromSlice(make([]bool, 3*5*3), 3, 5, 1, 3)}, inputs)
	assert.ErrorContains(t, err, "invalid input 1 (b): shape [3,5,1,3]: T and B differ from the first input's [4, 5, ...]")
	_, _, err = neuron.Steps([]sokr.Tensor{sokr.FromSlice([]complex64{1, 2}, 1, 1, 2), b}, inputs)
	assert.ErrorContains(t, err, "want real numbers")
	steps, batch, err = neuron.Steps(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, [2]int{-1, -1}, [2]int{steps, batch}, "no input")
}

// Cuba's exact coefficients solve the current-based ODEs: they agree with
// fine forward-Euler integration over one step, including τ_syn = τ_mem;
// Euler's are the explicit update with the new current.
func TestCuba(t *testing.T) {
	const dt, vLeak, r, w = 1e-3, 0.2, 1.5, 0.7
	for _, taus := range [][2]float64{{2e-3, 5e-3}, {4e-3, 4e-3}, {6e-3, 1e-3}} {
		ts, tm := taus[0], taus[1]
		ai, bi, av, bv, ci, gv := neuron.Cuba(neuron.Exact, dt, ts, tm, vLeak, r, w)
		const i0, v0, x = 0.3, -0.1, 2.0
		i, v := i0, v0
		const sub = 1 << 16
		h := dt / sub
		for range sub {
			di, dv := (-i+w*x)/ts, ((vLeak-v)+r*i)/tm
			i, v = i+h*di, v+h*dv
		}
		assert.InDelta(t, i, ai*i0+bi*x, 1e-5, "i, τ %v", taus)
		assert.InDelta(t, v, av*v0+bv+ci*i0+gv*x, 1e-5, "v, τ %v", taus)

		ai, bi, av, bv, ci, gv = neuron.Cuba(neuron.Euler, dt, ts, tm, vLeak, r, w)
		in := (1-dt/ts)*i0 + dt/ts*w*x
		assert.InDelta(t, in, ai*i0+bi*x, 1e-15)
		assert.InDelta(t, v0+dt/tm*((vLeak-v0)+r*in), av*v0+bv+ci*i0+gv*x, 1e-15)
	}
}

func TestEulerWarning(t *testing.T) {
	// The smallest τ of all the lists counts: dt = 3 ms > 2·1 ms.
	w := neuron.EulerWarning("lif", "CubaLIF", 3e-3, []float64{5e-3}, nil, []float64{2e-3, 1e-3})
	assert.Equal(t, `node "lif" (CubaLIF): dt = 0.003 s is more than 2τ (τ = 0.001 s): forward Euler diverges there (its decay factor 1 − dt/τ = -2 is below −1); use solver "exact" or a smaller dt`, w)
	assert.Empty(t, neuron.EulerWarning("lif", "LIF", 2e-3, []float64{1e-3}), "dt = 2τ is stable")
	assert.Empty(t, neuron.EulerWarning("i", "I", 1, nil), "no τ, no warning")
}
