package statevec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/offheap"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// Large states are mapped off the heap for the length of a run (mapSim).
// With the threshold lowered to nothing, every mode maps its states, gives
// the same results as from the heap, and leaves nothing mapped behind:
// sample (static and per shot), observe (exact with rotations, and per
// trajectory), the density matrix, and a run that fails part-way.
func TestMappedStatesMatchAndAreFreed(t *testing.T) {
	require.Zero(t, offheap.Live(), "something else left a mapping")
	dynamic := newCircuit(3, 2).h(0).cx(0, 1).measure(0, 0).
		ifBits([]int{0}, 1, func(b *builder) { b.x(2) }).h(2).measure(2, 1).build(t)
	cases := []struct {
		name   string
		p      sokr.Program
		params map[string]any
	}{
		{"static sample", bell(t), nil},
		{"per-shot sample", dynamic, map[string]any{"shots": 200}},
		{"exact observe", bell(t), observeOpts("XX", "ZI", "YY")},
		{"trajectory observe", dynamic, func() map[string]any {
			o := observeOpts("XIZ", "ZZI")
			o["trajectories"] = 50
			return o
		}()},
		{"density matrix", noisyRandom(t, 3, 5), observeOpts("ZZIII", "XIIYI")},
		{"density sample", noisyRandom(t, 4, 5), nil},
	}
	heap := map[string]sokr.Result{}
	for _, c := range cases {
		heap[c.name] = mustRun(t, New(Config{Workers: 2, MinParallel: 2}), c.p, c.params, 7)
	}
	old := mapFrom
	mapFrom = 0
	t.Cleanup(func() { mapFrom = old })
	for _, c := range cases {
		res := mustRun(t, New(Config{Workers: 2, MinParallel: 2}), c.p, c.params, 7)
		assert.Equal(t, heap[c.name].Outputs, res.Outputs, c.name)
		assert.Zero(t, offheap.Live(), "%s left states mapped", c.name)
	}
	// The estimate still covers the run, its mapped states included.
	p := newCircuit(16, 0).h(0).cx(0, 15).build(t)
	m := sokrtest.CheckEstimate(t, New(Config{}), p, nil, sokr.Options{})
	assert.GreaterOrEqual(t, m.Allocated, stateBytes(16, 16), "the mapped state is counted")

	// A run whose shot faults part-way (a while loop that never ends)
	// frees what it mapped, too.
	forever := newCircuit(1, 1).x(0).measure(0, 0).
		whileBits([]int{0}, 1, func(b *builder) { b.measure(0, 0) }).build(t)
	_, err := dispatch(t, New(Config{}), forever, nil, map[string]any{"shots": 1})
	require.Error(t, err)
	assert.Zero(t, offheap.Live(), "a failed run left states mapped")

	// get_state hands the state out: it is never mapped.
	st := stateOf(t, New(Config{}), bell(t), nil)
	assert.InDelta(t, 0.5, real(st[0])*real(st[0]), 1e-12)
	assert.Zero(t, offheap.Live())
}
