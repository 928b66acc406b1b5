package statevec

import (
	"math/bits"
	"math/rand/v2"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
)

// pauliGroup is a group of qubit-wise commuting terms (qsim.GroupTerms)
// with its rotation in the CPU kernels' layout.
type pauliGroup struct {
	*qsim.PauliGroup
	rotation []*pass // nil for the group of diagonal (I, Z) terms
}

// groupTerms groups the terms (qsim.GroupTerms) for the CPU.
func groupTerms(terms []PauliTerm, n, fusion int) []*pauliGroup {
	qs := qsim.GroupTerms(terms, n, fusion)
	out := make([]*pauliGroup, len(qs))
	for i, g := range qs {
		out[i] = &pauliGroup{PauliGroup: g}
		if g.Rotation != nil {
			out[i].rotation = cpuPasses(g.Rotation)
		}
	}
	return out
}

// expectZ returns, for each mask, sum_i |a_i|^2 (-1)^popcount(i & mask).
func expectZ[T amp](x *sim[T], masks []uint64) []float64 {
	return reduce(x.par(), len(x.a), len(masks), func(lo, hi int, acc []float64) {
		for i := lo; i < hi; i++ {
			p := norm2(x.a[i])
			if p == 0 {
				continue
			}
			for t, m := range masks {
				if bits.OnesCount64(uint64(i)&m)&1 == 0 {
					acc[t] += p
				} else {
					acc[t] -= p
				}
			}
		}
	})
}

// sampleZ estimates the same from shots basis states drawn from x.
func sampleZ[T amp](x *sim[T], masks []uint64, shots int, rng *rand.Rand) []float64 {
	idx, cnt := sampleIndices(x.a, shots, rng, x.par())
	out := make([]float64, len(masks))
	for k, i := range idx {
		for t, m := range masks {
			if bits.OnesCount64(uint64(i)&m)&1 == 0 {
				out[t] += float64(cnt[k])
			} else {
				out[t] -= float64(cnt[k])
			}
		}
	}
	for t := range out {
		out[t] /= float64(shots)
	}
	return out
}

// expectations evaluates every group's terms on the state x into out
// (indexed like the observable): exactly, or from shots samples per group
// when shots > 0. Groups that need a rotation rotate the copy work (nil
// allocates one with alloc) and leave x unchanged.
func expectations[T amp](x, work *sim[T], groups []*pauliGroup, shots int, rng *rand.Rand, out []float64,
	alloc func(n int) (*sim[T], error)) (*sim[T], error) {
	for _, g := range groups {
		y := x
		if len(g.rotation) > 0 {
			if work == nil {
				var err error
				if work, err = alloc(bits.TrailingZeros(uint(len(x.a)))); err != nil {
					return nil, err
				}
				work.workers = x.workers
			}
			work.copyFrom(x)
			for _, p := range g.rotation {
				work.apply(p)
			}
			y = work
		}
		var v []float64
		if shots > 0 {
			v = sampleZ(y, g.Masks, shots, rng)
		} else {
			v = expectZ(y, g.Masks)
		}
		for k, t := range g.Terms {
			out[t] = v[k]
		}
	}
	return work, nil
}
