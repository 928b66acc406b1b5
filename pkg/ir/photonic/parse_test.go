package photonic

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// canonical are programs in canonical form: each parses and prints back
// to itself.
var canonical = []struct{ name, src string }{
	{"vacuum", "sokr.photonic/1\nmodes 1\ninput |0>\n"},
	{"hom", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"},
	{"bs-params", "sokr.photonic/1\nmodes 3\ninput |1,0,2>\nbs 2, 0, theta=1.2, phi_tl=0.1, phi_bl=-0.2, phi_tr=3, phi_br=1e-09\n"},
	{"theta-zero", "sokr.photonic/1\nmodes 2\ninput |1,0>\nbs 0, 1, theta=0\n"},
	{"ps", "sokr.photonic/1\nmodes 2\ninput |0,1>\nps 1, phi=0.5\nps 0, phi=0\n"},
	{"unitary", "sokr.photonic/1\nmodes 3\ninput |1,1,0>\nunitary 2, 0 = [[0.6, 0.8i],\n  [0.8i, 0.6]]\n"},
	{"unitary-1", "sokr.photonic/1\nmodes 2\ninput |1,0>\nunitary 1 = [[-0.6-0.8i]]\n"},
	{"permutation", "sokr.photonic/1\nmodes 3\ninput |1,2,3>\nunitary 0, 1, 2 = [[0, 0, 1],\n  [1, 0, 0],\n  [0, 1, 0]]\n"},
	{"loss", "sokr.photonic/1\nmodes 3\ninput |1,1,1>\nloss eta=0.9\nloss 2, 0, eta=0.5\nloss 1, eta=1\nloss eta=0\nloss 0, 2, 1, eta=0.25\n"},
	{"detect", "sokr.photonic/1\nmodes 4\ninput |1,1,0,0>\nbs 0, 1\ndetect threshold 1, 3\n"},
	{"detect-all", "sokr.photonic/1\nmodes 2\ninput |1,1>\ndetect threshold\n"},
}

func TestParseCanonical(t *testing.T) {
	for _, c := range canonical {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.src))
			require.NoError(t, err)
			assert.Equal(t, c.src, p.String())
		})
	}
}

// TestParseForms checks the forms that are not canonical: spacing,
// comments, pi expressions, continuation lines, detect pnr, defaults.
func TestParseForms(t *testing.T) {
	src := `

  # a comment before the header
	sokr.photonic/1   # and after it
modes 3
input | 1 , 0,1 >
bs 0,1,theta=pi/2          # the default
bs 1, 2, theta = -3*pi/4, phi_br=pi
ps 2, phi=2*pi/3
unitary 0, 2 = [
    [0.6, 0.8i],   # rows on lines of their own
    [0.8i, 0.6]
]
loss 0, 1, 2, eta=0.5      # every mode, in order: printed without modes
detect threshold 0, 1
detect pnr 2
`
	p, err := Parse([]byte(src))
	require.NoError(t, err)
	assert.Equal(t, 3, p.Modes)
	assert.Equal(t, FockState{1, 0, 1}, p.Input)
	require.Len(t, p.Ops, 5)
	assert.Equal(t, BalancedBS(), p.Ops[0].BS)
	assert.Equal(t, BeamSplitter{Theta: -3 * math.Pi / 4, PhiBR: math.Pi}, p.Ops[1].BS)
	twoThirds := math.Pi
	twoThirds *= 2
	twoThirds /= 3 // as the parser computes it, not as a constant
	assert.Equal(t, twoThirds, p.Ops[2].Phi)
	assert.Equal(t, []complex128{0.6, 0.8i, 0.8i, 0.6}, p.Ops[3].U)
	assert.Equal(t, sokr.Position{Line: 10, Col: 1}, p.Ops[3].Pos)
	assert.Equal(t, []int{0, 1, 2}, p.Ops[4].Modes)
	assert.Equal(t, []Detector{Threshold, Threshold, PNR}, p.Detectors)
	assert.Equal(t, sokr.Position{Line: 5, Col: 1}, p.ModesPos)
	assert.Equal(t, sokr.Position{Line: 6, Col: 1}, p.InputPos)
	want := `sokr.photonic/1
modes 3
input |1,0,1>
bs 0, 1
bs 1, 2, theta=-2.356194490192345, phi_br=3.141592653589793
ps 2, phi=2.0943951023931953
unitary 0, 2 = [[0.6, 0.8i],
  [0.8i, 0.6]]
loss eta=0.5
detect threshold 0, 1
`
	assert.Equal(t, want, p.String())
	// No final newline, CRLF line ends.
	p, err = Parse([]byte("sokr.photonic/1\r\nmodes 1\r\ninput |2>"))
	require.NoError(t, err)
	assert.Equal(t, FockState{2}, p.Input)
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"empty", "", 1, 1, "missing header"},
		{"comments-only", "# nothing\n\n", 1, 1, "missing header"},
		{"wrong-header", "sokr.native/1\n", 1, 1, `missing header: a photonic program starts with the line sokr.photonic/1, found "sokr.native/1"`},
		{"version", "  sokr.photonic/2\n", 1, 3, `unsupported version "sokr.photonic/2"`},
		{"no-modes", "sokr.photonic/1\n", 2, 1, "no modes statement"},
		{"modes-not-first", "sokr.photonic/1\ninput |1>\n", 2, 1, "the first statement is modes N"},
		{"modes-zero", "sokr.photonic/1\nmodes 0\n", 2, 7, "want an integer from 1 to 1024"},
		{"modes-huge", "sokr.photonic/1\nmodes 99999999999999999999\n", 2, 7, "want an integer from 1 to 1024"},
		{"modes-twice", "sokr.photonic/1\nmodes 2\nmodes 2\n", 3, 1, "a second modes statement"},
		{"modes-extra", "sokr.photonic/1\nmodes 2 3\n", 2, 9, `unexpected "3" after the end of the statement`},
		{"no-input", "sokr.photonic/1\nmodes 2\n", 3, 1, "no input statement"},
		{"input-short", "sokr.photonic/1\nmodes 3\ninput |1,1>\n", 3, 1, "the input state |1,1> has 2 modes, the program 3"},
		{"input-long", "sokr.photonic/1\nmodes 1\ninput |1,1>\n", 3, 10, "more than 1 occupations"},
		{"input-bar", "sokr.photonic/1\nmodes 1\ninput 1\n", 3, 7, "expected '|' opening the input state"},
		{"input-neg", "sokr.photonic/1\nmodes 1\ninput |-1>\n", 3, 8, `photon number "-1"`},
		{"input-unclosed", "sokr.photonic/1\nmodes 2\ninput |1,1\n", 3, 11, "expected ',' or '>' in the input state, found end of line"},
		{"input-many", "sokr.photonic/1\nmodes 2\ninput |1000,1000>\n", 3, 13, "more than 1024 photons"},
		{"input-twice", "sokr.photonic/1\nmodes 1\ninput |1>\ninput |1>\n", 4, 1, "a second input statement"},
		{"component-first", "sokr.photonic/1\nmodes 2\nbs 0, 1\ninput |1,1>\n", 3, 1, "the input statement comes first"},
		{"unknown", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbss 0, 1\n", 4, 1, `unknown statement "bss" (did you mean bs?)`},
		{"punct", "sokr.photonic/1\nmodes 2\ninput |1,1>\n= 0\n", 4, 1, "expected a statement"},
		{"char", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0; 1\n", 4, 5, `unexpected character ';'`},
		{"utf8", "sokr.photonic/1\nmodes 2\ninput |1,1>\nps 0, phi=π\n", 4, 11, `unexpected character 'π'`},
		{"mode-range", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 2\n", 4, 7, "mode 2 is out of range: the program has modes 0 to 1"},
		{"mode-neg", "sokr.photonic/1\nmodes 2\ninput |1,1>\nps -1, phi=0\n", 4, 4, "mode numbers are non-negative"},
		{"mode-twice", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 1, 1\n", 4, 7, "mode 1 is listed twice (first at 4:4)"},
		{"bs-one", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 1\n", 4, 1, "a beam splitter acts on two modes"},
		{"bs-three", "sokr.photonic/1\nmodes 3\ninput |1,1,0>\nbs 0, 1, 2\n", 4, 1, "got 3 mode(s)"},
		{"bs-key", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, thet=1\n", 4, 10, `bs has no parameter "thet" (did you mean theta?)`},
		{"bs-key-twice", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta=1, theta=2\n", 4, 19, "parameter theta is given twice"},
		{"bs-no-eq", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta 1\n", 4, 16, "expected '=' after theta"},
		{"bs-nan", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta=NaN\n", 4, 16, "not a finite number"},
		{"bs-inf", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta=1e999\n", 4, 16, "not a finite number"},
		{"bs-pi", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta=pi*2\n", 4, 16, "want pi, -pi, X*pi, pi/Y or X*pi/Y"},
		{"bs-pi0", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1, theta=pi/0\n", 4, 16, "non-zero"},
		{"mode-after-key", "sokr.photonic/1\nmodes 3\ninput |1,1,0>\nloss 0, eta=0.5, 1\n", 4, 18, "list the modes first"},
		{"ps-no-phi", "sokr.photonic/1\nmodes 2\ninput |1,1>\nps 0\n", 4, 5, "ps needs its phase"},
		{"ps-two", "sokr.photonic/1\nmodes 2\ninput |1,1>\nps 0, 1, phi=1\n", 4, 1, "a phase shifter acts on one mode"},
		{"loss-no-eta", "sokr.photonic/1\nmodes 2\ninput |1,1>\nloss 0\n", 4, 7, "loss needs its transmissivity"},
		{"loss-range", "sokr.photonic/1\nmodes 2\ninput |1,1>\nloss eta=1.5\n", 4, 1, "eta is 1.5; a transmissivity is from 0 to 1"},
		{"loss-neg", "sokr.photonic/1\nmodes 2\ninput |1,1>\nloss 1, eta=-0.1\n", 4, 1, "eta is -0.1"},
		{"unitary-nomodes", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary = [[1]]\n", 4, 1, "a unitary lists its modes"},
		{"unitary-noeq", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 [[1]]\n", 4, 11, "expected '=' and the matrix"},
		{"unitary-rows", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0, 1 = [[1, 0]]\n", 4, 16, "the matrix has 1 rows; want 2"},
		{"unitary-more-rows", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1], [1]]\n", 4, 19, "more than 1 rows"},
		{"unitary-cols", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0, 1 = [[1], [0, 1]]\n", 4, 17, "row 0 has 1 entries; want 2"},
		{"unitary-more-cols", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1, 0]]\n", 4, 18, "row 0 has more than 1 entries"},
		{"unitary-entry", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1j]]\n", 4, 15, `entry [0][0] = "1j": not a finite complex number`},
		{"unitary-nan", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[NaN]]\n", 4, 15, "not a finite complex number"},
		{"unitary-not", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0, 1 = [[1, 1],\n [0, 1]]\n", 4, 1, "the matrix is not unitary: an entry of U†U − I is 1"},
		{"unitary-close", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0, 1 = [[0.7071, 0.7071],\n [0.7071, -0.7071]]\n", 4, 1, "not unitary: an entry of U†U − I is 1.92e-05, over the tolerance 1e-08"},
		{"unclosed", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1]\n", 4, 13, "'[' is never closed"},
		{"extra-bracket", "sokr.photonic/1\nmodes 2\ninput |1,1>\nunitary 0 = [[1]]]\n", 4, 18, "unexpected ']' after the end"},
		{"detect-kind", "sokr.photonic/1\nmodes 2\ninput |1,1>\ndetect treshold\n", 4, 8, `unknown detector "treshold" (did you mean threshold?)`},
		{"detect-none", "sokr.photonic/1\nmodes 2\ninput |1,1>\ndetect\n", 4, 7, "expected a detector"},
		{"detect-twice", "sokr.photonic/1\nmodes 2\ninput |1,1>\ndetect threshold 0\ndetect pnr 1, 0\n", 5, 1, "mode 0 already has a detector"},
		{"detect-range", "sokr.photonic/1\nmodes 2\ninput |1,1>\ndetect pnr 5\n", 4, 12, "mode 5 is out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.src))
			require.Error(t, err)
			assert.Nil(t, p)
			var perr *sokr.ProgramError
			require.ErrorAs(t, err, &perr)
			assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
			assert.Equal(t, Format, perr.Format)
			assert.Equal(t, sokr.Position{Line: c.line, Col: c.col}, perr.Pos, "%v", err)
			assert.Contains(t, perr.Msg, c.msg)
		})
	}
}

func TestDetect(t *testing.T) {
	ir := NewIR()
	assert.True(t, ir.Detect([]byte("sokr.photonic/1\nmodes 1\n")))
	assert.True(t, ir.Detect([]byte("\n  # comment\n sokr.photonic/1 # x\n")))
	assert.False(t, ir.Detect([]byte("sokr.native/1\n")))
	assert.False(t, ir.Detect([]byte("OPENQASM 2.0;\nsokr.photonic/1\n")))
	assert.False(t, ir.Detect(nil))
	assert.Equal(t, Format, ir.Format())
}

func TestIRParseContext(t *testing.T) {
	ir := NewIR()
	src := []byte(canonical[1].src)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := ir.Parse(ctx, src)
	assert.Nil(t, p)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = ir.Parse(ctx, src)
	assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)

	// A parse error comes back as a nil Program, not a nil *Program.
	p, err = ir.Parse(context.Background(), []byte("sokr.photonic/1\nmodes x\n"))
	assert.True(t, p == nil)
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)

	// A long source notices cancellation while it is read.
	long := []byte("sokr.photonic/1\nmodes 2\ninput |1,1>\n" + strings.Repeat("bs 0, 1\n", 4*1024))
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	poll := newPollFor(ctx)
	_, err = parse(long, poll)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
}

func TestParseReal(t *testing.T) {
	for s, want := range map[string]float64{
		"0.5": 0.5, "-2": -2, "1e-3": 1e-3, "pi": math.Pi, "-pi": -math.Pi, "pi/2": math.Pi / 2,
		"-pi/4": -math.Pi / 4, "3*pi/4": 3 * math.Pi / 4, "-0.5*pi": -0.5 * math.Pi, "2*pi": 2 * math.Pi,
	} {
		got, err := parseReal(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "x", "NaN", "Inf", "-Inf", "1e400", "pipi", "2pi", "pi*2", "pi/", "pi/0", "pi/x", "*pi", "1e308*pi", "pi/1e-320"} {
		_, err := parseReal(s)
		assert.Error(t, err, s)
	}
}

func TestParseFockState(t *testing.T) {
	s, err := ParseFockState(" |1, 0,2> ")
	require.NoError(t, err)
	assert.Equal(t, FockState{1, 0, 2}, s)
	assert.Equal(t, "|1,0,2>", s.String())
	assert.Equal(t, 3, s.Photons())
	// One digit and several, on both sides of Append's one-digit path.
	wide := FockState{9, 10, 0, 1024, 99}
	assert.Equal(t, "|9,10,0,1024,99>", wide.String())
	back, err := ParseFockState(wide.String())
	require.NoError(t, err)
	assert.Equal(t, wide, back)
	for _, bad := range []string{"", "|>", "| >", "1,0", "|1,0", "1,0>", "|1,,0>", "|-1>", "|x>", "|1025>", "|1.5>"} {
		_, err := ParseFockState(bad)
		assert.Error(t, err, bad)
	}
}

func TestFockStates(t *testing.T) {
	for _, c := range []struct {
		m, n int
		want int64
	}{
		{1, 0, 1}, {0, 0, 1}, {0, 3, 0}, {-1, 2, 0}, {2, -1, 0}, {1, 5, 1}, {2, 2, 3}, {4, 2, 10},
		{12, 6, 12376}, {3, 3, 10}, {20, 10, 20030010},
		{1024, 1024, math.MaxInt64}, {41, 20, 4191844505805495}, {60, 30, math.MaxInt64},
	} {
		assert.Equal(t, c.want, FockStates(c.m, c.n), "C(%d+%d-1, %d)", c.m, c.n, c.n)
	}
}

func TestResults(t *testing.T) {
	c := Counts{"|1,1>": 3, "|2,0>": 5, "|0,2>": 2}
	assert.Equal(t, int64(10), c.Shots())
	assert.Equal(t, []FockState{{2, 0}, {1, 1}, {0, 2}}, c.States())
	p := Probabilities{"|0,2>": 0.5, "|2,0>": 0.5}
	assert.InDelta(t, 1, p.Total(), 1e-15)
	assert.Equal(t, 0.5, p.Get(FockState{2, 0}))
	assert.Zero(t, p.Get(FockState{1, 1}))
	assert.Equal(t, []FockState{{2, 0}, {0, 2}}, p.States())
}

func TestErrorCarriesPositionThroughRuntime(t *testing.T) {
	rt := sokr.New()
	require.NoError(t, rt.RegisterIR(NewIR()))
	_, err := rt.Parse(context.Background(), "", []byte("sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 3\n"))
	var perr *sokr.ProgramError
	require.True(t, errors.As(err, &perr), "%v", err)
	assert.Equal(t, 4, perr.Pos.Line)
	prog, err := rt.Parse(context.Background(), "", []byte(canonical[1].src))
	require.NoError(t, err)
	assert.Equal(t, Format, prog.Format())
}

func newPollFor(ctx context.Context) *irparse.Poll {
	p := irparse.NewPoll(ctx)
	return &p
}
