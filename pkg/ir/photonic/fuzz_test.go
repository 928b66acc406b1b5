package photonic

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// maxFuzzInput bounds the inputs FuzzParse looks at, so that each takes
// well under a millisecond: parsing is linear in the text, and a unitary's
// check is cubic in its modes but needs that many entries written out.
const maxFuzzInput = 1 << 14

// FuzzParse feeds arbitrary bytes to Parse. It must not panic; an error is
// a *sokr.ProgramError positioned inside the source; a program prints to
// text that parses back and prints the same (the printer's fixpoint), and
// its requirements and transfer matrix can be computed.
func FuzzParse(f *testing.F) {
	for _, c := range canonical {
		f.Add([]byte(c.src))
	}
	for _, s := range []string{
		"",
		"sokr.photonic/1\n",
		"sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0,1,theta=pi/2,phi_tl=-3*pi/4\nps 1, phi=1e-300\n",
		"sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 1, 0 = [\n[0.6, 0.8i],\n[0.8i, 0.6]\n]\n",
		"sokr.photonic/1\nmodes 3\ninput |1,0,1>\nloss 2, eta=0.5\nloss eta=1\ndetect threshold 0, 2\ndetect pnr 1\n",
		"sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0, 1 = [[0.7071067811865476, 0.7071067811865476], [0.7071067811865476, -0.7071067811865476]]\n",
		"sokr.photonic/1\nmodes 1\ninput |1>\nunitary 0 = [[-0-1i]]\nunitary 0 = [[1e-05+0.99999999995i]]\n",
		"sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1]\n",
		"sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1]] [[\n",
		"sokr.photonic/1\r\nmodes\t1\r\ninput|0>",
		"sokr.photonic/1\nmodes 1024\ninput |1>\n",
		"sokr.photonic/1\nmodes 2\ninput |1024,0>\nbs 1, 0, theta=-0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > maxFuzzInput {
			return
		}
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		poll := irparse.NewPoll(ctx)
		p, err := parse(src, &poll)
		fuzzguard.Hang(t, err)
		if err != nil {
			var perr *sokr.ProgramError
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
			}
			if p != nil {
				t.Fatalf("Parse returned a program and an error")
			}
			lines := bytes.Count(src, []byte("\n")) + 1
			if perr.Pos.Line < 1 || perr.Pos.Line > lines || perr.Pos.Col < 1 {
				t.Fatalf("error position %v outside the source (%d lines): %v", perr.Pos, lines, err)
			}
			return
		}
		text := p.String()
		q, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("printed program does not parse: %v\n%s", err, text)
		}
		if again := q.String(); again != text {
			t.Fatalf("print is not a fixpoint:\n%s\nthen\n%s", text, again)
		}
		p.Requirements()
		if p.Modes <= 64 {
			// Each unitary may be off by UnitaryTolerance; the rest is rounding.
			bound := 1e-9 + 4*UnitaryTolerance*float64(len(p.Ops))
			if tr := p.Transfer(); !p.Lossy() && UnitaryDeviation(tr, p.Modes) > bound {
				t.Fatalf("a lossless program's transfer matrix is not unitary (%g):\n%s", UnitaryDeviation(tr, p.Modes), text)
			}
		}
	})
}
