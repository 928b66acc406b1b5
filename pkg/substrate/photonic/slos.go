package photonic

import (
	"context"
	"sync/atomic"

	"github.com/sokr-rs/sokr/pkg/internal/parallel"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Full output distributions by a dynamic programme over output states, in
// the manner of SLOS (N. Heurtel et al., "Strong simulation of linear
// optical processes", Computer Physics Communications 291, 108848 (2023),
// arXiv:2206.10549), the strong simulator of Quandela's Perceval.
//
// The output state of photons entering through columns a_1, ..., a_n of
// the transfer matrix is Π_p (Σ_j a_{j,p} â†_j) |0⟩ / √(Π s_i!): a product
// of linear forms in the creation operators. Multiplying the forms in one
// at a time, layer L holds the coefficient c(t) of every L-photon monomial
// Π_j â†_j^{t_j}:
//
//	c_L(t) = Σ_{j: t_j>0} a_{j,L} · c_{L−1}(t − e_j)
//
// and an output state t of the last layer has probability
// |c_n(t)|² · Π t_j! / Π s_i!. Each amplitude costs O(n) instead of the
// O(n 2^n) of its permanent, since the layers share their sub-products:
// the whole distribution of N = C(M+n−1, n) states costs about N·n²
// steps and 16·(N + N_{n−1}) bytes for the last two layers. That is why
// a full distribution is computed this way, while a handful of chosen
// output states of a large interferometer, whose N is astronomical, get a
// permanent each (outputs.go).
//
// States of L photons in M modes are ranked in colex order of their
// sorted mode sequences p_0 ≤ ... ≤ p_{L−1}: rank = Σ_r C(p_r + r, r+1)
// (the combinations-with-repetition number system), so the layers are
// plain arrays and a predecessor's index comes from prefix and suffix sums
// of the same terms in O(1) per mode.

// fockSpace ranks sorted mode sequences of up to maxN photons in modes
// modes.
type fockSpace struct {
	modes, maxN int
	stride      int
	binom       []int64 // binom[a*stride+b] = C(a, b), saturating
}

func newFockSpace(modes, maxN int) *fockSpace {
	rows := modes + maxN + 1
	f := &fockSpace{modes: modes, maxN: maxN, stride: maxN + 2}
	f.binom = make([]int64, rows*f.stride)
	for a := range rows {
		f.binom[a*f.stride] = 1
		for b := 1; b < f.stride && b <= a; b++ {
			x, y := f.binom[(a-1)*f.stride+b-1], f.binom[(a-1)*f.stride+b]
			s := x + y
			if s < x || s < 0 {
				s = 1<<63 - 1
			}
			f.binom[a*f.stride+b] = s
		}
	}
	return f
}

func fockSpaceBytes(modes, maxN int) int64 { return 8*int64(modes+maxN+1)*int64(maxN+2) + 64 }

func (f *fockSpace) c(a, b int) int64 {
	if b < 0 || a < b {
		return 0
	}
	return f.binom[a*f.stride+b]
}

// size is the number of states of L photons, C(modes+L−1, L).
func (f *fockSpace) size(L int) int64 { return f.c(f.modes+L-1, L) }

// rank returns the colex rank of the sorted sequence p.
func (f *fockSpace) rank(p []int) int64 {
	var r int64
	for i, x := range p {
		r += f.c(x+i, i+1)
	}
	return r
}

// unrank fills p (len L) with the sequence of rank r.
func (f *fockSpace) unrank(r int64, p []int) {
	q := f.modes + len(p) - 1 // an upper bound on p_i + i
	for i := len(p) - 1; i >= 0; i-- {
		for q > i && f.c(q, i+1) > r {
			q--
		}
		r -= f.c(q, i+1)
		p[i] = q - i
		q--
	}
}

// next advances p to the next sequence in colex order and reports false
// after the last one.
func (f *fockSpace) next(p []int) bool {
	for r := range p {
		if r+1 < len(p) && p[r] < p[r+1] || r+1 == len(p) && p[r] < f.modes-1 {
			p[r]++
			for i := range r {
				p[i] = 0
			}
			return true
		}
	}
	return false
}

// slosChunk and slosChunkMax bound the states of a layer per parallel
// task: from a few hundred microseconds of work (less is not worth a
// hand-off) to some ten milliseconds (so that the workers balance and a
// cancelled run stops soon).
const (
	slosChunk    = 1 << 12
	slosChunkMax = 1 << 16
)

// distribution computes the probability of every outcome of md's program
// and returns them indexed by outcomeSpace's rank. The layers run on
// workers goroutines; ctx is looked at between chunks.
func distribution(ctx context.Context, md *model, workers int) ([]float64, *outcomeSpace, error) {
	n, k := md.n, len(md.occ)
	fs := newFockSpace(md.mm, n)
	bigN, smallN := fs.size(n), int64(1)
	if n > 0 {
		smallN = fs.size(n - 1)
	}
	// Layer L lives in big when n−L is even (so layer n does), else small.
	big, small := make([]complex128, bigN), make([]complex128, smallN)
	prev := small
	if n%2 == 0 {
		prev = big
	}
	prev[0] = 1 // layer 0: the vacuum, coefficient 1
	w := max(workers, 1)
	scratch := make([]int, w*3*(n+2))
	for L := 1; L <= n; L++ {
		col := md.photon[L-1]
		cur := big
		if (n-L)%2 == 1 {
			cur = small
		}
		size := fs.size(L)
		cur = cur[:size]
		chunk := min(max(int64(slosChunk), (size+int64(4*w)-1)/int64(4*w)), slosChunkMax)
		chunks := (size + chunk - 1) / chunk
		var nextChunk atomic.Int64
		parallel.Run(int(min(int64(w), chunks)), func(wk int) {
			sc := scratch[wk*3*(n+2) : (wk+1)*3*(n+2)]
			p, pre, suf := sc[:L], sc[n+2:n+2+L+1], sc[2*(n+2):2*(n+2)+L+1]
			for {
				c := nextChunk.Add(1) - 1
				if c >= chunks || ctx.Err() != nil {
					return
				}
				lo, hi := c*chunk, min((c+1)*chunk, size)
				fs.unrank(lo, p)
				for idx := lo; idx < hi; idx++ {
					// pre[r] = Σ_{i<r} C(p_i+i, i+1); suf[r] = Σ_{i>=r} C(p_i+i−1, i).
					pre[0] = 0
					for i, x := range p {
						pre[i+1] = pre[i] + int(fs.c(x+i, i+1))
					}
					suf[L] = 0
					for i := L - 1; i >= 1; i-- {
						suf[i] = suf[i+1] + int(fs.c(p[i]+i-1, i))
					}
					var z complex128
					for r := range L {
						if r+1 < L && p[r+1] == p[r] {
							continue // the last of a run of equal modes stands for it
						}
						z += md.dil[p[r]*k+col] * prev[pre[r]+suf[r+1]]
					}
					cur[idx] = z
					fs.next(p)
				}
			}
		})
		if err := sokr.ContextError(ctx); err != nil {
			return nil, nil, err
		}
		prev = cur
	}
	os := newOutcomeSpace(md)
	probs := make([]float64, os.size)
	p := make([]int, n)
	sys := make([]int, 0, n)
	for idx := range int64(len(prev)) {
		if idx%(1<<16) == 0 {
			if err := sokr.ContextError(ctx); err != nil {
				return nil, nil, err
			}
		}
		if idx > 0 {
			fs.next(p)
		}
		z := prev[idx]
		if z == 0 {
			continue
		}
		// Π t_j! over the runs of p, and the system outcome.
		f := 1.0
		run := 0
		sys = sys[:0]
		for i, x := range p {
			if i > 0 && p[i-1] == x {
				run++
				f *= float64(run)
			} else {
				run = 1
			}
			if x < md.m && !(md.threshold[x] && len(sys) > 0 && sys[len(sys)-1] == x) {
				sys = append(sys, x)
			}
		}
		probs[os.rank(sys)] += sq(z) * f / md.inFact
	}
	return probs, os, nil
}

// distributionBytes bounds what distribution allocates.
func distributionBytes(md *model, workers int) int64 {
	n, mm := md.n, md.mm
	fs := newFockSpace(mm, n)
	small := int64(1)
	if n > 0 {
		small = fs.size(n - 1)
	}
	w := int64(max(workers, 1))
	return fockSpaceBytes(mm, n) + 16*(fs.size(n)+small) + 8*w*3*int64(n+2) +
		int64(n)*parallel.Overhead(int(w)) + 8*newOutcomeSpace(md).size + 16*int64(n) + 512
}

// outcomeSpace ranks the outcomes of a program: sorted sequences of
// system modes, threshold modes at most once. Without loss and threshold
// detectors every outcome has n photons, and there are C(m+n−1, n);
// otherwise an outcome has 0 to n, ranked after all those with fewer, in
// C(m+n, n) slots (a threshold outcome takes the slot of the Fock state
// that reads the same).
type outcomeSpace struct {
	fs    *fockSpace
	n     int
	exact bool // every outcome has n photons
	size  int64
}

func newOutcomeSpace(md *model) *outcomeSpace {
	os := &outcomeSpace{fs: newFockSpace(md.m, md.n), n: md.n}
	thr := false
	for _, t := range md.threshold {
		thr = thr || t
	}
	os.exact = md.lossless() && !thr
	if os.exact {
		os.size = os.fs.size(md.n)
	} else {
		os.size = os.fs.c(md.m+md.n, md.n)
	}
	return os
}

// offset is the rank of the first outcome of l photons.
func (os *outcomeSpace) offset(l int) int64 {
	if os.exact || l == 0 {
		return 0
	}
	return os.fs.c(os.fs.modes+l-1, l-1)
}

func (os *outcomeSpace) rank(sys []int) int64 { return os.offset(len(sys)) + os.fs.rank(sys) }
