//go:build cgo

package vulkan

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
)

// nirDenseLimit bounds the dense matrix a convolution or pooling node is
// lowered to: 4·in·out bytes, held on the host while the program is built
// and in device memory during the run. 256 MiB is a Conv2d from 16×64×64
// to 16×64×64 (65536 × 65536 would be 16 GiB); the matmul kernel reads
// the whole matrix at each step's product, so a larger one is better run
// by the snn substrate's direct convolution, which vulkan leaves it to.
const nirDenseLimit = 256 << 20

// denseCheck refuses a dense matrix over nirDenseLimit.
func (u *nirNode) denseCheck() error {
	if bytes := 4 * int64(u.nin) * int64(u.n); bytes > nirDenseLimit {
		return fmt.Errorf("as a dense matrix for the matmul kernel it takes %d MiB (%d inputs × %d outputs × 4 bytes), more than vulkan's limit of %d MiB (the snn substrate runs it)",
			bytes>>20, u.nin, u.n, nirDenseLimit>>20)
	}
	return nil
}

// conv reads a convolution as snn does (pkg/substrate/snn/fromnir.go,
// convOf: a 1-d one is a 2-d one of height 1; PyTorch's semantics, which
// NIR follows) and builds its dense matrix: wt[(ci, ih, iw), (co, oh, ow)]
// is the kernel weight that input element reaches that output with, and
// the bias one value per output element.
func (u *nirNode) conv(fn *nir.FlatNode, w, bias nir.Array, stride, dilation []int, pad nir.Padding, groups int, oneD bool) error {
	in, out := fn.InShape, fn.OutShape
	if oneD {
		if len(w.Shape) != 3 || len(in) != 2 || len(out) != 2 {
			return fmt.Errorf("weight %v, input %v, output %v: want (C_out, C_in/groups, K), (C_in, N), (C_out, N_out)", w.Shape, in, out)
		}
		w.Shape = []int{w.Shape[0], w.Shape[1], 1, w.Shape[2]}
		in, out = []int{in[0], 1, in[1]}, []int{out[0], 1, out[1]}
		if pad.Mode == "" {
			pad.Size = append([]int{0}, pad.Size...)
		}
	}
	if len(w.Shape) != 4 || len(in) != 3 || len(out) != 3 || len(stride) != 2 || len(dilation) != 2 {
		return fmt.Errorf("weight %v, input %v, stride %v, dilation %v: want a 2-d convolution", w.Shape, in, stride, dilation)
	}
	if groups < 1 || in[0]%groups != 0 || w.Shape[0]%groups != 0 || w.Shape[1]*groups != in[0] {
		return fmt.Errorf("groups = %d does not divide %d input channels (weight %v)", groups, in[0], w.Shape)
	}
	cin, cout, kh, kw := in[0], w.Shape[0], w.Shape[2], w.Shape[3]
	sh, sw, dh, dw := stride[0], stride[1], dilation[0], dilation[1]
	inH, inW, outH, outW := in[1], in[2], out[1], out[2]
	var ph, pw int
	switch pad.Mode {
	case "", "valid":
		if pad.Mode == "" {
			if len(pad.Size) != 2 {
				return fmt.Errorf("padding %v: want one size per spatial dimension", pad.Size)
			}
			ph, pw = pad.Size[0], pad.Size[1]
		}
	case "same":
		if sh != 1 || sw != 1 {
			return fmt.Errorf("padding \"same\" with stride %v: PyTorch defines it for stride 1 only", stride)
		}
		// PyTorch pads dilation·(k−1) in all, the smaller half before.
		ph, pw = dh*(kh-1)/2, dw*(kw-1)/2
	default:
		return fmt.Errorf("padding mode %q is not supported", pad.Mode)
	}
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 {
		return fmt.Errorf("stride %v and dilation %v must be positive", stride, dilation)
	}
	if pad.Mode != "same" && (nirConvOut(inH, ph, dh, kh, sh) != outH || nirConvOut(inW, pw, dw, kw, sw) != outW) {
		return fmt.Errorf("output shape %v does not follow from input %v, weight %v, stride %v, padding %v, dilation %v", fn.OutShape, fn.InShape, w.Shape, stride, pad.Size, dilation)
	}
	if out[0] != cout {
		return fmt.Errorf("output has %d channels, the weight %v makes %d", out[0], w.Shape, cout)
	}
	if len(w.Data) != cout*w.Shape[1]*kh*kw {
		return fmt.Errorf("weight of shape %v holds %d values", w.Shape, len(w.Data))
	}
	if bias.Len() > 0 {
		b, err := nirPerElement("bias", bias, cout)
		if err != nil {
			return err
		}
		u.bias = make([]float64, u.n)
		for e := range u.bias {
			u.bias[e] = b[e/(outH*outW)]
		}
	}
	if err := u.denseCheck(); err != nil {
		return err
	}
	u.wt = make([]float32, u.nin*u.n)
	cinG, coutG := cin/groups, cout/groups
	for co := range cout {
		g := co / coutG
		for oh := range outH {
			for ow := range outW {
				o := (co*outH+oh)*outW + ow
				for cl := range cinG {
					ci := g*cinG + cl
					for y := range kh {
						ih := oh*sh - ph + y*dh
						if ih < 0 || ih >= inH {
							continue
						}
						for x := range kw {
							iw := ow*sw - pw + x*dw
							if iw < 0 || iw >= inW {
								continue
							}
							u.wt[((ci*inH+ih)*inW+iw)*u.n+o] = float32(w.Data[((co*cinG+cl)*kh+y)*kw+x])
						}
					}
				}
			}
		}
	}
	return nil
}

// pool reads SumPool2d or AvgPool2d over (C, H, W) as snn does (poolOf).
// Windows that tile the image (stride = kernel, no padding, the image a
// whole number of windows: cnn_sinabs.nir's) are a sum over two axes of
// a reshape (nirPool); others a dense matrix, 1 where an input falls in
// an output's window. AvgPool2d divides the sum by the window's area, padding
// included (PyTorch's default count_include_pad), as snn does.
func (u *nirNode) pool(fn *nir.FlatNode, kernel, stride, pad []int, avg bool) error {
	in, out := fn.InShape, fn.OutShape
	if len(kernel) != 2 || len(stride) != 2 || len(pad) != 2 || len(in) != 3 || len(out) != 3 {
		return fmt.Errorf("kernel %v, stride %v, padding %v over input %v: want (h, w) pairs over (C, H, W)", kernel, stride, pad, in)
	}
	c, inH, inW, outH, outW := in[0], in[1], in[2], out[1], out[2]
	kh, kw, sh, sw, ph, pw := kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[1]
	if kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 {
		return fmt.Errorf("kernel %v, stride %v and padding %v must be positive (padding non-negative)", kernel, stride, pad)
	}
	if out[0] != c || nirConvOut(inH, ph, 1, kh, sh) != outH || nirConvOut(inW, pw, 1, kw, sw) != outW {
		return fmt.Errorf("output shape %v does not follow from input %v, kernel %v, stride %v, padding %v", out, in, kernel, stride, pad)
	}
	if avg {
		u.div = float64(kh * kw)
	}
	if ph == 0 && pw == 0 && sh == kh && sw == kw && inH%kh == 0 && inW%kw == 0 {
		// Windows that tile the image: a reshape to (C, H/kh, kh, W/kw,
		// kw) and a sum over the kh and kw axes, no matrix.
		u.op = nirPool
		u.window = [5]int{c, outH, kh, outW, kw}
		return nil
	}
	if err := u.denseCheck(); err != nil {
		return err
	}
	u.wt = make([]float32, u.nin*u.n)
	for ch := range c {
		for oh := range outH {
			for ow := range outW {
				o := (ch*outH+oh)*outW + ow
				for y := range kh {
					ih := oh*sh - ph + y
					if ih < 0 || ih >= inH {
						continue
					}
					for x := range kw {
						if iw := ow*sw - pw + x; iw >= 0 && iw < inW {
							u.wt[((ch*inH+ih)*inW+iw)*u.n+o] = 1
						}
					}
				}
			}
		}
	}
	return nil
}

// nirConvOut is the output length of a convolution or pool along one
// axis (snn's convOut, PyTorch's formula).
func nirConvOut(in, pad, dil, k, stride int) int {
	return (in+2*pad-dil*(k-1)-1)/stride + 1
}
