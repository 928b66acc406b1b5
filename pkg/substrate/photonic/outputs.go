package photonic

import (
	"context"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
)

// Probabilities of chosen outcomes, a permanent each: a lossless program
// with photon-number-resolving detectors gives outcome t the probability
//
//	|perm(A_t)|² / (Π t_j! · Π s_i!)
//
// where A_t has the rows of the dilated columns (model.dil) repeated t_j
// times for output mode j and a column per photon (Scheel, "Permanents in
// linear optical networks", arXiv:quant-ph/0406127; Aaronson & Arkhipov,
// Theory of Computing 9, 143 (2013), section 3). A threshold detector's
// click and a lost photon stand for several Fock states (the photons that
// clicked, those in the environment modes): their probabilities add up.

// fockCompletions calls fn with every Fock state of md's mm modes that
// outcome (over md's m modes) stands for: PNR modes as given, a threshold
// mode reading 0 empty and one reading 1 with one or more photons, the
// environment modes with the photons left, n in all. It stops early when
// fn returns false.
func fockCompletions(md *model, outcome ir.FockState, fn func(t []int) bool) {
	t := make([]int, md.mm)
	var free []int // the modes that take the photons left
	left := md.n
	for j, c := range outcome {
		t[j] = c
		left -= c
		if md.threshold[j] && c == 1 {
			free = append(free, j)
		}
	}
	for j := md.m; j < md.mm; j++ {
		free = append(free, j)
	}
	if left < 0 || left > 0 && len(free) == 0 {
		return
	}
	// Stars and bars over the free modes.
	var rec func(i, left int) bool
	rec = func(i, left int) bool {
		if i == len(free)-1 {
			t[free[i]] += left
			ok := fn(t)
			t[free[i]] -= left
			return ok
		}
		for x := 0; x <= left; x++ {
			t[free[i]] += x
			ok := rec(i+1, left-x)
			t[free[i]] -= x
			if !ok {
				return false
			}
		}
		return true
	}
	if len(free) == 0 {
		fn(t)
		return
	}
	rec(0, left)
}

// completions counts what fockCompletions would visit, saturating at
// limit.
func completions(md *model, outcome ir.FockState, limit int64) int64 {
	left, free := md.n, md.mm-md.m
	for j, c := range outcome {
		left -= c
		if md.threshold[j] && c == 1 {
			free++
		}
	}
	switch {
	case left < 0 || left > 0 && free == 0:
		return 0
	case free == 0:
		return 1
	}
	return min(ir.FockStates(free, left), limit)
}

// outcomeProbabilities returns the probability of each outcome.
func outcomeProbabilities(ctx context.Context, md *model, outcomes []ir.FockState, workers int) (ir.Probabilities, error) {
	n, k := md.n, len(md.occ)
	mat := make([]complex128, n*n)
	rows := make([]int, 0, n)
	var buf []float64
	out := make(ir.Probabilities, len(outcomes))
	var err error
	for _, o := range outcomes {
		var p float64
		fockCompletions(md, o, func(t []int) bool {
			rows = rows[:0]
			f := 1.0
			for j, c := range t {
				for range c {
					rows = append(rows, j)
				}
				f *= factorial(c)
			}
			for r, j := range rows {
				for c, d := range md.photon {
					mat[r*n+c] = md.dil[j*k+d]
				}
			}
			var z complex128
			z, err = permanent(ctx, mat, n, workers, &buf)
			if err != nil {
				return false
			}
			p += sq(z) / (f * md.inFact)
			return true
		})
		if err != nil {
			return nil, err
		}
		out[o.String()] = p
	}
	return out, nil
}

// outcomeBytes bounds what outcomeProbabilities allocates for perms
// permanents of the outcomes given.
func outcomeBytes(md *model, outcomes []ir.FockState, perms int64, workers int) int64 {
	n := int64(md.n)
	b := 16*n*n + 8*n + 8*int64(md.mm) + 8*int64(len(md.free())) + 256
	b += permanentBytes(md.n, workers, int(min(perms, 1<<40)))
	b += mapBytes(int64(len(outcomes)), int64(md.keyLen()), 8)
	return b
}

// free lists the modes that can take extra photons in fockCompletions,
// at most: every threshold mode and the environment modes.
func (md *model) free() []int {
	var f []int
	for j, t := range md.threshold {
		if t {
			f = append(f, j)
		}
	}
	for j := md.m; j < md.mm; j++ {
		f = append(f, j)
	}
	return f
}
