package cpu

import "github.com/sokr-rs/sokr/pkg/sokr"

// strides returns row-major element strides of shape.
func strides(shape sokr.Shape) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// gather writes dst (shape out, row-major) from src, where element idx of
// dst comes from src at sum(idx[i]*srcStride[i]). Broadcast uses stride 0,
// transpose permuted strides. size is the element size in bytes.
func gather(dst, src []byte, out sokr.Shape, srcStride []int, size int) {
	switch size {
	case 1:
		gatherT(as[uint8](dst, len(dst)), as[uint8](src, len(src)), out, srcStride)
	case 4:
		gatherT(as[uint32](dst, len(dst)/4), as[uint32](src, len(src)/4), out, srcStride)
	case 8:
		gatherT(as[uint64](dst, len(dst)/8), as[uint64](src, len(src)/8), out, srcStride)
	}
}

func gatherT[T any](dst, src []T, out sokr.Shape, srcStride []int) {
	if len(dst) == 0 {
		return
	}
	r := len(out)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	inner, is := out[r-1], srcStride[r-1]
	idx := make([]int, r)
	off := 0 // source offset of idx
	for o := 0; o < len(dst); o += inner {
		row := dst[o : o+inner]
		switch is {
		case 0:
			fill(row, src[off])
		case 1:
			copy(row, src[off:off+inner])
		default:
			for i, k := 0, off; i < inner; i, k = i+1, k+is {
				row[i] = src[k]
			}
		}
		// Advance the odometer over the outer dimensions.
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			off += srcStride[d]
			if idx[d] < out[d] {
				break
			}
			off -= srcStride[d] * out[d]
			idx[d] = 0
		}
	}
}

// broadcastStrides maps a NumPy-style broadcast of in to out: trailing
// dimensions align, and a dimension of 1 (or a missing one) repeats.
func broadcastStrides(in, out sokr.Shape) []int {
	st := strides(in)
	res := make([]int, len(out))
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			res[off+i] = st[i]
		}
	}
	return res
}

// transposeStrides: result dim i is operand dim perm[i].
func transposeStrides(in sokr.Shape, perm []int) []int {
	st := strides(in)
	res := make([]int, len(perm))
	for i, p := range perm {
		res[i] = st[p]
	}
	return res
}
