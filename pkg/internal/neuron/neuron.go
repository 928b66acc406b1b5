// Package neuron holds what every substrate that runs NIR neurons must
// compute alike, so that their traces agree bit for bit: the discretised
// leak of LI and LIF populations, and a run's inputs as floats.
//
//	av, bv, gv := neuron.Leak(neuron.Exact, 1e-4, 1e-2, 0, 1)
//	v = av*v + bv + gv*x // one step of τ·dv/dt = (v_leak − v) + r·x
package neuron

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The solvers, by the names the substrates' "solver" option takes.
const (
	Euler   = "euler"   // forward Euler
	Exact   = "exact"   // exact integration, input held constant over the step
	Impulse = "impulse" // exact decay, input as an impulse of area dt·x at the step's end
)

// Leak returns av, bv, gv of one step of dt of τ·dv/dt = (v_leak − v) + r·x
// with solver, so that v' = av·v + bv + gv·x. Forward Euler writes
// v + dt/τ·((v_leak − v) + r·x) as (1 − dt/τ)·v + dt/τ·v_leak + dt/τ·r·x.
func Leak(solver string, dt, tau, vLeak, r float64) (av, bv, gv float64) {
	a := dt / tau
	switch solver {
	case Exact:
		d, e := math.Exp(-a), -math.Expm1(-a) // e = 1 − e^{−dt/τ}
		return d, e * vLeak, e * r
	case Impulse:
		d, e := math.Exp(-a), -math.Expm1(-a)
		return d, e * vLeak, a * r
	}
	return 1 - a, a * vLeak, a * r
}

// EulerWarning says when forward Euler is unstable for a population:
// its decay factor 1 − dt/τ is below −1 once dt > 2τ, so v oscillates
// with a growing amplitude instead of decaying (and below 0 once dt > τ,
// where it already overshoots). It names the node, its model and its
// smallest τ of taus (τ, τ_syn, τ_mem: any may be empty); "" when dt is
// at most 2τ. The caller asks only where the solver is Euler.
func EulerWarning(node, model string, dt float64, taus ...[]float64) string {
	least := math.Inf(1)
	for _, ts := range taus {
		for _, t := range ts {
			least = min(least, t)
		}
	}
	if !(dt > 2*least) {
		return ""
	}
	return fmt.Sprintf("node %q (%s): dt = %g s is more than 2τ (τ = %g s): forward Euler diverges there (its decay factor 1 − dt/τ = %g is below −1); use solver \"exact\" or a smaller dt",
		node, model, dt, least, 1-dt/least)
}

// Cuba returns the coefficients of one step of dt of the current-based
// neuron (CubaLIF, CubaLI)
//
//	τ_syn·di/dt = −i + w_in·x,  τ_mem·dv/dt = (v_leak − v) + r·i
//
// with solver, so that, i being the current before the step,
// i' = ai·i + bi·x and v' = av·v + bv + ci·i + gv·x (the current is updated
// first and the new current moves the voltage in the same step, as
// snnTorch, Lava and Spyx do).
//
// Exact integration with x constant over the step gives
// i' = d_s·i + (1 − d_s)·w·x and
// v' = d_m·v + (1 − d_m)·v_leak + r·k·i + r·(1 − d_m − k)·w·x, where
// d = e^{−dt/τ} and k = τ_s/(τ_s − τ_m)·(d_s − d_m), computed as
// (dt/τ_m)·d_s·expm1(z)/z with z = dt·(τ_m − τ_s)/(τ_s·τ_m), which is
// stable as τ_s → τ_m (k → (dt/τ_m)·e^{−dt/τ_m}). Euler and Impulse
// update i' = ai·i + (dt/τ_s)·w·x, then v' = av·v + bv + (dt/τ_m)·r·i'.
func Cuba(solver string, dt, tauSyn, tauMem, vLeak, r, wIn float64) (ai, bi, av, bv, ci, gv float64) {
	as, am := dt/tauSyn, dt/tauMem
	switch solver {
	case Exact:
		ds, es := math.Exp(-as), -math.Expm1(-as)
		dm, em := math.Exp(-am), -math.Expm1(-am)
		z := dt * (tauMem - tauSyn) / (tauSyn * tauMem)
		ratio := 1.0
		if z != 0 {
			ratio = math.Expm1(z) / z
		}
		k := am * ds * ratio
		return ds, es * wIn, dm, em * vLeak, r * k, r * (em - k) * wIn
	case Impulse:
		ai, av, bv = math.Exp(-as), math.Exp(-am), -math.Expm1(-am)*vLeak
	default: // Euler
		ai, av, bv = 1-as, 1-am, am*vLeak
	}
	return ai, as * wIn, av, bv, am * r * ai, am * r * as * wIn
}

// Input is a graph input as a run sees it: its node's name and shape.
type Input struct {
	Name  string
	Shape []int
}

// Steps checks a run's tensors against the graph's inputs: one per input,
// each [T, B, *shape] of real numbers (f32, f64, i32, i64 or bool) with the
// same T and B, which it returns (-1, -1 when the graph has no input).
// Refusals are *sokr.InputErrors naming the input.
func Steps(in []sokr.Tensor, inputs []Input) (steps, batch int, err error) {
	if len(in) != len(inputs) {
		names := make([]string, len(inputs))
		for k, u := range inputs {
			names[k] = u.Name
		}
		return 0, 0, &sokr.InputError{Index: -1, Msg: fmt.Sprintf("the graph has %d inputs %v, got %d tensors", len(inputs), names, len(in))}
	}
	steps, batch = -1, -1
	for k, u := range inputs {
		t := in[k]
		bad := func(format string, args ...any) error {
			return &sokr.InputError{Index: k, Name: u.Name, Msg: fmt.Sprintf(format, args...)}
		}
		switch t.DType {
		case sokr.F32, sokr.F64, sokr.I32, sokr.I64, sokr.Bool:
		default:
			return 0, 0, bad("dtype %v: want real numbers (f32, f64, i32, i64 or bool)", t.DType)
		}
		if err := t.Check(); err != nil {
			return 0, 0, bad("%v", err)
		}
		if len(t.Shape) != len(u.Shape)+2 || !sokr.Shape(t.Shape[2:]).Equal(u.Shape) {
			s := sokr.Shape(u.Shape).String()
			return 0, 0, bad("shape %v: want [T, B, %s] (time steps, batch, then the input's shape)", t.Shape, s[1:len(s)-1])
		}
		if steps >= 0 && (t.Shape[0] != steps || t.Shape[1] != batch) {
			return 0, 0, bad("shape %v: T and B differ from the first input's [%d, %d, ...]", t.Shape, steps, batch)
		}
		steps, batch = t.Shape[0], t.Shape[1]
	}
	return steps, batch, nil
}

// Float is the element type of a neuron population's values.
type Float interface{ ~float32 | ~float64 }

// Values returns t's elements as []F: t's own data when its dtype is F,
// else a converted copy (f32, f64, i32, i64; bool as 0 and 1).
func Values[F Float](t sokr.Tensor) []F {
	var z F
	switch any(z).(type) {
	case float32:
		if t.DType == sokr.F32 {
			return any(sokr.View[float32](t)).([]F)
		}
	case float64:
		if t.DType == sokr.F64 {
			return any(sokr.View[float64](t)).([]F)
		}
	}
	out := make([]F, t.Shape.NumElements())
	switch t.DType {
	case sokr.F32:
		convert(out, sokr.View[float32](t))
	case sokr.F64:
		convert(out, sokr.View[float64](t))
	case sokr.I32:
		convert(out, sokr.View[int32](t))
	case sokr.I64:
		convert(out, sokr.View[int64](t))
	case sokr.Bool:
		for i, v := range sokr.View[bool](t) {
			if v {
				out[i] = 1
			}
		}
	}
	return out
}

func convert[F Float, T float32 | float64 | int32 | int64](out []F, in []T) {
	for i, v := range in {
		out[i] = F(v)
	}
}
