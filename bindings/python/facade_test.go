package facade

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const axpy = `sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
`

// addr returns the address of a Go slice's data, as Python passes a
// buffer's. The slice is kept in heapOnly, which makes every slice given to
// addr escape to the heap: a slice left on a goroutine's stack moves when
// the stack grows, and the address would then name freed stack (checkptr,
// on under -race, dies of "found bad pointer in Go heap"). Go's collector
// does not move heap objects; the tests keep the slices alive with
// runtime.KeepAlive.
func addr[T any](s []T) uintptr {
	heapOnly.Lock()
	heapOnly.last = s
	heapOnly.Unlock()
	return uintptr(unsafe.Pointer(unsafe.SliceData(s)))
}

var heapOnly struct {
	sync.Mutex
	last any
}

func parse(t *testing.T, src string) int64 {
	t.Helper()
	b := []byte(src)
	h, err := Parse(0, "", addr(b), int64(len(b)))
	require.NoError(t, err)
	runtime.KeepAlive(b)
	return h
}

// spec is one input's spec: dtype, shape ("4", "2x3"), address and size.
func spec(dt string, shape string, data []float32) string {
	return `["` + dt + `",[` + strings.ReplaceAll(shape, "x", ",") + `],` + strconv.FormatUint(uint64(addr(data)), 10) + "," + strconv.Itoa(4*len(data)) + "]"
}

// inputs is the spec of a dispatch's inputs.
func inputs(specs ...string) string { return "[" + strings.Join(specs, ",") + "]" }

func errInfo(t *testing.T, err error) errorInfo {
	t.Helper()
	require.Error(t, err)
	var e errorInfo
	require.NoError(t, json.Unmarshal([]byte(err.Error()), &e), err.Error())
	return e
}

func TestErrorsCrossAsTypedJSON(t *testing.T) {
	b := []byte("sokr.native/1\nparam x: f32[2]\ny: f32[3] = exp x\nreturn y\n")
	_, err := Parse(0, "", addr(b), int64(len(b)))
	e := errInfo(t, err)
	assert.Equal(t, "invalid_program", e.Kind)
	assert.Equal(t, 3, e.Line)
	assert.Equal(t, 1, e.Col)
	assert.Equal(t, "y", e.Node)

	_, err = Parse(0, "nope/1", addr(b), int64(len(b)))
	assert.Equal(t, "unknown_format", errInfo(t, err).Kind)

	prog := parse(t, axpy)
	x := []float32{1, 2, 3}
	ticket, err := Dispatch(0, prog, inputs(spec("f32", "3", x), spec("f32", "3", x)), "", "", "")
	require.NoError(t, err)
	Wait(ticket, 10)
	_, _, o := readRec(t, ticket, 0)
	var ie errorInfo
	require.NoError(t, json.Unmarshal(o.Error, &ie))
	assert.Equal(t, "invalid_input", ie.Kind)
	require.NotNil(t, ie.Index)
	assert.Equal(t, 0, *ie.Index)
	assert.Equal(t, "x", ie.Name)

	ticket, err = Dispatch(0, prog, inputs(spec("f32", "4", make([]float32, 4)), spec("f32", "4", make([]float32, 4))), "gpu9", "", "")
	require.NoError(t, err)
	Wait(ticket, 10)
	_, _, o = readRec(t, ticket, 0)
	var nc errorInfo
	require.NoError(t, json.Unmarshal(o.Error, &nc))
	assert.Equal(t, "no_capable_substrate", nc.Kind)
	require.Len(t, nc.Offers, 1)
	assert.Contains(t, nc.Offers[0].Reason, "no substrate of this name")
	runtime.KeepAlive(x)
}

func TestBadRequests(t *testing.T) {
	prog := parse(t, axpy)
	for _, tc := range []struct{ spec, options, kind string }{
		{`[["f32",[4],1]]`, "", "invalid_input"},
		{`[["f99",[4],1,16]]`, "", "invalid_input"},
		{`[["f32",[4,-1],1,16]]`, "", "invalid_input"},
		{`[["f32",[4],0,16]]`, "", "invalid_input"},
		{`[["f32",[4],1,15]]`, "", "invalid_input"},
		{`f32:4:1:16`, "", "invalid_input"},
		{`[["f32",[4],1,16]] x`, "", "invalid_input"},
		{`[["f\"32",[4],1,16]]`, "", "invalid_input"},
		{`[["f32",[99999999999999999999],1,16]]`, "", "invalid_input"},
		{"", "{", "invalid_input"},
		{"", `{"timeout": -1}`, "invalid_input"},
		{"", `{"seed": 1.5}`, "invalid_input"},
	} {
		_, err := Dispatch(0, prog, tc.spec, "", "", tc.options)
		assert.Equal(t, tc.kind, errInfo(t, err).Kind, "%+v", tc)
	}
	_, err := Dispatch(0, 999999, "", "", "", "")
	assert.Equal(t, "invalid_program", errInfo(t, err).Kind)
	_, err = Dispatch(12345, prog, "", "", "", "")
	assert.Equal(t, "error", errInfo(t, err).Kind)
	_, err = Dispatch(0, prog, "", "", "fastest", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
	_, err = NewRuntime(`["nope"]`, "", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
}

func TestInfo(t *testing.T) {
	s, err := Info(0)
	require.NoError(t, err)
	var in info
	require.NoError(t, json.Unmarshal([]byte(s), &in))
	assert.Equal(t, version, in.Version)
	assert.Contains(t, in.IRs, "sokr.native/1")
	require.NotEmpty(t, in.Substrates)
	assert.Equal(t, "cpu", in.Substrates[0].Name)

	rt, err := NewRuntime(`["cpu"]`, "round_robin", "")
	require.NoError(t, err)
	require.NoError(t, CloseRuntime(rt, 1))
	_, err = Info(rt)
	require.Error(t, err)
}

func TestNewRuntimeKeepsTheSubstratesNamed(t *testing.T) {
	names := func(rt int64) []string {
		s, err := Info(rt)
		require.NoError(t, err)
		var in info
		require.NoError(t, json.Unmarshal([]byte(s), &in))
		var out []string
		for _, sub := range in.Substrates {
			out = append(out, sub.Name)
		}
		return out
	}
	for _, tc := range []struct {
		substrates string
		want       []string // nil: every built-in
	}{
		{`[]`, []string{}},
		{`["cpu"]`, []string{"cpu"}},
		{``, nil},
		{`null`, nil},
	} {
		rt, err := NewRuntime(tc.substrates, "", "")
		require.NoError(t, err, tc.substrates)
		got := names(rt)
		if tc.want == nil {
			assert.Contains(t, got, "cpu", tc.substrates)
			assert.Greater(t, len(got), 1, tc.substrates)
		} else {
			assert.ElementsMatch(t, tc.want, got, tc.substrates)
		}
		s, err := Info(rt)
		require.NoError(t, err)
		assert.Contains(t, s, "sokr.native/1", "the IRs stay") // a runtime without substrates still parses
		require.NoError(t, CloseRuntime(rt, 1))
	}
	_, err := NewRuntime(`cpu`, "", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
	_, err = NewRuntime(`["nope"]`, "", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
}
