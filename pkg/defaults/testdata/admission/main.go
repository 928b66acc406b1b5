// Command admission runs concurrent state-vector simulations through the
// default runtime and prints each outcome, for TestConcurrentRunsUnderUlimit
// in package defaults, which runs it under an address-space limit. It is
// built apart from the test binary: the race detector's shadow memory does
// not fit under `ulimit -v`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func main() {
	qubits := flag.Int("qubits", 27, "qubits in each circuit")
	runs := flag.Int("runs", 3, "runs dispatched at once")
	gates := flag.String("gates", "h q", "the circuit after the register")
	admit := flag.Bool("admission", true, "give the runtime its memory budget (false: sokr.WithMemory(0), no admission)")
	flag.Parse()
	ctx := context.Background()
	var opts []sokr.Option
	if !*admit {
		opts = append(opts, sokr.WithMemory(0))
	}
	rt, err := defaults.New(opts...)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	m := rt.Memory()
	fmt.Printf("BUDGET %d %s\n", m.Budget, m.Source)
	src := fmt.Sprintf("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\n%s;\n", *qubits, *gates)
	p, err := rt.Parse(ctx, "", []byte(src))
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	futs := make([]*sokr.Future, *runs)
	for i := range futs {
		futs[i] = rt.Dispatch(ctx, p, nil, sokr.Param("shots", 1), sokr.Seed(uint64(i)))
	}
	var wg sync.WaitGroup
	failed := false
	var mu sync.Mutex
	for i, f := range futs {
		wg.Go(func() {
			res, err := f.Wait(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Printf("RUN %d ERROR %v\n", i, err)
				failed = true
				return
			}
			t := f.Timings()
			fmt.Printf("RUN %d OK %s outputs=%d precision=%s waited=%s ran=%s\n", i, f.Substrate(), len(res.Outputs),
				res.Meta["precision"], t.MemoryWait.Round(1e6), t.Finished.Sub(t.Started).Round(1e6))
		})
	}
	wg.Wait()
	if err := rt.Close(ctx); err != nil {
		fmt.Println("ERROR", err)
		failed = true
	}
	if failed {
		os.Exit(1)
	}
}
