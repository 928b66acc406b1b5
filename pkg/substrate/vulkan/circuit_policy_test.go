//go:build cgo

package vulkan

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/ir/circuit/circuittest"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
)

// TestDeferredWantsLargeCircuits: Vulkan is started for circuits of
// qcost.CalQubits qubits or more, never for smaller ones.
func TestDeferredWantsLargeCircuits(t *testing.T) {
	d := NewDeferred(Config{})
	assert.False(t, d.Wants(circuittest.Layers(qcost.CalQubits-1, 1, 1)))
	assert.True(t, d.Wants(circuittest.Layers(qcost.CalQubits, 1, 1)))
}

// TestCircuitTimeEstimate: a CPU driver gives circuits no time estimate
// unless Config.EstimateCPU; with it, the estimate is qcost's model with
// constants measured on the device.
func TestCircuitTimeEstimate(t *testing.T) {
	ctx := context.Background()
	s := gpu(t)
	small := circuittest.Layers(4, 2, 1)
	o := s.Capability(ctx, small)
	require.True(t, o.OK, o.Reason)
	if s.info.Type != "cpu" {
		assert.Positive(t, o.Estimate.Time, "a GPU estimates")
		return
	}
	assert.Zero(t, o.Estimate.Time, "a CPU driver does not compete with statevec")

	e := openFirst(t, Config{CPU: true, EstimateCPU: true, CacheDir: "-", Validation: true})
	defer func() { require.NoError(t, e.Close()) }()
	o = e.Capability(ctx, small)
	require.True(t, o.OK, o.Reason)
	m := e.cost.Model()
	assert.Positive(t, m.Latency, "measured")
	assert.Equal(t, m.Time(4, len(small.Ops)), o.Estimate.Time)
	assert.Empty(t, e.ValidationMessages())
}

// TestCircuitPolicy: with statevec and a device that estimates, the
// default policy keeps a short run on statevec and sends a long one where
// its estimate is lowest.
func TestCircuitPolicy(t *testing.T) {
	ctx := context.Background()
	gpu(t) // skips or fails like the others when there is no Vulkan
	e := openFirst(t, Config{CPU: true, EstimateCPU: true, CacheDir: "-", Validation: true})
	rt := sokr.New()
	defer func() { require.NoError(t, rt.Close(ctx)) }()
	sv := statevec.New(statevec.Config{})
	require.NoError(t, rt.RegisterSubstrate(sv))
	require.NoError(t, rt.RegisterSubstrate(e))

	small := circuittest.Layers(4, 2, 1)
	f := rt.Dispatch(ctx, small, nil, sokr.Param("shots", 10))
	_, err := f.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, statevec.Name, f.Substrate(), "under sokr.AutoCompare on statevec: not compared")

	// Depth 12: statevec's measured estimate is about 5 ms per layer here,
	// so three times sokr.AutoCompare, whatever the machine's moment (at
	// depth 4 it came out at 19 ms once, under the 20 ms the test needs).
	big := circuittest.Layers(qcost.CalQubits, 12, 1)
	offers := map[string]sokr.Offer{}
	for _, o := range rt.Capability(ctx, big) { // measures both substrates' models first
		offers[o.Substrate] = o
	}
	cpu, dev := offers[statevec.Name], offers[e.Name()]
	require.True(t, cpu.OK && dev.OK)
	t.Logf("estimates: statevec %v, %s %v", cpu.Estimate.Time, e.Name(), dev.Estimate.Time)
	require.GreaterOrEqual(t, cpu.Estimate.Time, sokr.AutoCompare, "large enough to compare")
	want := statevec.Name
	if dev.Estimate.Time < cpu.Estimate.Time {
		want = e.Name()
	}
	f = rt.Dispatch(ctx, big, nil, sokr.Param("shots", 10), sokr.Param("precision", "complex64"))
	_, err = f.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, f.Substrate(), "the lower estimate (statevec %v, %s %v)", cpu.Estimate.Time, e.Name(), dev.Estimate.Time)
	assert.Empty(t, e.ValidationMessages())
}
