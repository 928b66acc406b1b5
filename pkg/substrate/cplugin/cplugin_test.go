//go:build cgo

package cplugin_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

// parse reads a native program (the header is added).
func parse(t testing.TB, body string) *native.Program {
	t.Helper()
	p, err := native.Parse([]byte("sokr.native/1\n" + body))
	require.NoError(t, err)
	return p
}

// probeProgram is a "probe/1" program for the probe plugins; its source is
// its text. It does not memoize, so each use is prepared afresh.
type probeProgram string

func (p probeProgram) Format() string                  { return "probe/1" }
func (p probeProgram) Requirements() sokr.Requirements { return sokr.Requirements{} }
func (p probeProgram) MarshalText() ([]byte, error)    { return []byte(p), nil }

// large is the element count of programs the example plugin runs on its
// own threads (its inline limit is 1<<14 element operations).
const large = 1 << 16

func ramp(n int, f func(i int) float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// exampleSuite is what the example plugin must get right: every op it
// supports, in f32 and f64, inline and on its threads.
func exampleSuite(t *testing.T) sokrtest.Suite {
	x := []float32{1, 2, 3, 4}
	y := []float32{0.5, -1, 2, 8}
	big := ramp(large, func(i int) float32 { return float32(i%97) - 48 })
	bigWant := make([]float32, large)
	for i, v := range big {
		bigWant[i] = 2*v + 1
	}
	xd := []float64{1, 4, 9, 16, 25, 36}
	// Slow: ~25 passes over 2 MiB, tens of milliseconds, cancellable
	// between them.
	var slow strings.Builder
	slow.WriteString("param x: f32[524288]\nv0: f32[524288] = abs x\n")
	for i := 1; i <= 24; i++ {
		op := [...]string{"exp", "log", "sqrt"}[i%3]
		fmt.Fprintf(&slow, "v%d: f32[524288] = %s v%d\n", i, op, i-1)
	}
	slow.WriteString("return v24")
	return sokrtest.Suite{
		Cases: []sokrtest.Case{
			{
				Name:    "axpy",
				Program: parse(t, "param x: f32[4]\nparam y: f32[4]\na: f32[] = const 2\nax: f32[4] = mul a, x\nout: f32[4] = add ax, y\nreturn out"),
				Inputs:  []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)},
				Want:    []sokr.Tensor{sokr.FromSlice([]float32{2.5, 3, 8, 16})},
			},
			{
				Name: "unary-binary-f64",
				Program: parse(t, `param x: f64[2,3]
r: f64[2,3] = sqrt x
n: f64[2,3] = neg r
a: f64[2,3] = abs n
e: f64[2,3] = exp a
l: f64[2,3] = log e
h: f64[] = const 3.5
mx: f64[2,3] = max l, h
mn: f64[2,3] = min l, h
s: f64[2,3] = sub mx, mn
d: f64[2,3] = div s, h
rl: f64[2,3] = relu n
return d, rl`),
				Inputs: []sokr.Tensor{sokr.FromSlice(xd, 2, 3)},
				Want: []sokr.Tensor{
					sokr.FromSlice([]float64{2.5 / 3.5, 1.5 / 3.5, 0.5 / 3.5, 0.5 / 3.5, 1.5 / 3.5, 2.5 / 3.5}, 2, 3),
					sokr.FromSlice([]float64{0, 0, 0, 0, 0, 0}, 2, 3),
				},
				Tol: 1e-12,
			},
			{
				Name:    "reduce-sum-axes",
				Program: parse(t, "param x: f32[2,3,2]\nr1: f32[2,2] = reduce_sum x, axes=[1]\nr02: f32[3] = reduce_sum x, axes=[0,2]\nall: f32[] = reduce_sum x, axes=[0,1,2]\nreturn r1, r02, all"),
				Inputs:  []sokr.Tensor{sokr.FromSlice(ramp(12, func(i int) float32 { return float32(i) }), 2, 3, 2)},
				Want: []sokr.Tensor{
					sokr.FromSlice([]float32{0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11}, 2, 2),
					sokr.FromSlice([]float32{0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11}, 3),
					sokr.Scalar[float32](66),
				},
			},
			{
				Name:    "threaded",
				Program: parse(t, fmt.Sprintf("param x: f32[%[1]d]\nt: f32[] = const 2\no: f32[] = const 1\ntx: f32[%[1]d] = mul x, t\ny: f32[%[1]d] = add tx, o\nreturn y", large)),
				Inputs:  []sokr.Tensor{sokr.FromSlice(big)},
				Want:    []sokr.Tensor{sokr.FromSlice(bigWant)},
			},
		},
		Slow: &sokrtest.Case{
			Name:    "slow",
			Program: parse(t, slow.String()),
			Inputs:  []sokr.Tensor{sokr.FromSlice(make([]float32, 524288))},
		},
		Refused: []sokr.Program{
			parse(t, "param a: f32[2,2]\nc: f32[2,2] = matmul a, a\nreturn c"),
			parse(t, "param a: i32[2]\nb: i32[2] = add a, a\nreturn b"),
			parse(t, "w: f32[2] = const [1,2]\nreturn w"),
		},
	}
}

// TestConformance runs the conformance suite over the example plugin,
// through the C ABI.
func TestConformance(t *testing.T) {
	sokrtest.Run(t, load(t, examplePlugin(t)), exampleSuite(t))
}

// TestRefusalReasons checks that the plugin's reasons reach the offer.
func TestRefusalReasons(t *testing.T) {
	s := load(t, examplePlugin(t))
	for src, reason := range map[string]string{
		"param a: f32[2,2]\nc: f32[2,2] = matmul a, a\nreturn c": "op not supported by this plugin",
		"param a: i32[2]\nb: i32[2] = add a, a\nreturn b":        "dtype not supported by this plugin",
		"w: f32[2] = const [1,2]\nreturn w":                      "list constants are not supported",
	} {
		o := s.Capability(context.Background(), parse(t, src))
		assert.False(t, o.OK)
		assert.Contains(t, o.Reason, reason)
	}
	o := s.Capability(context.Background(), probeProgram("x"))
	assert.Equal(t, "runs sokr.native/1 programs only, not probe/1", o.Reason)
}

// threadName is the name of the calling OS thread (Linux).
func threadName() string {
	b, _ := os.ReadFile("/proc/thread-self/comm")
	return strings.TrimSpace(string(b))
}

// TestForeignThreadCompletions checks that jobs the example plugin runs on
// its own pthreads complete through the ABI, concurrently, each exactly
// once, and that the completions really come from those threads (which the
// plugin names "c-elementwise").
func TestForeignThreadCompletions(t *testing.T) {
	s := load(t, examplePlugin(t))
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	p := parse(t, fmt.Sprintf("param x: f32[%[1]d]\ny: f32[%[1]d] = add x, x\nreturn y", large))
	const n = 64
	threads := make(chan string, n)
	futs := make([]*sokr.Future, n)
	for i := range futs {
		in := ramp(large, func(k int) float32 { return float32(i + k) })
		futs[i] = rt.Dispatch(context.Background(), p, []sokr.Tensor{sokr.FromSlice(in)})
		futs[i].OnComplete(func(sokr.Result, error) { threads <- threadName() })
	}
	for i, f := range futs {
		res, err := f.Wait(context.Background())
		require.NoError(t, err)
		y := sokr.View[float32](res.Outputs[0].Tensor)
		require.Len(t, y, large)
		assert.Equal(t, float32(2*(i+large-1)), y[large-1])
	}
	byThread := map[string]int{}
	for range n {
		select {
		case name := <-threads:
			byThread[name]++
		case <-time.After(10 * time.Second):
			t.Fatalf("only %v callbacks ran", byThread)
		}
	}
	assert.Positive(t, byThread["c-elementwise"], "completions by thread: %v", byThread)
}

// TestCancelReachesPlugin holds jobs in plugins that only let go when told
// to stop, through the cancel slot or the cancel_requested flag: the job
// is handed back (settled) only if the cancellation reached the plugin.
// Future.Cancel, a dispatch timeout and runtime shutdown all reach it.
func TestCancelReachesPlugin(t *testing.T) {
	for _, mode := range []string{"HOLD_SLOT", "HOLD_POLL"} {
		t.Run(mode, func(t *testing.T) {
			s := load(t, probe(t, mode))
			rt := sokr.New()
			require.NoError(t, rt.RegisterSubstrate(s))
			in := []sokr.Tensor{sokr.FromSlice([]float32{1})}

			f := rt.Dispatch(context.Background(), probeProgram("x"), in)
			require.NoError(t, f.Cancel())
			_, err := f.Wait(context.Background())
			require.ErrorIs(t, err, sokr.ErrCancelled)
			requireSettled(t, f)

			f = rt.Dispatch(context.Background(), probeProgram("x"), in, sokr.Timeout(time.Millisecond))
			_, err = f.Wait(context.Background())
			require.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
			requireSettled(t, f)

			held := rt.Dispatch(context.Background(), probeProgram("x"), in)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, rt.Close(ctx), context.DeadlineExceeded)
			_, err = held.Wait(context.Background())
			require.ErrorIs(t, err, sokr.ErrClosed)
			requireSettled(t, held)
		})
	}
}

func requireSettled(t *testing.T, f *sokr.Future) {
	t.Helper()
	select {
	case <-f.Settled():
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin never handed the cancelled job back: the cancellation did not reach it")
	}
}

// TestHundredThousandDispatches runs 100,000 dispatches through the ABI
// from several goroutines, one in 64 on the plugin's threads, and checks
// every result.
func TestHundredThousandDispatches(t *testing.T) {
	s := load(t, examplePlugin(t))
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	small := parse(t, "param x: f32[4]\nparam y: f32[4]\nout: f32[4] = mul x, y\ns: f32[] = reduce_sum out, axes=[0]\nreturn s")
	big := parse(t, fmt.Sprintf("param x: f32[%[1]d]\ns: f32[] = reduce_sum x, axes=[0]\nreturn s", large))
	ones := sokr.FromSlice(ramp(large, func(int) float32 { return 1 }))
	const total, workers = 100_000, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for i := w; i < total; i += workers {
				var res sokr.Result
				var err error
				var want float32
				if i%64 == 0 {
					res, err = rt.Run(ctx, big, []sokr.Tensor{ones})
					want = large
				} else {
					v := float32(i % 1000)
					x := []float32{v, 1, 2, 3}
					res, err = rt.Run(ctx, small, []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice([]float32{1, 1, 1, 1})})
					want = v + 6
				}
				if err == nil && sokr.View[float32](res.Outputs[0].Tensor)[0] != want {
					err = fmt.Errorf("dispatch %d: got %v, want %v", i, sokr.View[float32](res.Outputs[0].Tensor)[0], want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A future leaves the in-flight count just after its Done closes.
	require.Eventually(t, func() bool { return rt.InFlight() == 0 }, 10*time.Second, time.Millisecond)
}

// TestPluginErrors checks how plugin failures reach the future: a status
// with a message keeps its kind, a malformed output becomes a substrate
// fault, a second completion is dropped, a refused program is not run.
func TestPluginErrors(t *testing.T) {
	ctx := context.Background()
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2})}
	run := func(mode string, p sokr.Program) (sokr.Result, error) {
		rt := sokr.New()
		require.NoError(t, rt.RegisterSubstrate(load(t, probe(t, mode, "-DPROBE_NAME=\"probe-"+strings.ToLower(mode)+"\""))))
		return rt.Run(ctx, p, in)
	}

	_, err := run("FAIL", probeProgram("x"))
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "sokr: invalid input: probe-fail: x must be positive", err.Error())

	_, err = run("BAD_OUTPUT", probeProgram("x"))
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "probe-bad_output", fe.Substrate)
	assert.Contains(t, err.Error(), "output 0: f32[4] needs 16 bytes of data, has 12")

	res, err := run("DOUBLE_COMPLETE", probeProgram("x"))
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2}, sokr.View[float32](res.Outputs[0].Tensor))

	_, err = run("ECHO", probeProgram("refuse me"))
	var nc *sokr.NoCapableError
	require.ErrorAs(t, err, &nc)
	assert.Contains(t, err.Error(), `probe-echo: the probe refuses programs that start with "refuse"`)
}

// TestMalformedCompletions checks that completions a host cannot trust are
// refused as faults naming the plugin and its file, not turned into
// results: a shape whose element count wraps to 0 (with no data), a NULL
// outputs array with a nonzero count, an absurd count, NULL data with a
// nonzero length, and a NULL name with a nonzero length.
func TestMalformedCompletions(t *testing.T) {
	in := []sokr.Tensor{sokr.FromSlice([]float32{1, 2})}
	for mode, msg := range map[string]string{
		"HUGE_SHAPE":   "output 0: f32[4294967296,4294967296,4] has more elements than an int holds",
		"NULL_OUTPUTS": "completed with n_outputs=5 and outputs=NULL",
		"MANY_OUTPUTS": "completed with n_outputs=1099511627776, more than the 1048576 outputs a job may have",
		"NULL_DATA":    "output 0: f32[4] has NULL data (data_len 16)",
		"NULL_NAME":    "output 0: name is NULL with len 3",
	} {
		t.Run(mode, func(t *testing.T) {
			name := "probe-" + strings.ToLower(mode)
			path := probe(t, mode, "-DPROBE_NAME=\""+name+"\"")
			rt := sokr.New()
			require.NoError(t, rt.RegisterSubstrate(load(t, path)))
			res, err := rt.Run(context.Background(), probeProgram("x"), in)
			var fe *sokr.FaultError
			require.ErrorAs(t, err, &fe, "got %v outputs", len(res.Outputs))
			assert.ErrorIs(t, err, sokr.ErrSubstrateFault)
			assert.Equal(t, name, fe.Substrate)
			assert.Nil(t, fe.Panic, "refused, not a recovered panic")
			assert.Contains(t, err.Error(), msg)
			assert.Contains(t, err.Error(), "(C plugin "+path+")")
			assert.Empty(t, res.Outputs)
		})
	}
}

// TestSeedAndParams checks that the seed and the dispatch parameters
// reach the plugin, and that the inputs come back as copies.
func TestSeedAndParams(t *testing.T) {
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(load(t, probe(t, "PARAMS"))))
	res, err := rt.Run(context.Background(), probeProgram("x"), nil, sokr.Seed(42), sokr.Param("shots", 1000), sokr.Param("dt", 0.5))
	require.NoError(t, err)
	assert.Equal(t, "seed=42/1 dt=0.5 shots=1000", res.Outputs[0].Name)

	rt = sokr.New()
	require.NoError(t, rt.RegisterSubstrate(load(t, probe(t, "ECHO"))))
	x := []float64{math.Pi, -1}
	res, err = rt.Run(context.Background(), probeProgram("x"), []sokr.Tensor{sokr.FromSlice(x, 2, 1)})
	require.NoError(t, err)
	out := res.Outputs[0]
	assert.Equal(t, "out0", out.Name)
	assert.Equal(t, sokr.Shape{2, 1}, out.Tensor.Shape)
	x[0] = 0 // the output is a copy, not the input
	assert.Equal(t, []float64{math.Pi, -1}, sokr.View[float64](out.Tensor))
}

// TestCloseKeepsItsDeadline holds a job in a plugin deaf to cancellation:
// the runtime's Close returns by its deadline with an error saying what the
// plugin still holds, while the job is still held (Close did not wait for
// it), and leaves no goroutine waiting for it. When the plugin hands the
// job back, its close slot is called, once, and a later Close returns nil.
func TestCloseKeepsItsDeadline(t *testing.T) {
	dir := t.TempDir()
	release, closed := dir+"/release", dir+"/closed"
	t.Setenv("SOKR_PROBE_RELEASE", release)
	t.Setenv("SOKR_PROBE_CLOSED", closed)
	path := probe(t, "HOLD_FILE")
	s, err := cplugin.Load(path)
	require.NoError(t, err)
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))

	base := runtime.NumGoroutine()
	held := rt.Dispatch(context.Background(), probeProgram("x"), []sokr.Tensor{sokr.FromSlice([]float32{1})})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = rt.Close(ctx)
	require.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	assert.Contains(t, err.Error(), "sokr: close probe: ")
	assert.Contains(t, err.Error(), "C plugin probe ("+path+") still holds 1 jobs or calls; its close slot is called when they are handed back")
	assert.False(t, held.IsSettled(), "Close returned while the plugin holds the job")
	// Polled here, not with Eventually, whose condition runs on a goroutine
	// of its own.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines stay behind waiting for the held job:\n%s", n-base, buf[:runtime.Stack(buf, true)])
	}
	assert.NoFileExists(t, closed, "the plugin's close slot ran while it held a job")

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, s.CloseContext(ctx2), sokr.ErrDeadlineExceeded, "a second close waits again, under its own context")

	require.NoError(t, os.WriteFile(release, nil, 0o644))
	requireSettled(t, held)
	require.Eventually(t, func() bool { _, err := os.Stat(closed); return err == nil }, 10*time.Second, time.Millisecond,
		"the close slot never ran after the last job was handed back")
	require.NoError(t, s.Close())
	require.NoError(t, s.CloseContext(ctx2), "closed: nothing to wait for, even under an expired context")
}

// TestCloseSlotThatBlocks checks that a plugin whose close slot blocks does
// not hold CloseContext past its deadline, and that the close completes
// when the slot returns.
func TestCloseSlotThatBlocks(t *testing.T) {
	dir := t.TempDir()
	release, closed := dir+"/release", dir+"/closed"
	t.Setenv("SOKR_PROBE_RELEASE", release)
	t.Setenv("SOKR_PROBE_CLOSED", closed)
	path := probe(t, "CLOSE_BLOCKS")
	s, err := cplugin.Load(path)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = s.CloseContext(ctx)
	require.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	assert.Contains(t, err.Error(), "C plugin probe ("+path+") is still in its close slot")

	require.NoError(t, os.WriteFile(release, nil, 0o644))
	require.NoError(t, s.Close())
	assert.FileExists(t, closed)
}

// TestClosed checks that a closed plugin refuses new work with ErrClosed.
func TestClosed(t *testing.T) {
	s, err := cplugin.Load(probe(t, "ECHO"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	j := sokr.NewJob(context.Background(), probeProgram("x"), nil, sokr.Options{})
	s.Dispatch(j, j)
	_, err = j.Future().Wait(context.Background())
	require.True(t, errors.Is(err, sokr.ErrClosed) || errors.Is(err, sokr.ErrNoCapableSubstrate), "%v", err)
	assert.Contains(t, err.Error(), "closed")
}
