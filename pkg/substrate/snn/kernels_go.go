package snn

// The portable kernels: the neuron state update and event-driven synaptic
// propagation in Go. Builds without cgo run them; with cgo they are the
// reference the C kernels (kernels.c) are tested against, bit for bit, as
// both evaluate the same expressions in the same order.

import "github.com/sokr-rs/sokr/pkg/internal/parallel"

// float is the element type of a run: f32 or f64.
type float interface{ ~float32 | ~float64 }

// Indices of a neuron population's coefficient arrays in neuronKernel.coef
// (the SNN_AV ... enum of kernels.h).
const (
	coefAV = iota // v' = av*v + bv + gv*x (+ ci*i for current-based neurons)
	coefBV
	coefGV
	coefTH // v_threshold
	coefVR // v_reset
	coefAI // i' = ai*i + bi*x
	coefBI
	coefCI
	numCoef
)

// resetMode says what a spike does to the membrane (kernels.h SNN_RESET_*).
type resetMode int32

const (
	resetNone     resetMode = iota // no spikes: the output is v
	resetToVReset                  // v = v_reset
	resetSubtract                  // v -= v_threshold
)

// Kinds of neuron state (kernels.h snn_neuron.kind).
const (
	kindVoltage = 0 // v only: LIF, IF, LI, I
	kindCurrent = 1 // synaptic current i and v: CubaLIF, CubaLI
)

// neuronKernel is a neuron population's discretised update, as described
// for snn_neuron in kernels.h.
type neuronKernel[F float] struct {
	kind    int32
	reset   resetMode
	before  bool // the spike is read from the state at the start of the step
	uniform bool // coef holds one element per array
	n       int  // neurons per batch row
	amp     F    // spike amplitude
	coef    []F  // numCoef arrays of n elements (1 when uniform)
}

// at returns coefficient array c at neuron k.
func (p *neuronKernel[F]) at(c, k int) F {
	if p.uniform {
		return p.coef[c]
	}
	return p.coef[c*p.n+k]
}

// goNeuronStep advances elements [lo, hi) of v (and cur) by one step with
// input x, writing out, and returns the number of spikes.
func goNeuronStep[F float](p *neuronKernel[F], v, cur, x, out []F, lo, hi int) int64 {
	var spikes int64
	for e := lo; e < hi; e++ {
		k := e % p.n
		vo, xi := v[e], x[e]
		var vn F
		if p.kind == kindVoltage {
			vn = p.at(coefAV, k)*vo + p.at(coefBV, k) + p.at(coefGV, k)*xi
		} else {
			io := cur[e]
			cur[e] = p.at(coefAI, k)*io + p.at(coefBI, k)*xi
			vn = p.at(coefAV, k)*vo + p.at(coefBV, k) + p.at(coefCI, k)*io + p.at(coefGV, k)*xi
		}
		if p.reset == resetNone {
			v[e], out[e] = vn, vn
			continue
		}
		th := p.at(coefTH, k)
		probe := vn
		if p.before {
			probe = vo
		}
		if probe > th {
			if p.reset == resetToVReset {
				v[e] = p.at(coefVR, k)
			} else {
				v[e] = vn - th
			}
			out[e] = p.amp
			spikes++
		} else {
			v[e], out[e] = vn, 0
		}
	}
	return spikes
}

// spmmCols is the width of the column blocks of a packed weight: 64
// float32 or 32 float64, four AVX-512 registers (SNN_COLS_* in kernels.h).
func spmmCols[F float]() int {
	var z F
	if _, ok := any(z).(float32); ok {
		return 32
	}
	return 16
}

// packWeight packs w ([nout, nin], row-major) for event-driven
// propagation: blocks of spmmCols output columns, wp[b][j][c] = w[b·cols+c,
// j], the last block padded with zeros.
func packWeight[F float](w []float64, nin, nout int) []F {
	return packWeightOn[F](w, nin, nout, 1)
}

// packWeightOn is packWeight on workers goroutines, each packing whole
// blocks. It reads w a row at a time and writes the row's column of the
// block (a 128-byte stride within a block that L2 holds): reading the
// block's rows a column at a time instead is slower, their stride being a
// multiple of 4 KiB, which maps them all to one set of L1.
func packWeightOn[F float](w []float64, nin, nout, workers int) []F {
	cols := spmmCols[F]()
	nb := (nout + cols - 1) / cols
	wp := make([]F, nb*nin*cols)
	grain := max(1, convertGrain/max(1, nin*cols))
	parallel.For(workers, nb, grain, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			blk := wp[b*nin*cols : (b+1)*nin*cols]
			for c := range min(cols, nout-b*cols) {
				row := w[(b*cols+c)*nin : (b*cols+c+1)*nin]
				for j, v := range row {
					blk[j*cols+c] = F(v)
				}
			}
		}
	})
	return wp
}

// goSpmm computes y[r,c] = bias[c] + Σ_j x[r,j]·w[c,j] over the nonzero
// x[r,j], from the packed weight wp, in the order of the C kernel
// (kernels.h): one sum per (r, c), from 0, adding the terms in ascending j,
// then y = bias + sum. It returns the number of nonzero inputs.
func goSpmm[F float](rows, nin, nout int, x, wp, bias, y []F) int64 {
	cols := spmmCols[F]()
	var nnz int64
	var idx []int
	var val []F
	for r := range rows {
		idx, val = idx[:0], val[:0]
		for j, a := range x[r*nin : (r+1)*nin] {
			if a != 0 {
				idx, val = append(idx, j), append(val, a)
			}
		}
		nnz += int64(len(idx))
		yr := y[r*nout : (r+1)*nout]
		for c := range nout {
			blk, cc := wp[c/cols*cols*nin:], c%cols
			var s F
			for q, j := range idx {
				s += val[q] * blk[j*cols+cc]
			}
			if bias != nil {
				s = bias[c] + s
			}
			yr[c] = s
		}
	}
	return nnz
}

// goCountNonzero returns how many elements of x are not zero.
func goCountNonzero[F float](x []F) int64 {
	var n int64
	for _, v := range x {
		if v != 0 {
			n++
		}
	}
	return n
}
