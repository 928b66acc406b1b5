package photonic

import (
	"io"
	"math"
	"strconv"
	"strings"
)

// Print writes p in the canonical text format: the header, modes, input,
// the components in order, then one detect statement for the threshold
// detectors (PNR is the default and is not written). Parse reads the text
// back to a program that prints the same.
func (p *Program) Print(w io.Writer) error {
	_, err := io.WriteString(w, p.String())
	return err
}

// String returns p in the canonical text format; see Print. It does not
// fail on a program that does not verify, but the text may not parse.
func (p *Program) String() string {
	var b strings.Builder
	b.WriteString(Format + "\n")
	b.WriteString("modes " + strconv.Itoa(p.Modes) + "\n")
	b.WriteString("input " + p.Input.String() + "\n")
	for i := range p.Ops {
		p.writeOp(&b, &p.Ops[i])
	}
	var thr []int
	for m, d := range p.Detectors {
		if d == Threshold {
			thr = append(thr, m)
		}
	}
	if len(thr) > 0 {
		b.WriteString("detect threshold")
		if len(thr) < p.Modes {
			b.WriteString(" " + formatModes(thr))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (p *Program) writeOp(b *strings.Builder, o *Op) {
	b.WriteString(o.Kind.String())
	switch o.Kind {
	case OpBeamSplitter:
		b.WriteString(" " + formatModes(o.Modes))
		if o.BS.Theta != DefaultTheta {
			b.WriteString(", theta=" + formatFloat(o.BS.Theta))
		}
		for _, kv := range []struct {
			key string
			v   float64
		}{{"phi_tl", o.BS.PhiTL}, {"phi_bl", o.BS.PhiBL}, {"phi_tr", o.BS.PhiTR}, {"phi_br", o.BS.PhiBR}} {
			if kv.v != 0 {
				b.WriteString(", " + kv.key + "=" + formatFloat(kv.v))
			}
		}
	case OpPhaseShift:
		b.WriteString(" " + formatModes(o.Modes) + ", phi=" + formatFloat(o.Phi))
	case OpLoss:
		if !allModes(o.Modes, p.Modes) {
			b.WriteString(" " + formatModes(o.Modes) + ",")
		}
		b.WriteString(" eta=" + formatFloat(o.Eta))
	case OpUnitary:
		k := len(o.Modes)
		b.WriteString(" " + formatModes(o.Modes) + " = [")
		for r := range k {
			if r > 0 {
				b.WriteString(",\n  ")
			}
			b.WriteByte('[')
			for c := range k {
				if c > 0 {
					b.WriteString(", ")
				}
				if i := r*k + c; i < len(o.U) {
					b.WriteString(formatComplex(o.U[i]))
				}
			}
			b.WriteByte(']')
		}
		b.WriteByte(']')
	}
	b.WriteByte('\n')
}

// allModes reports whether modes is 0, 1, ..., m-1.
func allModes(modes []int, m int) bool {
	if len(modes) != m {
		return false
	}
	for i, x := range modes {
		if x != i {
			return false
		}
	}
	return true
}

func formatModes(modes []int) string {
	var b strings.Builder
	for i, m := range modes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(m))
	}
	return b.String()
}

// formatFloat writes the shortest decimal that reads back to x exactly.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// formatComplex writes z in Go's complex syntax, shortest parts: "0.5",
// "0.5i", "0.5-0.5i". A zero imaginary part is left out.
func formatComplex(z complex128) string {
	re, im := real(z), imag(z)
	switch {
	case im == 0:
		return formatFloat(re)
	case re == 0 && !math.Signbit(re):
		return formatFloat(im) + "i"
	case im < 0:
		return formatFloat(re) + "-" + formatFloat(-im) + "i"
	}
	return formatFloat(re) + "+" + formatFloat(im) + "i"
}
