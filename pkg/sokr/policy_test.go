package sokr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// chosen dispatches prog with opts and returns the substrate that ran it.
func chosen(t *testing.T, rt *sokr.Runtime, opts ...sokr.DispatchOption) string {
	t.Helper()
	f := rt.Dispatch(context.Background(), prog, nil, opts...)
	_, err := await(t, f)
	require.NoError(t, err)
	return f.Substrate()
}

func estimating(name string, d time.Duration, mem int64) *sokrtest.Fake {
	f := sokrtest.NewSyncFake(name)
	f.Estimate = sokr.Estimate{Time: d, MemoryBytes: mem}
	return f
}

func TestFirstCapable(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewFake("c"), sokrtest.NewFake("b"), sokrtest.NewRefusingFake("a", "no"))
	assert.Equal(t, "b", chosen(t, rt), "the first capable in name order")
	assert.Equal(t, "b", chosen(t, rt, sokr.Using(sokr.FirstCapable())))
}

func TestFirstCapablePrefersLocalSubstratesToRemoteOnes(t *testing.T) {
	remote := func(name string) *sokrtest.Fake {
		f := sokrtest.NewFake(name)
		f.SubKind = sokr.KindRemote
		return f
	}
	rt := newRuntime(t, remote("a-cluster"), sokrtest.NewFake("z-local"), remote("b-cluster"))
	assert.Equal(t, "z-local", chosen(t, rt), "a local substrate before remote ones earlier in name order")
	assert.Equal(t, "a-cluster", chosen(t, rt, sokr.Using(sokr.Pinned("a-cluster"))), "pinned")

	only := newRuntime(t, remote("b-cluster"), sokrtest.NewRefusingFake("a-local", "no"), remote("c-cluster"))
	assert.Equal(t, "b-cluster", chosen(t, only), "a remote one when no local one can run it")
}

func TestAuto(t *testing.T) {
	const ms = time.Millisecond
	rt := newRuntime(t, estimating("b-cpu", 50*ms, 0), estimating("c-gpu", 30*ms, 0),
		sokrtest.NewRefusingFake("a-refuses", "no"))
	assert.Equal(t, "c-gpu", chosen(t, rt), "the default: the fastest of two estimating local substrates")
	rt = newRuntime(t, estimating("b-cpu", 5*ms, 0), estimating("c-gpu", 1*ms, 0))
	assert.Equal(t, "b-cpu", chosen(t, rt), "the first, below sokr.AutoCompare")

	local, remote := sokr.KindCPU, sokr.KindRemote
	big := sokr.AutoCompare
	for _, tc := range []struct {
		name  string
		times []time.Duration
		kinds []sokr.Kind
		want  int
	}{
		{"no estimates: first", []time.Duration{0, 0}, []sokr.Kind{local, local}, 0},
		{"the first gives none: first", []time.Duration{0, big, big / 2}, []sokr.Kind{local, local, local}, 0},
		{"the first is under AutoCompare: first", []time.Duration{big - 1, 0, 1}, []sokr.Kind{local, local, local}, 0},
		{"the first is over: the fastest that estimates", []time.Duration{3 * big, 0, 2 * big}, []sokr.Kind{local, local, local}, 2},
		{"the first is the fastest", []time.Duration{big, 0, 2 * big}, []sokr.Kind{local, local, local}, 0},
		{"a small estimate elsewhere counts", []time.Duration{big, 1}, []sokr.Kind{local, local}, 1},
		{"tie: the first of them", []time.Duration{2 * big, 2 * big, 2 * big}, []sokr.Kind{local, local, local}, 0},
		{"a faster remote is not compared", []time.Duration{1, 3 * big, 2 * big}, []sokr.Kind{remote, local, local}, 2},
		{"a remote's estimate is not compared", []time.Duration{1, 0, 2 * big}, []sokr.Kind{remote, local, local}, 1},
		{"remote only when no local", []time.Duration{big, 2 * big}, []sokr.Kind{remote, remote}, 0},
		{"local first before a faster remote", []time.Duration{1, 5 * big}, []sokr.Kind{remote, local}, 1},
	} {
		offers := make([]sokr.Offer, len(tc.times))
		for i := range offers {
			offers[i] = sokr.Offer{OK: true, Kind: tc.kinds[i], Estimate: sokr.Estimate{Time: tc.times[i]}}
		}
		i, err := sokr.Auto().Choose(prog, offers)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, i, tc.name)
	}
}

func TestCheapest(t *testing.T) {
	rt := newRuntimeWith(t, []sokr.Option{sokr.WithPolicy(sokr.Cheapest())},
		estimating("a-unknown", 0, 0),
		estimating("b-slow", 5*time.Millisecond, 0),
		estimating("c-fast", 2*time.Millisecond, 1<<30),
		estimating("d-fast-lean", 2*time.Millisecond, 1<<20),
		sokrtest.NewRefusingFake("0-refuses", "no"),
	)
	assert.Equal(t, "d-fast-lean", chosen(t, rt), "least time, then least memory")

	for _, tc := range []struct {
		name   string
		offers []sokr.Estimate
		want   int
	}{
		{"unknown loses to known", []sokr.Estimate{{}, {Time: time.Hour}}, 1},
		{"unknown time, known memory beats all unknown", []sokr.Estimate{{}, {MemoryBytes: 1}}, 1},
		{"known time beats known memory only", []sokr.Estimate{{MemoryBytes: 1}, {Time: time.Hour}}, 1},
		{"all unknown: first", []sokr.Estimate{{}, {}, {}}, 0},
		{"tie: first", []sokr.Estimate{{Time: 1}, {Time: 1}}, 0},
		{"smaller time", []sokr.Estimate{{Time: 3}, {Time: 2}, {Time: 4}}, 1},
		{"same time, less memory", []sokr.Estimate{{Time: 3, MemoryBytes: 9}, {Time: 3, MemoryBytes: 8}}, 1},
		{"same time, unknown memory loses", []sokr.Estimate{{Time: 3}, {Time: 3, MemoryBytes: 8}}, 1},
		{"one offer", []sokr.Estimate{{}}, 0},
	} {
		offers := make([]sokr.Offer, len(tc.offers))
		for i, e := range tc.offers {
			offers[i] = sokr.Offer{OK: true, Estimate: e}
		}
		i, err := sokr.Cheapest().Choose(prog, offers)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, i, tc.name)
	}
}

func TestPinned(t *testing.T) {
	b := sokrtest.NewRefusingFake("b", "needs 31 qubits, holds at most 30")
	rt := newRuntime(t, sokrtest.NewFake("a"), b, sokrtest.NewFake("c"))
	assert.Equal(t, "c", chosen(t, rt, sokr.Using(sokr.Pinned("c"))))
	assert.Equal(t, "c", chosen(t, rt, sokr.On("c")))

	for _, opt := range []sokr.DispatchOption{sokr.Using(sokr.Pinned("b")), sokr.On("b")} {
		f := rt.Dispatch(context.Background(), prog, nil, opt)
		_, err := await(t, f)
		require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
		var nc *sokr.NoCapableError
		require.ErrorAs(t, err, &nc)
		assert.Contains(t, err.Error(), "b: needs 31 qubits, holds at most 30", "the pinned substrate's reason is given")
		assert.Empty(t, f.Substrate())
		for i := 1; i < len(nc.Offers); i++ {
			assert.Less(t, nc.Offers[i-1].Substrate, nc.Offers[i].Substrate, "offers are sorted by name")
		}
	}
	assert.EqualValues(t, 0, b.Dispatches())

	_, err := await(t, rt.Dispatch(context.Background(), prog, nil, sokr.Using(sokr.Pinned("zz"))))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Contains(t, err.Error(), `pinned substrate "zz" is not among the capable ones`)
}

func TestOnUnknownNameListsRegistered(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewFake("cpu"), sokrtest.NewFake("statevec"))
	_, err := await(t, rt.Dispatch(context.Background(), prog, nil, sokr.On("vulkan")))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Equal(t, "sokr: no capable substrate for sokrtest/1: vulkan: no substrate of this name is registered (have: cpu, statevec)",
		err.Error())

	empty := newRuntime(t)
	_, err = await(t, empty.Dispatch(context.Background(), prog, nil, sokr.On("cpu")))
	assert.Contains(t, err.Error(), "(have: none)")
}

func TestRoundRobinSharesEvenly(t *testing.T) {
	fakes := []*sokrtest.Fake{sokrtest.NewSyncFake("a"), sokrtest.NewSyncFake("b"), sokrtest.NewSyncFake("c")}
	refusing := sokrtest.NewRefusingFake("0", "busy")
	rt := newRuntimeWith(t, []sokr.Option{sokr.WithPolicy(sokr.RoundRobin())}, fakes[0], fakes[1], fakes[2], refusing)
	var order []string
	for range 300 {
		order = append(order, chosen(t, rt))
	}
	assert.Equal(t, []string{"a", "b", "c", "a", "b", "c"}, order[:6])
	for _, f := range fakes {
		assert.EqualValues(t, 100, f.Dispatches(), f.Name())
	}
	assert.EqualValues(t, 0, refusing.Dispatches())

	// Each RoundRobin() has its own rotation.
	p := sokr.RoundRobin()
	offers := make([]sokr.Offer, 2)
	for want := range 4 {
		i, err := p.Choose(prog, offers)
		require.NoError(t, err)
		assert.Equal(t, want%2, i)
	}
}

func TestPolicyFunc(t *testing.T) {
	var seen []string
	last := sokr.PolicyFunc(func(p sokr.Program, offers []sokr.Offer) (int, error) {
		seen = seen[:0]
		for _, o := range offers {
			assert.True(t, o.OK, "a policy sees only accepting offers")
			seen = append(seen, o.Substrate)
		}
		return len(offers) - 1, nil
	})
	rt := newRuntime(t, sokrtest.NewFake("c"), sokrtest.NewRefusingFake("b", "no"), sokrtest.NewFake("a"), sokrtest.NewFake("d"))
	assert.Equal(t, "d", chosen(t, rt, sokr.Using(last)))
	assert.Equal(t, []string{"a", "c", "d"}, seen, "in name order")

	// The runtime's default policy is overridden per dispatch.
	rt2 := newRuntimeWith(t, []sokr.Option{sokr.WithPolicy(last)}, sokrtest.NewFake("a"), sokrtest.NewFake("b"))
	assert.Equal(t, "b", chosen(t, rt2))
	assert.Equal(t, "a", chosen(t, rt2, sokr.Using(sokr.FirstCapable())))
}

func TestBadPolicyChoosesNone(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewRefusingFake("a", "offline"), sokrtest.NewFake("b"), sokrtest.NewFake("c"))
	policyErr := errors.New("no substrate within budget")
	for _, tc := range []struct {
		name   string
		policy sokr.PolicyFunc
		msg    string
	}{
		{"too large", func(sokr.Program, []sokr.Offer) (int, error) { return 2, nil }, "policy chose offer 2 of 2"},
		{"negative", func(sokr.Program, []sokr.Offer) (int, error) { return -1, nil }, "policy chose offer -1 of 2"},
		{"error", func(sokr.Program, []sokr.Offer) (int, error) { return 0, policyErr }, policyErr.Error()},
		{"panic", func(sokr.Program, []sokr.Offer) (int, error) { panic("oops") }, "policy panicked: oops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := rt.Dispatch(context.Background(), prog, nil, sokr.Using(tc.policy))
			_, err := await(t, f)
			require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
			var nc *sokr.NoCapableError
			require.ErrorAs(t, err, &nc)
			require.Error(t, nc.Policy)
			assert.Equal(t, tc.msg, nc.Policy.Error())
			assert.Contains(t, err.Error(), "policy chose none: "+tc.msg)
			assert.Contains(t, err.Error(), "a: offline", "the refusals are still reported")
			require.Len(t, nc.Offers, 3)
			assert.Equal(t, []string{"a", "b", "c"},
				[]string{nc.Offers[0].Substrate, nc.Offers[1].Substrate, nc.Offers[2].Substrate})
			assert.Empty(t, f.Substrate())
		})
	}
}
