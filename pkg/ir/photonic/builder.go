package photonic

import (
	"fmt"
	"slices"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Builder makes a Program from Go, one component at a time:
//
//	prog, err := photonic.NewBuilder(2).
//		Input(1, 1).
//		BS(0, 1).
//		Build()
//
// Mistakes do not panic: Build verifies the program and returns the first
// error, naming the component by its index.
type Builder struct {
	p   Program
	err error
}

// NewBuilder starts a program on modes modes, with the vacuum as input
// and a PNR detector on every mode.
func NewBuilder(modes int) *Builder {
	b := &Builder{p: Program{Modes: modes}}
	if modes >= 1 && modes <= MaxModes {
		b.p.Input = make(FockState, modes)
		b.p.Detectors = make([]Detector, modes)
	}
	return b
}

// Input sets the input state: occupations[i] photons in mode i.
func (b *Builder) Input(occupations ...int) *Builder {
	b.p.Input = slices.Clone(FockState(occupations))
	return b
}

// BS adds Perceval's default beam splitter, BS(): balanced, on modes top
// and bottom.
func (b *Builder) BS(top, bottom int) *Builder {
	return b.BeamSplitter(top, bottom, BalancedBS())
}

// BeamSplitter adds the beam splitter bs on modes top and bottom (see
// BeamSplitter for its matrix).
func (b *Builder) BeamSplitter(top, bottom int, bs BeamSplitter) *Builder {
	b.p.Ops = append(b.p.Ops, Op{Kind: OpBeamSplitter, Modes: []int{top, bottom}, BS: bs})
	return b
}

// PS adds a phase shifter e^{iφ} on mode.
func (b *Builder) PS(mode int, phi float64) *Builder {
	b.p.Ops = append(b.p.Ops, Op{Kind: OpPhaseShift, Modes: []int{mode}, Phi: phi})
	return b
}

// Unitary adds the k×k unitary u (row-major, u[out*k+in]) on the k modes
// listed; it must be unitary within UnitaryTolerance.
func (b *Builder) Unitary(modes []int, u []complex128) *Builder {
	b.p.Ops = append(b.p.Ops, Op{Kind: OpUnitary, Modes: slices.Clone(modes), U: slices.Clone(u)})
	return b
}

// Loss adds a loss channel of transmissivity eta on the modes listed, or
// on every mode when none is.
func (b *Builder) Loss(eta float64, modes ...int) *Builder {
	if len(modes) == 0 {
		modes = make([]int, max(b.p.Modes, 0))
		for i := range modes {
			modes[i] = i
		}
	}
	b.p.Ops = append(b.p.Ops, Op{Kind: OpLoss, Modes: slices.Clone(modes), Eta: eta})
	return b
}

// Detect gives the modes listed, or every mode when none is, detector d.
func (b *Builder) Detect(d Detector, modes ...int) *Builder {
	if b.p.Detectors == nil {
		return b
	}
	if len(modes) == 0 {
		for i := range b.p.Detectors {
			b.p.Detectors[i] = d
		}
		return b
	}
	for _, m := range modes {
		if m < 0 || m >= len(b.p.Detectors) {
			b.fail("Detect(%v, %v): mode %d is out of range: the program has modes 0 to %d", d, modes, m, len(b.p.Detectors)-1)
			return b
		}
		b.p.Detectors[m] = d
	}
	return b
}

func (b *Builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf(format, args...)}
	}
}

// Build verifies the program and returns it. The program shares the
// Builder's slices, so the Builder must not be used afterwards.
func (b *Builder) Build() (*Program, error) {
	if b.err != nil {
		return nil, b.err
	}
	p := &Program{Modes: b.p.Modes, Input: b.p.Input, Ops: b.p.Ops, Detectors: b.p.Detectors}
	if err := Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}
