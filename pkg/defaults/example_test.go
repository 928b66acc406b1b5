package defaults_test

import (
	"context"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The README's first program: parse native text, dispatch, wait.
func ExampleNew() {
	ctx := context.Background()
	rt, err := defaults.New()
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)

	prog, err := rt.Parse(ctx, "", []byte(`sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
`))
	if err != nil {
		panic(err)
	}
	fut := rt.Dispatch(ctx, prog, []sokr.Tensor{
		sokr.FromSlice([]float32{1, 2, 3, 4}),
		sokr.FromSlice([]float32{1, 1, 1, 1}),
	})
	res, err := fut.Wait(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(fut.Substrate(), sokr.View[float32](res.Outputs[0].Tensor))
	// Output: cpu [3 5 7 9]
}

// The same program built in Go.
func ExampleNew_builder() {
	ctx := context.Background()
	rt, _ := defaults.New()
	defer rt.Close(ctx)

	b := native.NewBuilder()
	x := b.Param("x", sokr.F32, 4)
	y := b.Param("y", sokr.F32, 4)
	prog, err := b.Build(b.Scalar(sokr.F32, 2).Mul(x).Add(y).Named("out"))
	if err != nil {
		panic(err)
	}
	res, err := rt.Run(ctx, prog, []sokr.Tensor{
		sokr.FromSlice([]float32{1, 2, 3, 4}),
		sokr.FromSlice([]float32{1, 1, 1, 1}),
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(prog)
	fmt.Println(res.Outputs[0].Name, sokr.View[float32](res.Outputs[0].Tensor))
	// Output:
	// sokr.native/1
	// param x: f32[4]
	// param y: f32[4]
	// t0: f32[] = const 2
	// t1: f32[4] = mul t0, x
	// out: f32[4] = add t1, y
	// return out
	// out [3 5 7 9]
}
