package facade

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// fakePython plays the Python side: it takes requests and answers them as
// answer says, until stop is closed.
func fakePython(t *testing.T, answer func(r pyRequest)) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			s := PyRequests(0.02)
			if s == "" {
				continue
			}
			var reqs []pyRequest
			if err := json.Unmarshal([]byte(s), &reqs); err != nil {
				t.Error(err)
				return
			}
			for _, r := range reqs {
				answer(r)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func TestPythonIRAndSubstrate(t *testing.T) {
	rt, err := NewRuntime(`["cpu"]`, "", "")
	require.NoError(t, err)
	defer CloseRuntime(rt, 5)
	require.NoError(t, RegisterPyIR(rt, "poly/1"))
	require.NoError(t, RegisterPySubstrate(rt, "k1", "poly", "cpu", `{"note": "test"}`))
	cancelled := make(chan int64, 1)
	// answer runs on fakePython's goroutine, so it reports with assert
	// (require's FailNow must run on the test's own goroutine) and always
	// answers, so that the test goroutine never waits on a job left open.
	stop := fakePython(t, func(r pyRequest) {
		assert.Equal(t, "k1", r.Key)
		switch r.Op {
		case "capability":
			FreeProgram(r.Program)
			AnswerCapability(r.ID, true, "", 0.5, 0)
		case "dispatch":
			FreeProgram(r.Program)
			if v, _ := r.Options["mode"].(string); v == "hang" {
				return // until cancelled
			}
			switch v, _ := r.Options["mode"].(string); v {
			case "fail":
				assert.NoError(t, FailJob(r.ID, "fault", "ValueError: no", "Traceback ...\nValueError: no", -1, ""))
				return
			case "bad-input":
				assert.NoError(t, FailJob(r.ID, "input", "beta must be positive", "", 0, "beta"))
				return
			case "self-cancel":
				assert.NoError(t, FailJob(r.ID, "cancelled", "its future was cancelled", "", -1, ""))
				return
			}
			// The request carries the program's info and the input's address.
			assert.Contains(t, string(r.Info), `"format":"poly/1"`)
			if assert.Len(t, r.Inputs, 1) {
				assert.NotZero(t, r.Inputs[0].Addr)
				assert.Equal(t, 16, r.Inputs[0].Bytes)
			}
			x := make([]float64, 2)
			if !assert.NoError(t, CopyJobInput(r.ID, 0, addr(x), 16)) {
				assert.NoError(t, FailJob(r.ID, "fault", "the test could not read the input", "", -1, ""))
				return
			}
			y := []float64{x[0] * 10, x[1] * 10}
			assert.NoError(t, CompleteJob(r.ID, `[["f64",[2],`+itoa(addr(y))+",16]]", `["y"]`, `{"by": "fake"}`, `[{"name": "n", "value": {"a": 1}}]`))
			runtime.KeepAlive(y)
		case "cancel":
			cancelled <- r.ID
		}
	})
	defer stop()

	src := []byte("poly:1,2")
	prog, err := Parse(rt, "poly/1", addr(src), int64(len(src)))
	require.NoError(t, err)
	defer FreeProgram(prog)
	assert.Equal(t, int64(len(src)), ProgramSourceLen(prog))
	got := make([]byte, len(src))
	require.NoError(t, CopyProgramSource(prog, addr(got), int64(len(got))))
	assert.Equal(t, src, got)

	r, _ := runtimeFor(rt)
	offers := r.Capability(context.Background(), mustProgram(t, prog))
	var py sokr.Offer
	for _, o := range offers {
		if o.Substrate == "poly" {
			py = o
		}
	}
	assert.True(t, py.OK)
	assert.Equal(t, 500*time.Millisecond, py.Estimate.Time)

	x := []float64{1, 2}
	in := `[["f64",[2],` + itoa(addr(x)) + ",16]]"
	res, err := r.Run(context.Background(), mustProgram(t, prog), mustInputs(t, in))
	require.NoError(t, err)
	assert.Equal(t, []float64{10, 20}, sokr.View[float64](res.Outputs[0].Tensor))
	assert.Equal(t, "fake", res.Meta["by"])
	require.Len(t, res.Outputs, 2)
	assert.Equal(t, map[string]any{"a": 1.0}, res.Outputs[1].Value)

	_, err = r.Run(context.Background(), mustProgram(t, prog), mustInputs(t, in), sokr.Param("mode", "fail"))
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Stack, "Traceback")

	// An input error keeps which input; a cancellation is ErrCancelled (and
	// context.Canceled), which the Python package sees as kind "cancelled".
	_, err = r.Run(context.Background(), mustProgram(t, prog), mustInputs(t, in), sokr.Param("mode", "bad-input"))
	var ie *sokr.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, sokr.InputError{Index: 0, Name: "beta", Msg: "beta must be positive"}, *ie)
	assert.JSONEq(t, `{"kind":"invalid_input","message":"sokr: invalid input 0 (beta): beta must be positive","index":0,"name":"beta"}`, errorJSON(err))
	_, err = r.Run(context.Background(), mustProgram(t, prog), mustInputs(t, in), sokr.Param("mode", "self-cancel"))
	require.ErrorIs(t, err, sokr.ErrCancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "sokr: cancelled: its future was cancelled", err.Error())
	assert.Equal(t, "cancelled", errInfo(t, fail(err)).Kind)

	f := r.Dispatch(context.Background(), mustProgram(t, prog), mustInputs(t, in), sokr.Param("mode", "hang"))
	require.NoError(t, f.Cancel())
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the cancel never reached the Python side")
	}
	runtime.KeepAlive(x)

	assert.True(t, UnregisterPySubstrate(rt, "poly"))
	assert.False(t, UnregisterPySubstrate(rt, "cpu"), "built-ins stay")
	assert.True(t, UnregisterPyIR(rt, "poly/1"))
	assert.False(t, UnregisterPyIR(rt, "sokr.native/1"), "built-ins stay")
}

func TestPythonCapabilityTimesOut(t *testing.T) {
	old := pyCapabilityTimeout
	pyCapabilityTimeout = 50 * time.Millisecond
	defer func() { pyCapabilityTimeout = old }()
	rt, err := NewRuntime(`["cpu"]`, "", "")
	require.NoError(t, err)
	defer CloseRuntime(rt, 5)
	require.NoError(t, RegisterPySubstrate(rt, "k2", "silent", "cpu", ""))
	r, _ := runtimeFor(rt)
	p := mustProgram(t, parse(t, axpy))
	for _, o := range r.Capability(context.Background(), p) {
		if o.Substrate == "silent" {
			assert.False(t, o.OK)
			assert.Contains(t, o.Reason, "did not answer within 50ms")
		}
	}
	// Drain what the silent Python side never took.
	PyRequests(0)
}

func mustProgram(t *testing.T, h int64) sokr.Program {
	t.Helper()
	p, ok := programs.get(h)
	require.True(t, ok)
	return p
}

func mustInputs(t *testing.T, spec string) []sokr.Tensor {
	t.Helper()
	ts, err := parseInputs(spec)
	require.NoError(t, err)
	return ts
}

func itoa(a uintptr) string { return strconv.FormatUint(uint64(a), 10) }

func TestProgramSources(t *testing.T) {
	src := "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\n"
	h := parse(t, src)
	defer FreeProgram(h)
	assert.Equal(t, "openqasm/2", ProgramSourceFormat(h), "the detected IR, not the program's format")
	require.Equal(t, int64(len(src)), ProgramSourceLen(h))
	got := make([]byte, len(src))
	require.NoError(t, CopyProgramSource(h, addr(got), int64(len(got))))
	assert.Equal(t, src, string(got))
	p := mustProgram(t, h)
	h2 := programs.put(p) // another handle of the same program, as a Python substrate gets
	defer FreeProgram(h2)
	assert.Equal(t, "openqasm/2", ProgramSourceFormat(h2))
	assert.Equal(t, int64(-1), ProgramSourceLen(-5))
	assert.Error(t, CopyProgramSource(h, addr(got), 3))
}

func TestDispatchManyAsksAPythonSubstrateOncePerBatch(t *testing.T) {
	rt, err := NewRuntime(`["cpu"]`, "", "")
	require.NoError(t, err)
	defer CloseRuntime(rt, 5)
	require.NoError(t, RegisterPyIR(rt, "batch/1"))
	require.NoError(t, RegisterPySubstrate(rt, "kb", "batcher", "cpu", ""))
	var asked, ran atomic.Int64
	stop := fakePython(t, func(r pyRequest) {
		FreeProgram(r.Program)
		switch r.Op {
		case "capability":
			asked.Add(1)
			AnswerCapability(r.ID, true, "", 0, 0)
		case "dispatch":
			ran.Add(1)
			assert.NoError(t, CompleteJob(r.ID, "", "", "", ""))
		}
	})
	defer stop()
	src := []byte("anything")
	prog, err := Parse(rt, "batch/1", addr(src), int64(len(src)))
	require.NoError(t, err)
	defer FreeProgram(prog)
	const n = 20
	specs := "[" + strings.Repeat("[],", n-1) + "[]]" // n dispatches without inputs
	first, err := DispatchMany(rt, prog, specs, "", "", "")
	require.NoError(t, err)
	for i := int64(0); i < n; i++ {
		require.True(t, Wait(first+i, 10))
		_, _, o := readRec(t, first+i, RecordHeader)
		require.NotNil(t, o)
		assert.Empty(t, o.Error)
		assert.Equal(t, "batcher", o.Substrate)
	}
	assert.Equal(t, int64(1), asked.Load(), "one question for the batch")
	assert.Equal(t, int64(n), ran.Load())

	// Single dispatches still ask each time: the answer may change between requests.
	for range 2 {
		ticket, err := Dispatch(rt, prog, "", "", "", "")
		require.NoError(t, err)
		require.True(t, Wait(ticket, 10))
		readRec(t, ticket, RecordHeader)
	}
	assert.Equal(t, int64(3), asked.Load())
}
