//go:build cgo

package cplugin_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// exampleBytes is the example plugin's own estimate of a program: every
// node's bytes (elementwise_plugin.c, where it reads a statement).
func exampleBytes(p *native.Program) int64 {
	var n int64
	for _, nd := range p.Nodes {
		n += int64(nd.Type.Shape.NumElements() * nd.Type.DType.Size())
	}
	return n
}

// Every estimate is checked against reality (issue 15): what the host
// allocates for a plugin's run (the copies of the outputs into Go memory,
// the job's C block, the bookkeeping) stays within what the host adds to
// the plugin's own estimate, which is passed through; the plugin's own
// allocations are its own and not measured. Runs inline and on the
// plugin's threads, with parameters and with inputs pinned or copied.
// Not parallel: CheckEstimate measures the whole process.
func TestEstimateCoversTheRun(t *testing.T) {
	s := load(t, examplePlugin(t))
	cases := []struct {
		name, src string
		opts      sokr.Options
	}{
		{"small inline", "param x: f32[64]\ny: f32[64] = neg x\nreturn y", sokr.Options{}},
		{"chain threaded", "param x: f32[262144]\nt: f32[] = const 2\ny: f32[262144] = mul x, t\nz: f32[262144] = exp y\nreturn z", sokr.Options{}},
		{"two outputs", "param x: f64[512,512]\ny: f64[512,512] = sqrt x\nr: f64[512] = reduce_sum y, axes=[1]\nreturn y, r", sokr.Options{}},
		{"reduce all", "param x: f32[262144]\nr: f32[] = reduce_sum x, axes=[0]\nreturn r", sokr.Options{}},
		{"with params", "param x: f32[262144]\ny: f32[262144] = abs x\nreturn y",
			sokr.Options{Seed: 7, HasSeed: true, Params: map[string]any{"note": "a parameter the plugin ignores", "weights": make([]float32, 65536)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parse(t, c.src)
			inputs := make([]sokr.Tensor, len(p.Params))
			for i, idx := range p.Params {
				ty := p.Nodes[idx].Type
				inputs[i] = sokr.NewTensor(ty.DType, ty.Shape...)
			}
			offer := s.Capability(context.Background(), p)
			require.True(t, offer.OK, offer.Reason)
			plugin := exampleBytes(p)
			m := sokrtest.CheckEstimate(t, s, p, inputs, c.opts)
			// The host's part alone covers what the host allocated: the
			// plugin's estimate is not stretched to cover it.
			assert.LessOrEqual(t, m.Allocated, m.Estimate-plugin, "the host's own allocations exceed what it adds")
			var outs int64
			for _, o := range p.Outputs {
				outs += int64(p.Nodes[o].Type.Shape.NumElements() * p.Nodes[o].Type.DType.Size())
			}
			assert.GreaterOrEqual(t, m.Allocated, outs, "the outputs are copied into Go memory")
		})
	}
}

// A plugin that estimates nothing keeps its offer's 0: the host cannot size
// the outputs of a program it knows nothing about.
func TestUnknownEstimateStaysUnknown(t *testing.T) {
	s := load(t, probe(t, "ECHO"))
	o := s.Capability(context.Background(), probeProgram("x"))
	if !o.OK {
		t.Fatalf("the probe refused: %s", o.Reason)
	}
	assert.Zero(t, o.Estimate.MemoryBytes)
}
