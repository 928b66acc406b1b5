package sokrtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Case is one program a substrate under test must run, with the answer it
// must give.
type Case struct {
	Name    string
	Program sokr.Program
	Inputs  []sokr.Tensor
	// Want are the expected outputs, in order; compared by dtype, shape and
	// value within Tol (absolute plus relative, for float and complex
	// dtypes). Leave nil and set Check for domain results.
	Want []sokr.Tensor
	Tol  float64
	// Check, when set, judges the result instead of (or besides) Want.
	Check func(sokr.Result) error
	// Options are passed to every dispatch of the case.
	Options []sokr.DispatchOption
}

// Suite is what Run needs beyond the substrate.
type Suite struct {
	// Cases must all be accepted by the substrate.
	Cases []Case
	// Slow, when set, is a case that runs long enough (tens of
	// milliseconds or more) for cancellation to be observed mid-run.
	Slow *Case
	// Refused, when set, is a program the substrate must refuse; a program
	// of an unknown format is always tried as well.
	Refused []sokr.Program
}

// hangGuard bounds every wait so that a broken substrate fails the suite
// instead of hanging it. It is a safety net, not a performance assertion.
const hangGuard = 30 * time.Second

// Run checks that s honours the substrate contract of package sokr: a stable
// identity, side-effect-free Capability with reasons for refusals, correct
// results for every case, exactly-once completion under concurrency,
// cancellation and deadlines, and no panic or hang on programs it refuses.
//
//	func TestConformance(t *testing.T) {
//		sokrtest.Run(t, cpu.New(), sokrtest.Suite{Cases: cases})
//	}
func Run(t *testing.T, s sokr.Substrate, suite Suite) {
	t.Helper()
	t.Run("Identity", func(t *testing.T) { testIdentity(t, s) })
	t.Run("Refusals", func(t *testing.T) { testRefusals(t, s, suite.Refused) })
	t.Run("Cases", func(t *testing.T) {
		if len(suite.Cases) == 0 {
			t.Fatal("sokrtest: the suite needs at least one case the substrate accepts")
		}
		for _, c := range suite.Cases {
			t.Run(c.Name, func(t *testing.T) { testCase(t, s, c) })
		}
	})
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, s, suite.Cases) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, s, suite) })
	t.Run("Deadline", func(t *testing.T) { testDeadline(t, s, suite) })
}

func testIdentity(t *testing.T, s sokr.Substrate) {
	name := s.Name()
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n") {
		t.Errorf("Name() = %q: want a non-empty name without white space", name)
	}
	if s.Name() != name {
		t.Errorf("Name() is not stable")
	}
	if s.Kind() == "" {
		t.Errorf("Kind() is empty")
	}
	for k := range s.Describe() {
		if k == "" {
			t.Errorf("Describe() has an empty key")
		}
	}
	rt := runtimeFor(t, s)
	if _, ok := rt.Substrate(name); !ok {
		t.Errorf("substrate %q did not register", name)
	}
}

func testRefusals(t *testing.T, s sokr.Substrate, refused []sokr.Program) {
	progs := append([]sokr.Program{&Program{Fmt: "sokrtest.unknown/1"}}, refused...)
	for _, p := range progs {
		o := s.Capability(context.Background(), p)
		if o.OK {
			t.Errorf("Capability(%s) = yes; want a refusal", p.Format())
			continue
		}
		if strings.TrimSpace(o.Reason) == "" {
			t.Errorf("Capability(%s) refused without a reason", p.Format())
		}
		// Dispatching it anyway (bypassing the runtime) must fail cleanly.
		j := sokr.NewJob(context.Background(), p, nil, sokr.Options{})
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("Dispatch of a refused %s program panicked: %v", p.Format(), v)
					j.Fail(errors.New("panicked"))
				}
			}()
			s.Dispatch(j, j)
		}()
		_, err := waitGuarded(t, j.Future())
		if err == nil {
			t.Errorf("Dispatch of a refused %s program succeeded", p.Format())
		}
	}
}

func testCase(t *testing.T, s sokr.Substrate, c Case) {
	ctx := context.Background()
	o1, o2 := s.Capability(ctx, c.Program), s.Capability(ctx, c.Program)
	if !o1.OK {
		t.Fatalf("Capability refused case %s: %s", c.Name, o1.Reason)
	}
	if o1.OK != o2.OK || o1.Reason != o2.Reason {
		t.Errorf("Capability is not stable: %+v then %+v", o1, o2)
	}
	rt := runtimeFor(t, s)
	f := rt.Dispatch(ctx, c.Program, c.Inputs, c.Options...)
	calls := countCallbacks(f)
	res, err := waitGuarded(t, f)
	if err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	if f.Substrate() != s.Name() {
		t.Errorf("Future.Substrate() = %q, want %q", f.Substrate(), s.Name())
	}
	tm := f.Timings()
	if tm.Started.Before(tm.Queued) || tm.Finished.Before(tm.Started) {
		t.Errorf("timings out of order: %+v", tm)
	}
	if err := checkResult(c, res); err != nil {
		t.Error(err)
	}
	if n := calls(); n != 1 {
		t.Errorf("OnComplete ran %d times, want 1", n)
	}
	if err := f.Cancel(); !errors.Is(err, sokr.ErrAlreadyDone) {
		t.Errorf("Cancel after completion = %v, want ErrAlreadyDone", err)
	}
	if _, err, _ := f.Poll(); err != nil {
		t.Errorf("Cancel after completion changed the outcome to %v", err)
	}
}

func testConcurrent(t *testing.T, s sokr.Substrate, cases []Case) {
	if len(cases) == 0 {
		t.Skip("no cases")
	}
	rt := runtimeFor(t, s)
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cases[i%len(cases)]
			f := rt.Dispatch(context.Background(), c.Program, c.Inputs, c.Options...)
			calls := countCallbacks(f)
			res, err := waitGuarded(t, f)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("dispatch %d (%s): %w", i, c.Name, err)
			case calls() != 1:
				errs[i] = fmt.Errorf("dispatch %d: OnComplete ran %d times", i, calls())
			default:
				errs[i] = checkResult(c, res)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// The in-flight count drops just after Done closes; give it a moment.
	deadline := time.Now().Add(hangGuard)
	for rt.InFlight() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := rt.InFlight(); n != 0 {
		t.Errorf("%d futures still in flight after all completed", n)
	}
}

func testCancel(t *testing.T, s sokr.Substrate, suite Suite) {
	c := pick(suite)
	rt := runtimeFor(t, s)
	f := rt.Dispatch(context.Background(), c.Program, c.Inputs, c.Options...)
	cerr := f.Cancel()
	_, err := waitGuarded(t, f)
	switch {
	case cerr == nil && !errors.Is(err, sokr.ErrCancelled):
		t.Errorf("Cancel succeeded but the future ended with %v", err)
	case cerr != nil && !errors.Is(cerr, sokr.ErrAlreadyDone):
		t.Errorf("Cancel = %v, want nil or ErrAlreadyDone", cerr)
	}
	// The substrate hands the cancelled job back (it calls Complete, whose
	// result is dropped), after which the inputs are the caller's again.
	select {
	case <-f.Settled():
	case <-time.After(hangGuard):
		t.Errorf("a cancelled job was never handed back (Job.Complete not called): its inputs can never be freed")
	}
	// A cancelled context cancels a dispatch the same way.
	ctx, cancel := context.WithCancel(context.Background())
	f = rt.Dispatch(ctx, c.Program, c.Inputs, c.Options...)
	cancel()
	if _, err := waitGuarded(t, f); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("dispatch with a cancelled context ended with %v", err)
	}
	// The substrate still works afterwards.
	if len(suite.Cases) > 0 {
		testCase(t, s, suite.Cases[0])
	}
}

func testDeadline(t *testing.T, s sokr.Substrate, suite Suite) {
	c := pick(suite)
	rt := runtimeFor(t, s)
	opts := append([]sokr.DispatchOption{sokr.Timeout(time.Microsecond)}, c.Options...)
	f := rt.Dispatch(context.Background(), c.Program, c.Inputs, opts...)
	if _, err := waitGuarded(t, f); err != nil && !errors.Is(err, sokr.ErrDeadlineExceeded) {
		t.Errorf("dispatch past its deadline ended with %v, want success or ErrDeadlineExceeded", err)
	}
}

// countCallbacks registers an OnComplete callback on f and returns a
// function that, once the first callback has run (callbacks run just after
// Done closes), reports how many times it ran, allowing a moment for a
// wrongful second call.
func countCallbacks(f *sokr.Future) func() int {
	var n atomic.Int32
	first := make(chan struct{})
	f.OnComplete(func(sokr.Result, error) {
		if n.Add(1) == 1 {
			close(first)
		}
	})
	return func() int {
		select {
		case <-first:
		case <-time.After(hangGuard):
		}
		time.Sleep(time.Millisecond)
		return int(n.Load())
	}
}

func pick(suite Suite) Case {
	if suite.Slow != nil {
		return *suite.Slow
	}
	return suite.Cases[0]
}

func runtimeFor(t *testing.T, s sokr.Substrate) *sokr.Runtime {
	t.Helper()
	rt := sokr.New()
	if err := rt.RegisterSubstrate(s); err != nil {
		t.Fatalf("register: %v", err)
	}
	return rt
}

func waitGuarded(t *testing.T, f *sokr.Future) (sokr.Result, error) {
	t.Helper()
	select {
	case <-f.Done():
		return f.Wait(context.Background())
	case <-time.After(hangGuard):
		t.Fatalf("future did not complete within %v: the substrate hangs", hangGuard)
		return sokr.Result{}, nil
	}
}

func checkResult(c Case, res sokr.Result) error {
	if c.Check != nil {
		if err := c.Check(res); err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
	}
	if c.Want == nil {
		return nil
	}
	if len(res.Outputs) != len(c.Want) {
		return fmt.Errorf("case %s: %d outputs, want %d", c.Name, len(res.Outputs), len(c.Want))
	}
	for i, w := range c.Want {
		if err := Equal(res.Outputs[i].Tensor, w, c.Tol); err != nil {
			return fmt.Errorf("case %s: output %d (%s): %w", c.Name, i, res.Outputs[i].Name, err)
		}
	}
	return nil
}

// Equal compares two tensors by dtype, shape and values. Floating and
// complex elements may differ by tol*(1+|want|); integers and bools must be
// equal. NaNs compare equal to NaNs.
func Equal(got, want sokr.Tensor, tol float64) error {
	if got.DType != want.DType || !got.Shape.Equal(want.Shape) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	if err := got.Check(); err != nil {
		return fmt.Errorf("malformed result: %w", err)
	}
	n := want.Shape.NumElements()
	for i := range n {
		g, w := element(got, i), element(want, i)
		if g == w || (cmplx.IsNaN(g) && cmplx.IsNaN(w)) {
			continue
		}
		if cmplx.Abs(g-w) > tol*(1+cmplx.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v (tolerance %g)", i, fmtElem(got.DType, g), fmtElem(want.DType, w), tol)
		}
	}
	return nil
}

func element(t sokr.Tensor, i int) complex128 {
	switch t.DType {
	case sokr.F32:
		return complex(float64(sokr.View[float32](t)[i]), 0)
	case sokr.F64:
		return complex(sokr.View[float64](t)[i], 0)
	case sokr.I32:
		return complex(float64(sokr.View[int32](t)[i]), 0)
	case sokr.I64:
		return complex(float64(sokr.View[int64](t)[i]), 0)
	case sokr.Bool:
		if sokr.View[bool](t)[i] {
			return 1
		}
		return 0
	case sokr.C64:
		return complex128(sokr.View[complex64](t)[i])
	case sokr.C128:
		return sokr.View[complex128](t)[i]
	}
	return complex(math.NaN(), 0)
}

func fmtElem(dt sokr.DType, v complex128) string {
	if dt == sokr.C64 || dt == sokr.C128 {
		return fmt.Sprint(v)
	}
	return fmt.Sprint(real(v))
}
