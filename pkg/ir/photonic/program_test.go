package photonic

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// tol is the tolerance of matrix comparisons: a few ulps of products of a
// handful of double-precision factors.
const tol = 1e-14

func assertMatrix(t *testing.T, want, got []complex128, msg ...any) {
	t.Helper()
	require.Len(t, got, len(want), msg...)
	for i := range want {
		assert.InDelta(t, 0, cmplx.Abs(want[i]-got[i]), tol, "entry %d: want %v, got %v %v", i, want[i], got[i], msg)
	}
}

// TestBeamSplitterMatrix checks the matrix against Perceval's BS (Rx)
// formula, written out independently of BeamSplitter.Matrix.
func TestBeamSplitterMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		th, tl, bl, tr, br := r.Float64()*4*math.Pi, r.Float64()*6, r.Float64()*6, r.Float64()*6, r.Float64()*6
		c, s := math.Cos(th/2), math.Sin(th/2)
		want := []complex128{
			complex(c, 0) * cmplx.Exp(complex(0, tl+tr)), complex(0, s) * cmplx.Exp(complex(0, tr+bl)),
			complex(0, s) * cmplx.Exp(complex(0, tl+br)), complex(c, 0) * cmplx.Exp(complex(0, bl+br)),
		}
		m := BeamSplitter{Theta: th, PhiTL: tl, PhiBL: bl, PhiTR: tr, PhiBR: br}.Matrix()
		assertMatrix(t, want, m[:])
		assert.Less(t, UnitaryDeviation(m[:], 2), tol)
	}
	m := BalancedBS().Matrix()
	h := complex(1/math.Sqrt2, 0)
	assertMatrix(t, []complex128{h, 1i * h, 1i * h, h}, m[:], "Perceval's BS()")
	m = BeamSplitter{}.Matrix()
	assertMatrix(t, []complex128{1, 0, 0, 1}, m[:], "theta=0 transmits")
}

// TestTransferMachZehnder checks a Mach–Zehnder interferometer, BS · PS(φ)
// · BS, against its closed form: T00 = (e^{iφ}−1)/2, T10 = i(e^{iφ}+1)/2,
// so a photon in mode 0 leaves in mode 0 with probability sin²(φ/2).
func TestTransferMachZehnder(t *testing.T) {
	for _, phi := range []float64{0, 0.3, math.Pi / 2, math.Pi, 4} {
		p, err := NewBuilder(2).Input(1, 0).BS(0, 1).PS(0, phi).BS(0, 1).Build()
		require.NoError(t, err)
		tr := p.Transfer()
		e := cmplx.Exp(complex(0, phi))
		assertMatrix(t, []complex128{(e - 1) / 2, 1i * (1 + e) / 2, 1i * (e + 1) / 2, (1 - e) / 2}, tr, "phi", phi)
		assert.InDelta(t, math.Pow(math.Sin(phi/2), 2), sq(tr[0]), tol)
	}
}

// TestTransferSubsetOrder checks that a unitary's rows and columns follow
// its listed modes, and that loss scales rows by √η.
func TestTransferSubsetOrder(t *testing.T) {
	u := []complex128{0.6, 0.8i, 0.8i, 0.6}
	p, err := NewBuilder(3).Input(1, 0, 0).Unitary([]int{2, 0}, u).Loss(0.25, 2).Build()
	require.NoError(t, err)
	// Modes (2, 0): T[2][2] = u00, T[2][0] = u01, T[0][2] = u10, T[0][0] = u11;
	// then row 2 times √0.25.
	want := []complex128{
		0.6, 0, 0.8i,
		0, 1, 0,
		0.5 * 0.8i, 0, 0.5 * 0.6,
	}
	assertMatrix(t, want, p.Transfer())
	assert.True(t, p.Lossy())
	assert.Same(t, &p.Transfer()[0], &p.Transfer()[0], "computed once")
}

// TestTransferUnitary checks that random lossless circuits have unitary
// transfer matrices equal to the product of their components' embedded
// matrices, multiplied naively.
func TestTransferUnitary(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const m = 5
	b := NewBuilder(m).Input(1, 1, 0, 1, 0)
	want := identity(m)
	for range 30 {
		var modes []int
		var mat []complex128
		switch r.IntN(3) {
		case 0:
			a, c := r.IntN(m), r.IntN(m-1)
			if c >= a {
				c++
			}
			bs := BeamSplitter{Theta: r.Float64() * 6, PhiTL: r.Float64(), PhiBL: r.Float64(), PhiTR: r.Float64(), PhiBR: r.Float64()}
			b.BeamSplitter(a, c, bs)
			mm := bs.Matrix()
			modes, mat = []int{a, c}, mm[:]
		case 1:
			a, phi := r.IntN(m), r.Float64()*6
			b.PS(a, phi)
			modes, mat = []int{a}, []complex128{cmplx.Exp(complex(0, phi))}
		default:
			modes = r.Perm(m)[:3]
			mat = randomUnitary(r, 3)
			b.Unitary(modes, mat)
		}
		want = mul(embed(m, modes, mat), want, m)
	}
	p, err := b.Build()
	require.NoError(t, err)
	assertMatrix(t, want, p.Transfer())
	assert.Less(t, UnitaryDeviation(p.Transfer(), m), 1e-13)
	assert.False(t, p.Lossy())
}

func TestRequirements(t *testing.T) {
	p, err := NewBuilder(3).Input(2, 1, 0).BS(0, 1).Loss(1).Detect(Threshold, 2).Build()
	require.NoError(t, err)
	r := p.Requirements()
	assert.Equal(t, []string{"photonic:bs", "photonic:pnr", "photonic:threshold"}, r.Features, "a loss of η=1 loses nothing")
	assert.Equal(t, map[string]int64{"modes": 3, "photons": 3, "components": 2, "fock_states": 10, "memory_bytes": 144}, r.Quantities)
	assert.False(t, p.Lossy())
	assert.True(t, p.HasThreshold())
	assert.Equal(t, 3, p.Photons())

	p, err = NewBuilder(2).Input(1, 0).Loss(0.5, 1).Build()
	require.NoError(t, err)
	assert.Equal(t, []string{"photonic:loss", "photonic:pnr"}, p.Requirements().Features)
	assert.False(t, p.HasThreshold())
}

func TestCheckInputsAndMemo(t *testing.T) {
	p, err := NewBuilder(1).Input(1).Build()
	require.NoError(t, err)
	require.NoError(t, p.CheckInputs(nil))
	err = p.CheckInputs([]sokr.Tensor{sokr.Scalar(1.0)})
	assert.ErrorIs(t, err, sokr.ErrInvalidInput)
	calls := 0
	for range 3 {
		v := p.Memo("k", func() any { calls++; return 7 })
		assert.Equal(t, 7, v)
	}
	assert.Equal(t, 1, calls)
}

func TestVerify(t *testing.T) {
	ok := func() *Program {
		return &Program{Modes: 2, Input: FockState{1, 1}, Detectors: []Detector{PNR, PNR},
			Ops: []Op{{Kind: OpBeamSplitter, Modes: []int{0, 1}, BS: BalancedBS()}}}
	}
	require.NoError(t, Verify(ok()))
	for _, c := range []struct {
		name   string
		break_ func(p *Program)
		msg    string
	}{
		{"modes", func(p *Program) { p.Modes = 0 }, "the program has 0 modes"},
		{"modes-max", func(p *Program) { p.Modes = MaxModes + 1 }, "1 to 1024"},
		{"input-len", func(p *Program) { p.Input = FockState{1} }, "the input state |1> has 1 modes, the program 2"},
		{"input-neg", func(p *Program) { p.Input[1] = -1 }, "-1 photons in mode 1"},
		{"input-many", func(p *Program) { p.Input[1] = MaxPhotons }, "more than 1024 photons"},
		{"kind", func(p *Program) { p.Ops[0].Kind = numOpKinds }, "component 0 (opkind(4)): unknown component kind 4"},
		{"bs-modes", func(p *Program) { p.Ops[0].Modes = []int{0} }, "component 0 (bs): bs acts on 2 mode(s), got 1"},
		{"range", func(p *Program) { p.Ops[0].Modes = []int{0, 2} }, "mode 2 is out of range"},
		{"neg", func(p *Program) { p.Ops[0].Modes = []int{-1, 0} }, "mode -1 is out of range"},
		{"dup", func(p *Program) { p.Ops[0].Modes = []int{1, 1} }, "mode 1 is listed twice"},
		{"theta", func(p *Program) { p.Ops[0].BS.Theta = math.NaN() }, "theta is NaN"},
		{"phi_br", func(p *Program) { p.Ops[0].BS.PhiBR = math.Inf(1) }, "phi_br is +Inf"},
		{"ps", func(p *Program) { p.Ops[0] = Op{Kind: OpPhaseShift, Modes: []int{0}, Phi: math.Inf(-1)} }, "component 0 (ps): phi is -Inf"},
		{"loss", func(p *Program) { p.Ops[0] = Op{Kind: OpLoss, Modes: []int{0}, Eta: math.NaN()} }, "eta is NaN"},
		{"loss-empty", func(p *Program) { p.Ops[0] = Op{Kind: OpLoss, Eta: 1} }, "loss acts on at least one mode"},
		{"unitary-size", func(p *Program) { p.Ops[0] = Op{Kind: OpUnitary, Modes: []int{0, 1}, U: []complex128{1}} }, "2×2 = 4 entries, got 1"},
		{"unitary-many", func(p *Program) { p.Ops[0] = Op{Kind: OpUnitary, Modes: []int{0, 1, 0}} }, "unitary on 3 modes; the program has 2"},
		{"unitary-nan", func(p *Program) {
			p.Ops[0] = Op{Kind: OpUnitary, Modes: []int{0}, U: []complex128{complex(0, math.NaN())}}
		}, "entry [0][0] is (0+NaNi)"},
		{"unitary-not", func(p *Program) { p.Ops[0] = Op{Kind: OpUnitary, Modes: []int{0}, U: []complex128{2}} }, "not unitary"},
		{"detectors", func(p *Program) { p.Detectors = nil }, "0 detectors for 2 modes"},
		{"detector", func(p *Program) { p.Detectors[1] = 7 }, "mode 1 has an unknown detector detector(7)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := ok()
			c.break_(p)
			err := Verify(p)
			require.Error(t, err)
			assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
			assert.Contains(t, err.Error(), c.msg)
			_ = p.String() // printing an invalid program does not panic
		})
	}
	assert.ErrorIs(t, Verify(nil), sokr.ErrInvalidProgram)
	assert.True(t, math.IsInf(UnitaryDeviation([]complex128{complex(math.NaN(), 0)}, 1), 1))
}

func TestBuilder(t *testing.T) {
	p, err := NewBuilder(2).Input(0, 1).Loss(0.5).Detect(Threshold).Detect(PNR, 0).Build()
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, p.Ops[0].Modes)
	assert.Equal(t, []Detector{PNR, Threshold}, p.Detectors)

	_, err = NewBuilder(2).Input(1, 1).Detect(Threshold, 2).Build()
	assert.ErrorContains(t, err, "Detect(threshold, [2]): mode 2 is out of range")
	_, err = NewBuilder(0).Input().Detect(Threshold).Loss(1).Build()
	assert.ErrorContains(t, err, "the program has 0 modes")
	_, err = NewBuilder(2).Input(1, 1).BS(0, 1).PS(3, 0).Build()
	assert.ErrorContains(t, err, "component 1 (ps): mode 3 is out of range")
	_, err = NewBuilder(2).Build()
	require.NoError(t, err, "the vacuum is a valid input")
}

func sq(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

func identity(m int) []complex128 {
	u := make([]complex128, m*m)
	for i := range m {
		u[i*m+i] = 1
	}
	return u
}

// embed places the k×k matrix mat on modes of an m×m identity.
func embed(m int, modes []int, mat []complex128) []complex128 {
	u := identity(m)
	k := len(modes)
	for r, a := range modes {
		for c, b := range modes {
			u[a*m+b] = mat[r*k+c]
		}
	}
	return u
}

func mul(a, b []complex128, m int) []complex128 {
	out := make([]complex128, m*m)
	for i := range m {
		for k := range m {
			for j := range m {
				out[i*m+j] += a[i*m+k] * b[k*m+j]
			}
		}
	}
	return out
}

// randomUnitary returns a k×k unitary from Gram–Schmidt on a complex
// Gaussian matrix (Haar-distributed up to column phases, which does not
// matter here).
func randomUnitary(r *rand.Rand, k int) []complex128 {
	u := make([]complex128, k*k)
	for i := range u {
		u[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	for c := range k {
		for p := range c {
			var d complex128
			for i := range k {
				d += cmplx.Conj(u[i*k+p]) * u[i*k+c]
			}
			for i := range k {
				u[i*k+c] -= d * u[i*k+p]
			}
		}
		var n float64
		for i := range k {
			n += sq(u[i*k+c])
		}
		n = math.Sqrt(n)
		for i := range k {
			u[i*k+c] /= complex(n, 0)
		}
	}
	return u
}
