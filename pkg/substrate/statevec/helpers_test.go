package statevec

import (
	"context"
	"math/cmplx"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// dispatch runs p on s directly (no runtime) and waits for the result.
func dispatch(t testing.TB, s *Substrate, p sokr.Program, inputs []sokr.Tensor, params map[string]any, seed ...uint64) (sokr.Result, error) {
	t.Helper()
	opts := sokr.Options{Params: params}
	if len(seed) > 0 {
		opts.Seed, opts.HasSeed = seed[0], true
	}
	j := sokr.NewJob(context.Background(), p, inputs, opts)
	s.Dispatch(j, j)
	select {
	case <-j.Future().Done():
	case <-time.After(60 * time.Second):
		t.Fatal("dispatch did not complete")
	}
	return j.Future().Wait(context.Background())
}

// mustRun is dispatch that fails the test on an error.
func mustRun(t testing.TB, s *Substrate, p sokr.Program, params map[string]any, seed ...uint64) sokr.Result {
	t.Helper()
	res, err := dispatch(t, s, p, nil, params, seed...)
	require.NoError(t, err)
	return res
}

// stateOf returns the final state of p as complex128.
func stateOf(t testing.TB, s *Substrate, p *circuit.Program, params map[string]any) []complex128 {
	t.Helper()
	all := map[string]any{"mode": "state"}
	for k, v := range params {
		all[k] = v
	}
	res := mustRun(t, s, p, all)
	out, ok := res.Get("state")
	require.True(t, ok)
	if out.Tensor.DType == sokr.C64 {
		v := sokr.View[complex64](out.Tensor)
		c := make([]complex128, len(v))
		for i, x := range v {
			c[i] = complex128(x)
		}
		return c
	}
	return sokr.View[complex128](out.Tensor)
}

// countsOf returns the counts of a sample run.
func countsOf(t testing.TB, res sokr.Result) map[string]int64 {
	t.Helper()
	out, ok := res.Get("counts")
	require.True(t, ok, "no counts output")
	c, ok := out.Value.(map[string]int64)
	require.True(t, ok, "counts is a %T", out.Value)
	return c
}

// expectationsOf returns the expectations of an observe run.
func expectationsOf(t testing.TB, res sokr.Result) []float64 {
	t.Helper()
	out, ok := res.Get("expectations")
	require.True(t, ok, "no expectations output")
	return sokr.View[float64](out.Tensor)
}

// requireStatesClose compares states amplitude by amplitude.
func requireStatesClose(t testing.TB, want, got []complex128, tol float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		if d := cmplx.Abs(want[i] - got[i]); d > tol {
			t.Fatalf("%s: amplitude %d = %v, want %v (|diff| %.3g > %.3g)", msg, i, got[i], want[i], d, tol)
		}
	}
}

// builder helps write circuits in tests.
type builder struct{ p *circuit.Program }

func newCircuit(qubits, clbits int) *builder {
	b := &builder{p: &circuit.Program{Source: "test", Qubits: qubits, Clbits: clbits}}
	if clbits > 0 {
		b.p.CRegs = []circuit.Register{{Name: "c", Start: 0, Size: clbits}}
	}
	return b
}

func (b *builder) gate(g circuit.Gate, ctrls int, qubits []int, params ...float64) *builder {
	ps := make([]circuit.Expr, len(params))
	for i, v := range params {
		ps[i] = circuit.Const(v)
	}
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpGate, Name: g.String(), Gate: g, Controls: ctrls, Qubits: qubits, Params: ps})
	return b
}

func (b *builder) h(q int) *builder     { return b.gate(circuit.H, 0, []int{q}) }
func (b *builder) x(q int) *builder     { return b.gate(circuit.X, 0, []int{q}) }
func (b *builder) z(q int) *builder     { return b.gate(circuit.Z, 0, []int{q}) }
func (b *builder) cx(c, t int) *builder { return b.gate(circuit.X, 1, []int{c, t}) }

func (b *builder) measure(q, c int) *builder {
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpMeasure, Name: "measure", Qubits: []int{q}, Clbit: c})
	return b
}

func (b *builder) reset(q int) *builder {
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpReset, Name: "reset", Qubits: []int{q}})
	return b
}

func (b *builder) channel(ch circuit.Channel, qubits ...int) *builder {
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpChannel, Name: ch.Kind.String(), Channel: &ch, Qubits: qubits})
	return b
}

// ifBits appends "if (bits == value) then".
func (b *builder) ifBits(bits []int, value uint64, then func(*builder)) *builder {
	inner := &builder{p: &circuit.Program{Qubits: b.p.Qubits, Clbits: b.p.Clbits}}
	then(inner)
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpIf, Name: "if", Cond: circuit.Cond{Clbits: bits, Cmp: circuit.Eq, Value: value}, Then: inner.p.Ops})
	return b
}

// whileBits appends "while (bits == value) body".
func (b *builder) whileBits(bits []int, value uint64, body func(*builder)) *builder {
	inner := &builder{p: &circuit.Program{Qubits: b.p.Qubits, Clbits: b.p.Clbits}}
	body(inner)
	b.p.Ops = append(b.p.Ops, circuit.Op{Kind: circuit.OpWhile, Name: "while", Cond: circuit.Cond{Clbits: bits, Cmp: circuit.Eq, Value: value}, Then: inner.p.Ops})
	return b
}

func (b *builder) build(t testing.TB) *circuit.Program {
	t.Helper()
	require.NoError(t, b.p.Validate())
	return b.p
}
