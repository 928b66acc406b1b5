package photonic

import (
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the IR format name of photonic programs.
const Format = "sokr.photonic/1"

// Limits that keep a malformed or hostile program from exhausting memory or
// time before any substrate looks at it. They are far above what a
// simulator can run (substrates refuse much less with a reason) and above
// today's chips: Borealis had 216 modes (Madsen et al., Nature 606, 75
// (2022)).
const (
	// MaxModes bounds the modes; an m-mode transfer matrix takes 16·m²
	// bytes (16 MiB at 1024 modes).
	MaxModes = 1024
	// MaxPhotons bounds the photons of the input state.
	MaxPhotons = 1024
	// MaxOps bounds the components of a program.
	MaxOps = 1 << 20
)

// UnitaryTolerance is how far a unitary component may be from unitary:
// every entry of U†U − I must be within it. It is numpy.allclose's default
// absolute tolerance (1e-8), which numpy-based frameworks use to accept a
// matrix as unitary; a matrix printed by Print (shortest round-trip
// floats) of a unitary computed in double precision is within 1e-15.
const UnitaryTolerance = 1e-8

// OpKind is the kind of a component.
type OpKind uint8

// The component kinds. Their text keywords are given by String.
const (
	// OpBeamSplitter mixes two modes; see BeamSplitter for the matrix.
	OpBeamSplitter OpKind = iota
	// OpPhaseShift multiplies one mode by e^{iφ} (Perceval's PS).
	OpPhaseShift
	// OpUnitary applies an arbitrary k×k unitary to k distinct modes.
	OpUnitary
	// OpLoss lets each photon of the listed modes through with
	// probability Eta (the transmissivity) and loses it otherwise: on
	// amplitudes, a factor √η on each listed mode.
	OpLoss
	numOpKinds
)

var opKeywords = [numOpKinds]string{"bs", "ps", "unitary", "loss"}

// String returns the component's keyword in the text format.
func (k OpKind) String() string {
	if k < numOpKinds {
		return opKeywords[k]
	}
	return fmt.Sprintf("opkind(%d)", uint8(k))
}

// BeamSplitter holds a beam splitter's angles in Perceval's parametrisation
// and its default (Rx) convention: the component BS(theta, phi_tl, phi_bl,
// phi_tr, phi_br, convention=BSConvention.Rx) of Perceval's
// perceval/components/unitary_components.py. Its matrix, on the modes
// (top, bottom) as listed, is
//
//	[ cos(θ/2)·e^{i(φtl+φtr)}    i·sin(θ/2)·e^{i(φtr+φbl)} ]
//	[ i·sin(θ/2)·e^{i(φtl+φbr)}  cos(θ/2)·e^{i(φbl+φbr)}   ]
//
// where tl and bl are the top and bottom inputs, tr and br the top and
// bottom outputs. Perceval's default, BS() with θ = π/2 and every φ = 0,
// is the balanced (50:50) beam splitter (1/√2)·[[1, i], [i, 1]]; the
// reflectivity is R = cos²(θ/2). The zero BeamSplitter is θ = 0, full
// transmission; use BalancedBS for the default.
type BeamSplitter struct {
	Theta                      float64
	PhiTL, PhiBL, PhiTR, PhiBR float64
}

// DefaultTheta is the θ of Perceval's BS(): π/2, a balanced beam splitter.
const DefaultTheta = math.Pi / 2

// BalancedBS returns Perceval's default beam splitter, BS(): θ = π/2, no
// phases.
func BalancedBS() BeamSplitter { return BeamSplitter{Theta: DefaultTheta} }

// Matrix returns the beam splitter's 2×2 matrix, row-major, entry [out][in]
// (see BeamSplitter).
func (bs BeamSplitter) Matrix() [4]complex128 {
	c, s := math.Cos(bs.Theta/2), math.Sin(bs.Theta/2)
	return [4]complex128{
		complex(c, 0) * phase(bs.PhiTL+bs.PhiTR), complex(0, s) * phase(bs.PhiTR+bs.PhiBL),
		complex(0, s) * phase(bs.PhiTL+bs.PhiBR), complex(c, 0) * phase(bs.PhiBL+bs.PhiBR),
	}
}

// phase returns e^{iφ}.
func phase(phi float64) complex128 {
	s, c := math.Sincos(phi)
	return complex(c, s)
}

// Detector is how a mode's photons are counted at the end.
type Detector uint8

// The detectors.
const (
	// PNR is a photon-number-resolving detector: the outcome is the number
	// of photons in the mode. Every mode has one unless a detect statement
	// says otherwise.
	PNR Detector = iota
	// Threshold is a click detector (an avalanche photodiode): the outcome
	// is 1 when one or more photons arrive, 0 when none does.
	Threshold
	numDetectors
)

var detectorNames = [numDetectors]string{"pnr", "threshold"}

// String returns the detector's name in the text format.
func (d Detector) String() string {
	if d < numDetectors {
		return detectorNames[d]
	}
	return fmt.Sprintf("detector(%d)", uint8(d))
}

// Op is one component of a linear-optical circuit.
type Op struct {
	Kind OpKind
	// Modes are the modes it acts on: (top, bottom) for a beam splitter,
	// one mode for a phase shifter, the k modes of a unitary in the order
	// of its rows and columns, the modes of a loss channel.
	Modes []int
	BS    BeamSplitter // OpBeamSplitter
	Phi   float64      // OpPhaseShift: the phase φ in radians
	// U is an OpUnitary's k×k matrix, row-major, U[out*k+in]: a photon
	// entering Modes[in] leaves in Modes[out] with amplitude U[out*k+in].
	U   []complex128
	Eta float64 // OpLoss: the transmissivity, in [0, 1]
	Pos sokr.Position
}

// Matrix returns the op's k×k matrix on its Modes, row-major, entry
// [out][in]: a loss channel's is diagonal with √η.
func (o *Op) Matrix() []complex128 {
	switch o.Kind {
	case OpBeamSplitter:
		m := o.BS.Matrix()
		return m[:]
	case OpPhaseShift:
		return []complex128{phase(o.Phi)}
	case OpUnitary:
		return o.U
	case OpLoss:
		k := len(o.Modes)
		m := make([]complex128, k*k)
		for i := range k {
			m[i*k+i] = complex(math.Sqrt(o.Eta), 0)
		}
		return m
	}
	return nil
}

// Program is a verified linear-optics program: photons in a Fock state
// enter Modes modes, pass the components Ops in order, and are counted by
// each mode's detector. Build one with Parse, the IR plugin or a Builder;
// a verified Program is immutable and safe for concurrent use.
type Program struct {
	Modes int
	// Input is the Fock state that enters: Input[i] photons in mode i.
	Input FockState
	Ops   []Op
	// Detectors has one entry per mode (PNR unless a detect statement
	// says otherwise).
	Detectors []Detector
	// ModesPos and InputPos locate those statements in the source (zero
	// for built programs), for the messages of substrates.
	ModesPos, InputPos sokr.Position

	// src is the text the IR plugin parsed, for ProgramSource.
	src []byte

	reqOnce sync.Once
	req     sokr.Requirements
	memo    sync.Map
}

var (
	_ sokr.Program      = (*Program)(nil)
	_ sokr.InputChecker = (*Program)(nil)
)

// Format returns "sokr.photonic/1".
func (p *Program) Format() string { return Format }

// Photons is the number of photons of the input state.
func (p *Program) Photons() int {
	n := 0
	for _, k := range p.Input {
		n += k
	}
	return n
}

// Lossy reports whether any loss channel lets less than every photon
// through.
func (p *Program) Lossy() bool {
	for i := range p.Ops {
		if p.Ops[i].Kind == OpLoss && p.Ops[i].Eta != 1 {
			return true
		}
	}
	return false
}

// HasThreshold reports whether any mode has a threshold detector.
func (p *Program) HasThreshold() bool {
	for _, d := range p.Detectors {
		if d == Threshold {
			return true
		}
	}
	return false
}

// Quantity names of photonic requirements.
const (
	QuantityModes   = "modes"
	QuantityPhotons = "photons"
	// QuantityOps is the number of components.
	QuantityOps = "components"
	// QuantityFockStates is the number of n-photon Fock states of the
	// modes, C(m+n−1, n): the size of a full output distribution of a
	// lossless program (saturating at the largest int64).
	QuantityFockStates = "fock_states"
)

// Requirements lists the component kinds ("photonic:bs", "photonic:ps",
// "photonic:unitary"), "photonic:loss" when a loss channel loses photons,
// the detectors ("photonic:pnr", "photonic:threshold"), and the
// quantities modes, photons, components, fock_states and memory_bytes
// (the program's m×m complex transfer matrix, which every run builds).
func (p *Program) Requirements() sokr.Requirements {
	p.reqOnce.Do(func() {
		seen := map[string]bool{}
		var feats []string
		add := func(f string) {
			if !seen[f] {
				seen[f] = true
				feats = append(feats, f)
			}
		}
		for i := range p.Ops {
			o := &p.Ops[i]
			if o.Kind == OpLoss {
				if o.Eta != 1 {
					add("photonic:loss")
				}
				continue
			}
			add("photonic:" + o.Kind.String())
		}
		for _, d := range p.Detectors {
			add("photonic:" + d.String())
		}
		m := int64(p.Modes)
		p.req = sokr.Requirements{Features: feats, Quantities: map[string]int64{
			QuantityModes:            m,
			QuantityPhotons:          int64(p.Photons()),
			QuantityOps:              int64(len(p.Ops)),
			QuantityFockStates:       FockStates(p.Modes, p.Photons()),
			sokr.QuantityMemoryBytes: 16 * m * m,
		}}
	})
	return p.req
}

// FockStates returns C(m+n−1, n), the number of ways to put n photons in m
// modes, saturating at math.MaxInt64; 0 when m < 1 (and n > 0) or n < 0.
func FockStates(m, n int) int64 {
	switch {
	case n < 0 || m < 0:
		return 0
	case n == 0:
		return 1
	case m == 0:
		return 0
	}
	// C(m+n-1, n) = prod_{i=1..n} (m-1+i)/i, exact at every step: the
	// running product after step i is C(m-1+i, i).
	k := min(n, m-1) // C(a, b) = C(a, a-b)
	a := m + n - 1
	var c uint64 = 1
	for i := 1; i <= k; i++ {
		num := uint64(a - k + i)
		hi, lo := bits.Mul64(c, num)
		if hi != 0 || lo/uint64(i) > math.MaxInt64 {
			return math.MaxInt64
		}
		c = lo / uint64(i)
	}
	return int64(c)
}

// CheckInputs accepts no inputs: a photonic program carries its input
// state and its parameters in its text.
func (p *Program) CheckInputs(inputs []sokr.Tensor) error {
	if len(inputs) != 0 {
		return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("a %s program takes no inputs (its input state is part of the program), got %d", Format, len(inputs))}
	}
	return nil
}

// Memo returns the value stored under key, computing it with build on first
// use. Substrates use it to keep what they derive from the program (its
// transfer matrix) with it, so that it is freed with it.
func (p *Program) Memo(key any, build func() any) any {
	if v, ok := p.memo.Load(key); ok {
		return v
	}
	v, _ := p.memo.LoadOrStore(key, build())
	return v
}

// Transfer returns the program's m×m transfer matrix T, row-major, entry
// [out][in]: the product of its components' matrices (the first component
// rightmost), loss channels as √η on their modes. A photon entering mode
// j leaves in mode i with amplitude T[i*m+j]; T is unitary when no loss
// channel loses photons, a contraction otherwise. The caller must not
// modify the returned slice (it is computed once and kept).
func (p *Program) Transfer() []complex128 {
	return p.Memo(transferKey{}, func() any { return p.transfer() }).([]complex128)
}

type transferKey struct{}

// transfer multiplies the components onto the identity, each acting on the
// rows of its modes: O(m) per beam splitter, O(k²·m) per k-mode unitary.
func (p *Program) transfer() []complex128 {
	m := p.Modes
	t := make([]complex128, m*m)
	for i := range m {
		t[i*m+i] = 1
	}
	var rows []complex128
	for i := range p.Ops {
		o := &p.Ops[i]
		k := len(o.Modes)
		mat := o.Matrix()
		if o.Kind == OpLoss || o.Kind == OpPhaseShift {
			for r, mode := range o.Modes {
				f := mat[r*k+r]
				row := t[mode*m : (mode+1)*m]
				for c := range row {
					row[c] *= f
				}
			}
			continue
		}
		if cap(rows) < k*m {
			rows = make([]complex128, k*m)
		}
		rows = rows[:k*m]
		clear(rows)
		for r := range k {
			out := rows[r*m : (r+1)*m]
			for c, mode := range o.Modes {
				f := mat[r*k+c]
				if f == 0 {
					continue
				}
				in := t[mode*m : (mode+1)*m]
				for x := range out {
					out[x] += f * in[x]
				}
			}
		}
		for r, mode := range o.Modes {
			copy(t[mode*m:(mode+1)*m], rows[r*m:(r+1)*m])
		}
	}
	return t
}
