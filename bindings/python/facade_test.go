package facade

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
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

// addr returns the address of a Go slice's data; the tests keep the slices
// alive with runtime.KeepAlive (Go's collector does not move heap objects).
func addr[T any](s []T) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s))) }

func parse(t *testing.T, src string) int64 {
	t.Helper()
	b := []byte(src)
	h, err := Parse(0, "", addr(b), int64(len(b)))
	require.NoError(t, err)
	runtime.KeepAlive(b)
	return h
}

func spec(dt string, shape string, data []float32) string {
	return dt + ":" + shape + ":" + strconv.FormatUint(uint64(addr(data)), 10) + ":" + strconv.Itoa(4*len(data))
}

func errInfo(t *testing.T, err error) errorInfo {
	t.Helper()
	require.Error(t, err)
	var e errorInfo
	require.NoError(t, json.Unmarshal([]byte(err.Error()), &e), err.Error())
	return e
}

func TestDispatchFinish(t *testing.T) {
	prog := parse(t, axpy)
	defer FreeProgram(prog)
	x, y, out := []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}, make([]float32, 4)
	ticket, err := Dispatch(0, prog, spec("f32", "4", x)+";"+spec("f32", "4", y), "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	status := Finish(ticket, spec("f32", "4", out))
	require.True(t, strings.HasPrefix(status, "ok\tcpu\t"), status)
	assert.Equal(t, []float32{3, 5, 7, 9}, out)
	assert.True(t, Wait(ticket, 0), "a released ticket counts as done")
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}

func TestOutcomeCopyRelease(t *testing.T) {
	prog := parse(t, axpy)
	x := []float32{1, 2, 3, 4}
	ticket, err := Dispatch(0, prog, spec("f32", "4", x)+";"+spec("f32", "4", x), "cpu", "first", `{"seed": 3}`)
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	var o outcome
	require.NoError(t, json.Unmarshal([]byte(Outcome(ticket)), &o))
	require.True(t, o.Done)
	assert.Equal(t, "cpu", o.Substrate)
	require.Len(t, o.Outputs, 1)
	assert.Equal(t, outputInfo{Name: "out", DType: "f32", Shape: []int{4}, Bytes: 16}, o.Outputs[0])
	out := make([]float32, 4)
	require.NoError(t, CopyOutput(ticket, 0, addr(out), 16))
	assert.Equal(t, []float32{3, 6, 9, 12}, out)
	assert.Contains(t, errInfo(t, CopyOutput(ticket, 0, addr(out), 8)).Message, "output 0 has 16 bytes, the buffer 8")
	assert.True(t, Release(ticket))
	var gone outcome
	require.NoError(t, json.Unmarshal([]byte(Outcome(ticket)), &gone))
	assert.NotEmpty(t, gone.Error)
	runtime.KeepAlive(x)
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
	ticket, err := Dispatch(0, prog, spec("f32", "3", x)+";"+spec("f32", "3", x), "", "", "")
	require.NoError(t, err)
	Wait(ticket, 10)
	var o outcome
	require.NoError(t, json.Unmarshal([]byte(Outcome(ticket)), &o))
	var ie errorInfo
	require.NoError(t, json.Unmarshal(o.Error, &ie))
	assert.Equal(t, "invalid_input", ie.Kind)
	require.NotNil(t, ie.Index)
	assert.Equal(t, 0, *ie.Index)
	assert.Equal(t, "x", ie.Name)
	Release(ticket)

	ticket, err = Dispatch(0, prog, spec("f32", "4", make([]float32, 4))+";"+spec("f32", "4", make([]float32, 4)), "gpu9", "", "")
	require.NoError(t, err)
	Wait(ticket, 10)
	require.NoError(t, json.Unmarshal([]byte(Outcome(ticket)), &o))
	var nc errorInfo
	require.NoError(t, json.Unmarshal(o.Error, &nc))
	assert.Equal(t, "no_capable_substrate", nc.Kind)
	require.Len(t, nc.Offers, 1)
	assert.Contains(t, nc.Offers[0].Reason, "no substrate of this name")
	Release(ticket)
	runtime.KeepAlive(x)
}

func TestBadRequests(t *testing.T) {
	prog := parse(t, axpy)
	for _, tc := range []struct{ spec, options, kind string }{
		{"f32:4:1", "", "invalid_input"},
		{"f99:4:1:16", "", "invalid_input"},
		{"f32:4x-1:1:16", "", "invalid_input"},
		{"f32:4:0:16", "", "invalid_input"},
		{"f32:4:1:15", "", "invalid_input"},
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
	_, err = NewRuntime("nope", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
}

func TestDispatchManyAndFinishMany(t *testing.T) {
	prog := parse(t, axpy)
	const n = 50
	xs := make([][]float32, n)
	specs := make([]string, n)
	for i := range xs {
		xs[i] = []float32{float32(i), 1, 2, 3}
		specs[i] = spec("f32", "4", xs[i]) + ";" + spec("f32", "4", xs[i])
	}
	first, err := DispatchMany(0, prog, strings.Join(specs, "\n"), "", "", "")
	require.NoError(t, err)
	for i := int64(0); i < n; i++ {
		require.True(t, Wait(first+i, 10))
	}
	out := make([]float32, 4*n)
	times := make([]float64, 3*n)
	status := FinishMany(first, n, spec("f32", strconv.Itoa(n)+"x4", out), addr(times))
	marks, names, _ := strings.Cut(status, "\t")
	assert.Equal(t, strings.Repeat("1", n), marks)
	assert.Equal(t, "cpu", names)
	for i := range n {
		assert.Equal(t, []float32{3 * float32(i), 3, 6, 9}, out[4*i:4*i+4])
		assert.LessOrEqual(t, times[3*i], times[3*i+2])
		assert.Positive(t, times[3*i])
	}
	runtime.KeepAlive(xs)
}

func TestCompletedDrainsCancelledAndSettled(t *testing.T) {
	prog := parse(t, "sokr.native/1\nparam x: f64[600,600]\ny: f64[600,600] = matmul x, x\nz: f64[600,600] = matmul y, y\nw: f64[600,600] = matmul z, z\nreturn w\n")
	x := make([]float64, 600*600)
	s := "f64:600x600:" + strconv.FormatUint(uint64(addr(x)), 10) + ":" + strconv.Itoa(8*len(x))
	ticket, err := Dispatch(0, prog, s, "", "", "")
	require.NoError(t, err)
	Cancel(ticket)
	require.True(t, Wait(ticket, 10))
	if Release(ticket) {
		return // the substrate had already handed the run back: nothing more to wait for
	}
	deadline := time.Now().Add(30 * time.Second)
	seen := map[int64]bool{}
	for !seen[-ticket] && time.Now().Before(deadline) {
		for _, f := range strings.Split(Completed(0.05), ",") {
			if v, err := strconv.ParseInt(f, 10, 64); err == nil {
				seen[v] = true
			}
		}
	}
	assert.True(t, seen[-ticket], "the settle notice of a released, cancelled run arrives")
	runtime.KeepAlive(x)
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

	rt, err := NewRuntime("cpu", "round_robin")
	require.NoError(t, err)
	require.NoError(t, CloseRuntime(rt, 1))
	_, err = Info(rt)
	require.Error(t, err)
}

func TestNewRuntimeMemoryKeepsTheSubstratesNamed(t *testing.T) {
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
		rt, err := NewRuntimeMemory(tc.substrates, "", "")
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
	_, err := NewRuntimeMemory(`cpu`, "", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
	_, err = NewRuntimeMemory(`["nope"]`, "", "")
	assert.Equal(t, "registration", errInfo(t, err).Kind)
}

func TestOutcomesIsAJSONList(t *testing.T) {
	prog := parse(t, axpy)
	x := []float32{1, 2, 3, 4}
	in := spec("f32", "4", x) + ";" + spec("f32", "4", x)
	ticket, err := Dispatch(0, prog, in, "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	id := strconv.FormatInt(ticket, 10)
	// Fields that are not ticket numbers are skipped, the first one too.
	for list, n := range map[string]int{"": 0, "x": 0, "x,y": 0, "x," + id: 1, id + ",x": 1, id + ",," + id: 2} {
		var got []map[string]any
		require.NoError(t, json.Unmarshal([]byte(Outcomes(list)), &got), list)
		require.Len(t, got, n, list)
		for _, o := range got {
			assert.Equal(t, true, o["done"], list)
		}
	}
	Release(ticket)
	runtime.KeepAlive(x)
}

func TestFinishInline(t *testing.T) {
	prog := parse(t, axpy)
	x := []float32{1, 2, 3, 4}
	ticket, err := Dispatch(0, prog, spec("f32", "4", x)+";"+spec("f32", "4", x), "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	f := strings.Split(Finish(ticket, ""), "\t")
	require.Len(t, f, 6)
	assert.Equal(t, []string{"ok", "cpu"}, f[:2])
	// 3, 6, 9, 12 as little-endian float32.
	assert.Equal(t, "000040400000c0400000104100004041", f[5])
	assert.Empty(t, Finish(ticket, ""), "the ticket was released")
	runtime.KeepAlive(x)
}

func TestTakeOutcome(t *testing.T) {
	bell := parse(t, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
	defer FreeProgram(bell)
	ticket, err := Dispatch(0, bell, "", "", "", `{"shots": 10, "seed": 1}`)
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	var o outcome
	require.NoError(t, json.Unmarshal([]byte(TakeOutcome(ticket)), &o))
	assert.True(t, o.Done && o.Released && o.Settled)
	require.Len(t, o.Outputs, 1)
	assert.Equal(t, "counts", o.Outputs[0].Name)
	assert.Equal(t, "", TakeOutcome(ticket), "the ticket is gone")

	// Tensor outputs need copying: described, not released.
	prog := parse(t, axpy)
	defer FreeProgram(prog)
	x := []float32{1, 2, 3, 4}
	ticket, err = Dispatch(0, prog, spec("f32", "4", x)+";"+spec("f32", "4", x), "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	o = outcome{}
	require.NoError(t, json.Unmarshal([]byte(TakeOutcome(ticket)), &o))
	assert.True(t, o.Done)
	assert.False(t, o.Released)
	assert.True(t, Release(ticket))
	runtime.KeepAlive(x)
}
