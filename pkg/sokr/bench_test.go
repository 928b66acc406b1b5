package sokr_test

import (
	"context"
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// benchRuntime returns a runtime over one synchronous fake, so that the
// benchmarks measure the runtime's own overhead: the capability round, the
// policy, the job and future, the completion.
func benchRuntime(b *testing.B) (*sokr.Runtime, sokr.Program, []sokr.Tensor) {
	b.Helper()
	rt := newRuntime(b, sokrtest.NewSyncFake("cpu"))
	var p sokr.Program = &sokrtest.Program{}
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4})}
	return rt, p, in
}

// roundTrip is one Capability + Dispatch + Wait.
func roundTrip(b *testing.B, rt *sokr.Runtime, ctx context.Context, p sokr.Program, in []sokr.Tensor) {
	if offers := rt.Capability(ctx, p); !offers[0].OK {
		b.Fatal(offers[0].Reason)
	}
	if _, err := rt.Dispatch(ctx, p, in).Wait(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoundTrip measures Capability, Dispatch and Wait of a tiny
// program on a synchronous substrate, one after another.
func BenchmarkRoundTrip(b *testing.B) {
	rt, p, in := benchRuntime(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, rt, ctx, p, in)
	}
}

// BenchmarkRoundTripParallel is BenchmarkRoundTrip from GOMAXPROCS
// goroutines at once, sharing one runtime.
func BenchmarkRoundTripParallel(b *testing.B) {
	rt, p, in := benchRuntime(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			roundTrip(b, rt, ctx, p, in)
		}
	})
}

// BenchmarkDispatchWait is the dispatch alone, without the separate
// Capability call.
func BenchmarkDispatchWait(b *testing.B) {
	rt, p, in := benchRuntime(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Dispatch(ctx, p, in).Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchWaitMemory is BenchmarkDispatchWait on a runtime with a
// memory budget and an offer that states its memory: the reservation and
// its release, uncontended.
func BenchmarkDispatchWaitMemory(b *testing.B) {
	fake := sokrtest.NewSyncFake("cpu")
	fake.Estimate = sokr.Estimate{MemoryBytes: 1 << 20}
	rt := newRuntimeWith(b, []sokr.Option{sokr.WithMemory(1 << 30)}, fake)
	var p sokr.Program = &sokrtest.Program{}
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4})}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Dispatch(ctx, p, in).Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
