package sokr_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// TestHammer makes 100,000 concurrent dispatches over synchronous and
// asynchronous substrates, some cancelled, some failing, some panicking, and
// checks that each completes exactly once and none is lost.
func TestHammer(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	// Each worker keeps at most batch futures in flight: the race detector
	// allows 8128 live goroutines, and asynchronous fakes start one per job.
	workers := 4 * runtime.GOMAXPROCS(0)
	const batch = 64

	failing := sokrtest.NewSyncFake("d-fails")
	failing.Fail = &sokr.FaultError{Substrate: "d-fails", Msg: "injected"}
	panicking := sokrtest.NewFake("e-panics")
	panicking.PanicAsync = "injected"
	fakes := []*sokrtest.Fake{
		sokrtest.NewSyncFake("a-sync"),
		sokrtest.NewFake("b-async"),
		sokrtest.NewSyncFake("c-sync"),
		failing,
		panicking,
	}
	rt := sokr.New(sokr.WithPolicy(sokr.RoundRobin()))
	for _, f := range fakes {
		require.NoError(t, rt.RegisterSubstrate(f))
	}

	calls := make([]atomic.Int32, n)
	var totalCalls atomic.Int64
	var ok, faulted, cancelled atomic.Int64
	in := []sokr.Tensor{sokr.Scalar(float32(1))}

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			futs := make([]*sokr.Future, 0, batch)
			for {
				first := int(next.Add(batch)) - batch
				if first >= n {
					return
				}
				futs = futs[:0]
				for i := first; i < min(first+batch, n); i++ {
					f := rt.Dispatch(context.Background(), prog, in)
					f.OnComplete(func(sokr.Result, error) {
						calls[i].Add(1)
						totalCalls.Add(1)
					})
					if i%11 == 0 {
						_ = f.Cancel()
					}
					futs = append(futs, f)
				}
				for _, f := range futs {
					res, err := f.Wait(context.Background())
					switch {
					case err == nil:
						if len(res.Outputs) != 1 {
							t.Errorf("lost output: %+v", res)
						}
						ok.Add(1)
					case errors.Is(err, sokr.ErrSubstrateFault):
						faulted.Add(1)
					case errors.Is(err, sokr.ErrCancelled):
						cancelled.Add(1)
					default:
						t.Errorf("unexpected error: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()

	assert.EqualValues(t, n, ok.Load()+faulted.Load()+cancelled.Load(), "every future was accounted for")
	// Callbacks run on the completing goroutine just after Done closes.
	require.Eventually(t, func() bool { return totalCalls.Load() >= int64(n) }, waitLimit, time.Millisecond)
	for i := range calls {
		if c := calls[i].Load(); c != 1 {
			require.Failf(t, "future completed more or less than once", "future %d: %d callbacks", i, c)
		}
	}
	assert.Equal(t, 0, rt.InFlight())
	var dispatched int64
	for _, f := range fakes {
		dispatched += f.Dispatches()
	}
	assert.LessOrEqual(t, dispatched, int64(n))
	assert.Positive(t, ok.Load())
	assert.Positive(t, faulted.Load())
	assert.Positive(t, cancelled.Load())

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.NoError(t, rt.Close(ctx))
	t.Logf("%d dispatches: %d ok, %d faulted, %d cancelled", n, ok.Load(), faulted.Load(), cancelled.Load())
}
