package native

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// lines joins statements into source text, one per line.
func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

// canonical programs: Parse then Print gives the text back unchanged.
var canonical = []struct {
	name string
	src  string
}{
	{"design example", lines(
		"sokr.native/1",
		"param x: f32[1024]",
		"param y: f32[1024]",
		"a: f32[] = const 2",
		"ax: f32[1024] = mul a, x",
		"out: f32[1024] = add ax, y",
		"s: f32[] = reduce_sum out, axes=[0]",
		"w: f32[2,2] = const [[1,2],[3,4]]",
		"t: f32[2,2] = transpose w, perm=[1,0]",
		"return out, s",
	)},
	{"every op", lines(
		"sokr.native/1",
		"param x: f32[2,3]",
		"param i: i32[2,3]",
		"param c: bool[2,3]",
		"n1: f32[2,3] = neg x",
		"n2: f32[2,3] = abs n1",
		"n3: f32[2,3] = exp n2",
		"n4: f32[2,3] = log n3",
		"n5: f32[2,3] = sqrt n4",
		"n6: f32[2,3] = tanh n5",
		"n7: f32[2,3] = sigmoid n6",
		"n8: f32[2,3] = relu n7",
		"n9: f32[2,3] = sin n8",
		"n10: f32[2,3] = cos n9",
		"b1: f32[2,3] = add x, n10",
		"b2: f32[2,3] = sub b1, x",
		"b3: f32[2,3] = mul b2, x",
		"b4: f32[2,3] = div b3, x",
		"b5: f32[2,3] = pow b4, x",
		"b6: f32[2,3] = max b5, x",
		"b7: f32[2,3] = min b6, x",
		"c1: bool[2,3] = eq c, c",
		"c2: bool[2,3] = ne i, i",
		"c3: bool[2,3] = lt x, b7",
		"c4: bool[2,3] = le x, b7",
		"c5: bool[2,3] = gt x, b7",
		"c6: bool[2,3] = ge x, b7",
		"s1: f32[2,3] = select c3, x, b7",
		"k1: i64[2,3] = cast x",
		"r1: f32[6] = reshape x",
		"r2: f32[4,6] = broadcast r1",
		"t1: f32[3,2] = transpose x, perm=[1,0]",
		"m1: f32[2,2] = matmul x, t1",
		"d1: f32[] = reduce_sum x, axes=[1,0]",
		"d2: i32[2] = reduce_max i, axes=[1]",
		"d3: i32[3] = reduce_min i, axes=[0]",
		"d4: f32[2,3] = reduce_mean x, axes=[]",
		"return s1, k1, r2, m1, d1, d2, d3, d4, c1, c2, c4, c5, c6",
	)},
	{"constants of every dtype", lines(
		"sokr.native/1",
		"f1: f32[3] = const 0.1",
		"f2: f32[8] = const [0,-0,NaN,+Inf,-Inf,3.4028235e+38,1e-45,1.1754944e-38]",
		"f3: f64[4] = const [0.1,1.7976931348623157e+308,5e-324,-2.5]",
		"f4: f64[] = const 1e+100",
		"i1: i32[3] = const [-2147483648,2147483647,0]",
		"i2: i64[2] = const [-9223372036854775808,9223372036854775807]",
		"i3: i64[5,5] = const -7",
		"b1: bool[2,2] = const [[true,false],[false,true]]",
		"b2: bool[] = const false",
		"l1: f32[1] = const [5]",
		"l2: f32[1] = const 5",
		"l3: f32[2,1,2] = const [[[1,2]],[[3,4]]]",
		"return f1, f2, f3, f4, i1, i2, i3, b1, b2, l1, l2, l3",
	)},
	{"names that look like keywords", lines(
		"sokr.native/1",
		"param param: f32[]",
		"param return: f32[]",
		"const: f32[] = add param, return",
		"add: f32[] = mul const, const",
		"layer_1.w: f32[] = neg add",
		"_: f32[] = abs layer_1.w",
		"return _, param, _",
	)},
	{"scalar params and outputs", lines(
		"sokr.native/1",
		"param x: bool[]",
		"return x",
	)},
	{"broadcast ranks", lines(
		"sokr.native/1",
		"param x: f64[3,1]",
		"b: f64[2,3,4] = broadcast x",
		"s: f64[] = const 1",
		"bs: f64[5] = broadcast s",
		"m: f64[2,4,3] = transpose b, perm=[0,2,1]",
		"p: f64[2,4,4] = matmul m, b",
		"return p, bs",
	)},
}

func TestParsePrintsCanonicalTextUnchanged(t *testing.T) {
	for _, tc := range canonical {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src))
			require.NoError(t, err)
			assert.Equal(t, tc.src, p.String())
			var b strings.Builder
			require.NoError(t, p.Print(&b))
			assert.Equal(t, tc.src, b.String())
		})
	}
}

func TestParseCanonicalises(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{
			name: "spacing, comments, blank lines and CRLF",
			src: "\n# leading comment\n  sokr.native/1  # header\r\n\n" +
				"param\tx :f32 [ 2 , 2 ]\r\n" +
				"  y:f32[2,2]=add x,x#sum\n" +
				"z : f32[] = reduce_sum y , axes = [ 0 , 1 ]\n" +
				"return   y ,z   # done",
			want: lines("sokr.native/1", "param x: f32[2,2]", "y: f32[2,2] = add x, x",
				"z: f32[] = reduce_sum y, axes=[0,1]", "return y, z"),
		},
		{
			name: "literals in other spellings",
			src: lines("sokr.native/1", "a: f32[3] = const [ 1.0 , 0x1p4 , 1e-50 ]", "b: f64[] = const -Infinity",
				"c: f32[] = const nan", "d: i32[] = const +5", "e: f32[2] = const 1_0", "return a, b, c, d, e"),
			want: lines("sokr.native/1", "a: f32[3] = const [1,16,0]", "b: f64[] = const -Inf",
				"c: f32[] = const NaN", "d: i32[] = const 5", "e: f32[2] = const 10", "return a, b, c, d, e"),
		},
		{
			name: "dataflow order, stable where dependencies allow",
			src: lines("sokr.native/1", "return d", "d: f32[] = add c, b", "c: f32[] = neg a",
				"param a: f32[]", "b: f32[] = const 1", "e: f32[] = abs a", "param z: f32[]"),
			want: lines("sokr.native/1", "param a: f32[]", "param z: f32[]", "c: f32[] = neg a",
				"b: f32[] = const 1", "d: f32[] = add c, b", "e: f32[] = abs a", "return d"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src))
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.String())
		})
	}
}

func TestParseBuildsTopologicalProgram(t *testing.T) {
	p, err := Parse([]byte(lines("sokr.native/1", "return out", "out: f32[2] = add y, x",
		"param y: f32[2]", "x: f32[2] = neg y", "param w: i32[]")))
	require.NoError(t, err)
	names := make([]string, len(p.Nodes))
	for i, n := range p.Nodes {
		names[i] = n.Name
	}
	assert.Equal(t, []string{"y", "x", "out", "w"}, names)
	assert.Equal(t, []int{0, 3}, p.Params)
	assert.Equal(t, []int{2}, p.Outputs)
	assert.Equal(t, []int{0, 1}, p.Nodes[2].Args)
	assert.Equal(t, sokr.Position{Line: 3, Col: 1}, p.Nodes[2].Pos)
	assert.Equal(t, sokr.Position{Line: 4, Col: 7}, p.Nodes[0].Pos)
}

func TestParseConstData(t *testing.T) {
	p, err := Parse([]byte(lines("sokr.native/1", "s: f32[4] = const 2.5", "l: i32[2,2] = const [[1,2],[3,4]]",
		"b: bool[3] = const [true,false,true]", "return s, l, b")))
	require.NoError(t, err)
	s, l, b := p.Nodes[0].Const, p.Nodes[1].Const, p.Nodes[2].Const
	assert.Equal(t, sokr.Shape{}, s.Shape, "a splat is stored as one element")
	assert.Equal(t, []float32{2.5}, sokr.View[float32](s))
	assert.Equal(t, sokr.Shape{2, 2}, l.Shape)
	assert.Equal(t, []int32{1, 2, 3, 4}, sokr.View[int32](l))
	assert.Equal(t, []byte{1, 0, 1}, b.Data)
}

// requireProgramError checks that err is a *sokr.ProgramError at line:col
// whose message contains msg, and returns it.
func requireProgramError(t *testing.T, err error, line, col int, msg string) *sokr.ProgramError {
	t.Helper()
	require.Error(t, err)
	var perr *sokr.ProgramError
	require.True(t, errors.As(err, &perr), "error %T: %v", err, err)
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.Equal(t, Format, perr.Format)
	assert.Equal(t, [2]int{line, col}, [2]int{perr.Pos.Line, perr.Pos.Col}, "position of %v", err)
	assert.Contains(t, perr.Msg, msg)
	return perr
}

func TestParseErrors(t *testing.T) {
	const h = "sokr.native/1\n"
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		// Header.
		{"empty", "", 1, 1, "missing header"},
		{"only comments", "# nothing\n\n   # here\n", 1, 1, "missing header"},
		{"header not first", "param x: f32[]\nsokr.native/1\n", 1, 1, `missing header: a native program starts with the line sokr.native/1, found "param x: f32[]"`},
		{"header indented after comments", "# c\n\n  bogus # x\n", 3, 3, `found "bogus"`},
		{"other version", "sokr.native/2\n", 1, 1, `unsupported version "sokr.native/2"`},

		// Lexing.
		{"unexpected character", h + "x: f32[] = const 1 ;\n", 2, 20, "unexpected character ';'"},
		{"unexpected non-ASCII", h + "x: f32[] = const 1 é\n", 2, 20, "unexpected character 'é'"},
		{"unexpected byte", h + "x\xff: f32[] = const 1\n", 2, 2, "unexpected byte 0xff"},
		{"second header", h + "sokr.native/1\n", 2, 12, "unexpected character '/'"},

		// Statements.
		{"statement starts with punctuation", h + "= 5\n", 2, 1, "expected a statement"},
		{"invalid name", h + "1x: f32[] = const 1\n", 2, 1, `invalid name "1x"`},
		{"missing colon", h + "x f32[] = const 1\n", 2, 3, `expected ':' and a type after x`},
		{"missing equals", h + "x: f32[] add\n", 2, 10, "expected '=' and an op after the type of x"},
		{"missing op", h + "x: f32[] =\n", 2, 11, "expected an op after '=', found end of line"},
		{"param missing colon", h + "param x f32[]\n", 2, 9, "expected ':' and a type after param x"},
		{"param trailing tokens", h + "param x: f32[] = const 1\n", 2, 16, "unexpected '=' after the type of param x"},
		{"param without a name", h + "param\n", 2, 6, "expected a parameter name, found end of line"},
		{"param bad name", h + "param 9: f32[]\n", 2, 7, `invalid name "9"`},
		{"param is no op", h + "x: f32[] = param\n", 2, 12, "param is not an op: declare inputs as param x: f32[]"},

		// Types.
		{"unknown dtype", h + "param x: f16[2]\n", 2, 10, `unknown dtype "f16" (supported: f32, f64, i32, i64 or bool)`},
		{"complex dtype", h + "param x: c64[2]\n", 2, 10, "dtype c64 is not supported by sokr.native/1"},
		{"missing shape", h + "param x: f32\n", 2, 13, "expected '[' after dtype f32 (a scalar is f32[])"},
		{"unclosed shape", h + "param x: f32[2\n", 2, 15, "expected ',' or ']' in the shape, found end of line"},
		{"zero dimension", h + "param x: f32[2,0]\n", 2, 16, "dimension 0: dimensions must be positive"},
		{"negative dimension", h + "param x: f32[-1]\n", 2, 14, `dimension "-1" is not a positive integer`},
		{"huge dimension", h + "param x: f32[99999999999999999999]\n", 2, 14, "is too large"},
		{"too many elements", h + "param x: f32[1048576,1048577]\n", 2, 10, "has more than 2^40 elements"},
		{"too many dimensions", h + "param x: f32[" + strings.Repeat("1,", MaxRank) + "1]\n", 2, 14 + 2*MaxRank, "more than 64 dimensions"},

		// Ops, operands and attributes.
		{"unknown op, close", h + "param x: f32[]\ny: f32[] = ad x, x\n", 3, 12, `unknown op "ad" (did you mean add?)`},
		{"unknown op, upper case", h + "param x: f32[]\ny: f32[] = ReLU x\n", 3, 12, `unknown op "ReLU" (did you mean relu?)`},
		{"unknown op, far", h + "param x: f32[]\ny: f32[] = frobnicate x\n", 3, 12, `unknown op "frobnicate" (ops: const, neg, abs,`},
		{"too few operands", h + "param x: f32[]\ny: f32[] = add x\n", 3, 12, "add takes 2 operands, got 1"},
		{"too many operands", h + "param x: f32[]\ny: f32[] = neg x, x\n", 3, 12, "neg takes 1 operand, got 2"},
		{"select operands", h + "param x: f32[]\ny: f32[] = select x, x\n", 3, 12, "select takes 3 operands, got 2"},
		{"no operands", h + "y: f32[] = relu\n", 2, 12, "relu takes 1 operand, got 0"},
		{"literal operand", h + "param x: f32[]\ny: f32[] = add x, 2\n", 3, 19, `operand "2" is not a value name`},
		{"missing comma", h + "param x: f32[]\ny: f32[] = add x x\n", 3, 18, "expected ',' or end of line, found \"x\""},
		{"trailing comma", h + "param x: f32[]\ny: f32[] = add x, x,\n", 3, 21, "expected an operand name or attribute, found end of line"},
		{"attribute on add", h + "param x: f32[]\ny: f32[] = add x, x, axes=[0]\n", 3, 22, "add takes no attributes"},
		{"wrong attribute", h + "param x: f32[2]\ny: f32[] = reduce_sum x, perm=[0]\n", 3, 26, `unknown attribute "perm": reduce_sum takes axes=[...]`},
		{"duplicate attribute", h + "param x: f32[2]\ny: f32[] = reduce_sum x, axes=[0], axes=[0]\n", 3, 36, "duplicate attribute axes"},
		{"missing axes", h + "param x: f32[2]\ny: f32[] = reduce_sum x\n", 3, 12, "reduce_sum needs axes=[...]"},
		{"missing perm", h + "param x: f32[2]\ny: f32[2] = transpose x\n", 3, 13, "transpose needs perm=[...]"},
		{"operand after attribute", h + "param x: f32[2]\ny: f32[] = reduce_sum axes=[0], x\n", 3, 33, "operand x follows the axes attribute"},
		{"attribute not a list", h + "param x: f32[2]\ny: f32[] = reduce_sum x, axes=0\n", 3, 31, "expected '[' after axes=, found \"0\""},
		{"attribute entry not an int", h + "param x: f32[2]\ny: f32[] = reduce_sum x, axes=[a]\n", 3, 32, `bad axes entry "a": want an integer`},
		{"attribute unclosed", h + "param x: f32[2]\ny: f32[] = reduce_sum x, axes=[0\n", 3, 33, "expected ',' or ']' in axes, found end of line"},

		// Constants.
		{"missing literal", h + "c: f32[] = const\n", 2, 17, "expected a literal after const"},
		{"float literal for int", h + "c: i32[] = const 1.5\n", 2, 18, `bad literal "1.5" for i32: want a decimal integer`},
		{"word literal for float", h + "c: f32[] = const abc\n", 2, 18, `bad literal "abc" for f32: want a number`},
		{"number literal for bool", h + "c: bool[] = const 1\n", 2, 19, `bad literal "1" for bool: want true or false`},
		{"i32 overflow", h + "c: i32[] = const 3000000000\n", 2, 18, "literal 3000000000 is out of range for i32"},
		{"f32 overflow", h + "c: f32[] = const 1e39\n", 2, 18, "literal 1e39 is out of range for f32"},
		{"list for a scalar", h + "c: f32[] = const [1]\n", 2, 18, "a f32[] constant takes a single value, not a list"},
		{"short list", h + "c: f32[2,2] = const [[1,2],[3]]\n", 2, 30, "dimension 1 of f32[2,2] has 2 elements, the literal gives 1"},
		{"long list", h + "c: f32[2,2] = const [[1,2],[3,4,5]]\n", 2, 33, "dimension 1 of f32[2,2] has 2 elements, the literal gives more"},
		{"deep list", h + "c: f32[2] = const [1,[2]]\n", 2, 22, "the literal is nested deeper than f32[2] (rank 1)"},
		{"shallow list", h + "c: f32[2,2] = const [1,2]\n", 2, 22, "expected '[' for dimension 1 of f32[2,2], found \"1\""},
		{"empty list", h + "c: f32[2] = const []\n", 2, 20, "dimension 0 of f32[2] has 2 elements, the literal gives 0"},
		{"list trailing comma", h + "c: f32[2] = const [1,2,]\n", 2, 24, "expected a value after ',' in the literal"},
		{"list missing comma", h + "c: f32[2] = const [1 2]\n", 2, 22, "expected ',' or ']' in the literal, found \"2\""},
		{"tokens after literal", h + "c: f32[] = const 1 2\n", 2, 20, `unexpected "2" after the literal`},

		// Names and the graph.
		{"duplicate param", h + "param x: f32[]\nparam x: f32[]\n", 3, 7, "duplicate name x (first defined at 2:7)"},
		{"duplicate node", h + "param x: f32[]\ny: f32[] = neg x\n  y: f32[] = abs x\nreturn y\n", 4, 3, "duplicate name y (first defined at 3:1)"},
		{"undefined operand", h + "param x: f32[]\ny: f32[] = neg z\nreturn y\n", 3, 16, "undefined value z"},
		{"undefined operand, close", h + "param input: f32[]\ny: f32[] = neg inptu\nreturn y\n", 3, 16, "undefined value inptu (did you mean input?)"},
		{"undefined output", h + "param x: f32[]\nreturn x, w\n", 3, 11, "undefined value w"},
		{"self cycle", h + "a: f32[] = neg a\nreturn a\n", 2, 1, "cycle: a -> a"},
		{"cycle", h + "param x: f32[]\nc: f32[] = add b, x\nb: f32[] = neg a\na: f32[] = abs c\nreturn x\n", 3, 1, "values depend on each other in a cycle: c -> b -> a -> c"},
		{"missing return", h + "param x: f32[]\n", 3, 1, "missing return statement"},
		{"missing return, no newline", h + "param x: f32[]", 2, 15, "missing return statement"},
		{"duplicate return", h + "param x: f32[]\nreturn x\nreturn x\n", 4, 1, "duplicate return (the first is at 3:1)"},
		{"empty return", h + "param x: f32[]\nreturn\n", 3, 1, "return needs at least one value"},
		{"return trailing comma", h + "param x: f32[]\nreturn x,\n", 3, 10, "expected a value name after return, found end of line"},
		{"return separator", h + "param x: f32[]\nreturn x x\n", 3, 10, `expected ',' or end of line after x, found "x"`},

		// Types from the verifier, at the node.
		{"declared type differs", h + "param x: f32[2]\ny: f32[3] = neg x\nreturn y\n", 3, 1, "neg gives f32[2], but y is declared f32[3]"},
		{"dtype mismatch", h + "param x: f32[2]\nparam i: i32[2]\ny: f32[2] = add x, i\nreturn y\n", 4, 1, "add operands differ in dtype: f32 and i32"},
		{"axis out of range", h + "param x: f32[2]\ny: f32[] = reduce_sum x, axes=[1]\nreturn y\n", 3, 1, "reduce_sum axis 1 is out of range for operand f32[2] (rank 1)"},
		{"bad perm", h + "param x: f32[2,2]\ny: f32[2,2] = transpose x, perm=[0,0]\nreturn y\n", 3, 1, "transpose perm [0,0] is not a permutation of 0..1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src))
			assert.Nil(t, p)
			requireProgramError(t, err, tc.line, tc.col, tc.msg)
		})
	}
}

func TestParseVerifierErrorsNameTheNode(t *testing.T) {
	_, err := Parse([]byte(lines("sokr.native/1", "param x: f32[2]", "  bad: i32[2] = exp x", "return bad")))
	perr := requireProgramError(t, err, 3, 3, "exp gives f32[2], but bad is declared i32[2]")
	assert.Equal(t, "bad", perr.Pos.Node)
	assert.Equal(t, "sokr: invalid program (sokr.native/1) at 3:3, node bad: exp gives f32[2], but bad is declared i32[2]", err.Error())
}

func TestDetect(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"sokr.native/1\nreturn x\n", true},
		{"\n\n  # comment\n\t sokr.native/1   # trailing\n", true},
		{"sokr.native/1", true},
		{"sokr.native/1\r\n", true},
		{"", false},
		{"# only a comment", false},
		{"sokr.native/2\n", false},
		{"OPENQASM 2.0;\nsokr.native/1\n", false},
		{"sokr.native/10\n", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, NewIR().Detect([]byte(tc.src)), "%q", tc.src)
	}
}

func TestIR(t *testing.T) {
	var ir sokr.IR = IR{}
	assert.Equal(t, Format, ir.Format())
	src := []byte(canonical[0].src)

	p, err := ir.Parse(context.Background(), src)
	require.NoError(t, err)
	require.IsType(t, &Program{}, p)
	assert.Equal(t, canonical[0].src, p.(*Program).String())

	p, err = ir.Parse(context.Background(), []byte("nope"))
	assert.Nil(t, p, "a failed parse returns a nil interface, not a typed nil")
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ir.Parse(ctx, src)
	assert.ErrorIs(t, err, sokr.ErrCancelled)
}

func TestParseLargeProgram(t *testing.T) {
	// A long chain, written backwards: ordering must not recurse or go
	// quadratic.
	const n = 20000
	var b strings.Builder
	b.WriteString("sokr.native/1\nreturn v0\n")
	for i := 0; i < n; i++ {
		b.WriteString("v" + itoa(i) + ": f32[4] = neg v" + itoa(i+1) + "\n")
	}
	b.WriteString("param v" + itoa(n) + ": f32[4]\n")
	p, err := Parse([]byte(b.String()))
	require.NoError(t, err)
	require.Len(t, p.Nodes, n+1)
	assert.Equal(t, "v"+itoa(n), p.Nodes[0].Name)
	assert.Equal(t, "v0", p.Nodes[n].Name)

	// And a cycle through all of them.
	src := strings.Replace(b.String(), "param v"+itoa(n)+": f32[4]", "v"+itoa(n)+": f32[4] = abs v0", 1)
	_, err = Parse([]byte(src))
	requireProgramError(t, err, 3, 1, "cycle: v0 -> v1 -> v2 ->")
}

func itoa(i int) string { return sokr.Shape{i}.String()[1 : len(sokr.Shape{i}.String())-1] }
