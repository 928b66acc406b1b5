package qsim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chiSquareCritical99 is the upper 0.1% point of the chi-square
// distribution with df degrees of freedom by the Wilson–Hilferty
// approximation (PNAS 17(12):684–688, 1931); z = 3.0902 is the normal
// 99.9% point. For df = 4 it gives 18.7, slightly conservative (NIST/SEMATECH table 1.3.6.7.4:
// 18.467).
func chiSquareCritical99(df int) float64 {
	const z999 = 3.0902
	v := 2 / (9 * float64(df))
	return float64(df) * math.Pow(1-v+z999*math.Sqrt(v), 3)
}

// SampleProbs follows unnormalised probabilities with zero runs between
// them, and never draws an index of weight 0.
func TestSampleProbsChiSquare(t *testing.T) {
	assert.InDelta(t, 18.467, chiSquareCritical99(4), 0.4)
	p := make([]float64, 40)
	weights := map[int]float64{0: 0.1, 7: 0.25, 8: 0.05, 30: 0.3, 39: 0.3}
	for i, w := range weights {
		p[i] = 2 * w // the sampler normalises
	}
	const shots = 20000
	idx, cnt := SampleProbs(p, shots, rand.New(rand.NewPCG(1, 2)))
	require.Len(t, cnt, len(idx))
	var total int64
	var stat float64
	for k, i := range idx {
		require.Contains(t, weights, i, "drew index %d of weight 0", i)
		if k > 0 {
			require.Greater(t, i, idx[k-1], "indices ascend")
		}
		total += cnt[k]
		e := weights[i] * shots
		stat += (float64(cnt[k]) - e) * (float64(cnt[k]) - e) / e
	}
	require.Equal(t, int64(shots), total)
	require.Len(t, idx, len(weights)) // each expected thousands of times
	assert.Less(t, stat, chiSquareCritical99(len(weights)-1))
	// The same generator state gives the same draw.
	idx2, cnt2 := SampleProbs(p, shots, rand.New(rand.NewPCG(1, 2)))
	assert.Equal(t, idx, idx2)
	assert.Equal(t, cnt, cnt2)
}

func TestSampleProbsEdges(t *testing.T) {
	idx, cnt := SampleProbs([]float64{0, 0, 1, 0}, 5, rand.New(rand.NewPCG(1, 1)))
	assert.Equal(t, []int{2}, idx)
	assert.Equal(t, []int64{5}, cnt)
	idx, cnt = SampleProbs([]float64{1, 2}, 0, rand.New(rand.NewPCG(1, 1)))
	assert.Empty(t, idx)
	assert.Empty(t, cnt)
}

func TestCounts(t *testing.T) {
	idx, cnt := []int{0b01, 0b10, 0b11}, []int64{3, 4, 5}
	// Qubit 0 into clbit 2, qubit 1 into clbit 0; clbit 1 measures nothing.
	got := Counts(idx, cnt, []Measurement{{0, 2}, {1, 0}}, 3)
	assert.Equal(t, map[string]int64{"100": 3, "001": 4, "101": 5}, got)
	// Without measurements, the key is the index, qubit 0 last.
	assert.Equal(t, map[string]int64{"01": 3, "10": 4, "11": 5}, Counts(idx, cnt, nil, 2))
	// Outcomes that agree on the measured qubits add up.
	assert.Equal(t, map[string]int64{"0": 3, "1": 9}, Counts(idx, cnt, []Measurement{{1, 0}}, 1))
}
