package facade

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readRec reads one completed ticket with a record of stride bytes (none
// for 0) and returns its state, the record and its outcome (nil for a fast
// record).
func readRec(t *testing.T, ticket int64, stride int) (float64, []byte, *outcome) {
	t.Helper()
	rec := make([]byte, stride)
	var buf uintptr
	if stride > 0 {
		buf = addr(rec)
	}
	reply := decodeReply(t, Read("["+strconv.FormatInt(ticket, 10)+"]", buf, int64(stride), 0))
	var state float64
	if stride > 0 {
		state = header4(rec)[0]
	}
	o, ok := reply.Outcomes[strconv.FormatInt(ticket, 10)]
	if !ok {
		require.Positive(t, state, "a ticket not described took the fast form")
		require.GreaterOrEqual(t, len(reply.Names), int(state))
		return state, rec, nil
	}
	return state, rec, &o
}

func decodeReply(t *testing.T, s string) readReply {
	t.Helper()
	var r readReply
	if s != "" {
		require.NoError(t, json.Unmarshal([]byte(s), &r), s)
	}
	return r
}

func header4(rec []byte) [4]float64 {
	var h [4]float64
	for i := range h {
		h[i] = math.Float64frombits(binary.NativeEndian.Uint64(rec[8*i:]))
	}
	return h
}

func float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.NativeEndian.Uint32(b[4*i:]))
	}
	return out
}

func TestReadFastRecord(t *testing.T) {
	prog := parse(t, axpy)
	defer FreeProgram(prog)
	x, y := []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}
	ticket, err := Dispatch(0, prog, inputs(spec("f32", "4", x), spec("f32", "4", y)), "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	rec := make([]byte, RecordHeader+16)
	reply := decodeReply(t, Read("["+strconv.FormatInt(ticket, 10)+"]", addr(rec), int64(len(rec)), 0))
	h := header4(rec)
	require.Positive(t, h[0])
	assert.Equal(t, "cpu", reply.Names[int(h[0])-1])
	assert.Empty(t, reply.Outcomes)
	assert.Positive(t, h[1])
	assert.LessOrEqual(t, h[1], h[3])
	assert.Equal(t, []float32{3, 5, 7, 9}, float32s(rec[RecordHeader:]))
	assert.True(t, Wait(ticket, 0), "a released ticket counts as done")
	// The names table is append-only: a reader that knows them all is told none.
	assert.Empty(t, Read("[]", 0, 0, int64(len(reply.Names))))
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}

func TestReadDescribesThenCopies(t *testing.T) {
	prog := parse(t, axpy)
	defer FreeProgram(prog)
	x := []float32{1, 2, 3, 4}
	ticket, err := Dispatch(0, prog, inputs(spec("f32", "4", x), spec("f32", "4", x)), "cpu", "first", `{"seed": 3}`)
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	// A record too small for the outputs: described, not released.
	state, _, o := readRec(t, ticket, RecordHeader)
	assert.Equal(t, -1.0, state)
	require.NotNil(t, o)
	assert.True(t, o.Done)
	assert.False(t, o.Released)
	assert.Equal(t, "cpu", o.Substrate)
	require.Len(t, o.Outputs, 1)
	assert.Equal(t, outputInfo{Name: "out", DType: "f32", Shape: []int{4}, Bytes: 16}, o.Outputs[0])
	assert.Equal(t, RecordHeader+16, o.Record)
	// Read again with the record it asked for: copied and released.
	state, rec, _ := readRec(t, ticket, o.Record)
	assert.Positive(t, state)
	assert.Equal(t, []float32{3, 6, 9, 12}, float32s(rec[RecordHeader:]))
	_, _, gone := readRec(t, ticket, 0)
	require.NotNil(t, gone)
	assert.Contains(t, string(gone.Error), "no dispatch with ticket")
	runtime.KeepAlive(x)
}

func TestReadDomainValuesReleasedInOneCall(t *testing.T) {
	bell := parse(t, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
	defer FreeProgram(bell)
	ticket, err := Dispatch(0, bell, "", "", "", `{"shots": 10, "seed": 1}`)
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	state, _, o := readRec(t, ticket, RecordHeader)
	assert.Equal(t, -1.0, state)
	require.NotNil(t, o)
	assert.True(t, o.Done && o.Released && o.Settled)
	require.Len(t, o.Outputs, 1)
	assert.Equal(t, "counts", o.Outputs[0].Name)
	assert.NotNil(t, o.Outputs[0].Value)
	assert.Equal(t, int64(0), pendingOf(ticket), "the ticket is gone")
}

func pendingOf(ticket int64) int64 {
	if _, ok := tickets.get(ticket); ok {
		return 1
	}
	return 0
}

func TestReadBatchFromDispatchMany(t *testing.T) {
	prog := parse(t, axpy)
	defer FreeProgram(prog)
	const n = 50
	xs := make([][]float32, n)
	specs := make([]string, n)
	list := make([]string, n)
	for i := range xs {
		xs[i] = []float32{float32(i), 1, 2, 3}
		specs[i] = inputs(spec("f32", "4", xs[i]), spec("f32", "4", xs[i]))
	}
	first, err := DispatchMany(0, prog, "["+strings.Join(specs, ",")+"]", "", "", "")
	require.NoError(t, err)
	for i := int64(0); i < n; i++ {
		require.True(t, Wait(first+i, 10))
		list[i] = strconv.FormatInt(first+i, 10)
	}
	const stride = RecordHeader + 16
	buf := make([]byte, n*stride)
	reply := decodeReply(t, Read("["+strings.Join(list, ",")+"]", addr(buf), stride, 0))
	assert.Empty(t, reply.Outcomes)
	for i := range n {
		rec := buf[i*stride : (i+1)*stride]
		h := header4(rec)
		require.Positive(t, h[0], i)
		assert.Equal(t, "cpu", reply.Names[int(h[0])-1])
		assert.Equal(t, []float32{3 * float32(i), 3, 6, 9}, float32s(rec[RecordHeader:]))
		assert.LessOrEqual(t, h[1], h[3])
	}
	runtime.KeepAlive(xs)
}

func TestReadBadRequest(t *testing.T) {
	for _, req := range []string{"", "x", "[1,", `["1"]`} {
		var r struct {
			Error errorInfo `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(Read(req, 0, 0, 0)), &r), req)
		assert.Equal(t, "invalid_input", r.Error.Kind, req)
	}
	var r struct {
		Error errorInfo `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(Read("[1]", 0, 64, 0)), &r))
	assert.Equal(t, "invalid_input", r.Error.Kind, "a record size with no buffer")
}

func TestCompletedDrainsCancelledAndSettled(t *testing.T) {
	prog := parse(t, "sokr.native/1\nparam x: f64[600,600]\ny: f64[600,600] = matmul x, x\nz: f64[600,600] = matmul y, y\nw: f64[600,600] = matmul z, z\nreturn w\n")
	defer FreeProgram(prog)
	x := make([]float64, 600*600)
	s := `[["f64",[600,600],` + strconv.FormatUint(uint64(addr(x)), 10) + "," + strconv.Itoa(8*len(x)) + "]]"
	ticket, err := Dispatch(0, prog, s, "", "", "")
	require.NoError(t, err)
	// A record read while the run goes on (most likely) says 0, not what the buffer held.
	rec := make([]byte, RecordHeader)
	for i := range rec {
		rec[i] = 0xff
	}
	decodeReply(t, Read("["+strconv.FormatInt(ticket, 10)+"]", addr(rec), RecordHeader, 0))
	assert.Contains(t, []float64{0, -1}, header4(rec)[0], "running, or done with its outputs described")
	Cancel(ticket)
	require.True(t, Wait(ticket, 10))
	_, _, o := readRec(t, ticket, RecordHeader)
	require.NotNil(t, o)
	require.True(t, o.Released, "an error is released at once")
	if o.Settled {
		return // the substrate had already handed the run back: nothing more to wait for
	}
	deadline := time.Now().Add(30 * time.Second)
	settled := false
	for !settled && time.Now().Before(deadline) {
		var d drained
		if s := Completed(0.05); s != "" {
			require.NoError(t, json.Unmarshal([]byte(s), &d), s)
		}
		for _, v := range d.Settled {
			settled = settled || v == ticket
		}
	}
	assert.True(t, settled, "the settle notice of a released, cancelled run arrives")
	runtime.KeepAlive(x)
}

// BenchmarkDispatchRead is the Go share of a small dispatch from Python:
// parse the input spec, dispatch (the program runs inline), read the
// record, as _runtime.dispatch and _future.track_completed do.
func BenchmarkDispatchRead(b *testing.B) {
	src := []byte(axpy)
	prog, err := Parse(0, "", addr(src), int64(len(src)))
	require.NoError(b, err)
	defer FreeProgram(prog)
	x := []float32{1, 2, 3, 4}
	in := inputs(spec("f32", "4", x), spec("f32", "4", x))
	rec := make([]byte, RecordHeader+16)
	known := int64(len(ranBy.since(0)))
	b.ReportAllocs()
	for b.Loop() {
		ticket, err := Dispatch(0, prog, in, "", "", "")
		if err != nil {
			b.Fatal(err)
		}
		if s := Read("["+strconv.FormatInt(ticket, 10)+"]", addr(rec), int64(len(rec)), known); s != "" {
			known = int64(len(ranBy.since(0)))
		}
	}
	runtime.KeepAlive(x)
}

// BenchmarkDispatchManyRead is the Go share of a dispatch_many batch of
// 1000 small runs, read in one call, per run.
func BenchmarkDispatchManyRead(b *testing.B) {
	src := []byte(axpy)
	prog, err := Parse(0, "", addr(src), int64(len(src)))
	require.NoError(b, err)
	defer FreeProgram(prog)
	const n = 1000
	x := []float32{1, 2, 3, 4}
	one := inputs(spec("f32", "4", x), spec("f32", "4", x))
	batch := "[" + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + "]"
	const stride = RecordHeader + 16
	buf := make([]byte, n*stride)
	list := make([]string, n)
	b.ReportAllocs()
	for b.Loop() {
		first, err := DispatchMany(0, prog, batch, "", "", "")
		if err != nil {
			b.Fatal(err)
		}
		for i := range list {
			list[i] = strconv.FormatInt(first+int64(i), 10)
		}
		Read("["+strings.Join(list, ",")+"]", addr(buf), stride, 1<<30)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/run")
	runtime.KeepAlive(x)
}
