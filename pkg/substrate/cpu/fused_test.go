package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The C evaluator of fused groups (fused.c) must compute exactly what the Go
// evaluator ((*group).run) computes: bit for bit, except that NaN payloads
// may differ and transcendental functions may differ by a few ulps (the Go
// and C math libraries are different implementations). These tests build
// groups through the real planner and run both evaluators on the same data.

// Lengths around one and two blocks (1024 elements in both evaluators) and
// the vector widths.
var fusedLens = []int{1, 7, 1023, 1024, 1025, 2047, 2049, 5000}

var (
	floatUnaryOps = []string{"neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"}
	intUnaryOps   = []string{"neg", "abs", "relu"}
	binaryOps     = []string{"add", "sub", "mul", "div", "pow", "max", "min"}
	compareOps    = []string{"eq", "ne", "lt", "le", "gt", "ge"}
	numericDTypes = []sokr.DType{sokr.F32, sokr.F64, sokr.I32, sokr.I64}
	allDTypes     = []sokr.DType{sokr.F32, sokr.F64, sokr.I32, sokr.I64, sokr.Bool}
)

// transcendental reports ops whose float results come from a math library:
// the Go and C results may differ by a few ulps there.
func transcendental(op string) bool {
	switch op {
	case "exp", "log", "tanh", "sigmoid", "sin", "cos", "pow":
		return true
	}
	return false
}

// tolerance decides whether C's float result got may stand for Go's want,
// given the operands of the element (args). Equal bits and two NaNs are
// always accepted; everything else must satisfy the tolerance.
type tolerance func(args []float64, got, want float64, ulps int64) bool

func exact([]float64, float64, float64, int64) bool { return false }

func withinULPs(n int64) tolerance {
	return func(_ []float64, _, _ float64, ulps int64) bool { return ulps <= n }
}

// mathTolerance is the accepted difference between the Go math package and
// the C library for op. f32 results are computed in float64 by both and
// rounded, so they agree but for a rare rounding of a 1-ulp f64
// difference. For f64, glibc is correctly rounded in practice, while Go's
// functions are not always: sin and cos lose a few ulps near multiples of
// pi and for huge arguments (an absolute error around 1e-15), math.Pow
// multiplies by repeated squaring (a relative error growing with the
// exponent), and on amd64 math.Log (and so math.Pow) is wrong for
// subnormal inputs (golang/go#56600: math.Log(5e-324) is -709.09, not
// -744.44): there log is checked against log(x*2^54) - 54 ln 2, and pow
// with a subnormal base is not compared.
func mathTolerance(op string, dt sokr.DType) tolerance {
	if !transcendental(op) {
		return exact
	}
	if dt == sokr.F32 {
		return withinULPs(1)
	}
	return func(args []float64, got, want float64, ulps int64) bool {
		if ulps <= 2 {
			return true
		}
		switch op {
		case "sin", "cos":
			return math.Abs(got-want) <= 1e-14
		case "log":
			if x := args[0]; x > 0 && x < 0x1p-1022 {
				ref := math.Log(x*0x1p54) - 54*math.Ln2
				return math.Abs(got-ref) <= 1e-13*math.Abs(ref)
			}
		case "pow":
			if x := math.Abs(args[0]); x > 0 && x < 0x1p-1022 {
				return true // Go's result is wrong (math.Log); C's is glibc's
			}
			if math.IsInf(got, 0) || math.IsInf(want, 0) || got == 0 || want == 0 {
				return false
			}
			// Go's error grows with the exponent; allow 2^-40 relative.
			return math.Abs(got-want) <= 0x1p-40*math.Abs(want)
		}
		return false
	}
}

// special values per dtype: zeros, infinities, NaNs, integer limits, the
// edges of float-to-integer conversion, subnormals.
func specials(dt sokr.DType) []float64 {
	switch dt {
	case sokr.F32, sokr.F64:
		v := []float64{
			math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
			1, -1, 0.5, -0.5, 1.5, -1.5, 2, 3, -3, 0.1, 1e-7, math.Pi, -math.Pi,
			100, -100, 88.5, -103.9, 709, -745, 1e10, -1e10, 1e30, -1e30,
			2147483647, 2147483648, -2147483648, -2147483649, 2147483520, -2147483904,
			1 << 53, 9223372036854775807, -9223372036854775808,
			9223371487098961920, -9223373136366403584, 1e19, -1e19,
		}
		if dt == sokr.F32 {
			return append(v, math.MaxFloat32, -math.MaxFloat32, 0x1p-149, -0x1p-149, 0x1p-126,
				math.Float64frombits(0x7ff8_0000_2000_0000), // a NaN with a payload
				-math.NaN())
		}
		return append(v, math.MaxFloat64, -math.MaxFloat64, 5e-324, -5e-324, 0x1p-1022, 1e300, -1e300,
			2147483647.9, -2147483648.9, math.Nextafter(0x1p63, 0), math.Nextafter(-0x1p63, -1e300),
			math.Float64frombits(0x7ff8_0000_0000_0123), -math.NaN())
	case sokr.I32:
		return []float64{math.MinInt32, math.MaxInt32, math.MinInt32 + 1, -1, 0, 1, 2, -2, 3, -3, 7, 31, 32, 33, -31, 46341, 65536}
	case sokr.I64:
		return []float64{math.MinInt64, math.MaxInt64, math.MinInt64 + 1024, -1, 0, 1, 2, -2, 3, -3, 7, 63, 64, -63, 3037000500, 1 << 32, -(1 << 32)}
	case sokr.Bool:
		return []float64{0, 1}
	}
	panic(dt)
}

// randomValue draws a value of dt: small integers (interesting for pow and
// div), wide floats, or a special.
func randomValue(rng *rand.Rand, dt sokr.DType) float64 {
	sp := specials(dt)
	switch dt {
	case sokr.Bool:
		return float64(rng.IntN(2))
	case sokr.F32, sokr.F64:
		switch rng.IntN(8) {
		case 0:
			return sp[rng.IntN(len(sp))]
		case 1:
			return float64(rng.IntN(41) - 20)
		case 2:
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		}
		return rng.NormFloat64() * 4
	case sokr.I32:
		switch rng.IntN(6) {
		case 0:
			return sp[rng.IntN(len(sp))]
		case 1:
			return float64(int32(rng.Uint32()))
		}
		return float64(rng.IntN(41) - 20)
	case sokr.I64:
		switch rng.IntN(6) {
		case 0:
			return sp[rng.IntN(len(sp))]
		case 1:
			return float64(rng.Int64() >> rng.IntN(63))
		}
		return float64(rng.IntN(41) - 20)
	}
	panic(dt)
}

// tensorOf stores v (in float64; integers beyond 2^53 are given exactly by
// the specials) as dt. The NaNs keep their payloads for f64.
func tensorOf(dt sokr.DType, v []float64, shape ...int) sokr.Tensor {
	t := sokr.NewTensor(dt, shape...)
	for i, x := range v {
		switch dt {
		case sokr.F32:
			sokr.View[float32](t)[i] = float32(x)
		case sokr.F64:
			sokr.View[float64](t)[i] = x
		case sokr.I32:
			sokr.View[int32](t)[i] = int32(x)
		case sokr.I64:
			switch x {
			case math.MaxInt64: // float64(MaxInt64) is 2^63
				sokr.View[int64](t)[i] = math.MaxInt64
			default:
				sokr.View[int64](t)[i] = int64(x)
			}
		case sokr.Bool:
			sokr.View[bool](t)[i] = x != 0
		}
	}
	return t
}

// operand kinds of a generated program.
const (
	full   = iota // param T[n]
	scalar        // param T[], broadcast
	splat         // const T[n] of one value, broadcast
)

type operand struct {
	kind int
	dt   sokr.DType
}

// fusedProgram is a one-op program over operands, and its inputs.
type fusedProgram struct {
	src    string
	inputs []sokr.Tensor
}

// makeProgram writes "r = op a0, a1, ..." with the given operands over n
// elements. Full operands get data from gen(i, k) for element k of operand
// i; scalar operands get gen(i, 0).
func makeProgram(op string, outDT sokr.DType, n int, ops []operand, gen func(i, k int) float64) fusedProgram {
	var b strings.Builder
	var fp fusedProgram
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = fmt.Sprintf("a%d", i)
		switch o.kind {
		case full:
			fmt.Fprintf(&b, "param a%d: %v[%d]\n", i, o.dt, n)
			v := make([]float64, n)
			for k := range v {
				v[k] = gen(i, k)
			}
			fp.inputs = append(fp.inputs, tensorOf(o.dt, v, n))
		case scalar:
			fmt.Fprintf(&b, "param a%d: %v[]\n", i, o.dt)
			fp.inputs = append(fp.inputs, tensorOf(o.dt, []float64{gen(i, 0)}))
		case splat:
			lit := map[sokr.DType]string{sokr.F32: "-1.5", sokr.F64: "0.75", sokr.I32: "-3", sokr.I64: "5", sokr.Bool: "true"}[o.dt]
			fmt.Fprintf(&b, "a%d: %v[%d] = const %s\n", i, o.dt, n, lit)
		}
	}
	fmt.Fprintf(&b, "r: %v[%d] = %s %s\nreturn r", outDT, n, op, strings.Join(names, ", "))
	fp.src = b.String()
	return fp
}

// groupRun is a compiled program's single fused group with its inputs.
type groupRun struct {
	g     *group
	vals  []sokr.Tensor
	outDT sokr.DType
}

func setupGroup(t testing.TB, src string, inputs []sokr.Tensor) groupRun {
	t.Helper()
	p, err := native.Parse([]byte("sokr.native/1\n" + src))
	require.NoError(t, err, src)
	pl := compile(p)
	require.Len(t, pl.steps, 1, src)
	g := pl.steps[0].group
	require.NotNil(t, g, src)
	vals := make([]sokr.Tensor, len(p.Nodes))
	for i, idx := range p.Params {
		vals[idx] = inputs[i]
	}
	for i := range p.Nodes {
		if p.Nodes[i].Op == native.OpConst {
			vals[i] = pl.consts[i]
		}
	}
	return groupRun{g: g, vals: vals, outDT: p.Nodes[pl.steps[0].node].Type.DType}
}

// ulpDist is the distance between two floats of the same width in units in
// the last place, treating all NaNs as equal (0) and a NaN and a number as
// far apart.
func ulpDist(dt sokr.DType, a, b uint64) int64 {
	ord := func(u uint64, sign uint64) int64 {
		if u&sign != 0 {
			return -int64(u &^ sign)
		}
		return int64(u)
	}
	if dt == sokr.F32 {
		x, y := math.Float32frombits(uint32(a)), math.Float32frombits(uint32(b))
		if x != x || y != y {
			if x != x && y != y {
				return 0
			}
			return math.MaxInt64
		}
		return absInt(ord(a, 1<<31) - ord(b, 1<<31))
	}
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	if x != x || y != y {
		if x != x && y != y {
			return 0
		}
		return math.MaxInt64
	}
	d := ord(a, 1<<63) - ord(b, 1<<63)
	if (d < 0) != (ord(a, 1<<63) < ord(b, 1<<63)) { // overflow: opposite ends
		return math.MaxInt64
	}
	return absInt(d)
}

func absInt(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// element returns element i of data (of dtype dt) as raw bits.
func element(dt sokr.DType, data []byte, i int) uint64 {
	sz := dt.Size()
	var v uint64
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), 8), data[i*sz:(i+1)*sz])
	return v
}

// diffOutputs compares C's output with Go's: float results by tol (NaNs
// equal whatever their payload), everything else bit for bit. args(i)
// gives element i's operands. It returns the largest ulp difference seen
// and a description of the first mismatches.
func diffOutputs(dt sokr.DType, got, want []byte, args func(i int) []float64, tol tolerance) (maxULP int64, errs []string) {
	n := len(want) / dt.Size()
	for i := range n {
		g, w := element(dt, got, i), element(dt, want, i)
		if g == w {
			continue
		}
		if dt == sokr.F32 || dt == sokr.F64 {
			d := ulpDist(dt, g, w)
			maxULP = max(maxULP, d)
			if d == 0 || tol(args(i), asFloat(dt, g), asFloat(dt, w), d) {
				continue
			}
		}
		if len(errs) < 5 {
			errs = append(errs, fmt.Sprintf("element %d %v: C %#x (%v), Go %#x (%v)", i, args(i), g, asFloat(dt, g), w, asFloat(dt, w)))
		}
	}
	return maxULP, errs
}

func asFloat(dt sokr.DType, bits uint64) float64 {
	switch dt {
	case sokr.F32:
		return float64(math.Float32frombits(uint32(bits)))
	case sokr.F64:
		return math.Float64frombits(bits)
	}
	return math.NaN()
}

// operands returns a function giving the operands of element i of the
// group's first instruction, as float64.
func operands(gr groupRun) func(i int) []float64 {
	in := &gr.g.code[0]
	return func(i int) []float64 {
		var v []float64
		for a := range argCount(in.op) {
			lf := gr.g.leaves[in.args[a]]
			k := i
			if lf.scalar {
				k = 0
			}
			bits := element(lf.dt, gr.vals[lf.node].Data, k)
			switch lf.dt {
			case sokr.F32, sokr.F64:
				v = append(v, asFloat(lf.dt, bits))
			case sokr.I32:
				v = append(v, float64(int32(bits)))
			default:
				v = append(v, float64(int64(bits)))
			}
		}
		return v
	}
}

// ulpStats records the largest Go/C difference per op and dtype.
type ulpStats struct {
	mu  sync.Mutex
	max map[string]int64
}

func (s *ulpStats) note(key string, d int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max == nil {
		s.max = map[string]int64{}
	}
	s.max[key] = max(s.max[key], d)
}

// checkC runs the group with the Go evaluator and with the C evaluator (in
// one call, and in two calls split at an unaligned element) and compares.
func checkC(t *testing.T, name, src string, inputs []sokr.Tensor, tol tolerance) int64 {
	t.Helper()
	gr := setupGroup(t, src, inputs)
	n, sz := gr.g.n, gr.outDT.Size()
	want := make([]byte, n*sz)
	gr.g.run(gr.vals, want, 0, n, new(scratch))

	got := make([]byte, n*sz)
	require.True(t, runNative(gr.g, gr.vals, got, 0, n), "%s: the C evaluator refused the group\n%s", name, src)
	maxULP, errs := diffOutputs(gr.outDT, got, want, operands(gr), tol)
	if len(errs) > 0 {
		t.Errorf("%s: C and Go differ:\n  %s\nprogram:\n%s", name, strings.Join(errs, "\n  "), src)
		return maxULP
	}

	split := n / 3
	got2 := make([]byte, n*sz)
	require.True(t, runNative(gr.g, gr.vals, got2, 0, split))
	require.True(t, runNative(gr.g, gr.vals, got2, split, n))
	if _, errs := diffOutputs(gr.outDT, got2, got, operands(gr), exact); len(errs) > 0 {
		t.Errorf("%s: split run differs from a whole run:\n  %s\nprogram:\n%s", name, strings.Join(errs, "\n  "), src)
	}

	// Every instruction-set variant the CPU has gives the same results
	// (NaN payloads aside: vector widths change which NaN operand wins).
	for isa := isaBaseline; isa < bestISA(); isa++ {
		clear(got2)
		require.True(t, runNativeISA(gr.g, gr.vals, got2, 0, n, isa))
		if _, errs := diffOutputs(gr.outDT, got2, got, operands(gr), exact); len(errs) > 0 {
			t.Errorf("%s: C variant %d differs from variant %d:\n  %s\nprogram:\n%s", name, isa, bestISA(), strings.Join(errs, "\n  "), src)
		}
	}
	return maxULP
}

// TestFusedVariants: the tests above cover every C variant this CPU runs.
func TestFusedVariants(t *testing.T) {
	requireNative(t)
	t.Logf("C evaluator variants run here: baseline up to %d (baseline %d, AVX2 %d, x86-64-v4 %d)", bestISA(), isaBaseline, isaAVX2, isaV4)
	assert.GreaterOrEqual(t, bestISA(), isaBaseline)
}

func requireNative(t *testing.T) {
	if !haveNative {
		t.Skip("built without cgo: there is no C evaluator to compare")
	}
}

// TestFusedOpsMatchGo checks every op and dtype, with full, scalar and
// splat operands, at lengths around the block sizes and on all pairs of
// special values.
func TestFusedOpsMatchGo(t *testing.T) {
	requireNative(t)
	var stats ulpStats
	type opCase struct {
		op    string
		outDT sokr.DType
		args  []sokr.DType
		tol   tolerance
	}
	var cases []opCase
	for _, dt := range []sokr.DType{sokr.F32, sokr.F64} {
		for _, op := range floatUnaryOps {
			cases = append(cases, opCase{op, dt, []sokr.DType{dt}, mathTolerance(op, dt)})
		}
	}
	for _, dt := range []sokr.DType{sokr.I32, sokr.I64} {
		for _, op := range intUnaryOps {
			cases = append(cases, opCase{op, dt, []sokr.DType{dt}, exact})
		}
	}
	for _, dt := range numericDTypes {
		for _, op := range binaryOps {
			cases = append(cases, opCase{op, dt, []sokr.DType{dt, dt}, mathTolerance(op, dt)})
		}
		for _, op := range compareOps {
			cases = append(cases, opCase{op, sokr.Bool, []sokr.DType{dt, dt}, exact})
		}
	}
	for _, op := range []string{"eq", "ne"} {
		cases = append(cases, opCase{op, sokr.Bool, []sokr.DType{sokr.Bool, sokr.Bool}, exact})
	}
	for _, dt := range allDTypes {
		cases = append(cases, opCase{"select", dt, []sokr.DType{sokr.Bool, dt, dt}, exact})
	}
	for _, from := range allDTypes {
		for _, to := range allDTypes {
			cases = append(cases, opCase{"cast", to, []sokr.DType{from}, exact})
		}
	}

	for ci, c := range cases {
		name := fmt.Sprintf("%s_%v", c.op, c.args[len(c.args)-1])
		if c.op == "cast" {
			name = fmt.Sprintf("cast_%v_%v", c.args[0], c.outDT)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			key := name
			note := func(d int64) { stats.note(key, d) }
			// Full operands: specials first (shifted per operand, so that
			// different specials meet), then random values.
			for _, n := range fusedLens {
				ops := make([]operand, len(c.args))
				for i, dt := range c.args {
					ops[i] = operand{full, dt}
				}
				sp := make([][]float64, len(c.args))
				for i, dt := range c.args {
					sp[i] = specials(dt)
				}
				gen := func(i, k int) float64 {
					if k < len(sp[i]) {
						return sp[i][(k+3*i)%len(sp[i])]
					}
					return randomValue(rng, c.args[i])
				}
				fp := makeProgram(c.op, c.outDT, n, ops, gen)
				note(checkC(t, fmt.Sprintf("%s n=%d full", name, n), fp.src, fp.inputs, c.tol))
			}
			// Every pair of specials (the first two operands).
			if len(c.args) >= 2 {
				a, b := specials(c.args[0]), specials(c.args[1])
				n := len(a) * len(b)
				ops := []operand{{full, c.args[0]}, {full, c.args[1]}}
				if len(c.args) == 3 { // select: cond x branch pairs
					a, b = specials(c.args[1]), specials(c.args[2])
					n = len(a) * len(b) * 2
					ops = []operand{{full, sokr.Bool}, {full, c.args[1]}, {full, c.args[2]}}
				}
				gen := func(i, k int) float64 {
					switch {
					case len(ops) == 3 && i == 0:
						return float64(k & 1)
					case len(ops) == 3:
						k >>= 1
						i--
					}
					if i == 0 {
						return a[k/len(b)]
					}
					return b[k%len(b)]
				}
				fp := makeProgram(c.op, c.outDT, n, ops, gen)
				note(checkC(t, name+" pairs", fp.src, fp.inputs, c.tol))
			}
			// Scalar (rank-0) and splat operands mixed with full ones.
			for pos := range c.args {
				for _, kind := range []int{scalar, splat} {
					if kind == scalar && len(c.args) == 1 {
						continue // the result would be rank 0
					}
					vals := []float64{0}
					if kind == scalar {
						vals = specials(c.args[pos])
					}
					for _, v := range vals {
						for _, n := range []int{7, 2049} {
							ops := make([]operand, len(c.args))
							for i, dt := range c.args {
								ops[i] = operand{full, dt}
							}
							ops[pos].kind = kind
							gen := func(i, k int) float64 {
								if i == pos {
									return v
								}
								return randomValue(rng, c.args[i])
							}
							fp := makeProgram(c.op, c.outDT, n, ops, gen)
							note(checkC(t, fmt.Sprintf("%s n=%d operand %d kind %d value %v", name, n, pos, kind, v), fp.src, fp.inputs, c.tol))
						}
					}
				}
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		var keys []string
		for k, d := range stats.max {
			if d > 0 {
				keys = append(keys, fmt.Sprintf("%s: %d", k, d))
			}
		}
		slices.Sort(keys)
		t.Logf("largest Go/C differences in ulps (all other results are bit-identical but for NaN payloads): %v", keys)
	})
}

// TestFusedChainsMatchGo runs longer fused chains: operands used twice,
// scalars used by several instructions, casts that widen and narrow between
// scratch slots that are reused.
func TestFusedChainsMatchGo(t *testing.T) {
	requireNative(t)
	chains := []struct {
		name   string
		src    string // %[1]d is the length
		params []operand
		tol    tolerance
	}{
		{"mixed", `param x: f32[%[1]d]
param y: f32[%[1]d]
param s: f32[]
param k: i32[%[1]d]
a: f32[%[1]d] = mul x, s
b: f32[%[1]d] = add a, y
c: f64[%[1]d] = cast b
d: f64[%[1]d] = exp c
e: f32[%[1]d] = cast d
f: bool[%[1]d] = lt x, y
g: i32[%[1]d] = mul k, k
h: f32[%[1]d] = cast g
j: f32[%[1]d] = select f, h, e
m: f32[%[1]d] = max j, s
return m`, []operand{{full, sokr.F32}, {full, sokr.F32}, {scalar, sokr.F32}, {full, sokr.I32}}, withinULPs(1)},
		{"widen-narrow", `param x: f32[%[1]d]
a: f32[%[1]d] = mul x, x
b: f64[%[1]d] = cast a
c: f64[%[1]d] = sqrt b
d: i64[%[1]d] = cast c
e: i32[%[1]d] = cast d
f: bool[%[1]d] = cast e
g: f64[%[1]d] = cast f
h: f64[%[1]d] = neg g
i: i64[%[1]d] = cast h
j: i64[%[1]d] = abs i
k: f32[%[1]d] = cast j
l: f32[%[1]d] = add k, x
return l`, []operand{{full, sokr.F32}}, exact},
		{"integer", `param x: i64[%[1]d]
param y: i64[%[1]d]
param z: i64[]
param w: i64[%[1]d]
a: i64[%[1]d] = div x, y
b: i64[%[1]d] = pow a, z
c: i64[%[1]d] = sub b, x
d: bool[%[1]d] = ge w, y
e: bool[%[1]d] = lt x, z
f: bool[%[1]d] = ne d, e
g: i64[%[1]d] = select f, c, z
h: i32[%[1]d] = cast g
i: i32[%[1]d] = neg h
j: i32[%[1]d] = relu i
return j`, []operand{{full, sokr.I64}, {full, sokr.I64}, {scalar, sokr.I64}, {full, sokr.I64}}, exact},
		{"deep", `param x: f64[%[1]d]
a1: f64[%[1]d] = sin x
a2: f64[%[1]d] = cos a1
a3: f64[%[1]d] = tanh a2
a4: f64[%[1]d] = sigmoid a3
a5: f64[%[1]d] = log a4
a6: f64[%[1]d] = abs a5
a7: f64[%[1]d] = sqrt a6
a8: f32[%[1]d] = cast a7
a9: f32[%[1]d] = relu a8
b1: f32[%[1]d] = exp a9
b2: f64[%[1]d] = cast b1
b3: f64[%[1]d] = min b2, x
b4: f64[%[1]d] = mul b3, x
return b4`, []operand{{full, sokr.F64}}, func(_ []float64, got, want float64, _ int64) bool {
			// Go's and C's math differ by a few ulps, amplified down the chain.
			return math.Abs(got-want) <= 1e-12*max(1, math.Abs(want))
		}},
	}
	for _, c := range chains {
		for _, n := range fusedLens {
			rng := rand.New(rand.NewPCG(uint64(n), 11))
			var inputs []sokr.Tensor
			for _, o := range c.params {
				if o.kind == scalar {
					inputs = append(inputs, tensorOf(o.dt, []float64{randomValue(rng, o.dt)}))
					continue
				}
				v := make([]float64, n)
				for k := range v {
					v[k] = randomValue(rng, o.dt)
				}
				inputs = append(inputs, tensorOf(o.dt, v, n))
			}
			checkC(t, fmt.Sprintf("%s n=%d", c.name, n), fmt.Sprintf(c.src, n), inputs, c.tol)
		}
	}
}

// TestCastSaturates pins float-to-integer casts, in both evaluators and
// through runGroup: truncation toward zero, NaN gives 0, out-of-range
// values saturate.
func TestCastSaturates(t *testing.T) {
	in := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 2.9, -2.9, 0.5, -0.5,
		2147483647, 2147483648, -2147483648, -2147483649, 1e10, -1e10, 1e19, -1e19,
		9223372036854775807, -9223372036854775808, 4611686018427387904}
	want32 := []int32{0, math.MaxInt32, math.MinInt32, 2, -2, 0, 0,
		math.MaxInt32, math.MaxInt32, math.MinInt32, math.MinInt32, math.MaxInt32, math.MinInt32, math.MaxInt32, math.MinInt32,
		math.MaxInt32, math.MinInt32, math.MaxInt32}
	want64 := []int64{0, math.MaxInt64, math.MinInt64, 2, -2, 0, 0,
		2147483647, 2147483648, -2147483648, -2147483649, 1e10, -1e10, math.MaxInt64, math.MinInt64,
		math.MaxInt64, math.MinInt64, 4611686018427387904}
	const n = 200 // enough for runGroup to take the C path
	for _, from := range []sokr.DType{sokr.F32, sokr.F64} {
		for _, to := range []sokr.DType{sokr.I32, sokr.I64} {
			v := make([]float64, n)
			for i := range v {
				v[i] = in[i%len(in)]
			}
			src := fmt.Sprintf("param x: %v[%d]\nr: %v[%d] = cast x\nreturn r", from, n, to, n)
			gr := setupGroup(t, src, []sokr.Tensor{tensorOf(from, v, n)})
			outs := map[string][]byte{"go": make([]byte, n*to.Size()), "runGroup": make([]byte, n*to.Size())}
			gr.g.run(gr.vals, outs["go"], 0, n, new(scratch))
			runGroup(gr.g, gr.vals, outs["runGroup"], 0, n, new(scratch))
			for path, out := range outs {
				for i := range n {
					x := in[i%len(in)]
					if from == sokr.F32 && float64(float32(x)) != x && x == x {
						continue // not exact in f32: checked through the f64 row
					}
					var got, want int64
					if to == sokr.I32 {
						got, want = int64(as[int32](out, n)[i]), int64(want32[i%len(in)])
					} else {
						got, want = as[int64](out, n)[i], want64[i%len(in)]
					}
					assert.Equal(t, want, got, "%s: cast %v %v to %v", path, from, x, to)
				}
			}
		}
	}
}

// TestRunGroupFallsBack: unaligned data (possible with caller-provided
// buffers) and tiny ranges take the Go path and give the same result.
func TestRunGroupFallsBack(t *testing.T) {
	const n = 1000
	src := fmt.Sprintf("param x: f32[%[1]d]\nparam y: f32[%[1]d]\nr: f32[%[1]d] = add x, y\nreturn r", n)
	rng := rand.New(rand.NewPCG(3, 4))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	x := tensorOf(sokr.F32, v, n)
	raw := make([]byte, 4*n+1)
	y := sokr.Tensor{DType: sokr.F32, Shape: sokr.Shape{n}, Data: raw[1:]} // misaligned
	copy(y.Data, x.Data)
	gr := setupGroup(t, src, []sokr.Tensor{x, y})
	assert.False(t, runNative(gr.g, gr.vals, make([]byte, 4*n), 0, n), "misaligned input must be refused")
	got := make([]byte, 4*n)
	runGroup(gr.g, gr.vals, got, 0, n, new(scratch))
	for i, f := range as[float32](got, n) {
		require.Equal(t, 2*float32(v[i]), f)
	}
	got = make([]byte, 4*n)
	runGroup(gr.g, gr.vals, got, 10, 20, new(scratch)) // below nativeMin
	assert.Equal(t, 2*float32(v[10]), as[float32](got, n)[10])
	assert.Zero(t, as[float32](got, n)[20])
}

// TestRunGroupConcurrent runs one group from several goroutines (the C
// translation is built once and shared); run it with -race.
func TestRunGroupConcurrent(t *testing.T) {
	const n = 50000
	src := fmt.Sprintf("param x: f64[%[1]d]\na: f64[] = const 3\nb: f64[%[1]d] = mul x, a\nr: f64[%[1]d] = sqrt b\nreturn r", n)
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)
	}
	gr := setupGroup(t, src, []sokr.Tensor{tensorOf(sokr.F64, v, n)})
	out := make([]byte, 8*n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := w*n/8, (w+1)*n/8
			runGroup(gr.g, gr.vals, out, lo, hi, new(scratch))
		}()
	}
	wg.Wait()
	for i, f := range as[float64](out, n) {
		require.Equal(t, math.Sqrt(3*float64(i)), f)
	}
}

// TestRunGroupAllocs: a warm runGroup allocates nothing per call.
func TestRunGroupAllocs(t *testing.T) {
	if !haveNative {
		t.Skip("built without cgo")
	}
	const n = 10000
	src := fmt.Sprintf("param x: f32[%[1]d]\nparam y: f32[%[1]d]\na: f32[] = const 2\nax: f32[%[1]d] = mul a, x\nr: f32[%[1]d] = add ax, y\nreturn r", n)
	gr := setupGroup(t, src, []sokr.Tensor{tensorOf(sokr.F32, make([]float64, n), n), tensorOf(sokr.F32, make([]float64, n), n)})
	out := make([]byte, 4*n)
	sc := new(scratch)
	runGroup(gr.g, gr.vals, out, 0, n, sc)
	allocs := testing.AllocsPerRun(100, func() { runGroup(gr.g, gr.vals, out, 0, n, sc) })
	assert.Less(t, allocs, 1.0)
}

// BenchmarkFusedAxpy times the group alone (no output allocation) on 10M
// f32: on one goroutine with each evaluator, then on all workers with
// runGroup; and the allocation of the output, which BenchmarkAxpy adds.
func BenchmarkFusedAxpy(b *testing.B) {
	const n = 10_000_000
	src := fmt.Sprintf("param x: f32[%[1]d]\nparam y: f32[%[1]d]\na: f32[] = const 2\nax: f32[%[1]d] = mul a, x\nr: f32[%[1]d] = add ax, y\nreturn r", n)
	x := sokr.NewTensor(sokr.F32, n)
	y := sokr.NewTensor(sokr.F32, n)
	gr := setupGroup(b, src, []sokr.Tensor{x, y})
	out := make([]byte, 4*n)
	sc := new(scratch)
	b.Run("go", func(b *testing.B) {
		b.SetBytes(3 * 4 * n)
		for b.Loop() {
			gr.g.run(gr.vals, out, 0, n, sc)
		}
	})
	if haveNative {
		b.Run("c", func(b *testing.B) {
			b.SetBytes(3 * 4 * n)
			for b.Loop() {
				runNative(gr.g, gr.vals, out, 0, n)
			}
		})
	}
	// As a run does it: runGroup on all workers.
	workers := runtime.GOMAXPROCS(0)
	b.Run(fmt.Sprintf("parallel%d", workers), func(b *testing.B) {
		b.SetBytes(3 * 4 * n)
		for b.Loop() {
			parallelFor(workers, n, groupGrain, func(lo, hi int) {
				runGroup(gr.g, gr.vals, out, lo, hi, new(scratch))
			})
		}
	})
	// The output allocation a run adds (Go zeroes it).
	b.Run("alloc", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			out = make([]byte, 4*n)
		}
	})
}

// BenchmarkFusedOps times single ops on 1M elements, one goroutine, with
// the Go evaluator and each C variant the CPU runs.
func BenchmarkFusedOps(b *testing.B) {
	const n = 1 << 20
	ops := []struct{ name, src string }{
		{"add_f32", "param x: f32[%[1]d]\nparam y: f32[%[1]d]\nr: f32[%[1]d] = add x, y\nreturn r"},
		{"max_f64", "param x: f64[%[1]d]\nparam y: f64[%[1]d]\nr: f64[%[1]d] = max x, y\nreturn r"},
		{"exp_f32", "param x: f32[%[1]d]\nr: f32[%[1]d] = exp x\nreturn r"},
		{"sqrt_f32", "param x: f32[%[1]d]\nr: f32[%[1]d] = sqrt x\nreturn r"},
		{"cast_f32_i32", "param x: f32[%[1]d]\nr: i32[%[1]d] = cast x\nreturn r"},
		{"cast_f64_i64", "param x: f64[%[1]d]\nr: i64[%[1]d] = cast x\nreturn r"},
		{"select_f32", "param c: bool[%[1]d]\nparam x: f32[%[1]d]\nparam y: f32[%[1]d]\nr: f32[%[1]d] = select c, x, y\nreturn r"},
		{"div_i32", "param x: i32[%[1]d]\nparam y: i32[%[1]d]\nr: i32[%[1]d] = div x, y\nreturn r"},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, op := range ops {
		src := fmt.Sprintf(op.src, n)
		p, err := native.Parse([]byte("sokr.native/1\n" + src))
		require.NoError(b, err)
		var inputs []sokr.Tensor
		for _, idx := range p.Params {
			dt := p.Nodes[idx].Type.DType
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(rng.IntN(2001)-1000) / 100
				if dt == sokr.Bool {
					v[i] = float64(rng.IntN(2))
				}
			}
			inputs = append(inputs, tensorOf(dt, v, n))
		}
		gr := setupGroup(b, src, inputs)
		out := make([]byte, n*gr.outDT.Size())
		b.Run(op.name+"/go", func(b *testing.B) {
			sc := new(scratch)
			for b.Loop() {
				gr.g.run(gr.vals, out, 0, n, sc)
			}
		})
		for isa := isaBaseline; isa <= bestISA(); isa++ {
			b.Run(fmt.Sprintf("%s/c%d", op.name, isa), func(b *testing.B) {
				for b.Loop() {
					runNativeISA(gr.g, gr.vals, out, 0, n, isa)
				}
			})
		}
	}
}
