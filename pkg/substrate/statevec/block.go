package statevec

import (
	"math/bits"
	"slices"
	"sort"
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
)

// Cache blocking.
//
// A fused pass over a state larger than the caches reads and writes the
// whole state from memory, and a random circuit needs dozens of them. With
// blocking, the gates are instead grouped into stages: each stage acts on
// at most L qubits S (controls included), so the state splits into chunks
// of 2^L amplitudes, one per value of the qubits outside S, that the
// stage's gates never mix. Each chunk is gathered into a buffer that stays
// in the core's L2 cache, every gate of the stage is applied to it there
// (fused into small passes on the chunk's local qubits), and it is written
// back: one read and one write of the state per stage instead of per pass.
//
// S is padded with the lowest qubits up to L, so that a chunk is gathered
// as runs of contiguous amplitudes; when S is the lowest L qubits a chunk
// is contiguous and is worked on in place.

// blockBytes is the size of a chunk: half the 1 MiB L2 cache per core of
// the machines measured (AMD Zen 4; Intel's server cores have 1-2 MiB), so
// that the chunk and the matrices stay there.
const blockBytes = 512 << 10

// blockFusion is the most qubits of a pass inside a chunk. The chunk is in
// cache, so passes cost their multiply-adds, not their memory traffic, and
// a dense pass on k qubits costs 2^k multiply-adds per amplitude: small
// blocks do less arithmetic for the same gates. 3 measured best on the
// peers' random circuits at 24 qubits (CPU time per circuit, complex64:
// 1.58-1.70 s at 3, 1.65-1.77 s at 2, 1.86-2.00 s at 4; docs/benchmarks.md).
const blockFusion = 3

// blocking is how a plan groups gates into cache-blocked stages.
type blocking struct {
	qubits int // L: the qubits of a chunk; 0: no blocking
	lanes  int // w: the lane qubits of a chunk, which its gates leave alone
	fusion int // the most qubits of a pass inside a chunk
}

// blockingFor returns the blocking of an n-qubit state of ampBytes-byte
// amplitudes with the given fusion: none when the state is under four
// chunks (it stays in the caches shared by the cores anyway).
func blockingFor(n, ampBytes, fusion int, chunkBytes int) blocking {
	if chunkBytes <= 0 {
		return blocking{}
	}
	l := bits.Len(uint(chunkBytes/ampBytes)) - 1
	if l < 8 || n < l+2 {
		return blocking{}
	}
	return blocking{qubits: l, lanes: bits.Len(uint(64/ampBytes)) - 1, fusion: min(fusion, blockFusion)}
}

// stage is a pass that applies a sequence of gates chunk by chunk.
//
// A chunk's layout: its lowest w bits are the lane qubits, which no gate
// of the stage touches, so that every pass inside runs on whole 64-byte
// vectors (the kernels across lanes); the other qubits of S follow in
// ascending order. When the lane qubits are qubits 0 ... w-1 the layout is
// the state's and chunks are copied in runs; otherwise gathering
// transposes each run into the lanes.
type stage struct {
	qubits []int   // S in the chunk's order: qubit qubits[i] is bit i of a chunk
	outer  uint64  // the qubits outside S
	high   uint64  // S's qubits above the runs, lanes aside: run j's offset from the chunk's base is the j-th subset of high
	nruns  int     // the runs of a chunk
	rlen   int     // the amplitudes of a run
	lane   []int64 // the state offset of each lane, or nil: runs are copied as they are
	local  bool    // S is the lowest qubits: chunks are contiguous, worked on in place
	inner  []*pass // the gates, fused, on the chunk's qubits
	passes int     // len(inner), for Meta
}

// blockedPasses turns gates into passes like passes, grouping them into
// cache-blocked stages when b says so.
func blockedPasses(gates []gate, n int, fusion int, b blocking) []*pass {
	if b.qubits == 0 || n < b.qubits+1 {
		return passes(gates, fusion)
	}
	var phases, rest []gate
	for _, g := range gates {
		if len(g.Qubits) == 0 {
			phases = append(phases, g)
		} else {
			rest = append(rest, g)
		}
	}
	if len(rest) == 0 {
		return passes(gates, fusion)
	}
	var out []*pass
	for i, blk := range qsim.Fuse(rest, b.qubits-b.lanes) {
		gs := make([]gate, 0, len(blk)+len(phases))
		for _, j := range blk {
			gs = append(gs, rest[j])
		}
		if i == 0 {
			gs = append(gs, phases...) // a global phase commutes with everything
		}
		var on []int
		for _, g := range gs {
			on = append(on, g.Qubits...)
		}
		sort.Ints(on)
		on = slices.Compact(on)
		if len(on) > b.qubits-b.lanes {
			// A gate wider than a chunk (many controls): its own pass.
			out = append(out, passes(gs, fusion)...)
			continue
		}
		out = append(out, newStage(gs, on, n, b))
	}
	return out
}

// newStage builds the stage that applies gs, which act on the qubits on,
// to an n-qubit state in chunks of b.qubits qubits.
func newStage(gs []gate, on []int, n int, b blocking) *pass {
	w := b.lanes
	in := make([]bool, n)
	for _, q := range on {
		in[q] = true
	}
	// The lanes are qubits the gates leave alone: 0 ... w-1 when they are,
	// so that chunks keep the state's layout. Otherwise the lowest qubits
	// pad S first, making the contiguous runs long, and the lanes are the
	// lowest qubits left above them.
	lowFree := true
	for q := range w {
		lowFree = lowFree && !in[q]
	}
	var lanes []int
	pickLanes := func() {
		for q := 0; len(lanes) < w; q++ {
			if !in[q] {
				lanes = append(lanes, q)
				in[q] = true
			}
		}
	}
	if lowFree {
		pickLanes()
	}
	size := len(on) + len(lanes)
	for q := 0; q < n && size < b.qubits-w+len(lanes); q++ {
		if !in[q] {
			in[q] = true
			size++
		}
	}
	if !lowFree {
		pickLanes()
	}
	st := &stage{qubits: slices.Clone(lanes)}
	isLane := make([]bool, n)
	for _, q := range lanes {
		isLane[q] = true
	}
	local := make([]int, n) // qubit -> chunk bit
	for i, q := range lanes {
		local[q] = i
	}
	for q := range n {
		switch {
		case isLane[q]:
		case in[q]:
			local[q] = len(st.qubits)
			st.qubits = append(st.qubits, q)
		default:
			st.outer |= 1 << q
		}
	}
	plain := lanes[w-1] == w-1
	// Runs: the lowest qubits, lanes included when plain, that S holds.
	r := 0
	for r < n && in[r] && (plain || !isLane[r]) {
		r++
	}
	st.rlen = 1 << r
	for _, q := range st.qubits[w:] {
		if q >= r {
			st.high |= 1 << q
		}
	}
	if !plain {
		st.lane = make([]int64, 1<<w)
		for l := range st.lane {
			for i, q := range lanes {
				st.lane[l] |= int64(l>>i&1) << q
			}
		}
	}
	st.nruns = 1 << bits.OnesCount64(st.high)
	st.local = plain && st.outer>>b.qubits<<b.qubits == st.outer
	lg := make([]gate, len(gs))
	for i, g := range gs {
		qs := make([]int, len(g.Qubits))
		for j, q := range g.Qubits {
			qs[j] = local[q]
		}
		lg[i] = gate{Qubits: qs, NCtrl: g.NCtrl, Neg: g.Neg, Mat: g.Mat}
	}
	st.inner = passes(lg, b.fusion)
	st.passes = len(st.inner)
	p := &pass{Pass: qsim.Pass{Kind: passStage, K: len(st.qubits), Pos: slices.Sorted(slices.Values(st.qubits)), Gates: len(gs)}, stage: st}
	p.Noop = len(st.inner) == 0
	return p
}

// deposit scatters the low bits of c into the set bits of mask (PDEP).
func deposit(c int, mask uint64) int {
	var out uint64
	for m := mask; m != 0 && c != 0; m &= m - 1 {
		if c&1 == 1 {
			out |= m & -m
		}
		c >>= 1
	}
	return int(out)
}

// chunkBufs holds chunk buffers for reuse, one pool per amplitude type.
var chunkBufs [2]sync.Pool

// chunkBuf returns a buffer of at least n amplitudes.
func chunkBuf[T amp](n int) *[]T {
	var z T
	i := int(unsafe.Sizeof(z)) / 16
	if v, ok := chunkBufs[i].Get().(*[]T); ok && len(*v) >= n {
		return v
	}
	buf := make([]T, n)
	return &buf
}

func putChunkBuf[T amp](b *[]T) {
	var z T
	chunkBufs[int(unsafe.Sizeof(z))/16].Put(b)
}

// applyStage runs a stage: chunks are spread over the workers, each
// gathered, put through the stage's passes and written back. Once stop
// (when not nil) reports true, the chunks left are skipped.
func (x *sim[T]) applyStage(st *stage, stop func() bool) {
	l := len(st.qubits)
	n := bits.Len(uint(len(x.a))) - 1
	chunks := 1 << (n - l)
	size := 1 << l
	x.parallel(chunks, 1, func(lo, hi int) {
		if st.local {
			for c := lo; c < hi && (stop == nil || !stop()); c++ {
				runInner(st, x.a[c<<l:(c+1)<<l])
			}
			return
		}
		bp := chunkBuf[T](size)
		buf := (*bp)[:size]
		for c := lo; c < hi && (stop == nil || !stop()); c++ {
			base := deposit(c, st.outer)
			gatherChunk(st, x.a, buf, base, false)
			runInner(st, buf)
			gatherChunk(st, x.a, buf, base, true)
		}
		putChunkBuf(bp)
	})
}

// gatherChunkGo is sv_gather in Go: the builds without cgo use it, the
// tests compare it with the C one.
func gatherChunkGo[T amp](st *stage, a, buf []T, base int, scatter bool) {
	w := len(st.lane)
	o := uint64(0)
	for j := range st.nruns {
		src := a[base+int(o):]
		o = (o - st.high) & st.high // the next subset of high, in increasing order
		if w == 0 {
			dst := buf[j*st.rlen : (j+1)*st.rlen]
			if scatter {
				copy(src[:st.rlen], dst)
			} else {
				copy(dst, src[:st.rlen])
			}
			continue
		}
		for l, lo := range st.lane {
			p := src[lo:]
			q := buf[j*st.rlen*w+l:]
			for t := range st.rlen {
				if scatter {
					p[t] = q[t*w]
				} else {
					q[t*w] = p[t]
				}
			}
		}
	}
}

// runInner applies the stage's passes to one chunk.
func runInner[T amp](st *stage, chunk []T) {
	for _, p := range st.inner {
		runPass(p, chunk, 0, len(chunk)>>len(p.Pos))
	}
}
