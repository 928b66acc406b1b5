package qir_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/qir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return src
}

func TestParseTypedPointerBell(t *testing.T) {
	p, err := qir.Parse(readTestdata(t, "bell_typed.ll"))
	require.NoError(t, err)
	assert.Equal(t, qir.Format, p.Source)
	assert.Equal(t, circuit.Format, p.Format())
	assert.Equal(t, 2, p.Qubits)
	assert.Equal(t, 2, p.Clbits)
	assert.Empty(t, p.Unsupported)
	require.Len(t, p.Ops, 4)
	assert.Equal(t, circuit.Op{Kind: circuit.OpGate, Name: "h", Gate: circuit.H, Qubits: []int{0}, Pos: sokr.Position{Line: 12, Col: 3}}, p.Ops[0])
	assert.Equal(t, circuit.Op{Kind: circuit.OpGate, Name: "cx", Gate: circuit.X, Controls: 1, Qubits: []int{0, 1}, Pos: sokr.Position{Line: 13, Col: 3}}, p.Ops[1])
	assert.Equal(t, circuit.OpMeasure, p.Ops[3].Kind)
	assert.Equal(t, []int{1}, p.Ops[3].Qubits)
	assert.Equal(t, 1, p.Ops[3].Clbit)
}

func TestParseOpaquePointerGHZ(t *testing.T) {
	p, err := qir.Parse(readTestdata(t, "ghz_opaque.ll"))
	require.NoError(t, err)
	assert.Equal(t, 3, p.Qubits)
	assert.Equal(t, 3, p.Clbits)
	assert.Empty(t, p.Unsupported)
	var names []string
	for _, o := range p.Ops {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"h", "cx", "cx", "s", "sdg", "t", "tdg", "rz", "rz", "swap", "cz", "z", "z", "measure", "measure", "measure"}, names)
	// The hex form holds the IEEE bits of pi/4; the decimal one is -pi/4.
	assert.InDelta(t, 0.7853981633974483, p.Ops[7].Params[0].Val, 0)
	assert.InDelta(t, -0.7853981633974483, p.Ops[8].Params[0].Val, 0)
	assert.Equal(t, []int{0, 2}, p.Ops[9].Qubits)
}

func TestParseAdaptiveBranches(t *testing.T) {
	p, err := qir.Parse(readTestdata(t, "adaptive.ll"))
	require.NoError(t, err)
	assert.Empty(t, p.Unsupported)
	require.Len(t, p.Ops, 6)
	first, second := p.Ops[2], p.Ops[3]
	assert.Equal(t, circuit.OpIf, first.Kind)
	assert.Equal(t, circuit.Cond{Clbits: []int{0}, Cmp: circuit.Eq, Value: 1}, first.Cond)
	require.Len(t, first.Then, 1)
	assert.Equal(t, []int{1}, first.Then[0].Qubits)
	assert.Empty(t, first.Else)
	// xor i1 %1, true negates the read: the flip happens on 0.
	assert.Equal(t, circuit.Cond{Clbits: []int{0}, Cmp: circuit.Eq, Value: 0}, second.Cond)
	assert.Equal(t, []int{2}, second.Then[0].Qubits)
	assert.Equal(t, sokr.Position{Line: 16, Col: 3}, second.Pos) // the br
}

func TestParseIfElseDiamond(t *testing.T) {
	src := `define void @k() #0 {
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__qis__read_result__body(ptr null)
  %n = icmp eq i1 %r, false
  br i1 %n, label %a, label %b
a:
  call void @__quantum__qis__x__body(ptr null)
  br label %c
b:
  call void @__quantum__qis__y__body(ptr null)
  br label %c
c:
  call void @__quantum__qis__h__body(ptr null)
  ret void
}
attributes #0 = { "entry_point" }
`
	p, err := qir.Parse([]byte(src))
	require.NoError(t, err)
	require.Len(t, p.Ops, 3)
	assert.Equal(t, 1, p.Qubits)
	assert.Equal(t, 1, p.Clbits)
	ifOp := p.Ops[1]
	assert.Equal(t, uint64(0), ifOp.Cond.Value)
	require.Len(t, ifOp.Then, 1)
	require.Len(t, ifOp.Else, 1)
	assert.Equal(t, "x", ifOp.Then[0].Name)
	assert.Equal(t, "y", ifOp.Else[0].Name)
	assert.Equal(t, "h", p.Ops[2].Name)
}

// TestUnsupportedIsRecordedWithPosition: constructs with no circuit
// meaning parse, and are listed with their line and column.
func TestUnsupportedIsRecordedWithPosition(t *testing.T) {
	for _, c := range []struct{ body, feature string }{
		{"  %a = fadd double 1.0, 2.0\n", `QIR instruction "fadd"`},
		{"  call void @__quantum__qis__foo__body(double 1.0, ptr null)\n", "QIR quantum instruction @__quantum__qis__foo__body"},
		{"  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 1, i64 0, i64 1, ptr @__quantum__qis__x__ctl, ptr null, ptr null)\n", "QIR controlled @__quantum__qis__x__ctl on qubit arrays"},
		{"  %q = call ptr @__quantum__rt__qubit_allocate()\n", "QIR runtime function @__quantum__rt__qubit_allocate"},
		{"  call void @helper()\n", "QIR call to @helper (calls to defined functions are not inlined)"},
		{"  call void @__quantum__qis__rx__body(double %t, ptr null)\n", "QIR computed angle %t in @__quantum__qis__rx__body"},
		{"  br label %top\ntop:\n  br label %top\n", "QIR backward branch (a loop)"},
		{"  %c = icmp slt i64 1, 2\n  br i1 %c, label %x, label %x\nx:\n", `QIR instruction "icmp"`},
	} {
		src := "define void @main() #0 {\n" + c.body + "  ret void\n}\ndefine void @helper() {\n  ret void\n}\nattributes #0 = { \"entry_point\" }\n"
		if strings.Contains(c.body, "%top") {
			src = "define void @main() #0 {\n" + c.body + "}\ndefine void @helper() {\n  ret void\n}\nattributes #0 = { \"entry_point\" }\n"
		}
		p, err := qir.Parse([]byte(src))
		require.NoError(t, err, c.body)
		require.NotEmpty(t, p.Unsupported, c.body)
		assert.Equal(t, c.feature, p.Unsupported[0].Feature)
		assert.Positive(t, p.Unsupported[0].Pos.Line)
		assert.Equal(t, 3, p.Unsupported[0].Pos.Col, c.body)
		assert.Contains(t, p.Requirements().Features, "unsupported:"+c.feature)
	}
}

func TestErrorsHavePositions(t *testing.T) {
	for _, c := range []struct {
		src  string
		line int
		msg  string
	}{
		{"", 1, "no function is defined"},
		{"define void @f() {\n  ret void\n", 1, `no closing "}"`},
		{"define void @f() #0 {\n  call void @__quantum__qis__h__body(ptr inttoptr (i64 5 to ptr))\n  ret void\n}\nattributes #0 = { \"entry_point\" \"required_num_qubits\"=\"2\" }\n", 2, "qubit 5 out of range: the program has 2 qubits"},
		{"define void @f() {\n  call void @__quantum__qis__h__body(ptr null, ptr null)\n  ret void\n}\n", 2, "takes 1 arguments, got 2"},
		{"define void @f() {\n  call void @__quantum__qis__h__body(ptr null\n  ret void\n}\n", 2, "unbalanced parentheses"},
		{"define void @f() {\n  br label %nowhere\n}\n", 2, "undefined label %nowhere"},
		{"define void @f() {\n  call void @__quantum__qis__h__body(ptr null)\n}\n", 1, "no terminator"},
		{"define void @f() {\n  ret void\n}\ngarbage here\n", 4, "expected a top-level LLVM entity"},
		{"define void @f() {\n  call void @__quantum__qis__mz__body(ptr null, i64 3)\n  ret void\n}\n", 2, "expected a static result"},
		{"define void @f() #0 {\n  ret void\n}\nattributes #0 = { \"entry_point\" \"required_num_qubits\"=\"65\" }\n", 1, "want a count from 0 to 64"},
		{"define void @f() #0 {\n  ret void\n}\ndefine void @g() #0 {\n  ret void\n}\nattributes #0 = { \"entry_point\" }\n", 4, "a second entry point @g"},
		{"define void @f() {\n  call void @__quantum__qis__rx__body(double 1e999, ptr null)\n  ret void\n}\n", 2, "expected a double constant angle"},
	} {
		_, err := qir.Parse([]byte(c.src))
		require.Error(t, err, c.src)
		var pe *sokr.ProgramError
		require.ErrorAs(t, err, &pe, c.src)
		assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
		assert.Equal(t, qir.Format, pe.Format)
		assert.Equal(t, c.line, pe.Pos.Line, c.src)
		assert.Positive(t, pe.Pos.Col)
		assert.Contains(t, pe.Msg, c.msg)
	}
}

func TestDetect(t *testing.T) {
	ir := qir.NewIR()
	for _, name := range []string{"bell_typed.ll", "ghz_opaque.ll", "adaptive.ll"} {
		assert.True(t, ir.Detect(readTestdata(t, name)), name)
	}
	assert.False(t, ir.Detect([]byte("OPENQASM 2.0;\nqreg q[1];\n")))
	assert.False(t, ir.Detect([]byte("define void @f() {\n  ret void\n}\n")))
	assert.False(t, ir.Detect([]byte("sokr.native/1\nreturn x\n")))
}

func TestIRParseChecksContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := qir.NewIR().Parse(ctx, readTestdata(t, "bell_typed.ll"))
	require.ErrorIs(t, err, sokr.ErrCancelled)
	assert.Nil(t, p)
	p, err = qir.NewIR().Parse(context.Background(), readTestdata(t, "bell_typed.ll"))
	require.NoError(t, err)
	assert.Equal(t, circuit.Format, p.Format())
	_, err = qir.NewIR().Parse(context.Background(), []byte("nonsense"))
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)
}

func TestParseIntegerComputationOnResults(t *testing.T) {
	p, err := qir.Parse(readTestdata(t, "adaptive_int.ll"))
	require.NoError(t, err)
	assert.Empty(t, p.Unsupported)
	require.Len(t, p.Ops, 6)
	ifOp := p.Ops[4]
	assert.Equal(t, circuit.OpIf, ifOp.Kind)
	// r0 + 2*r1 == 3 reads results 0 and 1 as an unsigned integer.
	assert.Equal(t, circuit.Cond{Clbits: []int{0, 1}, Cmp: circuit.Eq, Value: 3}, ifOp.Cond)
	assert.Equal(t, "x", ifOp.Then[0].Name)

	// Comparisons with the constant first are mirrored; a gap in the bits
	// (r0 + 4*r1) or overlapping bits (r0 + r0) cannot be a circuit
	// condition and are refused by name.
	head := "define void @f() {\n  %a = call i1 @__quantum__rt__read_result(ptr null)\n  %b = call i1 @__quantum__rt__read_result(ptr inttoptr (i64 1 to ptr))\n" +
		"  %x = zext i1 %a to i8\n  %y = zext i1 %b to i8\n"
	tail := "  br i1 %c, label %t, label %e\nt:\n  call void @__quantum__qis__x__body(ptr null)\n  br label %e\ne:\n  ret void\n}\n"
	for _, c := range []struct {
		body string
		want *circuit.Cond
	}{
		{"  %y1 = shl i8 %y, 1\n  %v = add i8 %x, %y1\n  %c = icmp ugt i8 2, %v\n", &circuit.Cond{Clbits: []int{0, 1}, Cmp: circuit.Lt, Value: 2}},
		{"  %y2 = shl i8 %y, 2\n  %v = or i8 %x, %y2\n  %c = icmp eq i8 %v, 5\n", nil},
		{"  %v = add i8 %x, %x\n  %c = icmp eq i8 %v, 2\n", nil},
		{"  %c = icmp slt i8 %x, 1\n", nil},
	} {
		p, err := qir.Parse([]byte(head + c.body + tail))
		require.NoError(t, err, c.body)
		if c.want == nil {
			require.NotEmpty(t, p.Unsupported, c.body)
			continue
		}
		assert.Empty(t, p.Unsupported, c.body)
		require.Len(t, p.Ops, 1, c.body)
		assert.Equal(t, *c.want, p.Ops[0].Cond, c.body)
	}
}

func TestParseSpecBlockLayout(t *testing.T) {
	p, err := qir.Parse(readTestdata(t, "base_blocks.ll"))
	require.NoError(t, err)
	assert.Empty(t, p.Unsupported)
	var names []string
	for _, o := range p.Ops {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"x", "ry", "ccx", "measure", "measure", "measure"}, names)
	assert.Equal(t, 2, p.Ops[2].Controls)
	assert.Equal(t, []int{0, 1, 2}, p.Ops[2].Qubits)
}

// TestParseCUDAQControlledGates: nvq++ emits multi-controlled gates as
// generalizedInvokeWithRotationsControlsTargets(rotations, control arrays,
// controls, targets, @gate__ctl, ...).
func TestParseCUDAQControlledGates(t *testing.T) {
	src := `define void @k() #0 {
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 2, i64 1, ptr @__quantum__qis__x__ctl, ptr null, ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr))
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 1, i64 0, i64 1, i64 1, ptr @__quantum__qis__rx__ctl, double 5.000000e-01, ptr inttoptr (i64 2 to ptr), ptr null)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 1, i64 1, ptr @__quantum__qis__t__ctladj, ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__u3__body(double 1.000000e-01, double 2.000000e-01, double 3.000000e-01, ptr null)
  call void @__quantum__qis__r1__body(double 3.000000e-01, ptr null)
  ret void
}
attributes #0 = { "entry_point" "requiredQubits"="3" "requiredResults"="0" }
`
	p, err := qir.Parse([]byte(src))
	require.NoError(t, err)
	assert.Empty(t, p.Unsupported)
	require.Len(t, p.Ops, 5)
	assert.Equal(t, circuit.Op{Kind: circuit.OpGate, Name: "ccx", Gate: circuit.X, Controls: 2, Qubits: []int{0, 1, 2}, Pos: sokr.Position{Line: 2, Col: 3}}, p.Ops[0])
	assert.Equal(t, "crx", p.Ops[1].Name)
	assert.Equal(t, []int{2, 0}, p.Ops[1].Qubits)
	assert.InDelta(t, 0.5, p.Ops[1].Params[0].Val, 0)
	assert.Equal(t, circuit.Tdg, p.Ops[2].Gate)
	assert.Equal(t, 1, p.Ops[2].Controls)
	assert.Equal(t, circuit.U3, p.Ops[3].Gate)
	assert.Len(t, p.Ops[3].Params, 3)
	assert.Equal(t, circuit.P, p.Ops[4].Gate)
	assert.Equal(t, 0, p.Clbits)

	// Counts that do not fit the arguments are an error at the call.
	bad := "define void @k() {\n  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 2, i64 1, ptr @__quantum__qis__x__ctl, ptr null)\n  ret void\n}\n"
	_, err = qir.Parse([]byte(bad))
	var pe *sokr.ProgramError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, sokr.Position{Line: 2, Col: 3}, pe.Pos)
	assert.Contains(t, pe.Msg, "do not fit")
}

// TestParseShortCircuitPhi: `if a and b` as nvq++ lowers it, a phi that
// is false from the entry block and b's read from the block that reads
// it, is threaded into the branches: x fires when both results are 1.
func TestParseShortCircuitPhi(t *testing.T) {
	src := `define void @k() #0 {
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %1 = call i1 @__quantum__qis__read_result__body(ptr null)
  %2 = xor i1 %1, true
  br i1 %2, label %5, label %3
3:
  %4 = call i1 @__quantum__qis__read_result__body(ptr inttoptr (i64 1 to ptr))
  br label %5
5:
  %6 = phi i1 [ %4, %3 ], [ false, %0 ]
  br i1 %6, label %7, label %8
7:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 2 to ptr))
  br label %8
8:
  ret void
}
attributes #0 = { "entry_point" "requiredQubits"="3" "requiredResults"="2" }
`
	p, err := qir.Parse([]byte(src))
	require.NoError(t, err)
	assert.Empty(t, p.Unsupported)
	require.Len(t, p.Ops, 3)
	outer := p.Ops[2]
	// r0 == 0 goes straight on; else r1 == 1 flips qubit 2.
	assert.Equal(t, circuit.Cond{Clbits: []int{0}, Cmp: circuit.Eq, Value: 1}, outer.Cond)
	assert.Empty(t, outer.Else)
	require.Len(t, outer.Then, 1)
	inner := outer.Then[0]
	assert.Equal(t, circuit.Cond{Clbits: []int{1}, Cmp: circuit.Eq, Value: 1}, inner.Cond)
	require.Len(t, inner.Then, 1)
	assert.Equal(t, []int{2}, inner.Then[0].Qubits)

	// A phi of two computed values, or one whose block does more, is
	// refused by name.
	for _, body := range []string{
		"  %6 = phi i1 [ %4, %3 ], [ %1, %0 ]\n  br i1 %6, label %7, label %8\n",
		"  %6 = phi i1 [ %4, %3 ], [ false, %0 ]\n  call void @__quantum__qis__h__body(ptr null)\n  br i1 %6, label %7, label %8\n",
		"  %6 = phi i1 [ %4, %3 ], [ false, %0 ]\n  br label %7\n",
	} {
		variant := strings.Replace(src, "  %6 = phi i1 [ %4, %3 ], [ false, %0 ]\n  br i1 %6, label %7, label %8\n", body, 1)
		require.NotEqual(t, src, variant)
		p, err := qir.Parse([]byte(variant))
		require.NoError(t, err, body)
		require.NotEmpty(t, p.Unsupported, body)
		assert.Contains(t, p.Unsupported[0].Feature, "QIR phi", body)
		assert.Equal(t, 11, p.Unsupported[0].Pos.Line, body)
	}
}
