package statevec

import (
	"math/rand/v2"
	"slices"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
)

// smallSample is the largest state sampled by binary search on its
// cumulative distribution rather than by sorted uniforms: for a few qubits
// sorting the shots costs more than the search (a 2-qubit, 1000-shot
// sample takes a few microseconds instead of tens).
const smallSample = 1 << 12

// sampleSmall draws shots indices by binary search on the cumulative
// distribution (qsim.SampleProbs): O(2^n + shots n).
func sampleSmall[T amp](a []T, shots int, rng *rand.Rand) (idx []int, count []int64) {
	p := make([]float64, len(a))
	for i, v := range a {
		p[i] = norm2(v)
	}
	return qsim.SampleProbs(p, shots, rng)
}

// sampleIndices draws shots basis-state indices with probabilities
// |a_i|^2 (normalised by their sum). It returns the distinct indices drawn,
// ascending, and how often each was drawn.
//
// It sorts shots uniforms and walks the cumulative distribution once:
// O(2^n + shots log shots). The probabilities of fixed chunks of the state
// are summed in parallel first, so the walk skips every chunk no uniform
// falls in, and the result depends only on the state and rng, not on the
// number of workers.
func sampleIndices[T amp](a []T, shots int, rng *rand.Rand, workers int) (idx []int, count []int64) {
	if len(a) <= smallSample {
		return sampleSmall(a, shots, rng)
	}
	nc := (len(a) + reduceChunk - 1) / reduceChunk
	sums := make([]float64, nc)
	parallelFor(workers, nc, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var s float64
			for _, v := range a[c*reduceChunk : min((c+1)*reduceChunk, len(a))] {
				s += norm2(v)
			}
			sums[c] = s
		}
	})
	var total float64
	for _, s := range sums {
		total += s
	}
	u := make([]float64, shots)
	for k := range u {
		u[k] = rng.Float64() * total
	}
	slices.Sort(u)
	k := 0
	var cum float64
	lastNonZero := -1
	take := func(i int) {
		n := 0
		for k < len(u) && u[k] < cum {
			k++
			n++
		}
		if n > 0 {
			idx = append(idx, i)
			count = append(count, int64(n))
		}
	}
	for c := 0; c < nc && k < len(u); c++ {
		if sums[c] == 0 {
			continue
		}
		if cum+sums[c] <= u[k] {
			cum += sums[c]
			lastNonZero = -1 // the chunk's last non-zero index is not known; found below if needed
			continue
		}
		for i := c * reduceChunk; i < min((c+1)*reduceChunk, len(a)) && k < len(u); i++ {
			p := norm2(a[i])
			if p == 0 {
				continue
			}
			cum += p
			lastNonZero = i
			take(i)
		}
	}
	if k < len(u) { // rounding left uniforms just above the final sum
		if lastNonZero < 0 {
			for i := len(a) - 1; i >= 0; i-- {
				if norm2(a[i]) != 0 {
					lastNonZero = i
					break
				}
			}
		}
		n := int64(len(u) - k)
		if len(idx) > 0 && idx[len(idx)-1] == lastNonZero {
			count[len(count)-1] += n
		} else {
			idx = append(idx, lastNonZero)
			count = append(count, n)
		}
	}
	return idx, count
}
