package snn

// convRows computes a grouped, strided, padded, dilated convolution (as
// PyTorch's Conv1d and Conv2d define it; NIR follows them) for the samples
// [lo, hi) of x ([rows, cin, inH, inW]) into y ([rows, cout, outH, outW]).
// Padding reads as zero.
func convRows[F float](p *convParams, w, bias, x, y []F, lo, hi int) {
	inSize, outSize := p.cin*p.inH*p.inW, p.cout*p.outH*p.outW
	cinG, coutG := p.cin/p.groups, p.cout/p.groups
	for r := lo; r < hi; r++ {
		xr, yr := x[r*inSize:(r+1)*inSize], y[r*outSize:(r+1)*outSize]
		for co := range p.cout {
			g := co / coutG
			var b F
			if bias != nil {
				b = bias[co]
			}
			for oh := range p.outH {
				for ow := range p.outW {
					acc := b
					for cl := range cinG {
						ci := g*cinG + cl
						for kh := range p.kh {
							ih := oh*p.strideH - p.padH + kh*p.dilH
							if ih < 0 || ih >= p.inH {
								continue
							}
							for kw := range p.kw {
								iw := ow*p.strideW - p.padW + kw*p.dilW
								if iw < 0 || iw >= p.inW {
									continue
								}
								acc += w[((co*cinG+cl)*p.kh+kh)*p.kw+kw] * xr[(ci*p.inH+ih)*p.inW+iw]
							}
						}
					}
					yr[(co*p.outH+oh)*p.outW+ow] = acc
				}
			}
		}
	}
}

// convOut is the output length of a convolution or pool along one axis.
func convOut(in, pad, dil, k, stride int) int {
	return (in+2*pad-dil*(k-1)-1)/stride + 1
}

// pool computes SumPool2d or AvgPool2d (the sum divided by the window's
// area, padding included, as PyTorch's default count_include_pad) of x
// ([rows, c, inH, inW]) into y ([rows, c, outH, outW]).
func pool[F float](p *poolParams, avg bool, x, y []F, rows int) {
	inSize, outSize := p.c*p.inH*p.inW, p.c*p.outH*p.outW
	area := F(p.kh * p.kw)
	for r := range rows {
		xr, yr := x[r*inSize:(r+1)*inSize], y[r*outSize:(r+1)*outSize]
		for c := range p.c {
			for oh := range p.outH {
				for ow := range p.outW {
					var acc F
					for kh := range p.kh {
						ih := oh*p.sh - p.ph + kh
						if ih < 0 || ih >= p.inH {
							continue
						}
						for kw := range p.kw {
							iw := ow*p.sw - p.pw + kw
							if iw >= 0 && iw < p.inW {
								acc += xr[(c*p.inH+ih)*p.inW+iw]
							}
						}
					}
					if avg {
						acc /= area
					}
					yr[(c*p.outH+oh)*p.outW+ow] = acc
				}
			}
		}
	}
}
