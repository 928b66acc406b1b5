package qsim

import (
	"math/rand/v2"
	"slices"
)

// SampleProbs draws shots indices with probabilities p (normalised by
// their sum) by binary search on the cumulative distribution: O(len(p) +
// shots log len(p)). It returns the distinct indices drawn, ascending, and
// how often each was drawn. Shot k is the index whose cumulative interval
// holds the k-th rng.Float64() times the total, so the same probabilities
// and the same generator give the same counts on any substrate (statevec's
// sampler for large states draws the same uniforms, sorted, and agrees but
// for the rounding of its chunked sums).
func SampleProbs(p []float64, shots int, rng *rand.Rand) (idx []int, count []int64) {
	cum := make([]float64, len(p))
	var total float64
	last := 0 // the last index with weight
	for i, v := range p {
		if v > 0 {
			total += v
			last = i
		}
		cum[i] = total
	}
	hits := make([]int64, len(p))
	for range shots {
		u := rng.Float64() * total
		// Index i owns [cum[i-1], cum[i]): the first cum above u.
		i, _ := slices.BinarySearch(cum, u)
		for i < len(p) && cum[i] <= u {
			i++
		}
		if i == len(p) { // rounding put u at the total
			i = last
		}
		hits[i]++
	}
	for i, n := range hits {
		if n > 0 {
			idx = append(idx, i)
			count = append(count, n)
		}
	}
	return idx, count
}

// Counts turns sampled basis states (idx, drawn count[k] times each) into
// counts of bitstrings of width bits, clbit 0 last. With measures, bit
// m.Clbit of a key is bit m.Qubit of the index (clbits nothing measures
// are 0); without, the key is the index's lowest width bits, qubit 0 last.
func Counts(idx []int, count []int64, measures []Measurement, width int) map[string]int64 {
	counts := map[string]int64{}
	key := make([]byte, width)
	for k, i := range idx {
		for b := range key {
			key[b] = '0'
		}
		if measures != nil {
			for _, m := range measures {
				key[width-1-m.Clbit] = "01"[i>>m.Qubit&1]
			}
		} else {
			for q := range width {
				key[width-1-q] = "01"[i>>q&1]
			}
		}
		counts[string(key)] += count[k]
	}
	return counts
}
