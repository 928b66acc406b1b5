package sokr_test

import (
	"context"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// A runtime with a memory budget reserves each run's estimate before the
// substrate starts and refuses, with both numbers, a run that could never
// fit. Here the fake substrate estimates 2 GiB per run.
func ExampleWithMemory() {
	rt := sokr.New(sokr.WithMemoryFrom(3<<29, "SOKR_MEMORY"))
	defer rt.Close(context.Background())
	sim := sokrtest.NewFake("sim")
	sim.Estimate = sokr.Estimate{MemoryBytes: 2 << 30}
	if err := rt.RegisterSubstrate(sim); err != nil {
		panic(err)
	}
	for _, o := range rt.Capability(context.Background(), sokrtest.Program{}) {
		fmt.Println(o.Substrate, o.OK, o.Reason)
	}
	m := rt.Memory()
	fmt.Println(m.Budget, m.Source, m.Reserved, m.Waiting)
	// Output:
	// sim false needs 2.0 GiB, the runtime's memory budget is 1.5 GiB (SOKR_MEMORY)
	// 1610612736 SOKR_MEMORY 0 0
}
