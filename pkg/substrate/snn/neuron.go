package snn

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
)

// neuronCoefficients discretises a population's ODEs over one step of dt
// with the given solver, as the coefficient arrays of kernels.h (computed
// in float64, then rounded to F). With forward Euler the voltage update is
// v + dt/τ·((v_leak − v) + r·x) written as (1 − dt/τ)·v + dt/τ·v_leak +
// dt/τ·r·x. The current-based models update the current first and feed the
// new current to the voltage (as snnTorch, Lava and Spyx do), so that an
// input moves the voltage in the step it arrives, as for LIF.
func neuronCoefficients[F float](p *neuronParams, sem semantics) (*neuronKernel[F], error) {
	n := len(p.r) // every model has r
	k := &neuronKernel[F]{n: n, amp: F(sem.amplitude), before: sem.spikeTiming == SpikeBeforeUpdate}
	if p.model.current() {
		k.kind = kindCurrent
	}
	if p.model.spiking() {
		k.reset = resetToVReset
		if sem.reset == ResetSubtract {
			k.reset = resetSubtract
		}
	}
	coef := make([]float64, numCoef*n)
	set := func(c, i int, v float64) { coef[c*n+i] = v }
	dt := sem.dt
	for i := range n {
		switch p.model {
		case modelIF, modelI:
			// dv/dt = r·x: every solver integrates a constant input exactly.
			set(coefAV, i, 1)
			set(coefGV, i, dt*p.r[i])
		case modelLIF, modelLI:
			av, bv, gv := neuron.Leak(sem.solver, dt, p.tau[i], p.vLeak[i], p.r[i])
			set(coefAV, i, av)
			set(coefBV, i, bv)
			set(coefGV, i, gv)
		case modelCubaLIF, modelCubaLI:
			cubaCoefficients(coef, n, i, sem.solver, dt, p)
		}
		if p.model.spiking() {
			set(coefTH, i, p.vThresh[i])
			if sem.reset == ResetToVReset && p.vReset != nil {
				set(coefVR, i, p.vReset[i])
			}
		}
	}
	for i, c := range coef {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("parameter of neuron %d gives a non-finite update coefficient (%v) at dt = %g s", i%n, c, dt)
		}
	}
	k.coef, k.uniform = uniformOrFull[F](coef, n)
	return k, nil
}

// cubaCoefficients fills neuron i's coefficients of the current-based
// models, as neuron.Cuba computes them (shared with the vulkan substrate,
// so that both agree).
func cubaCoefficients(coef []float64, n, i int, solver string, dt float64, p *neuronParams) {
	ai, bi, av, bv, ci, gv := neuron.Cuba(solver, dt, p.tauSyn[i], p.tauMem[i], p.vLeak[i], p.r[i], p.wIn[i])
	coef[coefAI*n+i], coef[coefBI*n+i], coef[coefCI*n+i] = ai, bi, ci
	coef[coefAV*n+i], coef[coefBV*n+i], coef[coefGV*n+i] = av, bv, gv
}

// uniformOrFull rounds coef (numCoef arrays of n) to F, keeping one
// element per array when every neuron has the same value.
func uniformOrFull[F float](coef []float64, n int) ([]F, bool) {
	uniform := true
	for c := 0; c < numCoef && uniform; c++ {
		for i := 1; i < n; i++ {
			if coef[c*n+i] != coef[c*n] {
				uniform = false
				break
			}
		}
	}
	if uniform && n > 0 {
		out := make([]F, numCoef)
		for c := range numCoef {
			out[c] = F(coef[c*n])
		}
		return out, true
	}
	out := make([]F, len(coef))
	for i, c := range coef {
		out[i] = F(c)
	}
	return out, false
}
