package photonic

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Verify checks that p is a well-formed program: 1 to MaxModes modes, an
// input state with one non-negative occupation per mode and at most
// MaxPhotons photons, at most MaxOps components, each on distinct modes in
// range, with finite parameters (a loss channel's η in [0, 1], a unitary
// component unitary within UnitaryTolerance), and one valid detector per
// mode. Errors are *sokr.ProgramError values at the statement's position;
// for a program built in Go (no positions) the message names the
// component by its index.
func Verify(p *Program) error {
	if p == nil {
		return &sokr.ProgramError{Format: Format, Msg: "no program"}
	}
	if p.Modes < 1 || p.Modes > MaxModes {
		return errPos(p.ModesPos, "the program has %d modes; a program has 1 to %d", p.Modes, MaxModes)
	}
	if len(p.Input) != p.Modes {
		return errPos(p.InputPos, "the input state %s has %d modes, the program %d", FockState(p.Input).String(), len(p.Input), p.Modes)
	}
	n := 0
	for i, k := range p.Input {
		if k < 0 {
			return errPos(p.InputPos, "the input state has %d photons in mode %d; occupations are non-negative", k, i)
		}
		if n += k; n > MaxPhotons {
			return errPos(p.InputPos, "the input state has more than %d photons", MaxPhotons)
		}
	}
	if len(p.Ops) > MaxOps {
		return errPos(p.Ops[MaxOps].Pos, "more than %d components", MaxOps)
	}
	for i := range p.Ops {
		if err := verifyOp(p, i); err != nil {
			return err
		}
	}
	if len(p.Detectors) != p.Modes {
		return errPos(sokr.Position{}, "%d detectors for %d modes; every mode has one", len(p.Detectors), p.Modes)
	}
	for i, d := range p.Detectors {
		if d >= numDetectors {
			return errPos(sokr.Position{}, "mode %d has an unknown detector %v", i, d)
		}
	}
	return nil
}

// verifyOp checks component i of p.
func verifyOp(p *Program, i int) error {
	o := &p.Ops[i]
	fail := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if o.Pos.IsZero() {
			msg = fmt.Sprintf("component %d (%v): %s", i, o.Kind, msg)
		}
		return &sokr.ProgramError{Format: Format, Pos: o.Pos, Msg: msg}
	}
	want := 0
	switch o.Kind {
	case OpBeamSplitter:
		want = 2
	case OpPhaseShift:
		want = 1
	case OpUnitary, OpLoss:
	default:
		return fail("unknown component kind %d", uint8(o.Kind))
	}
	switch {
	case want > 0 && len(o.Modes) != want:
		return fail("%v acts on %d mode(s), got %d", o.Kind, want, len(o.Modes))
	case len(o.Modes) == 0:
		return fail("%v acts on at least one mode", o.Kind)
	case len(o.Modes) > p.Modes:
		return fail("%v on %d modes; the program has %d", o.Kind, len(o.Modes), p.Modes)
	}
	for k, m := range o.Modes {
		if m < 0 || m >= p.Modes {
			return fail("mode %d is out of range: the program has modes 0 to %d", m, p.Modes-1)
		}
		for _, prev := range o.Modes[:k] {
			if prev == m {
				return fail("mode %d is listed twice", m)
			}
		}
	}
	switch o.Kind {
	case OpBeamSplitter:
		for _, v := range []struct {
			name string
			x    float64
		}{{"theta", o.BS.Theta}, {"phi_tl", o.BS.PhiTL}, {"phi_bl", o.BS.PhiBL}, {"phi_tr", o.BS.PhiTR}, {"phi_br", o.BS.PhiBR}} {
			if !finite(v.x) {
				return fail("%s is %v; angles are finite", v.name, v.x)
			}
		}
	case OpPhaseShift:
		if !finite(o.Phi) {
			return fail("phi is %v; angles are finite", o.Phi)
		}
	case OpLoss:
		if !(o.Eta >= 0 && o.Eta <= 1) {
			return fail("eta is %v; a transmissivity is from 0 to 1", o.Eta)
		}
	case OpUnitary:
		k := len(o.Modes)
		if len(o.U) != k*k {
			return fail("a unitary on %d modes has %d×%d = %d entries, got %d", k, k, k, k*k, len(o.U))
		}
		for e, z := range o.U {
			if !finite(real(z)) || !finite(imag(z)) {
				return fail("entry [%d][%d] is %v; entries are finite", e/k, e%k, z)
			}
		}
		if d := UnitaryDeviation(o.U, k); d > UnitaryTolerance {
			return fail("the matrix is not unitary: an entry of U†U − I is %.3g, over the tolerance %g", d, float64(UnitaryTolerance))
		}
	}
	return nil
}

// UnitaryDeviation returns the largest modulus of an entry of U†U − I for
// the k×k row-major matrix u (0 for an exactly unitary matrix).
func UnitaryDeviation(u []complex128, k int) float64 {
	var worst float64
	for a := range k {
		for b := a; b < k; b++ {
			var s complex128
			for r := range k {
				s += cmplx.Conj(u[r*k+a]) * u[r*k+b]
			}
			if a == b {
				s--
			}
			d := cmplx.Abs(s)
			if math.IsNaN(d) {
				return math.Inf(1)
			}
			worst = max(worst, d)
		}
	}
	return worst
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func errPos(pos sokr.Position, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
