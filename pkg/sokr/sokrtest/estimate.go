package sokrtest

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// RunEstimator is sokr.RunEstimator, kept here for the estimate checks
// that look for it.
type RunEstimator = sokr.RunEstimator

// OutsideHeap is implemented by substrates that allocate memory outside
// the Go heap on a run's behalf (C malloc, host-visible staging): it
// returns the bytes so allocated since the process started, never
// decreasing, so that CheckEstimate can add what a run takes there to
// what it takes from the Go heap.
type OutsideHeap interface {
	AllocatedOutsideHeap() int64
}

// Measurement is what CheckEstimate found.
type Measurement struct {
	// Estimate is the substrate's forecast in bytes: EstimateRun's when
	// the substrate has one, else Capability's.
	Estimate int64
	// Allocated is the fewest bytes one of the measured runs allocated:
	// Go heap (runtime.MemStats.TotalAlloc) plus OutsideHeap.
	Allocated int64
}

// CheckEstimate runs p on s and fails t if the run allocated more memory
// than s estimated. Capability must accept p.
//
// The measure is every byte allocated while the run was in flight: the
// growth of runtime.MemStats.TotalAlloc (which counts each Go allocation
// once, freed or not, and so bounds the peak growth of the heap from
// above whatever the garbage collector does) plus OutsideHeap's growth.
// It is robust under -race and needs no sampling, but it counts every
// goroutine's allocations: call CheckEstimate from a test that is not
// parallel (parallel tests wait until the sequential ones are done), with
// no other work of the test in flight. The garbage collector runs twice
// before each run, which empties sync.Pools (the run meets cold caches, its
// worst case). The run is measured twice and the smaller figure counts, so
// that a stray allocation elsewhere in the process does not fail a sound
// estimate; a run that allocates more than its estimate does so both times.
//
// An estimate is of the peak: memory a run allocates and drops as it goes
// (a parallel loop's closures, a shot's or a chunk's scratch) is counted
// once, as the run holds one repetition's at a time, while the measure
// counts every repetition's. Check programs with few repetitions (shots,
// chunks of time steps), where the data dominates.
//
//	sokrtest.CheckEstimate(t, cpu.New(), prog, inputs, sokr.Options{})
func CheckEstimate(t testing.TB, s sokr.Substrate, p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) Measurement {
	t.Helper()
	ctx := context.Background()
	offer := s.Capability(ctx, p)
	if !offer.OK {
		t.Fatalf("sokrtest: %s refused the program: %s", s.Name(), offer.Reason)
	}
	m := Measurement{Estimate: offer.Estimate.MemoryBytes}
	if re, ok := s.(RunEstimator); ok {
		est, err := re.EstimateRun(p, inputs, opts)
		if err != nil {
			t.Fatalf("sokrtest: %s: EstimateRun: %v", s.Name(), err)
		}
		m.Estimate = est.MemoryBytes
	}
	if m.Estimate <= 0 {
		t.Fatalf("sokrtest: %s estimates %d bytes: a run allocates something", s.Name(), m.Estimate)
	}
	m.Allocated = -1
	for range 2 {
		got, err := measureRun(t, s, p, inputs, opts)
		if err != nil {
			t.Fatalf("sokrtest: %s: the run failed: %v", s.Name(), err)
		}
		if m.Allocated < 0 || got < m.Allocated {
			m.Allocated = got
		}
	}
	t.Logf("%s: estimated %d bytes, the run allocated %d (%.2f of the estimate)",
		s.Name(), m.Estimate, m.Allocated, float64(m.Allocated)/float64(m.Estimate))
	if m.Allocated > m.Estimate {
		t.Errorf("sokrtest: %s estimated %s for the run, it allocated %s (%d bytes more): the estimate misses an allocation",
			s.Name(), sokr.FormatBytes(m.Estimate), sokr.FormatBytes(m.Allocated), m.Allocated-m.Estimate)
	}
	return m
}

// measureRun dispatches one run and returns the bytes allocated from the
// dispatch to the completion.
func measureRun(t testing.TB, s sokr.Substrate, p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (int64, error) {
	t.Helper()
	outside, _ := s.(OutsideHeap)
	j := sokr.NewJob(context.Background(), p, inputs, opts)
	f := j.Future()
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	var cBefore, cAfter int64
	if outside != nil {
		cBefore = outside.AllocatedOutsideHeap()
	}
	runtime.ReadMemStats(&before)
	s.Dispatch(j, j)
	select {
	case <-f.Done():
	case <-guard.C:
		t.Fatalf("sokrtest: %s: the run did not complete within %v", s.Name(), hangGuard)
	}
	runtime.ReadMemStats(&after)
	if outside != nil {
		cAfter = outside.AllocatedOutsideHeap()
	}
	_, err := f.Wait(context.Background())
	return int64(after.TotalAlloc-before.TotalAlloc) + (cAfter - cBefore), err
}
