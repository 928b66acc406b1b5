package cpu

import (
	"math"
	"slices"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// reduce computes a reduction of src (shape in) over axes into dst. The
// reduced axes are first made one contiguous block (transposing when they
// are not), so that the data is viewed as [outer, r, inner] and each output
// element sums r values inner apart.
func reduce(op native.Op, dt sokr.DType, dst, src []byte, in sokr.Shape, axes []int, workers int) {
	ax := slices.Clone(axes)
	slices.Sort(ax)
	contiguous := len(ax) == 0 || ax[len(ax)-1]-ax[0] == len(ax)-1
	if !contiguous {
		// Move kept axes first, reduced axes last.
		var perm []int
		for i := range in {
			if !slices.Contains(ax, i) {
				perm = append(perm, i)
			}
		}
		perm = append(perm, ax...)
		shape := make(sokr.Shape, len(perm))
		for i, p := range perm {
			shape[i] = in[p]
		}
		t := make([]byte, len(src))
		gather(t, src, shape, transposeStrides(in, perm), dt.Size())
		src, in = t, shape
		ax = ax[:0]
		for i := len(in) - len(axes); i < len(in); i++ {
			ax = append(ax, i)
		}
	}
	outer, r, inner := 1, 1, 1
	for i, d := range in {
		switch {
		case len(ax) > 0 && i < ax[0]:
			outer *= d
		case len(ax) > 0 && i <= ax[len(ax)-1]:
			r *= d
		default:
			inner *= d
		}
	}
	grain := max(1, (1<<15)/max(r*inner, 1))
	parallelFor(workers, outer, grain, func(lo, hi int) {
		switch dt {
		case sokr.F32:
			reduceFloat(op, as[float32](dst, outer*inner), as[float32](src, outer*r*inner), lo, hi, r, inner)
		case sokr.F64:
			reduceFloat(op, as[float64](dst, outer*inner), as[float64](src, outer*r*inner), lo, hi, r, inner)
		case sokr.I32:
			reduceInt(op, as[int32](dst, outer*inner), as[int32](src, outer*r*inner), lo, hi, r, inner)
		case sokr.I64:
			reduceInt(op, as[int64](dst, outer*inner), as[int64](src, outer*r*inner), lo, hi, r, inner)
		}
	})
}

// reduceFloat accumulates in float64 (so f32 sums keep their precision);
// max and min propagate NaN, as NumPy's do.
func reduceFloat[T float](op native.Op, dst, src []T, lo, hi, r, inner int) {
	acc := make([]float64, inner)
	for o := lo; o < hi; o++ {
		base := src[o*r*inner : (o+1)*r*inner]
		switch op {
		case native.OpReduceSum, native.OpReduceMean:
			clear(acc)
			for k := 0; k < r; k++ {
				row := base[k*inner : (k+1)*inner]
				for i, v := range row {
					acc[i] += float64(v)
				}
			}
			if op == native.OpReduceMean {
				for i := range acc {
					acc[i] /= float64(r)
				}
			}
		case native.OpReduceMax, native.OpReduceMin:
			if r == 0 { // the extremum of nothing
				fill(acc, math.NaN())
				break
			}
			for i := range acc {
				acc[i] = float64(base[i])
			}
			for k := 1; k < r; k++ {
				row := base[k*inner : (k+1)*inner]
				for i, v := range row {
					if op == native.OpReduceMax {
						acc[i] = max(acc[i], float64(v))
					} else {
						acc[i] = min(acc[i], float64(v))
					}
				}
			}
		}
		out := dst[o*inner : (o+1)*inner]
		for i, v := range acc {
			out[i] = T(v)
		}
	}
}

// reduceInt: sums wrap around on overflow, as NumPy's do; the mean is not
// defined for integers (the verifier refuses it).
func reduceInt[T integer](op native.Op, dst, src []T, lo, hi, r, inner int) {
	for o := lo; o < hi; o++ {
		base := src[o*r*inner : (o+1)*r*inner]
		out := dst[o*inner : (o+1)*inner]
		switch op {
		case native.OpReduceSum:
			clear(out)
			for k := 0; k < r; k++ {
				for i, v := range base[k*inner : (k+1)*inner] {
					out[i] += v
				}
			}
		case native.OpReduceMax, native.OpReduceMin:
			if r == 0 {
				clear(out)
				continue
			}
			copy(out, base[:inner])
			for k := 1; k < r; k++ {
				for i, v := range base[k*inner : (k+1)*inner] {
					if op == native.OpReduceMax {
						out[i] = max(out[i], v)
					} else {
						out[i] = min(out[i], v)
					}
				}
			}
		}
	}
}
