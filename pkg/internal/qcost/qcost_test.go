package qcost

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestModelTime(t *testing.T) {
	m := Model{Latency: time.Millisecond, PerGateAmp: 1e-9}
	assert.Equal(t, time.Millisecond+time.Duration(100*1024), m.Time(10, 100), "1 ns per gate and amplitude")
	assert.Equal(t, m.Time(10, 1), m.Time(10, 0), "an empty circuit costs one pass")
	assert.Less(t, m.Time(20, 100), m.Time(21, 100))
	assert.Equal(t, time.Duration(math.MaxInt64/2), m.Time(60, 1<<20), "saturates")
}

// fake runs a circuit by sleeping perAmp per gate and amplitude, after a
// fixed latency; it counts its runs.
type fake struct {
	latency time.Duration
	perAmp  float64 // seconds
	fail    bool
	runs    atomic.Int32
}

func (f *fake) Name() string                                      { return "fake" }
func (f *fake) Kind() sokr.Kind                                   { return sokr.KindQPU }
func (f *fake) Describe() sokr.Properties                         { return nil }
func (*fake) Capability(context.Context, sokr.Program) sokr.Offer { return sokr.Offer{} }
func (f *fake) Dispatch(_ context.Context, j *sokr.Job) {
	f.runs.Add(1)
	if f.fail {
		j.Fail(errors.New("broken"))
		return
	}
	p := j.Program.(*circuit.Program)
	time.Sleep(f.latency + time.Duration(float64(Gates(p))*math.Ldexp(f.perAmp, p.Qubits)*1e9))
	j.Complete(sokr.Result{}, nil)
}

func TestLazyMeasuresLatencyFirstThenThroughputOnALargeCircuit(t *testing.T) {
	f := &fake{latency: 2 * time.Millisecond, perAmp: 1e-10}
	l := &Lazy{Fallback: Model{PerGateAmp: 1}}
	small := l.Time(f, 3, 4, nil)
	assert.Equal(t, int32(3), f.runs.Load(), "three runs of the tiny circuit")
	m := l.Model()
	assert.GreaterOrEqual(t, m.Latency, 2*time.Millisecond, "slept at least that long")
	assert.Equal(t, 1.0, m.PerGateAmp, "no throughput measured below CalQubits: the fallback's")
	assert.Equal(t, m.Time(3, 4), small)

	l.Time(f, CalQubits+2, 100, nil)
	assert.Equal(t, int32(5), f.runs.Load(), "two runs of the calibration circuit")
	// Each amplitude-gate slept 0.1 ns; what the run took beyond the latency is at least that.
	assert.GreaterOrEqual(t, l.Model().PerGateAmp, 0.5e-10, "(a latency measured long under load lowers it a little)")
	assert.Less(t, l.Model().PerGateAmp, 1.0, "measured, not the fallback")

	l.Time(f, CalQubits+5, 100, nil)
	assert.Equal(t, int32(5), f.runs.Load(), "measured once")
}

func TestLazyKeepsTheFallbackWhenARunFails(t *testing.T) {
	f := &fake{fail: true}
	fb := Model{Latency: time.Second, PerGateAmp: 2}
	l := &Lazy{Fallback: fb}
	assert.Equal(t, fb.Time(CalQubits, 10), l.Time(f, CalQubits, 10, nil))
	assert.Equal(t, fb, l.Model())
}

func TestLazyIsSafeForConcurrentUse(t *testing.T) {
	f := &fake{latency: time.Millisecond}
	l := &Lazy{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { l.Time(f, CalQubits, 1, Options{"precision": "complex64"}) })
	}
	wg.Wait()
	assert.Equal(t, int32(5), f.runs.Load(), "3 tiny runs and 2 calibration runs, once")
}
