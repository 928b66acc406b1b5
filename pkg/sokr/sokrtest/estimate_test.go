package sokrtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// allocator is a substrate whose runs allocate alloc bytes on the Go heap
// and outside bytes "outside" it, and that estimates est bytes.
type allocator struct {
	alloc, outside, est int64
	counted             int64 // OutsideHeap's counter
	runEstimate         bool  // estimate through EstimateRun, Capability says 1
}

func (a *allocator) Name() string                { return "allocator" }
func (a *allocator) Kind() sokr.Kind             { return sokr.KindCPU }
func (a *allocator) Describe() sokr.Properties   { return nil }
func (a *allocator) AllocatedOutsideHeap() int64 { return a.counted }

func (a *allocator) Capability(context.Context, sokr.Program) sokr.Offer {
	if a.runEstimate {
		return sokr.Yes(a, sokr.Estimate{MemoryBytes: 1})
	}
	return sokr.Yes(a, sokr.Estimate{MemoryBytes: a.est})
}

func (a *allocator) Dispatch(_ context.Context, j *sokr.Job) {
	j.Go(a.Name(), func(*sokr.Job) (sokr.Result, error) {
		a.counted += a.outside
		t := sokr.Tensor{DType: sokr.Bool, Shape: sokr.Shape{int(a.alloc)}, Data: make([]byte, a.alloc)}
		return sokr.Result{Outputs: []sokr.Output{{Name: "x", Tensor: t}}}, nil
	})
}

type runEstimator struct{ *allocator }

func (r runEstimator) EstimateRun(sokr.Program, []sokr.Tensor, sokr.Options) (sokr.Estimate, error) {
	return sokr.Estimate{MemoryBytes: r.est}, nil
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(string, ...any) {}

func TestCheckEstimate(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name string
		sub  sokr.Substrate
		fail bool
	}{
		{"enough", &allocator{alloc: 4 * mib, est: 5 * mib}, false},
		{"low", &allocator{alloc: 4 * mib, est: 3 * mib}, true},
		{"outside heap", &allocator{alloc: 1 * mib, outside: 3 * mib, est: 3 * mib}, true},
		{"outside heap counted", &allocator{alloc: 1 * mib, outside: 3 * mib, est: 5 * mib}, false},
		{"run estimate", runEstimator{&allocator{alloc: 4 * mib, est: 5 * mib, runEstimate: true}}, false},
		{"run estimate low", runEstimator{&allocator{alloc: 4 * mib, est: 3 * mib, runEstimate: true}}, true},
	} { // every run allocates 4 MiB in all
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			m := sokrtest.CheckEstimate(r, c.sub, sokrtest.Program{}, nil, sokr.Options{})
			assert.GreaterOrEqual(t, m.Allocated, int64(4*mib))
			if c.fail {
				require.Len(t, r.errs, 1)
				assert.Contains(t, r.errs[0], "the estimate misses an allocation")
			} else {
				assert.Empty(t, r.errs)
				assert.Less(t, m.Allocated, int64(4*mib+64<<10), "the measure adds little of its own")
			}
		})
	}
}
