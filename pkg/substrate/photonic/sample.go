package photonic

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/sokr-rs/sokr/pkg/internal/parallel"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Exact boson sampling by Clifford & Clifford's algorithm B (P. Clifford
// and R. Clifford, "The classical complexity of boson sampling", SODA
// 2018, arXiv:1706.01260, section 4). For n photons whose amplitudes in
// the M output modes are the columns of A (M×n, a column per photon, so a
// column repeats for photons of one input mode), it draws the output
// modes r_1, ..., r_n one at a time: after permuting the columns
// uniformly at random, r_k has probability proportional to
//
//	w_i = |Σ_{l≤k} a_{i,l} · perm(A[r_1..r_{k−1}; 1..k] without column l)|²
//
// (the permanent of the k×k matrix on rows r_1..r_{k−1}, i and columns
// 1..k, expanded along row i). All k minors come from one Glynn sum
// (minors), 4k·2^{k−2} multiplications, so a sample costs about
// Σ_k 4k·2^{k−2} ≈ 2n·2^n multiplications, in the order of two
// permanents of size n, plus M·n²/2 for the weights. Repeated columns
// (several photons in one input mode) need nothing special: the
// algorithm samples |perm(A_{r,·})|² over ordered r, which for any A with
// orthonormal distinct columns is the boson-sampling distribution; we
// checked it against exact probabilities by enumeration for bunched
// inputs, and TestSampleChiSquare checks it statistically.

// sampler holds one worker's scratch, so that a sample allocates nothing.
type sampler struct {
	md  *model
	rng *rand.Rand
	pcg *rand.PCG
	// The columns of the lossless matrix (md.dil, and md.thin under
	// uniform loss) as rows of real and imaginary parts, column d at
	// [d*mm, (d+1)*mm): the weights then run along contiguous memory.
	dr, di, tr, ti []float64
	cols           []int     // occupied-mode index of each photon, in sampled order
	rows           []int     // the output modes drawn so far
	br, bi         []float64 // the (k−1)×k matrix of minors
	or, oi         []float64 // its minors' permanents
	scratch        []float64 // minors' scratch
	zr, zi         []float64 // the amplitudes of the M output modes
	w              []float64 // weights of the M output modes
}

// splitColumns returns the columns of a (rows×k row-major) as rows of
// real and imaginary parts.
func splitColumns(a []complex128, rows, k int) (re, im []float64) {
	re, im = make([]float64, rows*k), make([]float64, rows*k)
	for i := range rows {
		for d := range k {
			z := a[i*k+d]
			re[d*rows+i], im[d*rows+i] = real(z), imag(z)
		}
	}
	return re, im
}

func newSampler(md *model) *sampler {
	n, mm, k := md.n, md.mm, len(md.occ)
	pcg := rand.NewPCG(0, 0)
	s := &sampler{
		md: md, pcg: pcg, rng: rand.New(pcg),
		cols: make([]int, n), rows: make([]int, n),
		br: make([]float64, n*n), bi: make([]float64, n*n),
		or: make([]float64, n), oi: make([]float64, n), scratch: make([]float64, 4*n),
		zr: make([]float64, mm), zi: make([]float64, mm), w: make([]float64, mm),
	}
	s.dr, s.di = splitColumns(md.dil, mm, k)
	if md.uniform && md.thin != nil { // nil when every photon is lost
		s.tr, s.ti = splitColumns(md.thin, md.m, k)
	}
	return s
}

// samplerBytes bounds what newSampler allocates.
func samplerBytes(n, mm int) int64 {
	n64, mm64 := int64(n), int64(mm)
	return 8*n64*2 + 8*(2*n64*n64+6*n64) + 8*3*mm64 + 2*16*n64*mm64 + 512
}

// sample draws one outcome with the random stream (seed, shot) and writes
// its system output modes, sorted, into rec (len n), padding with
// noMode. Threshold modes appear at most once; lost photons not at all.
// It returns false if the weights broke down numerically (every weight
// zero or not finite), which exact arithmetic never gives.
func (s *sampler) sample(seed, shot uint64, rec []uint16) bool {
	md := s.md
	s.pcg.Seed(seed, shot)
	cols := s.cols[:0]
	ar, ai, mm := s.dr, s.di, md.mm
	if md.uniform {
		// Uniform loss: draw the survivors, then sample them losslessly.
		ar, ai, mm = s.tr, s.ti, md.m
		for _, d := range md.photon {
			if md.eta == 1 || s.rng.Float64() < md.eta {
				cols = append(cols, d)
			}
		}
	} else {
		cols = append(cols, md.photon...)
	}
	n := len(cols)
	for i := n - 1; i > 0; i-- { // Fisher–Yates; rand.Shuffle's closure would allocate
		j := s.rng.IntN(i + 1)
		cols[i], cols[j] = cols[j], cols[i]
	}
	w := s.w[:mm]
	zr, zi := s.zr[:mm], s.zi[:mm]
	rows := s.rows[:0]
	for step := 1; step <= n; step++ {
		var total float64
		if step == 1 {
			c := cols[0]
			cr, ci := ar[c*mm:(c+1)*mm], ai[c*mm:(c+1)*mm]
			for i := range w {
				w[i] = cr[i]*cr[i] + ci[i]*ci[i]
				total += w[i]
			}
		} else {
			q := step - 1 // rows so far
			br, bi := s.br[:q*step], s.bi[:q*step]
			for r, row := range rows {
				for l, c := range cols[:step] {
					br[r*step+l], bi[r*step+l] = ar[c*mm+row], ai[c*mm+row]
				}
			}
			or, oi := s.or[:step], s.oi[:step]
			minors(br, bi, q, or, oi, s.scratch)
			// z_i = Σ_l a_{i,cols[l]}·out_l, two columns at a time (half
			// the loads and stores of z); step >= 2.
			zi := zi[:len(zr)]
			clear(zr)
			clear(zi)
			l := 0
			for ; l+1 < step; l += 2 {
				c, d := cols[l], cols[l+1]
				xr, xi, yr, yi := or[l], oi[l], or[l+1], oi[l+1]
				cr, ci := ar[c*mm:(c+1)*mm], ai[c*mm:(c+1)*mm]
				dr, di := ar[d*mm:(d+1)*mm], ai[d*mm:(d+1)*mm]
				cr, ci, dr, di = cr[:len(zr)], ci[:len(zr)], dr[:len(zr)], di[:len(zr)]
				for i := range zr {
					zr[i] += (cr[i]*xr - ci[i]*xi) + (dr[i]*yr - di[i]*yi)
					zi[i] += (cr[i]*xi + ci[i]*xr) + (dr[i]*yi + di[i]*yr)
				}
			}
			if l < step {
				c := cols[l]
				xr, xi := or[l], oi[l]
				cr, ci := ar[c*mm:(c+1)*mm], ai[c*mm:(c+1)*mm]
				cr, ci = cr[:len(zr)], ci[:len(zr)]
				for i := range zr {
					zr[i] += cr[i]*xr - ci[i]*xi
					zi[i] += cr[i]*xi + ci[i]*xr
				}
			}
			for i := range w {
				w[i] = zr[i]*zr[i] + zi[i]*zi[i]
				total += w[i]
			}
		}
		if !(total > 0) || total > 1e300 {
			return false
		}
		u := s.rng.Float64() * total
		pick := mm - 1
		for i, x := range w {
			if u < x {
				pick = i
				break
			}
			u -= x
		}
		// Rounding can leave u just above the last weight: the last
		// mode with a positive weight takes it.
		for pick > 0 && w[pick] == 0 {
			pick--
		}
		rows = append(rows, pick)
	}
	s.record(rows, rec)
	return true
}

// noMode pads records: it sorts after every mode.
const noMode = ^uint16(0)

// record writes the system modes of rows, sorted, to rec, keeping one of
// each threshold mode, and pads with noMode.
func (s *sampler) record(rows []int, rec []uint16) {
	slices.Sort(rows)
	j := 0
	for _, r := range rows {
		if r >= s.md.m {
			continue // lost: an environment mode
		}
		if s.md.threshold[r] && j > 0 && rec[j-1] == uint16(r) {
			continue // a click counts once
		}
		rec[j] = uint16(r)
		j++
	}
	for ; j < len(rec); j++ {
		rec[j] = noMode
	}
}

// sampleShots draws shots samples on workers goroutines and returns the
// records, n per shot. Shot i uses the random stream (seed, i), so the
// records do not depend on the number of workers.
func sampleShots(ctx context.Context, md *model, shots int, seed uint64, workers int) ([]uint16, error) {
	n := md.n
	recs := make([]uint16, shots*n)
	const batch = 64 // shots a worker takes at a time
	batches := (shots + batch - 1) / batch
	w := max(min(workers, batches), 1)
	var next atomic.Int64
	var broke atomic.Bool
	stop, release := stopFlag(ctx)
	defer release()
	parallel.Run(w, func(int) {
		s := newSampler(md)
		for {
			b := int(next.Add(1) - 1)
			if b >= batches || broke.Load() {
				return
			}
			for shot := b * batch; shot < min((b+1)*batch, shots); shot++ {
				if stop.Load() {
					return
				}
				if !s.sample(seed, uint64(shot), recs[shot*n:(shot+1)*n]) {
					broke.Store(true)
					return
				}
			}
		}
	})
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	if broke.Load() {
		return nil, errBreakdown
	}
	return recs, nil
}

// sampleBytes bounds what sampleShots allocates.
func sampleBytes(shots, n, mm, workers int) int64 {
	w := int64(max(min(workers, (shots+63)/64), 1))
	return 2*int64(shots)*int64(n) + w*samplerBytes(n, mm) + parallel.Overhead(int(w)) + 256
}
