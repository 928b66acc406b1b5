package snn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
)

// Run the NIR paper's LIF experiment with Norse's semantics and record the
// membrane voltage.
func Example() {
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "nir", "lif_norse.nir"))
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := nir.Parse(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	rt := sokr.New()
	if err := rt.RegisterSubstrate(snn.New()); err != nil {
		fmt.Println(err)
		return
	}
	// One input spike every second step for 40 steps, batch 1, 1 neuron.
	x := make([]float32, 40)
	for t := 0; t < 40; t += 2 {
		x[t] = 1
	}
	ctx := context.Background()
	res, err := rt.Dispatch(ctx, prog, []sokr.Tensor{sokr.FromSlice(x, 40, 1, 1)},
		sokr.Param("solver", "euler"), sokr.Param("reset", "zero"), sokr.Param("record", []string{"1.v"})).Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	var spikes []int
	for t, s := range sokr.View[float32](res.Outputs[0].Tensor) {
		if s != 0 {
			spikes = append(spikes, t)
		}
	}
	fmt.Println(res.Outputs[1].Name, res.Outputs[1].Tensor)
	fmt.Println("spikes at steps", spikes)
	fmt.Println("dt", res.Meta["dt"], "solver", res.Meta["solver"], "reset", res.Meta["reset"])
	// Output:
	// probe:1.v f32[40,1,1]
	// spikes at steps [4 10 16 22 28 34]
	// dt 0.0001 solver euler reset zero
}

// Sessions carry the state from one dispatch to the next.
func ExampleSubstrate_EndSession() {
	s := snn.New()
	fmt.Println(s.Sessions(), s.EndSession("never-started"))
	// Output: 0 false
}
