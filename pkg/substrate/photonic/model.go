package photonic

import (
	"math"
	"math/cmplx"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
)

// model is what every run of a program needs, derived once from its
// transfer matrix T (m×m) and kept with the program (Program.Memo).
//
// Only the columns of T of the occupied input modes matter. With k such
// modes, their Gram matrix G = T_d†T_d (k×k) says how loss acts on the
// input: G = I without loss, G = η·I when every photon meets the same
// total transmissivity η wherever it goes (uniform loss: loss channels
// with one η on every mode, anywhere in the circuit), anything between 0
// and I otherwise.
//
// Loss is simulated exactly in one of two ways:
//
//   - Uniform loss commutes with the interferometer, so it can act at the
//     input instead: each photon survives with probability η,
//     independently, and the survivors pass the unitary T/√η. A sample
//     first draws the survivors, then samples them without loss: the
//     standard way to sample with uniform loss, and cheaper than the
//     dilation (permanents of about ηn photons instead of n).
//   - Any other loss is a dilation: k virtual environment modes are
//     appended below the m modes, with rows R such that R†R = I − G
//     (a Cholesky factor). The m+k rows then have orthonormal columns,
//     like a lossless interferometer on m+k modes, and the photons that
//     reach the environment rows are the lost ones. The marginal
//     distribution of the m modes is that of the physical environment,
//     whatever its size: it depends on the environment only through the
//     Gram matrix of its rows, which is I − G either way.
//
// Exact probabilities always use the dilation (for uniform loss,
// R = √(1−η)·I), and then sum over the environment.
type model struct {
	m int // system modes
	n int // photons
	// occ[d] is the occupation of the d-th occupied input mode; photon[p]
	// is the occupied-mode index of photon p (photons sorted by mode).
	occ    []int
	photon []int
	// inFact is Π occ! (the input's normalisation).
	inFact float64

	uniform bool
	eta     float64 // uniform: the transmissivity every photon sees
	// thin is (uniform, eta > 0) T_d/√η, m×k row-major: the unitary
	// columns the survivors of uniform loss pass.
	thin []complex128
	// dil are the dilated columns, mm×k row-major, mm = m without loss and
	// m+k with it: T_d above R.
	dil []complex128
	mm  int

	threshold []bool // per system mode
}

// uniformTolerance decides when G is η·I: both paths are exact, so the
// tolerance only picks the faster one; 1e-10 leaves room for the
// rounding of a long circuit's product (1e-15 per component).
const uniformTolerance = 1e-10

// choleskyFloor is the pivot below which I − G counts as singular there
// (the photon of that column cannot be lost, or only together with the
// others): zeroing it changes I − G by at most that much, while dividing
// by its root would amplify rounding (1e-16) by up to 1e6.
const choleskyFloor = 1e-12

func newModel(p *ir.Program) *model {
	t := p.Transfer()
	m := p.Modes
	md := &model{m: m, inFact: 1, threshold: make([]bool, m)}
	for i, d := range p.Detectors {
		md.threshold[i] = d == ir.Threshold
	}
	var modes []int
	for i, c := range p.Input {
		if c == 0 {
			continue
		}
		for range c {
			md.photon = append(md.photon, len(modes))
		}
		modes = append(modes, i)
		md.occ = append(md.occ, c)
		md.inFact *= factorial(c)
	}
	md.n = len(md.photon)
	k := len(modes)
	// T_d and its Gram matrix.
	td := make([]complex128, m*k)
	for i := range m {
		for d, mode := range modes {
			td[i*k+d] = t[i*m+mode]
		}
	}
	g := make([]complex128, k*k)
	for a := range k {
		for b := range k {
			var s complex128
			for i := range m {
				s += cmplx.Conj(td[i*k+a]) * td[i*k+b]
			}
			g[a*k+b] = s
		}
	}
	md.uniform, md.eta = true, 1
	if k > 0 {
		md.eta = real(g[0])
	}
	for a := range k {
		for b := range k {
			want := complex(0, 0)
			if a == b {
				want = complex(md.eta, 0)
			}
			if cmplx.Abs(g[a*k+b]-want) > uniformTolerance {
				md.uniform = false
			}
		}
	}
	if md.uniform && math.Abs(md.eta-1) <= uniformTolerance {
		md.eta = 1
	}
	lossless := md.uniform && md.eta == 1
	if md.uniform {
		md.eta = min(max(md.eta, 0), 1)
		if md.eta > 0 {
			md.thin = make([]complex128, m*k)
			s := complex(1/math.Sqrt(md.eta), 0)
			for i, z := range td {
				md.thin[i] = z * s
			}
		}
	}
	if lossless {
		md.dil, md.mm = td, m
		return md
	}
	// R with R†R = I − G, upper triangular, by Cholesky with zero pivots
	// skipped (I − G is positive semidefinite: a pivot that vanishes has a
	// vanishing row and column in the Schur complement).
	md.mm = m + k
	md.dil = make([]complex128, md.mm*k)
	copy(md.dil, td)
	r := md.dil[m*k:]
	for j := range k {
		d := 1 - real(g[j*k+j])
		for i := range j {
			d -= sq(r[i*k+j])
		}
		if d <= choleskyFloor {
			continue // row j of R stays zero
		}
		rjj := math.Sqrt(d)
		r[j*k+j] = complex(rjj, 0)
		for l := j + 1; l < k; l++ {
			h := -g[j*k+l]
			for i := range j {
				h -= cmplx.Conj(r[i*k+j]) * r[i*k+l]
			}
			r[j*k+l] = h / complex(rjj, 0)
		}
	}
	return md
}

// lossless reports a program that loses no photon.
func (md *model) lossless() bool { return md.mm == md.m }

// modelKey is the Program.Memo key of the model.
type modelKey struct{}

func modelOf(p *ir.Program) *model {
	return p.Memo(modelKey{}, func() any { return newModel(p) }).(*model)
}

// modelBytes bounds what newModel allocates for a program of m modes and
// k occupied input modes of n photons, the transfer matrix included.
func modelBytes(m, k, n int) int64 {
	m64, k64 := int64(m), int64(k)
	return 16*m64*m64 + // the transfer matrix
		16*m64*k64*3 + // T_d, thin, and the dilation's T_d
		16*k64*k64*2 + // G and R
		8*int64(m+2*n+2*k) + 512
}

func sq(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

// factorial returns n! as a float64 (exact to 22!, within rounding above).
func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}
