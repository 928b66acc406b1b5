package qsim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func gateOp(g circuit.Gate, controls int, qubits ...int) circuit.Op {
	return circuit.Op{Kind: circuit.OpGate, Gate: g, Controls: controls, Qubits: qubits}
}

func measureOp(q, c int) circuit.Op {
	return circuit.Op{Kind: circuit.OpMeasure, Qubits: []int{q}, Clbit: c}
}

// unfused is a passes function without fusion.
func unfused(gs []Gate) []*Pass { return Passes(gs, 0) }

func TestCompileStatic(t *testing.T) {
	p := &circuit.Program{Qubits: 2, Clbits: 2, Ops: []circuit.Op{
		{Kind: circuit.OpReset, Qubits: []int{0}}, // of a fresh qubit: dropped
		gateOp(circuit.H, 0, 0), gateOp(circuit.X, 1, 0, 1),
		measureOp(1, 0), measureOp(0, 1),
	}}
	require.NoError(t, p.Validate())
	pl, err := Compile(p, nil, false, unfused)
	require.NoError(t, err)
	assert.True(t, pl.Static)
	assert.Same(t, p, pl.Prog)
	assert.Equal(t, 2, pl.Gates)
	require.Len(t, pl.Prefix, 2)
	assert.Equal(t, []int{0, 1}, pl.Prefix[1].Pos)
	assert.Equal(t, []Measurement{{1, 0}, {0, 1}}, pl.Measures)
	assert.Empty(t, pl.Rest)
}

func TestCompileDynamicSteps(t *testing.T) {
	pos := sokr.Position{Line: 7, Col: 3}
	p := &circuit.Program{Qubits: 2, Clbits: 2, Ops: []circuit.Op{
		gateOp(circuit.H, 0, 0),
		measureOp(0, 0),
		gateOp(circuit.X, 0, 0), gateOp(circuit.X, 0, 1),
		{Kind: circuit.OpBarrier, Qubits: []int{0, 1}},
		{Kind: circuit.OpReset, Qubits: []int{1}, Pos: pos},
		{Kind: circuit.OpChannel, Qubits: []int{0}, Channel: &circuit.Channel{Kind: circuit.BitFlip, P: 0}}, // cannot change the state
		{Kind: circuit.OpChannel, Qubits: []int{0}, Channel: &circuit.Channel{Kind: circuit.BitFlip, P: 0.25}},
		{Kind: circuit.OpIf, Cond: circuit.Cond{Clbits: []int{0}, Value: 1},
			Then: []circuit.Op{gateOp(circuit.X, 0, 1)}, Else: []circuit.Op{measureOp(1, 1)}},
		{Kind: circuit.OpWhile, Cond: circuit.Cond{Clbits: []int{1}, Value: 1},
			Then: []circuit.Op{gateOp(circuit.H, 0, 1), measureOp(1, 1)}},
	}}
	require.NoError(t, p.Validate())
	pl, err := Compile(p, nil, false, unfused)
	require.NoError(t, err)
	assert.False(t, pl.Static)
	assert.Equal(t, 1, pl.Gates) // the prefix
	require.Len(t, pl.Prefix, 1)
	kinds := make([]StepKind, len(pl.Rest))
	for i, st := range pl.Rest {
		kinds[i] = st.Kind
	}
	assert.Equal(t, []StepKind{StepMeasure, StepPass, StepPass, StepReset, StepChannel, StepIf, StepWhile}, kinds)
	assert.Equal(t, 0, pl.Rest[0].Qubit)
	assert.Equal(t, 0, pl.Rest[0].Clbit)
	reset := pl.Rest[3]
	assert.Equal(t, 1, reset.Qubit)
	assert.Equal(t, pos, reset.Pos)
	require.NotNil(t, reset.Flip)
	assert.Equal(t, Perm, reset.Flip.Kind)
	assert.Equal(t, []int{1}, reset.Flip.Pos)
	ch := pl.Rest[4].Ch
	require.NotNil(t, ch)
	assert.InDeltaSlice(t, []float64{0.75, 0.25}, ch.Weights, 1e-12)
	assert.Nil(t, ch.Units[0], "the identity Kraus operator")
	require.NotNil(t, ch.Units[1])
	assert.Equal(t, []int{1, 0}, ch.Units[1].Src)
	iff := pl.Rest[5]
	require.Len(t, iff.Then, 1)
	assert.Equal(t, StepPass, iff.Then[0].Kind)
	require.Len(t, iff.Else, 1)
	assert.Equal(t, StepMeasure, iff.Else[0].Kind)
	wh := pl.Rest[6]
	assert.Equal(t, uint64(1), wh.Cond.Value)
	require.Len(t, wh.Then, 2)
	assert.Equal(t, []StepKind{StepPass, StepMeasure}, []StepKind{wh.Then[0].Kind, wh.Then[1].Kind})
}

func TestCompileBadChannel(t *testing.T) {
	pos := sokr.Position{Line: 2, Col: 1}
	p := &circuit.Program{Qubits: 1, Clbits: 1, Ops: []circuit.Op{
		measureOp(0, 0),
		{Kind: circuit.OpChannel, Qubits: []int{0}, Channel: &circuit.Channel{Kind: circuit.BitFlip, P: 2}, Pos: pos},
	}}
	_, err := Compile(p, nil, false, unfused)
	var pe *sokr.ProgramError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, pos, pe.Pos)
	assert.Contains(t, CheckChannel(&p.Ops[1]), "cannot apply the bit_flip channel at 2:1")
	assert.Empty(t, CheckChannel(&circuit.Op{Kind: circuit.OpChannel, Qubits: []int{0}, Channel: &circuit.Channel{Kind: circuit.BitFlip, P: 0.5}}))
	assert.Contains(t, CheckChannel(&circuit.Op{Kind: circuit.OpChannel, Qubits: []int{0}}), "without a channel")
}

func TestTrimOpsAndIsStatic(t *testing.T) {
	p := &circuit.Program{Qubits: 2, Clbits: 1, Ops: []circuit.Op{
		{Kind: circuit.OpReset, Qubits: []int{1}},
		gateOp(circuit.H, 0, 0),
		measureOp(0, 0),
		{Kind: circuit.OpBarrier, Qubits: []int{0, 1}},
	}}
	assert.Len(t, TrimOps(p, false), 3)
	ops := TrimOps(p, true)
	require.Len(t, ops, 1)
	assert.Equal(t, circuit.OpGate, ops[0].Kind)
	assert.True(t, IsStatic(TrimOps(p, false), 2))
	again := append(TrimOps(p, false), gateOp(circuit.X, 0, 0)) // a gate after the measurement
	assert.False(t, IsStatic(again, 2))
	assert.Equal(t, "a measurement followed by more operations on its qubit", DynamicFeature(&circuit.Program{Qubits: 2, Ops: again}))
	withReset := &circuit.Program{Qubits: 1, Ops: []circuit.Op{gateOp(circuit.H, 0, 0), {Kind: circuit.OpReset, Qubits: []int{0}, Pos: sokr.Position{Line: 3, Col: 5}}}}
	assert.False(t, IsStatic(TrimOps(withReset, false), 1))
	assert.Equal(t, "a reset at 3:5", DynamicFeature(withReset))
}

func TestAt(t *testing.T) {
	assert.Equal(t, "", At(sokr.Position{}))
	assert.Equal(t, " at 4:2", At(sokr.Position{Line: 4, Col: 2}))
}

func TestEvalGateControlledPhase(t *testing.T) {
	o := circuit.Op{Kind: circuit.OpGate, Gate: circuit.GPhase, Controls: 2, NegControls: 0b10, Qubits: []int{0, 1},
		Params: []circuit.Expr{circuit.Const(1)}}
	g := EvalGate(&o, nil)
	assert.Equal(t, 1, g.NCtrl)
	assert.Equal(t, uint64(0), g.Neg)
	require.Len(t, g.Mat, 4)
	assert.NotEqual(t, complex(1, 0), g.Mat[0], "a negated last control: the phase on |0>")
	assert.Equal(t, complex(1, 0), g.Mat[3])
}

// StaticRun agrees with IsStatic of TrimOps, for both kinds of run.
func TestStaticRun(t *testing.T) {
	reset := func(q int) circuit.Op { return circuit.Op{Kind: circuit.OpReset, Qubits: []int{q}} }
	barrier := circuit.Op{Kind: circuit.OpBarrier, Qubits: []int{0, 1}}
	for name, ops := range map[string][]circuit.Op{
		"bell":                  {gateOp(circuit.H, 0, 0), gateOp(circuit.X, 1, 0, 1), measureOp(0, 0), measureOp(1, 1)},
		"fresh reset":           {reset(1), gateOp(circuit.H, 0, 0), measureOp(0, 0)},
		"reset after a gate":    {gateOp(circuit.H, 0, 0), reset(0), measureOp(0, 0)},
		"gate after measure":    {gateOp(circuit.H, 0, 0), measureOp(0, 0), gateOp(circuit.X, 0, 0)},
		"other qubit after":     {measureOp(0, 0), gateOp(circuit.X, 0, 1), barrier},
		"mid-circuit, trailing": {gateOp(circuit.H, 0, 0), measureOp(0, 0), barrier, measureOp(0, 1)},
		"branch": {measureOp(0, 0), {Kind: circuit.OpIf, Cond: circuit.Cond{Clbits: []int{0}, Value: 1},
			Then: []circuit.Op{gateOp(circuit.X, 0, 1)}}},
	} {
		p := &circuit.Program{Qubits: 2, Clbits: 2, Ops: ops}
		for _, unitaryOnly := range []bool{false, true} {
			assert.Equal(t, IsStatic(TrimOps(p, unitaryOnly), 2), StaticRun(p, unitaryOnly), "%s, unitaryOnly %v", name, unitaryOnly)
		}
	}
	assert.False(t, StaticRun(&circuit.Program{Qubits: 1, Ops: []circuit.Op{gateOp(circuit.H, 0, 0), reset(0)}}, false))
}
