// Command sokr-demo walks one native tensor program through SOKR's three
// operations: Capability (who can run it?), Dispatch (run it, returning a
// future at once) and Completion (wait for the result).
//
//	make demo    # or: go run ./cmd/sokr-demo
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

const source = `sokr.native/1
# A tiny dense layer with a fused activation: y = relu(x·W + b), then its row sums.
param x: f32[4,3]
param w: f32[3,2]
b: f32[2] = const [0.5,-1]
bb: f32[4,2] = broadcast b
xw: f32[4,2] = matmul x, w
z: f32[4,2] = add xw, bb
y: f32[4,2] = relu z
s: f32[4] = reduce_sum y, axes=[1]
return y, s
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sokr-demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	rt, err := defaults.New()
	if err != nil {
		return err
	}
	defer rt.Close(ctx)

	fmt.Println("Substrates:")
	for _, s := range rt.Substrates() {
		fmt.Printf("  %-6s kind=%s %v\n", s.Name(), s.Kind(), s.Describe())
	}

	prog, err := rt.Parse(ctx, "", []byte(source)) // the format is detected
	if err != nil {
		return err
	}
	fmt.Printf("\nProgram (%s), as SOKR prints it:\n%v\n", prog.Format(), prog)

	fmt.Println("Capability:")
	for _, o := range rt.Capability(ctx, prog) {
		if o.OK {
			fmt.Printf("  %-6s yes, estimate %v, %d bytes\n", o.Substrate, o.Estimate.Time, o.Estimate.MemoryBytes)
		} else {
			fmt.Printf("  %-6s no: %s\n", o.Substrate, o.Reason)
		}
	}

	x := sokr.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3}, 4, 3)
	w := sokr.FromSlice([]float32{0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, 3, 2)
	fut := rt.Dispatch(ctx, prog, []sokr.Tensor{x, w}) // returns at once
	fut.OnComplete(func(_ sokr.Result, err error) { fmt.Println("\nCompletion: callback fired, err =", err) })
	res, err := fut.Wait(ctx)
	if err != nil {
		return err
	}
	t := fut.Timings()
	fmt.Printf("Ran on %q in %v (queued→started %v)\n", fut.Substrate(), t.Finished.Sub(t.Queued), t.Started.Sub(t.Queued))
	for _, o := range res.Outputs {
		fmt.Printf("  %s %v = %v\n", o.Name, o.Tensor, sokr.View[float32](o.Tensor))
	}

	fmt.Println("\nBad input is a typed error, not a crash:")
	_, err = rt.Run(ctx, prog, []sokr.Tensor{w, x})
	fmt.Println(" ", err)
	_, err = rt.Parse(ctx, "", []byte("sokr.native/1\nparam x: f32[2]\ny: f32[3] = exp x\nreturn y\n"))
	fmt.Println(" ", err)

	fmt.Println("\nA deadline cancels a run that takes too long:")
	big, err := rt.Parse(ctx, "", []byte("sokr.native/1\nparam x: f64[2000,2000]\ny: f64[2000,2000] = matmul x, x\nz: f64[2000,2000] = matmul y, y\nreturn z\n"))
	if err != nil {
		return err
	}
	_, err = rt.Run(ctx, big, []sokr.Tensor{sokr.NewTensor(sokr.F64, 2000, 2000)}, sokr.Timeout(time.Millisecond))
	fmt.Println(" ", err)
	return nil
}
