package qasm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/internal/irparse/irparsetest"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The hostile inputs of issue 15: a few lines each that ran for tens of
// seconds or took gigabytes before they failed.

// letDoubling joins an alias to itself on each of n lines.
func letDoubling(reg string, n int) string {
	var b strings.Builder
	b.WriteString("OPENQASM 3;\n" + reg + "\nlet a0 = q ++ q;\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "let a%d = a%d ++ a%d;\n", i, i-1, i-1)
	}
	return b.String()
}

// gateDoubling defines n gates, each calling the one before twice (with
// call as the parameter list), and calls the last with top.
func gateDoubling(n int, params, call, top string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "OPENQASM 3;\ngate g0%s a { U(0, 0, 0) a; }\n", params)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "gate g%d%s a { g%d%s a; g%d%s a; }\n", i, params, i-1, call, i-1, call)
	}
	fmt.Fprintf(&b, "qubit q;\ng%d%s q;\n", n-1, top)
	return b.String()
}

// loopDoubling is gateDoubling with each gate's loop bound a parameter.
func loopDoubling(n int) string {
	var b strings.Builder
	b.WriteString("OPENQASM 3;\ngate g0(t) a { U(t, 0, 0) a; }\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "gate g%d(t) a { for int i in [0:t] { g%d(t) a; } }\n", i, i-1)
	}
	fmt.Fprintf(&b, "qubit q;\ng%d(1) q;\n", n-1)
	return b.String()
}

// requireLimit checks a violated limit: a *sokr.ProgramError at line:col
// (col 0: any) whose message says msg.
func requireLimit(t *testing.T, err error, line, col int, msg string) {
	t.Helper()
	var pe *sokr.ProgramError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.Equal(t, line, pe.Pos.Line, "%v", err)
	if col > 0 {
		assert.Equal(t, col, pe.Pos.Col, "%v", err)
	}
	assert.Contains(t, pe.Msg, msg)
}

// allocated runs f and returns the bytes it allocated in all.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestLetAliasesAreBounded(t *testing.T) {
	for _, c := range []struct {
		reg   string
		lines int
		line  int // where the limit is hit
	}{
		// a_k (on line k+3) holds 2^(k+2) qubits, all before it
		// 2^(k+2) - 4: more than 2^24 in all at a22.
		{"qubit[2] q;", 24, 25},
		// 120 · 2^k, after 120 · (2^k - 1): at a17.
		{"qubit[60] q;", 40, 20},
	} {
		var err error
		bytes := allocated(func() { _, err = Parse([]byte(letDoubling(c.reg, c.lines))) })
		requireLimit(t, err, c.line, 0, "aliases")
		// Before the limit each alias took its qubits: at most the
		// limit's worth of ints, twice over while it was joined.
		assert.Less(t, bytes, uint64(4*8*maxAliasElems), "%s, %d lines", c.reg, c.lines)
	}

	// The limit counts every alias, also those a loop declares again.
	saved := maxAliasElems
	maxAliasElems = 1000
	defer func() { maxAliasElems = saved }()
	_, err := Parse([]byte("qubit[10] q; for int i in [0:98] { let a = q; }"))
	require.NoError(t, err)
	_, err = Parse([]byte("qubit[10] q; for int i in [0:100] { let a = q; }"))
	requireLimit(t, err, 1, 37, "let a: let aliases would hold more than 1000 qubits and bits in all")
	_, err = Parse([]byte("qubit[10] q; bit[10] c; for int i in [0:49] { let a = q; let b = c; }"))
	require.NoError(t, err)
	_, err = Parse([]byte(letDoubling("bit[60] q;", 40)))
	requireLimit(t, err, 6, 0, "joined registers would hold 960 bits: aliases may hold at most 1000 qubits and bits in all")
}

// Gates that double at each level fail at the call before anything is
// unrolled: their op counts are computed once per gate and multiplied.
func TestNestedGatesAreCountedFirst(t *testing.T) {
	for _, src := range []string{
		gateDoubling(39, "", "", ""),
		gateDoubling(39, "(t)", "(t)", "(1)"),
		gateDoubling(39, "(t)", "(t / 2)", "(1)"),
		gateDoubling(39, "(t)", "(0.5)", "(pi)"),
		// Counts that depend on a parameter, memoised per value.
		loopDoubling(39),
		"OPENQASM 3;\ngate g0 a { U(0, 0, 0) a; }\ngate g1 a { for int i in [1:1000] { g0 a; } }\n" +
			"gate g2 a { for int i in [1:1000] { g1 a; } }\ngate g3 a { pow(1000) @ g2 a; }\nqubit q;\ninv @ g3 q;\n",
	} {
		var err error
		bytes := allocated(func() { _, err = Parse([]byte(src)) })
		lines := strings.Count(src, "\n")
		requireLimit(t, err, lines, 1, "more than 16777216 operations")
		assert.Less(t, bytes, uint64(16<<20), "unrolled before failing: %s", src)
	}

	// Nests within the limits unroll as before.
	p, err := Parse([]byte(gateDoubling(11, "(t)", "(t / 2)", "(1)")))
	require.NoError(t, err)
	assert.Len(t, p.Ops, 1024)
	p, err = Parse([]byte("OPENQASM 3;\ngate g0 a { U(0, 0, 0) a; }\ngate g1(t) a { for int i in [1:t] { g0 a; } }\n" +
		"gate g2 a { g1(3) a; inv @ g1(2) a; pow(2) @ g1(1) a; }\nqubit[2] q;\nctrl @ g2 q[0], q[1];\n"))
	require.NoError(t, err)
	assert.Len(t, p.Ops, 7)
	for _, o := range p.Ops {
		assert.Equal(t, 1, o.Controls)
	}
}

// An empty loop counts its iterations: it ends at maxWork steps, or when
// the context ends, whichever comes first.
func TestEmptyLoopsAreBounded(t *testing.T) {
	srcs := []string{
		"OPENQASM 3; qubit q; for int i in [0:9223372036854775807] { }",
		"OPENQASM 3; qubit q; while (true) { }",
		"OPENQASM 3; qubit q; for int i in [0:1000000] { for int j in [0:1000000] { } }",
		"OPENQASM 3; qubit q; def f() { for int i in [0:9223372036854775807] { } } f();",
	}
	saved := maxWork
	defer func() { maxWork = saved }()
	maxWork = 1 << 16
	for _, src := range srcs {
		_, err := Parse([]byte(src))
		requireLimit(t, err, 1, 0, "too long to unroll (more than 65536 steps)")
	}
	// With the limit out of the way, the context stops them.
	maxWork = math.MaxInt
	for _, src := range srcs {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		p, err := NewIR3().Parse(ctx, []byte(src))
		cancel()
		assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded, src)
		assert.ErrorIs(t, err, context.DeadlineExceeded, src)
		assert.True(t, p == nil)
	}
}

// Unrolling stops at maxBytes as well as at maxOps, before the circuit
// takes more memory than that.
func TestUnrollingIsBoundedByBytes(t *testing.T) {
	saved := maxBytes
	defer func() { maxBytes = saved }()
	maxBytes = 4 << 20
	for _, src := range []string{
		"OPENQASM 3; include \"stdgates.inc\"; qubit[1] q; while (true) { x q[0]; }",
		"OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; int i = 0; while (true) { rx(i) q[0]; cx q[0], q[1]; i += 1; }",
		"OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; bit c; while (true) { if (c) { x q[0]; } }",
		"OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; def f(qubit a) { h a; } while (true) { f(q[1]); }",
		"OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; gate g a { h a; } while (true) { ctrl @ g q[0], q[1]; }",
	} {
		var err error
		bytes := allocated(func() { _, err = Parse([]byte(src)) })
		requireLimit(t, err, 1, 0, "more operations than fit in 4 MiB")
		// What was unrolled (not what was allocated and dropped on the
		// way, like the scopes of the calls) stays near the limit.
		assert.Less(t, bytes, uint64(64<<20), src)
	}
	_, err := Parse([]byte("OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; pow(9000) @ h q[0];"))
	requireLimit(t, err, 1, 0, "more operations than fit in 4 MiB")
	_, err = Parse([]byte("OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; pow(7000) @ h q[0];"))
	require.NoError(t, err)
}

// opCost, which the byte limit adds up, covers what the circuit holds:
// the ops the final slice keeps, and the chunks they were built in.
func TestOpCostCoversTheHeap(t *testing.T) {
	const n = 20000
	src := []byte(fmt.Sprintf(`OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; input float theta;
for int i in [1:%d] { x q[0]; rx(0.25) q[1]; cx q[0], q[1]; rz(i) q[0]; ry(theta * i) q[1]; if (c[0]) { h q[1]; } }`, n))
	var counted int64
	var p *circuit.Program
	libraryFor("stdgates.inc") // built once, kept for good: not the circuit's
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	func() {
		toks := lex(src)
		ps := &parser{toks: toks, i: 3, version: 3} // after the header
		stmts, err := ps.parseProgram()
		require.NoError(t, err)
		l := newLowerer(3, Format3)
		require.NoError(t, l.lowerProgram(stmts, -1))
		counted, p = l.bytes, l.prog
	}()
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	ops := 0
	circuit.Walk(p.Ops, func(*circuit.Op) { ops++ })
	require.Equal(t, 7*n, ops)
	t.Logf("%d ops: counted %d bytes (%.0f an op), retained %d (%.0f an op)",
		ops, counted, float64(counted)/float64(ops), retained, float64(retained)/float64(ops))
	// The circuit keeps one copy of each op; while it is built the chunks
	// hold another, which opCost counts.
	assert.GreaterOrEqual(t, counted, retained, "opCost counts less than the circuit keeps")
	assert.Less(t, counted, 3*retained, "opCost counts far more than the circuit keeps")
	runtime.KeepAlive(p)
}

// An iteration of an empty loop allocates nothing, and one of a loop
// that applies a gate with constant parameters allocates only transient
// values (the op's lists are shared with the other iterations).
func TestLoopIterationsAllocateLittle(t *testing.T) {
	allocsPerIteration := func(body string) float64 {
		src := func(n int) []byte {
			return []byte(fmt.Sprintf("OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; for int i in [1:%d] { %s }", n, body))
		}
		short, long := src(1000), src(2000)
		a := testing.AllocsPerRun(3, func() { _, _ = Parse(short) })
		b := testing.AllocsPerRun(3, func() { _, _ = Parse(long) })
		return (b - a) / 1000
	}
	assert.Less(t, allocsPerIteration(""), 0.01)
	// x q[0]: the index's value, the qubit list and the op's qubits
	// before they are shared; none of them lives past the statement.
	assert.LessOrEqual(t, allocsPerIteration("x q[0];"), 6.0)
}

// Parsing and lowering look at the context as they go: every step until
// the parse ends could be the one that sees it cancelled.
func TestParseLooksAtTheContextAsItGoes(t *testing.T) {
	var b strings.Builder
	b.WriteString("OPENQASM 3;\ninclude \"stdgates.inc\";\nqubit[2] q;\n")
	for range 3 * irparse.PollEvery {
		b.WriteString("h q[0];\n") // statements to parse
	}
	b.WriteString("for int i in [1:5000] { cx q[0], q[1]; }\n") // steps and ops to lower
	src := []byte(b.String())

	ctx := irparsetest.AfterLooks(math.MaxInt)
	_, err := NewIR3().Parse(ctx, src)
	require.NoError(t, err)
	looks := ctx.Looks()
	require.Greater(t, looks, 10, "the parse looked at its context only %d times", looks)
	for n := range looks {
		ctx := irparsetest.AfterLooks(n)
		p, err := NewIR3().Parse(ctx, src)
		require.ErrorIs(t, err, sokr.ErrCancelled, "cancelled at look %d", n+1)
		require.ErrorIs(t, err, context.Canceled)
		require.True(t, p == nil)
		var pe *sokr.ProgramError
		require.False(t, errors.As(err, &pe), "a cancelled parse is not an invalid program: %v", err)
	}
}

// Ops captured for modifiers count once at a time: nested modifiers near
// the limit do not fail for ops counted at each level.
func TestModifiersCountOpsOnce(t *testing.T) {
	saved := maxOps
	defer func() { maxOps = saved }()
	maxOps = 35
	src := "qubit[3] q; gate g0 a { U(0, 0, 0) a; } gate g1 a, b { for int i in [1:10] { ctrl @ g0 a, b; } }\n" +
		"for int i in [1:3] { ctrl @ g1 q[0], q[1], q[2]; }"
	p, err := Parse([]byte(src))
	require.NoError(t, err)
	assert.Len(t, p.Ops, 30)
	for _, o := range p.Ops {
		assert.Equal(t, []int{0, 1, 2}, o.Qubits)
	}
	maxOps = 29
	_, err = Parse([]byte(src))
	requireLimit(t, err, 2, 22, "more than 29 operations")
}
