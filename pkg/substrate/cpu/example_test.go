package cpu_test

import (
	"context"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

func Example() {
	ctx := context.Background()
	rt := sokr.New()
	if err := rt.RegisterSubstrate(cpu.New()); err != nil {
		panic(err)
	}
	prog, err := native.Parse([]byte(`sokr.native/1
param a: f64[2,2]
param b: f64[2,2]
c: f64[2,2] = matmul a, b
t: f64[] = reduce_sum c, axes=[0,1]
return c, t
`))
	if err != nil {
		panic(err)
	}
	res, err := rt.Run(ctx, prog, []sokr.Tensor{
		sokr.FromSlice([]float64{1, 2, 3, 4}, 2, 2),
		sokr.FromSlice([]float64{1, 0, 0, 1}, 2, 2),
	})
	if err != nil {
		panic(err)
	}
	for _, o := range res.Outputs {
		fmt.Println(o.Name, o.Tensor, sokr.View[float64](o.Tensor))
	}
	// Output:
	// c f64[2,2] [1 2 3 4]
	// t f64[] [10]
}

// Capability says no, with a reason, to programs over the memory budget.
func ExampleWithMemoryBudget() {
	prog, _ := native.Parse([]byte(`sokr.native/1
param x: f32[1024,1024]
y: f32[1024,1024] = tanh x
return y
`))
	small := cpu.New(cpu.WithMemoryBudget(1<<20), cpu.WithWorkers(1))
	fmt.Println(small.Capability(context.Background(), prog).Reason)
	// Output: needs 4.1 MiB of memory, its budget is 1.0 MiB (see cpu.WithMemoryBudget); the largest value, y: f32[1024,1024], takes 4.0 MiB
}
