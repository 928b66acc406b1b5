package snn

import (
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifNorse is lif_norse.nir: Input -> Affine(1x1, w 1, b 0) -> LIF(τ 2.5 ms,
// r 1, v_leak 0, v_threshold 0.1, v_reset 0) -> Output, as stored (f32
// values widened).
func lifNorse(t testing.TB) *network {
	lif := &neuronParams{model: modelLIF, tau: []float64{float64(float32(0.0025))}, r: []float64{1},
		vLeak: []float64{0}, vThresh: []float64{float64(float32(0.1))}, vReset: []float64{0}}
	return chainNet(t, []int{1},
		&unit{name: "0", op: opAffine, inShape: []int{1}, outShape: []int{1}, weight: []float64{1}, bias: []float64{0}},
		&unit{name: "1", op: opNeuron, inShape: []int{1}, outShape: []int{1}, neuron: lif})
}

func spikeSteps(x []float64) []int {
	var s []int
	for i, v := range x {
		if v != 0 {
			s = append(s, i)
		}
	}
	return s
}

// TestLIFNorse is the acceptance test of issue 5: Euler with reset to zero
// reproduces Norse's recording, voltages within 1e-6 and spikes exactly.
func TestLIFNorse(t *testing.T) {
	in, v, spikes := lifCSV(t, "lif_norse.csv")
	require.Equal(t, []int{460, 510, 710, 760}, spikes)
	x := sokr.FromSlice(in, len(in), 1, 1)
	for _, precision := range []string{"f32", "f64"} {
		out, cnt := runNet(t, lifNorse(t), map[string]any{"solver": "euler", "reset": "zero", "precision": precision, "record": []string{"1.v"}}, x)
		require.Len(t, out, 2)
		assert.Equal(t, spikes, spikeSteps(viewF64(out[0].Tensor)), precision)
		assert.EqualValues(t, 4, cnt.spikes)
		got := viewF64(out[1].Tensor)
		for i := range v {
			require.InDelta(t, v[i], got[i], 1e-6, "%s: step %d", precision, i)
		}
	}
}

// platforms lists, for each platform's recording of the NIR paper's LIF
// experiment, the options under which lif_norse.nir reproduces its spike
// steps (and, where the platform's voltage is in the same units, its
// voltage). doc.go explains each.
var platforms = []struct {
	csv     string
	options map[string]any
	vTol    float64 // 0: the platform scales voltage differently
}{
	{"lif_norse.csv", map[string]any{"reset": "zero"}, 1e-6},
	{"lif_snntorch.csv", map[string]any{"reset": "zero"}, 0},
	{"lif_spinnaker2.csv", map[string]any{"reset": "zero"}, 0},
	{"lif_nengo.csv", map[string]any{"solver": "exact"}, 0},
	{"lif_exact.csv", map[string]any{"solver": "exact", "reset": "subtract"}, 0},
	{"lif_rockpool.csv", map[string]any{"solver": "impulse", "reset": "subtract"}, 1e-6},
	{"lif_sinabs.csv", map[string]any{"solver": "impulse", "reset": "subtract"}, 1e-6},
	{"lif_lava_cpu_float.csv", map[string]any{"synaptic_delay": 1}, 1e-6},
	{"lif_lava_cpu_fixed.csv", map[string]any{"synaptic_delay": 1}, 0},
	{"lif_lava_loihi_fixed.csv", map[string]any{"synaptic_delay": 1}, 0},
	{"lif_spyx.csv", map[string]any{"spike_timing": "before_update", "reset": "subtract"}, 1e-6},
}

func TestLIFPlatforms(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.csv, func(t *testing.T) {
			in, v, spikes := lifCSV(t, p.csv)
			for i := range in {
				if in[i] != 0 {
					in[i] = 1 // Sinabs records its input pre-scaled by dt/τ
				}
			}
			opts := map[string]any{"record": []string{"1.v"}}
			for k, x := range p.options {
				opts[k] = x
			}
			out, _ := runNet(t, lifNorse(t), opts, sokr.FromSlice(in, len(in), 1, 1))
			assert.Equal(t, spikes, spikeSteps(viewF64(out[0].Tensor)))
			if p.vTol > 0 {
				got := viewF64(out[1].Tensor)
				for i := range v {
					require.InDelta(t, v[i], got[i], p.vTol, "step %d", i)
				}
			}
		})
	}
}
