package native_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Parse reads text in any statement order and with any spacing; Print
// writes the canonical form.
func ExampleParse() {
	src := `sokr.native/1   # y = relu(2x + 1)
return y
y:f32[3]=relu  z       # used before it is defined: fine
param x : f32[3]
z: f32[3] = add tx, one
tx: f32[3] = mul two, x
two: f32[] = const 2
one: f32[] = const 1.0
`
	p, err := native.Parse([]byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Print(os.Stdout)
	// Output:
	// sokr.native/1
	// param x: f32[3]
	// two: f32[] = const 2
	// tx: f32[3] = mul two, x
	// one: f32[] = const 1
	// z: f32[3] = add tx, one
	// y: f32[3] = relu z
	// return y
}

// Errors name what is wrong and where.
func ExampleParse_error() {
	src := `sokr.native/1
param x: f32[4]
param n: i32[]
y: f32[4] = mul x, n
return y
`
	_, err := native.Parse([]byte(src))
	fmt.Println(err)
	var perr *sokr.ProgramError
	if errors.As(err, &perr) {
		fmt.Println(perr.Pos.Line, perr.Pos.Col, perr.Pos.Node)
	}
	fmt.Println(errors.Is(err, sokr.ErrInvalidProgram))
	// Output:
	// sokr: invalid program (sokr.native/1) at 4:1, node y: mul operands differ in dtype: f32 and i32
	// 4 1 y
	// true
}

// A Builder types each value as it is added and names the rest t0, t1, ....
func ExampleBuilder() {
	b := native.NewBuilder()
	x := b.Param("x", sokr.F32, 2, 3)
	w := b.Const(sokr.FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2))
	h := x.Matmul(w).Relu().Named("h")
	fmt.Println(h.Type())
	p, err := b.Build(h, h.ReduceMean(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	// Output:
	// f32[2,2]
	// sokr.native/1
	// param x: f32[2,3]
	// t0: f32[3,2] = const [[1,0],[0,1],[1,1]]
	// t1: f32[2,2] = matmul x, t0
	// h: f32[2,2] = relu t1
	// t2: f32[2] = reduce_mean h, axes=[1]
	// return h, t2
}

// The Builder records the first mistake; Build reports it.
func ExampleBuilder_error() {
	b := native.NewBuilder()
	x := b.Param("x", sokr.F32, 3)
	i := b.Param("i", sokr.I32, 3)
	y := x.Exp().Add(i.Exp()) // exp of an integer: the first error
	_, err := b.Build(y)
	fmt.Println(err)
	// Output:
	// sokr: invalid program (sokr.native/1): i.Exp(): exp takes f32 or f64, got i32
}

// The IR plugin lets a sokr.Registry recognise and parse native text.
func ExampleIR() {
	ir := native.NewIR()
	src := []byte("# a comment\nsokr.native/1\nparam x: i64[]\nreturn x\n")
	fmt.Println(ir.Format(), ir.Detect(src))
	p, err := ir.Parse(context.Background(), src)
	fmt.Println(p.Format(), err)
	// Output:
	// sokr.native/1 true
	// sokr.native/1 <nil>
}
