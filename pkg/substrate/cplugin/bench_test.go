//go:build cgo

package cplugin_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// memoProbe is a probeProgram that memoizes, as native programs do, so
// the plugin prepares it once.
type memoProbe struct {
	probeProgram
	memo sync.Map
}

func (p *memoProbe) Memo(key any, build func() any) any {
	if v, ok := p.memo.Load(key); ok {
		return v
	}
	v, _ := p.memo.LoadOrStore(key, build())
	return v
}

// BenchmarkRoundTrip is the [cabi] target: Dispatch + Wait through the C
// ABI costs at most 1 µs more than the same through an in-process Go
// substrate. Both substrates do no work: they complete before Dispatch
// returns with the inputs echoed back (sokrtest's synchronous Fake; the
// probe plugin built with -DPROBE_ECHO). The difference is the ABI: the
// job's C block, pinning, the cgo call, the callback and the output copy.
// c/elementwise-axpy runs a real tiny program (a*x+y, 4 floats) through
// the example plugin.
func BenchmarkRoundTrip(b *testing.B) {
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4})}
	run := func(b *testing.B, s sokr.Substrate, p sokr.Program, in []sokr.Tensor) {
		rt := sokr.New()
		if err := rt.RegisterSubstrate(s); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Dispatch(ctx, p, in).Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("go/fake-sync", func(b *testing.B) {
		run(b, sokrtest.NewSyncFake("fake"), &memoProbe{probeProgram: "x"}, in)
	})
	b.Run("c/echo", func(b *testing.B) {
		run(b, load(b, probe(b, "ECHO")), &memoProbe{probeProgram: "x"}, in)
	})
	b.Run("c/elementwise-axpy", func(b *testing.B) {
		p := parse(b, "param x: f32[4]\nparam y: f32[4]\na: f32[] = const 2\nax: f32[4] = mul a, x\nout: f32[4] = add ax, y\nreturn out")
		run(b, load(b, examplePlugin(b)), p, []sokr.Tensor{in[0], in[0]})
	})
}
