package neuron_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

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
