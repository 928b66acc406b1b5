package sokr_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// lazy is a Deferred placeholder named "lazy" that wants programs of format
// "gpu/1" and starts "lazy:0" and "lazy:1" (fakes that run only gpu/1).
type lazy struct {
	starts  atomic.Int64
	err     error
	started []*sokrtest.Fake
	mu      sync.Mutex
}

func (l *lazy) Name() string              { return "lazy" }
func (l *lazy) Kind() sokr.Kind           { return sokr.KindGPU }
func (l *lazy) Describe() sokr.Properties { return sokr.Properties{"started": "false"} }
func (l *lazy) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	return sokr.No(l, "runs gpu/1 programs, not "+p.Format())
}

func (l *lazy) Dispatch(_ context.Context, j *sokr.Job) {
	j.Fail(errors.New("the placeholder itself never runs anything"))
}
func (l *lazy) Wants(p sokr.Program) bool { return p.Format() == "gpu/1" }
func (l *lazy) Start() ([]sokr.Substrate, error) {
	l.starts.Add(1)
	if l.err != nil {
		return nil, l.err
	}
	var out []sokr.Substrate
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range []string{"lazy:0", "lazy:1"} {
		f := sokrtest.NewSyncFake(n)
		f.SubKind = sokr.KindGPU
		f.Formats = []string{"gpu/1"}
		l.started = append(l.started, f)
		out = append(out, f)
	}
	return out, nil
}

var _ sokr.Deferred = (*lazy)(nil)

var (
	gpuProg   = sokrtest.Program{Fmt: "gpu/1"}
	otherProg = sokrtest.Program{Fmt: "other/1"}
)

// lazyRuntime has "cpu" (running other/1 and gpu/1) and the placeholder.
func lazyRuntime(t *testing.T) (*sokr.Runtime, *lazy, *sokrtest.Fake) {
	t.Helper()
	rt := sokr.New()
	cpu := sokrtest.NewSyncFake("cpu")
	l := &lazy{}
	require.NoError(t, rt.RegisterSubstrate(cpu))
	require.NoError(t, rt.RegisterSubstrate(l))
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt, l, cpu
}

func TestDeferredNotStartedWhenNotNeeded(t *testing.T) {
	rt, l, cpu := lazyRuntime(t)
	ctx := context.Background()

	// A program it does not want: asked, refused, never started.
	cpu.Formats = []string{"gpu/1"}
	_, err := rt.Run(ctx, otherProg, nil)
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Contains(t, nc.Error(), "lazy: runs gpu/1 programs, not other/1")
	offers := rt.Capability(ctx, otherProg)
	assert.Equal(t, []string{"cpu", "lazy"}, []string{offers[0].Substrate, offers[1].Substrate})

	// A program it wants, but a substrate before it in name order says yes
	// first: under the first-capable policy it is not asked, so not started.
	cpu.Formats = nil
	_, err = rt.Run(ctx, gpuProg, nil)
	require.NoError(t, err)
	assert.Zero(t, l.starts.Load())
	assert.Equal(t, []string{"cpu", "lazy"}, substrateNames(rt.Substrates()))
}

func TestDeferredStartsWhenAsked(t *testing.T) {
	rt, l, cpu := lazyRuntime(t)
	ctx := context.Background()
	cpu.Refuse = "busy"

	f := rt.Dispatch(ctx, gpuProg, nil)
	_, err := f.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "lazy:0", f.Substrate(), "the result names the device, not the placeholder")
	assert.Equal(t, int64(1), l.starts.Load())
	assert.Equal(t, []string{"cpu", "lazy:0", "lazy:1"}, substrateNames(rt.Substrates()), "the placeholder is replaced")

	// Later questions go to the started substrates; nothing starts twice.
	offers := rt.Capability(ctx, gpuProg)
	require.Len(t, offers, 3)
	assert.True(t, offers[1].OK && offers[2].OK)
	assert.Equal(t, int64(1), l.starts.Load())

	// Closing the runtime closes what the placeholder started.
	require.NoError(t, rt.Close(ctx))
	for _, s := range l.started {
		assert.Equal(t, int64(1), s.Closes())
	}
}

func TestDeferredStartsForCapabilityAndPolicies(t *testing.T) {
	ctx := context.Background()
	t.Run("capability", func(t *testing.T) {
		rt, l, _ := lazyRuntime(t)
		offers := rt.Capability(ctx, gpuProg)
		assert.Equal(t, []string{"cpu", "lazy:0", "lazy:1"}, []string{offers[0].Substrate, offers[1].Substrate, offers[2].Substrate})
		assert.Equal(t, int64(1), l.starts.Load())
	})
	t.Run("auto starts it only to compare a long run", func(t *testing.T) {
		rt, l, cpu := lazyRuntime(t)
		cpu.Estimate = sokr.Estimate{Time: sokr.AutoCompare / 2}
		f := rt.Dispatch(ctx, gpuProg, nil)
		_, err := f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "cpu", f.Substrate())
		assert.Zero(t, l.starts.Load(), "a short run on the first yes: nothing else asked")

		cpu.Estimate = sokr.Estimate{Time: 2 * sokr.AutoCompare}
		f = rt.Dispatch(ctx, gpuProg, nil)
		_, err = f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), l.starts.Load(), "a long one: the placeholder that wants it starts, to be compared")
		assert.Equal(t, "cpu", f.Substrate(), "the started fakes give no estimate: the first yes stays")
		l.mu.Lock()
		l.started[1].Estimate = sokr.Estimate{Time: sokr.AutoCompare}
		l.mu.Unlock()
		f = rt.Dispatch(ctx, gpuProg, nil)
		_, err = f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "lazy:1", f.Substrate(), "estimated faster")
	})
	t.Run("cheapest asks everyone", func(t *testing.T) {
		rt, l, _ := lazyRuntime(t)
		_, err := rt.Run(ctx, gpuProg, nil, sokr.Using(sokr.Cheapest()))
		require.NoError(t, err)
		assert.Equal(t, int64(1), l.starts.Load())
	})
}

func TestDeferredStartsByName(t *testing.T) {
	ctx := context.Background()
	t.Run("lookup", func(t *testing.T) {
		rt, l, _ := lazyRuntime(t)
		_, ok := rt.Substrate("cpu:0")
		assert.False(t, ok, "cpu is no placeholder")
		assert.Zero(t, l.starts.Load())
		s, ok := rt.Substrate("lazy:1")
		require.True(t, ok)
		assert.Equal(t, "lazy:1", s.Name())
		_, ok = rt.Substrate("lazy:7")
		assert.False(t, ok)
		assert.Equal(t, int64(1), l.starts.Load())
	})
	t.Run("pinned to a device", func(t *testing.T) {
		rt, _, _ := lazyRuntime(t)
		f := rt.Dispatch(ctx, gpuProg, nil, sokr.On("lazy:1"))
		_, err := f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "lazy:1", f.Substrate())
	})
	t.Run("pinned to the placeholder", func(t *testing.T) {
		rt, _, _ := lazyRuntime(t)
		f := rt.Dispatch(ctx, gpuProg, nil, sokr.On("lazy"))
		_, err := f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "lazy:0", f.Substrate(), "any of its substrates")
		// Pinned with a program it does not want: it refuses, unstarted.
		rt2, l2, _ := lazyRuntime(t)
		_, err = rt2.Run(ctx, otherProg, nil, sokr.On("lazy"))
		require.ErrorContains(t, err, "runs gpu/1 programs, not other/1")
		assert.Zero(t, l2.starts.Load())
	})
	t.Run("listing", func(t *testing.T) {
		rt, l, _ := lazyRuntime(t)
		rt.StartDeferred()
		rt.StartDeferred()
		assert.Equal(t, []string{"cpu", "lazy:0", "lazy:1"}, substrateNames(rt.Substrates()))
		assert.Equal(t, int64(1), l.starts.Load())
	})
}

func TestDeferredStartFailure(t *testing.T) {
	ctx := context.Background()
	rt, l, cpu := lazyRuntime(t)
	l.err = errors.New("no driver")
	cpu.Refuse = "busy"

	_, err := rt.Run(ctx, gpuProg, nil)
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Equal(t, []string{"cpu"}, substrateNames(rt.Substrates()), "the placeholder is gone")
	require.Contains(t, rt.Failures(), "lazy")
	assert.ErrorIs(t, rt.Failures()["lazy"], sokr.ErrRegistration)
	assert.ErrorContains(t, rt.Failures()["lazy"], "no driver")

	rt2, l2, _ := lazyRuntime(t)
	l2.err = errors.New("no driver")
	_, err = rt2.Run(ctx, gpuProg, nil, sokr.On("lazy"))
	require.ErrorAs(t, err, &nc)
	require.Len(t, nc.Offers, 1)
	assert.Equal(t, "lazy", nc.Offers[0].Substrate)
	assert.Contains(t, nc.Offers[0].Reason, "did not start")
	assert.Contains(t, nc.Offers[0].Reason, "no driver")

	// Pinned to a device of a placeholder that cannot start: the listing and why.
	rt3, l3, _ := lazyRuntime(t)
	l3.err = errors.New("no driver")
	_, err = rt3.Run(ctx, gpuProg, nil, sokr.On("lazy:0"))
	require.ErrorAs(t, err, &nc)
	assert.Equal(t, "no substrate of this name is registered (have: cpu); lazy did not start: "+
		"sokr: register lazy: failed to start: no driver", nc.Offers[0].Reason)
}

func TestDeferredUnregisteredNeverStarts(t *testing.T) {
	rt, l, cpu := lazyRuntime(t)
	cpu.Refuse = "busy"
	require.True(t, rt.UnregisterSubstrate("lazy"))
	rt.StartDeferred()
	_, ok := rt.Substrate("lazy:0")
	assert.False(t, ok)
	_, err := rt.Run(context.Background(), gpuProg, nil)
	assert.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Zero(t, l.starts.Load())
}

func TestDeferredStartsOnceUnderConcurrency(t *testing.T) {
	rt, l, cpu := lazyRuntime(t)
	cpu.Refuse = "busy"
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 32)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				_, errs[i] = rt.Run(ctx, gpuProg, nil)
			case 1:
				_, errs[i] = rt.Run(ctx, gpuProg, nil, sokr.On("lazy:1"))
			default:
				rt.StartDeferred()
				_ = rt.Capability(ctx, gpuProg)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), l.starts.Load())
	assert.Equal(t, []string{"cpu", "lazy:0", "lazy:1"}, substrateNames(rt.Substrates()))
}
