package native

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// FuzzParse feeds arbitrary bytes to Parse. It must not panic; an error is
// a positioned *sokr.ProgramError; a program prints to text that parses
// back and prints the same (the printer's fixpoint).
func FuzzParse(f *testing.F) {
	for _, tc := range canonical {
		f.Add([]byte(tc.src))
	}
	seeds := []string{
		"",
		"sokr.native/1\n",
		"sokr.native/1\nreturn x\n",
		"sokr.native/1\nparam x: f32[2]\ny: f32[2] = add x, x # comment\nreturn y, x\n",
		"sokr.native/1\na: f32[] = neg b\nb: f32[] = neg a\nreturn a\n",
		"sokr.native/1\nc: f32[2,2] = const [[1,2],[3,[4]]]\nreturn c\n",
		"sokr.native/1\nc: i64[3] = const [1,-2,9223372036854775807]\nreturn c\n",
		"sokr.native/1\nc: f64[2] = const [NaN,-0]\nd: bool[2] = const [true,false]\nreturn c, d\n",
		"sokr.native/1\nparam x: f32[2,3]\nt: f32[3,2] = transpose x, perm=[1,0]\ns: f32[3] = reduce_sum t, axes=[1]\nreturn s\n",
		"sokr.native/1\nparam x: f32[1048576,1048576]\nreturn x\n",
		"sokr.native/1\r\nparam\tx:f32[]\r\nreturn x",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		p, err := parse(ctx, src)
		fuzzguard.Hang(t, err)
		if err != nil {
			var perr *sokr.ProgramError
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
			}
			if p != nil {
				t.Fatalf("Parse returned a program and an error")
			}
			maxLine := bytes.Count(src, []byte("\n")) + 1
			if perr.Pos.Line < 1 || perr.Pos.Line > maxLine || perr.Pos.Col < 1 {
				t.Fatalf("error position %v outside the source (%d lines): %v", perr.Pos, maxLine, err)
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
	})
}

// FuzzVerify decodes bytes into a Program with arbitrary ops, operands,
// types, axes and constants and verifies it. Verify and String must not
// panic; a program that verifies prints to text that parses back to the
// same text.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 0, 1, 1, 2, 0, 0, 0, 1, 2, 13, 0, 1, 1, 2, 2, 0, 1, 0, 1, 1, 0, 1, 1, 2})
	f.Add([]byte{4, 1, 3, 2, 2, 2, 3, 0, 0, 3, 4, 2, 1, 3, 0, 0, 1, 2, 1, 1, 33, 3, 2, 1, 1, 0, 1, 2, 0, 1, 3, 1, 0, 1, 2})
	f.Add([]byte{2, 2, 4, 1, 5, 1, 2, 0, 1, 0, 1, 4, 1, 2, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0})
	f.Add(bytes.Repeat([]byte{255}, 64))
	f.Add(bytes.Repeat([]byte{7, 1, 3, 0, 2}, 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, done := fuzzguard.Start(t, data) // Verify takes no context: the watchdog and the limit only
		defer done()
		p := decodeProgram(data)
		err := Verify(p)
		_ = p.String()
		if err != nil {
			if _, ok := err.(*sokr.ProgramError); !ok {
				t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
			}
			return
		}
		p.Requirements()
		text := p.String()
		q, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("a verified program prints text that does not parse: %v\n%s", err, text)
		}
		if again := q.String(); again != text {
			t.Fatalf("print is not a fixpoint:\n%s\nthen\n%s", text, again)
		}
	})
}

// byteReader hands out fuzz bytes, then zeros.
type byteReader struct{ data []byte }

func (r *byteReader) next() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

func (r *byteReader) bytes(n int) []byte {
	n = min(n, len(r.data))
	b := r.data[:n:n]
	r.data = r.data[n:]
	return b
}

// The fields decodeProgram may get wrong; a node's flaw byte picks at most
// one of them (values from flawCount up leave the node well-formed).
const (
	flawName = iota
	flawOp
	flawDType
	flawShape
	flawArity
	flawArgs
	flawAxes
	flawConst
	flawType
	flawParams
	flawCount
)

// decodeProgram turns fuzz bytes into a Program. By default each node is
// well-formed (an op, operands defined earlier, valid attributes, the
// type its rule gives, a fitting constant), so that the fuzzer reaches
// deep into the rules and the printer; a flaw byte per node can break one
// field: names, ops, dtypes (complex and invalid ones too), shapes (zero,
// negative, overflowing, too many dimensions), operand counts and indices,
// axes, constant data, declared types, the Params list.
func decodeProgram(data []byte) *Program {
	r := &byteReader{data: data}
	p := &Program{}
	n := int(r.next() % 16)
	for i := 0; i < n; i++ {
		flaw := int(r.next())
		nd := Node{Name: "n" + itoa(i), Op: Op(r.next()%uint8(numOps-1)) + 1}
		if i == 0 && flaw != flawOp {
			nd.Op = OpParam + nd.Op%2 // the first node needs no operands
		}
		if flaw == flawOp {
			nd.Op = Op(r.next() % (uint8(numOps) + 2))
		}
		switch {
		case flaw != flawName:
		case r.next()%2 == 0:
			nd.Name = ""
		default:
			nd.Name = []string{"bad name", "n0", "9", "a-b"}[r.next()%4]
		}
		nd.Type = Type{DType: supported[r.next()%uint8(len(supported))], Shape: decodeShape(r, flaw == flawShape)}
		if flaw == flawDType {
			nd.Type.DType = sokr.DType(r.next() % 9)
		}

		nargs := arity(nd.Op)
		if flaw == flawArity {
			nargs = int(r.next() % 4)
		}
		var args []Type
		for range nargs {
			a := 0
			if i > 0 {
				a = int(r.next()) % i
			}
			if flaw == flawArgs {
				a = int(int8(r.next()))
			}
			nd.Args = append(nd.Args, a)
			if a >= 0 && a < i {
				args = append(args, p.Nodes[a].Type)
			}
		}

		switch {
		case flaw == flawAxes:
			nd.Axes = []int{}
			for range int(r.next() % 5) {
				nd.Axes = append(nd.Axes, int(int8(r.next())))
			}
		case nd.Op == OpTranspose && len(args) == 1:
			nd.Axes = decodePerm(r, len(args[0].Shape))
		case nd.Op.IsReduce() && len(args) == 1:
			mask := r.next()
			nd.Axes = []int{}
			for ax := range args[0].Shape {
				if mask&(1<<(ax%8)) != 0 {
					nd.Axes = append(nd.Axes, ax)
				}
			}
			if mask&0x80 != 0 {
				slices.Reverse(nd.Axes)
			}
		}
		if len(args) == 1 && flaw != flawShape {
			// Shapes broadcast and reshape can reach.
			from := args[0].Shape
			switch nd.Op {
			case OpBroadcast:
				to := slices.Clone(from)
				for k, d := range to {
					if d == 1 {
						to[k] = int(r.next()%3) + 1
					}
				}
				lead := make(sokr.Shape, r.next()%3)
				for k := range lead {
					lead[k] = int(r.next()%3) + 1
				}
				nd.Type.Shape = append(lead, to...)
			case OpReshape:
				switch r.next() % 3 {
				case 0:
					nd.Type.Shape = sokr.Shape{from.NumElements()}
				case 1:
					nd.Type.Shape = slices.Clone(from)
					slices.Reverse(nd.Type.Shape)
				default:
					nd.Type.Shape = append(sokr.Shape{1}, from...)
				}
			}
		}
		if flaw != flawType && len(args) == len(nd.Args) {
			if t, err := inferType(nd.Op, args, nd.Axes, nd.Type); err == nil {
				nd.Type = t
			}
		}

		if nd.Op == OpConst || flaw == flawConst {
			nd.Const = decodeConst(r, nd.Type, flaw == flawConst)
		}
		if nd.Op == OpParam && flaw != flawParams {
			p.Params = append(p.Params, i)
		}
		if flaw == flawParams {
			p.Params = append(p.Params, int(r.next())%(n+1))
		}
		p.Nodes = append(p.Nodes, nd)
	}
	for range int(r.next()%3) + 1 {
		p.Outputs = append(p.Outputs, int(r.next())%max(n, 1))
	}
	if r.next() == 255 {
		p.Outputs = []int{n, -1, 0}[:r.next()%4%3]
	}
	return p
}

// decodeShape gives a small shape, or with broken set, one with a zero,
// negative, huge or overflowing dimension or too many dimensions.
func decodeShape(r *byteReader, broken bool) sokr.Shape {
	s := make(sokr.Shape, r.next()%4)
	for k := range s {
		s[k] = int(r.next()%4) + 1
	}
	if broken {
		switch r.next() % 4 {
		case 0:
			s = make(sokr.Shape, MaxRank+1)
			for k := range s {
				s[k] = 1
			}
		case 1:
			s = append(s, MaxElements, 2)
		case 2:
			s = append(s, 1<<62, 1<<62)
		default:
			s = append(s, int(int8(r.next()))%2)
		}
	}
	return s
}

// decodePerm gives a permutation of 0..rank-1 (a Fisher-Yates shuffle).
func decodePerm(r *byteReader, rank int) []int {
	perm := make([]int, rank)
	for k := range perm {
		perm[k] = k
	}
	for k := rank - 1; k > 0; k-- {
		j := int(r.next()) % (k + 1)
		perm[k], perm[j] = perm[j], perm[k]
	}
	return perm
}

// decodeConst gives constant data for type t: a splat or the full data
// (bools kept to 0 and 1), or with broken set, a tensor of any dtype,
// shape and length.
func decodeConst(r *byteReader, t Type, broken bool) sokr.Tensor {
	if broken {
		c := sokr.Tensor{DType: sokr.DType(r.next() % 9), Shape: decodeShape(r, r.next()%4 == 0)}
		c.Data = slices.Clone(r.bytes(int(r.next() % 40)))
		return c
	}
	size := t.DType.Size()
	c := sokr.Tensor{DType: t.DType, Shape: sokr.Shape{}}
	count := 1
	if num := numElements(t.Shape); checkType(t) == nil && num <= 64 && r.next()%2 == 0 {
		c.Shape, count = slices.Clone(t.Shape), int(num)
	}
	c.Data = make([]byte, size*count)
	copy(c.Data, r.bytes(len(c.Data)))
	if t.DType == sokr.Bool {
		for k := range c.Data {
			c.Data[k] &= 1
		}
	}
	return c
}
