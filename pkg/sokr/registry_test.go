package sokr_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// fakeIR is an IR plugin that parses nothing.
type fakeIR struct{ format string }

func (ir *fakeIR) Format() string { return ir.format }

func (ir *fakeIR) Parse(context.Context, []byte) (sokr.Program, error) {
	return sokrtest.Program{Fmt: ir.format}, nil
}

func substrateNames(subs []sokr.Substrate) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.Name()
	}
	return out
}

func TestRegisterSubstrateRejectsProgrammerErrors(t *testing.T) {
	reg := sokr.NewRegistry()
	require.NoError(t, reg.RegisterSubstrate(sokrtest.NewFake("cpu")))

	for _, tc := range []struct {
		name string
		sub  sokr.Substrate
		msg  string
	}{
		{"nil", nil, "nil substrate"},
		{"typed nil", (*sokrtest.Fake)(nil), "nil substrate"},
		{"empty name", renamed{sokrtest.NewFake("x"), ""}, "empty name"},
		{"blank name", renamed{sokrtest.NewFake("x"), "  "}, "empty name"},
		{"space in name", renamed{sokrtest.NewFake("x"), "my cpu"}, "name contains white space"},
		{"tab in name", renamed{sokrtest.NewFake("x"), "cpu\t2"}, "name contains white space"},
		{"newline in name", renamed{sokrtest.NewFake("x"), "cpu\n"}, "name contains white space"},
		{"duplicate", sokrtest.NewFake("cpu"), "a substrate with this name is already registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := reg.RegisterSubstrate(tc.sub)
			require.ErrorIs(t, err, sokr.ErrRegistration)
			var re *sokr.RegistrationError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.msg, re.Msg)
		})
	}
	assert.Equal(t, []string{"cpu"}, substrateNames(reg.Substrates()), "nothing else was registered")
	assert.Empty(t, reg.Failures(), "programmer errors are not start failures")
}

func TestRegisterIRRejectsProgrammerErrors(t *testing.T) {
	reg := sokr.NewRegistry()
	require.NoError(t, reg.RegisterIR(&fakeIR{"sokr.native/1"}))
	for _, ir := range []sokr.IR{nil, (*fakeIR)(nil), &fakeIR{""}, &fakeIR{" "}, &fakeIR{"a b/1"}, &fakeIR{"sokr.native/1"}} {
		err := reg.RegisterIR(ir)
		require.ErrorIs(t, err, sokr.ErrRegistration, "%#v", ir)
	}
	assert.Len(t, reg.IRs(), 1)
}

func TestSubstratesAreListedSorted(t *testing.T) {
	reg := sokr.NewRegistry()
	for _, name := range []string{"vulkan/0", "cpu", "statevec", "snn", "cplugin.acme.v1"} {
		require.NoError(t, reg.RegisterSubstrate(sokrtest.NewFake(name)))
	}
	assert.Equal(t, []string{"cplugin.acme.v1", "cpu", "snn", "statevec", "vulkan/0"}, substrateNames(reg.Substrates()))

	s, ok := reg.Substrate("snn")
	require.True(t, ok)
	assert.Equal(t, "snn", s.Name())
	_, ok = reg.Substrate("tpu")
	assert.False(t, ok)
}

func TestIRsAreListedSorted(t *testing.T) {
	reg := sokr.NewRegistry()
	for _, f := range []string{"spirv/1.6", "openqasm/3", "nir/1", "openqasm/2", "sokr.native/1"} {
		require.NoError(t, reg.RegisterIR(&fakeIR{f}))
	}
	var formats []string
	for _, ir := range reg.IRs() {
		formats = append(formats, ir.Format())
	}
	assert.Equal(t, []string{"nir/1", "openqasm/2", "openqasm/3", "sokr.native/1", "spirv/1.6"}, formats)

	ir, ok := reg.IR("nir/1")
	require.True(t, ok)
	assert.Equal(t, "nir/1", ir.Format())

	assert.True(t, reg.UnregisterIR("nir/1"))
	assert.False(t, reg.UnregisterIR("nir/1"))
	_, ok = reg.IR("nir/1")
	assert.False(t, ok)
	assert.Len(t, reg.IRs(), 4)
	require.NoError(t, reg.RegisterIR(&fakeIR{"nir/1"}), "a format can be registered again once removed")
}

func TestStartSubstrateRecordsFailures(t *testing.T) {
	reg := sokr.NewRegistry()
	cause := errors.New("libvulkan.so.1: cannot open shared object file")

	err := reg.StartSubstrate("vulkan", func() (sokr.Substrate, error) { return nil, cause })
	require.ErrorIs(t, err, sokr.ErrRegistration)
	require.ErrorIs(t, err, cause)
	assert.Equal(t, "sokr: register vulkan: failed to start: "+cause.Error(), err.Error())

	err = reg.StartSubstrate("cplugin.acme", func() (sokr.Substrate, error) { panic("segfault in init") })
	require.ErrorIs(t, err, sokr.ErrRegistration)
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe, "a panic is kept as a fault")
	assert.Equal(t, "segfault in init", fe.Panic)
	assert.Contains(t, err.Error(), "start panicked")

	err = reg.StartSubstrate("broken", func() (sokr.Substrate, error) { return nil, nil })
	require.ErrorIs(t, err, sokr.ErrRegistration, "a start that returns no substrate fails")

	require.NoError(t, reg.StartSubstrate("cpu", func() (sokr.Substrate, error) {
		return sokrtest.NewFake("cpu"), nil
	}))

	failures := reg.Failures()
	require.Len(t, failures, 3)
	assert.ErrorIs(t, failures["vulkan"], cause)
	assert.ErrorIs(t, failures["cplugin.acme"], sokr.ErrSubstrateFault)
	assert.Contains(t, failures, "broken")
	assert.Equal(t, []string{"cpu"}, substrateNames(reg.Substrates()), "the failures do not stop the others")

	// Failures is a copy.
	delete(failures, "vulkan")
	assert.Len(t, reg.Failures(), 3)

	// A later successful registration clears the recorded failure.
	require.NoError(t, reg.RegisterSubstrate(sokrtest.NewFake("vulkan")))
	assert.NotContains(t, reg.Failures(), "vulkan")

	// A bad name is a programmer error, not a start failure, and start is
	// not called.
	called := false
	err = reg.StartSubstrate(" ", func() (sokr.Substrate, error) { called = true; return nil, nil })
	require.ErrorIs(t, err, sokr.ErrRegistration)
	assert.False(t, called)
}

func TestUnregisterSubstrate(t *testing.T) {
	a, b := sokrtest.NewFake("a"), sokrtest.NewFake("b")
	rt := newRuntime(t, a, b)

	assert.True(t, rt.UnregisterSubstrate("a"))
	assert.False(t, rt.UnregisterSubstrate("a"))
	assert.Equal(t, []string{"b"}, substrateNames(rt.Substrates()))

	f := rt.Dispatch(context.Background(), prog, nil)
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "b", f.Substrate())
	assert.EqualValues(t, 0, a.Capabilities())

	_, err = await(t, rt.Dispatch(context.Background(), prog, nil, sokr.On("a")))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Contains(t, err.Error(), "a: no substrate of this name is registered (have: b)")

	require.NoError(t, rt.RegisterSubstrate(sokrtest.NewFake("a")), "a name can be registered again once removed")
}

func TestUnregisterDoesNotDisturbRunningJobs(t *testing.T) {
	fake, release := heldFake(t, "cpu")
	rt := newRuntime(t, fake)
	f := rt.Dispatch(context.Background(), prog, nil)
	require.True(t, rt.UnregisterSubstrate("cpu"))
	release()
	_, err := await(t, f)
	require.NoError(t, err)
}

func TestRuntimesShareARegistry(t *testing.T) {
	reg := sokr.NewRegistry()
	a := newRuntimeWith(t, []sokr.Option{sokr.WithRegistry(reg)})
	b := newRuntimeWith(t, []sokr.Option{sokr.WithRegistry(reg)})
	require.NoError(t, a.RegisterSubstrate(sokrtest.NewFake("cpu")))
	_, err := await(t, b.Dispatch(context.Background(), prog, nil))
	require.NoError(t, err)
	assert.Same(t, reg, a.Registry)
	assert.Same(t, reg, b.Registry)
}

func TestRegistryIsSafeForConcurrentUse(t *testing.T) {
	rt := newRuntime(t, sokrtest.NewSyncFake("base"))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("s%d-%d", w, i)
				assert.NoError(t, rt.RegisterSubstrate(sokrtest.NewSyncFake(name)))
				_ = rt.Substrates()
				_ = rt.Failures()
				assert.True(t, rt.UnregisterSubstrate(name))
			}
		})
		wg.Go(func() {
			for range 100 {
				_, err := await(t, rt.Dispatch(context.Background(), prog, nil))
				assert.NoError(t, err)
				_ = rt.Capability(context.Background(), prog)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, []string{"base"}, substrateNames(rt.Substrates()))
}
