package photonic

import (
	"context"
	"math/bits"
	"slices"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// countRecords turns sampled records (n system modes per shot, sorted,
// padded with noMode) into Counts: it sorts the shots by record and
// counts the runs, so that each distinct outcome's key is made once and
// the map is allocated at its final size. A record whose modes fit in 64
// bits is sorted as one packed number, several times faster than as a
// slice (8 photons in 32 modes: 48 bits; 100,000 shots sorted in about
// 10 ms instead of 50).
func countRecords(ctx context.Context, recs []uint16, shots, n, m int) (ir.Counts, error) {
	b := bits.Len(uint(m)) // a mode, or m for noMode
	if n == 0 || b*n > 64 {
		return countSlices(ctx, recs, shots, n, m)
	}
	keys := make([]uint64, shots)
	for i := range keys {
		var k uint64
		for _, mode := range recs[i*n : (i+1)*n] {
			k = k<<b | uint64(min(int(mode), m))
		}
		keys[i] = k
	}
	slices.Sort(keys)
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	runs := 0
	for i := range keys {
		if i == 0 || keys[i-1] != keys[i] {
			runs++
		}
	}
	counts := make(ir.Counts, runs)
	occ := make(ir.FockState, m)
	mask := uint64(1)<<b - 1
	var key []byte
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		clear(occ)
		for f, k := 0, keys[i]; f < n; f, k = f+1, k>>b {
			if mode := int(k & mask); mode < m {
				occ[mode]++
			}
		}
		key = occ.Append(key[:0])
		counts[string(key)] = int64(j - i)
		i = j
	}
	return counts, nil
}

// countSlices is countRecords for records too wide to pack, sorted as
// slices.
func countSlices(ctx context.Context, recs []uint16, shots, n, m int) (ir.Counts, error) {
	idx := make([]int32, shots)
	for i := range idx {
		idx[i] = int32(i)
	}
	rec := func(i int32) []uint16 { return recs[int(i)*n : (int(i)+1)*n] }
	slices.SortFunc(idx, func(a, b int32) int { return slices.Compare(rec(a), rec(b)) })
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	runs := 0
	for i := range idx {
		if i == 0 || !slices.Equal(rec(idx[i-1]), rec(idx[i])) {
			runs++
		}
	}
	counts := make(ir.Counts, runs)
	occ := make(ir.FockState, m)
	var key []byte
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && slices.Equal(rec(idx[i]), rec(idx[j])) {
			j++
		}
		clear(occ)
		for _, mode := range rec(idx[i]) {
			if mode != noMode {
				occ[mode]++
			}
		}
		key = occ.Append(key[:0])
		counts[string(key)] = int64(j - i)
		i = j
	}
	return counts, nil
}

// probabilityMap turns a distribution indexed by os's ranks into
// Probabilities, leaving out outcomes of probability zero.
func probabilityMap(ctx context.Context, probs []float64, os *outcomeSpace, m int) (ir.Probabilities, error) {
	nonzero := 0
	for _, p := range probs {
		if p > 0 {
			nonzero++
		}
	}
	out := make(ir.Probabilities, nonzero)
	occ := make(ir.FockState, m)
	var key []byte
	first := 0
	if os.exact {
		first = os.n
	}
	seq := make([]int, os.n)
	for l := first; l <= os.n; l++ {
		p := seq[:l]
		clear(p)
		base := os.offset(l)
		for r, more := int64(0), true; more; r, more = r+1, os.fs.next(p) {
			if r%(1<<16) == 0 {
				if err := sokr.ContextError(ctx); err != nil {
					return nil, err
				}
			}
			v := probs[base+r]
			if !(v > 0) {
				continue
			}
			clear(occ)
			for _, mode := range p {
				occ[mode]++
			}
			key = occ.Append(key[:0])
			out[string(key)] = v
		}
	}
	return out, nil
}
