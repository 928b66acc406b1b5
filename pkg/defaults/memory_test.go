package defaults_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/internal/ulimit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func qreg(t *testing.T, rt *sokr.Runtime, n int) sokr.Program {
	t.Helper()
	p, err := rt.Parse(context.Background(), "", fmt.Appendf(nil, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\nh q;\n", n))
	require.NoError(t, err)
	return p
}

func TestNewGivesTheRuntimeAndItsSubstratesOneBudget(t *testing.T) {
	t.Setenv("SOKR_MEMORY", "1.5GiB")
	rt, err := defaults.New()
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(context.Background())) }()
	const budget = 3 << 29
	assert.Equal(t, sokr.Memory{Budget: budget, Source: "SOKR_MEMORY"}, rt.Memory())
	for _, name := range []string{"cpu", "statevec", "snn"} {
		s, ok := rt.Substrate(name)
		require.True(t, ok, name)
		assert.Equal(t, strconv.Itoa(budget), s.Describe()["memory_bytes"], name)
	}
	// 28 qubits need 2 GiB even as complex64: statevec refuses with the
	// runtime's number.
	offers := rt.Capability(context.Background(), qreg(t, rt, 28))
	for _, o := range offers {
		if o.Substrate == "statevec" {
			assert.False(t, o.OK)
			assert.Contains(t, o.Reason, "1.5 GiB")
		}
	}
}

func TestNewWithMemoryNamesTheSetting(t *testing.T) {
	t.Setenv("SOKR_MEMORY", "1GiB")
	rt, err := defaults.NewWithMemory("2000000000", "Runtime(memory=...)")
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(context.Background())) }()
	assert.Equal(t, sokr.Memory{Budget: 2e9, Source: "Runtime(memory=...)"}, rt.Memory())

	rt2, err := defaults.New(sokr.WithMemory(123 << 20))
	require.NoError(t, err)
	defer func() { require.NoError(t, rt2.Close(context.Background())) }()
	assert.Equal(t, sokr.Memory{Budget: 123 << 20, Source: "sokr.WithMemory"}, rt2.Memory(), "an option replaces the budget")
}

func TestNewRefusesAMalformedSetting(t *testing.T) {
	t.Setenv("SOKR_MEMORY", "4 lots")
	_, err := defaults.New()
	require.ErrorIs(t, err, defaults.ErrMemorySize)
	assert.Contains(t, err.Error(), `SOKR_MEMORY="4 lots": not a memory size: unknown unit "lots"`)
	_, err = defaults.NewWithMemory("0", "Runtime(memory=...)")
	require.ErrorIs(t, err, defaults.ErrMemorySize)

	n, err := defaults.ParseMemory("1.5 GiB")
	require.NoError(t, err)
	assert.Equal(t, int64(3<<29), n)
	_, err = defaults.ParseMemory("4 lots")
	require.ErrorIs(t, err, defaults.ErrMemorySize)
}

// TestConcurrentRunsUnderUlimit is issue 15's reproducer: three 27-qubit
// circuits (2 GiB of complex128 state each) dispatched at once in a process
// limited to `ulimit -v 5000000` (4.8 GiB of address space) all complete,
// because the budget (that limit less the 1.2-1.4 GiB a Go process maps
// before it starts, less headroom) admits one at a time. The control: the
// same three without a budget do not all fit; the states are mapped off
// Go's heap, so the runs that find no memory fail with a FaultError while
// the process lives on (on the heap they died of Go's fatal "out of
// memory", and before the states were mapped, one run in ten died even
// with the budget, when a small span landed in a freed state's range). The
// circuit applies one gate: the memory is the state's whatever the gates,
// and `h q` on all 27 qubits would take half a minute here.
//
// The child is built without the race detector, whose shadow memory does
// not fit under the limit.
func TestConcurrentRunsUnderUlimit(t *testing.T) {
	bin := ulimit.Build(t, "./testdata/admission")
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		return ulimit.Run(ctx, 5_000_000, []string{"SOKR_MEMORY="}, bin, append([]string{"-qubits", "27", "-runs", "3", "-gates", "h q[0]"}, args...)...)
	}

	out1, err := run()
	require.NoError(t, err, out1)
	var budget int64
	var source string
	ok, waited := 0, 0
	for _, line := range strings.Split(out1, "\n") {
		if rest, found := strings.CutPrefix(line, "BUDGET "); found {
			n, src, _ := strings.Cut(rest, " ")
			budget, err = strconv.ParseInt(n, 10, 64)
			require.NoError(t, err)
			source = src
		}
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, " OK statevec ") {
			ok++
			if !strings.Contains(line, "waited=0s") {
				waited++
			}
		}
	}
	assert.Equal(t, 3, ok, out1)
	assert.True(t, strings.HasPrefix(source, "RLIMIT_AS: "), source)
	assert.GreaterOrEqual(t, budget, int64(2<<30), "one run fits")
	assert.Less(t, budget, int64(4<<30), "two do not")
	assert.Equal(t, 2, waited, "two runs waited for memory: %s", out1)

	out2, err := run("-admission=false")
	require.Error(t, err, "without admission the three runs must not fit; is the limit tight?\n%s", out2)
	assert.NotContains(t, out2, "fatal error")
	assert.Regexp(t, `RUN \d ERROR sokr: substrate statevec faulted: out of memory for the state: cannot map 2\.0 GiB`, out2)
	assert.Contains(t, out2, " OK statevec ", "a run that found the memory completed: %s", out2)
}
