package sokrtest_test

import (
	"testing"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// The fake substrate passes the conformance suite, synchronously and
// asynchronously; this also tests the suite itself.
func TestFakeConformance(t *testing.T) {
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3})}
	cases := []sokrtest.Case{{Name: "echo", Program: &sokrtest.Program{}, Inputs: in, Want: in}}
	for _, f := range []*sokrtest.Fake{sokrtest.NewFake("async"), sokrtest.NewSyncFake("sync")} {
		f.Formats = []string{"sokrtest/1"}
		t.Run(f.Name(), func(t *testing.T) {
			sokrtest.Run(t, f, sokrtest.Suite{Cases: cases})
		})
	}
	slow := sokrtest.NewFake("slow")
	slow.Formats = []string{"sokrtest/1"}
	slow.Delay = 20 * time.Millisecond
	sokrtest.Run(t, slow, sokrtest.Suite{Cases: cases, Slow: &cases[0]})
}
