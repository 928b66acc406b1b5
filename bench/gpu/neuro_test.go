package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/vulkan"
)

// TestNeuroQuick runs the neuro section at -quick sizes on lavapipe (under
// the validation layer when installed): the workload runs, its spikes and
// voltages agree with snn's, and the report holds the reference figures.
func TestNeuroQuick(t *testing.T) {
	_, verr := os.Stat(validationLayer)
	subs, err := vulkan.Open(vulkan.Config{CacheDir: "-", Validation: verr == nil, CPU: true})
	if errors.Is(err, vulkan.ErrUnavailable) {
		if inCI() {
			t.Fatalf("CI needs Vulkan (lavapipe): %v", err)
		}
		t.Skipf("no Vulkan here: %v", err)
	}
	require.NoError(t, err)
	for _, s := range subs[1:] {
		require.NoError(t, s.Close())
	}
	defer subs[0].Close()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(subs[0]))
	var log bytes.Buffer
	b := &bench{cfg: Config{Quick: true}, w: &log, gpu: subs[0], rtGPU: rt, sz: sizesFor("quick"), props: subs[0].Describe(),
		rep: &Report{Mode: "quick"}, start: time.Now()}
	require.NoError(t, b.neuro(context.Background(), time.Now().Add(20*time.Second)))
	t.Log("\n" + log.String())
	r := b.rep.Neuro
	require.NotNil(t, r)
	assert.True(t, r.ok())
	assert.Len(t, r.Reference, 2)
	require.Len(t, r.Checks, 1)
	c := r.Checks[0]
	assert.Empty(t, c.Error)
	assert.True(t, c.Agree, "%+v", c)
	assert.Positive(t, c.Spikes)
	require.Len(t, r.Runs, 1)
	run := r.Runs[0]
	assert.Empty(t, run.Error)
	assert.Equal(t, 64, run.N)
	assert.Positive(t, run.ColdMs)
	assert.Positive(t, run.WallMs.N)
	assert.Positive(t, run.GPUMs.N, "lavapipe has timestamps")
	assert.Greater(t, run.Activity, 0.01)
	assert.Less(t, run.Activity, 0.5)
	assert.False(t, run.Goal.Applies, "the goal is for an H100 at n = 16384")
	assert.Contains(t, log.String(), "Norse (compiled) 0.029 s at n = 16384")
	require.Len(t, r.Propagation, len(neuroActivities))
	for _, e := range r.Propagation {
		assert.Empty(t, e.Error)
		assert.True(t, e.Same, "event-driven and dense give the same spikes at p = %g", e.Input)
		assert.Positive(t, e.DenseMs.N)
		assert.Positive(t, e.EventMs.N)
		assert.Positive(t, e.Speedup)
	}
	assert.Empty(t, subs[0].ValidationMessages())
}
