// Package sokrtest helps test SOKR substrates and the SOKR core itself. It
// imports only the standard library and package sokr.
//
// # Conformance suite
//
// [Run] checks that a substrate honours the contract of package sokr: a
// stable identity, side-effect-free Capability that gives a reason for every
// refusal, correct results for each [Case], exactly-once completion under
// concurrency, cancellation and deadlines, and no panic or hang on programs
// it refuses. Every substrate runs it, the CPU, simulator and GPU ones as
// well as C plugins and Python-defined substrates (through their adapters),
// as gonum's testblas runs one suite over every BLAS:
//
//	func TestConformance(t *testing.T) {
//		sokrtest.Run(t, cpu.New(), sokrtest.Suite{Cases: cases})
//	}
//
// [Equal] compares tensors by dtype, shape and value within a tolerance.
//
// # The fake substrate
//
// [Fake] is a substrate for testing the runtime rather than a computation:
// it runs a [Program] by echoing the inputs back as outputs "out0", "out1",
// ... Its exported fields inject faults: refusals (Refuse, Formats,
// Supports), a panic in Capability, in Dispatch or in the work goroutine,
// a failure, a delay that honours cancellation, a hold until released, and
// synchronous completion before Dispatch returns. Atomic counters report
// how often it was asked, called and completed, and how many of its
// completions came too late to count:
//
//	fake := sokrtest.NewFake("cpu")
//	fake.Delay = time.Hour // runs until cancelled
//	rt := sokr.New()
//	rt.RegisterSubstrate(fake)
//	f := rt.Dispatch(ctx, sokrtest.Program{}, nil)
//	f.Cancel() // fake.Dropped() soon reports 1
//
// Configure a Fake before registering it; its fields are read, unguarded,
// by every dispatch.
package sokrtest
