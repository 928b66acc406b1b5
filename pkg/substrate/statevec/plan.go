package statevec

import (
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
)

// plan is a program compiled for one dispatch by qsim (parameters
// evaluated, gates fused into passes), its passes with the CPU kernels'
// layout and, where blocking says so, in cache-blocked stages.
type plan struct {
	*qsim.Plan[*pass]
	fusion int
	blk    blocking
	fused  int // passes the prefix's gates became
	sweeps int // passes over the whole state: a cache-blocked stage is one
	// cpu holds, for each pass of the steps that qsim makes (the resets'
	// flips, the mixed-unitary channels' unitaries), the same with the
	// CPU kernels' layout, built once rather than per shot.
	cpu map[*qsim.Pass]*pass
}

type (
	measurement = qsim.Measurement
	step        = qsim.Step[*pass]
)

// compile builds the plan of p for the runtime parameter values params
// (qsim.Compile). blk groups the gates into cache-blocked stages (see
// block.go); the zero value does not.
func compile(p *circuit.Program, params []float64, fusion int, unitaryOnly bool, blk blocking) (*plan, error) {
	qp, err := qsim.Compile(p, params, unitaryOnly, func(gs []gate) []*pass {
		return blockedPasses(gs, p.Qubits, fusion, blk)
	})
	if err != nil {
		return nil, err
	}
	pl := &plan{Plan: qp, fusion: fusion, blk: blk}
	pl.fused, pl.sweeps = countPasses(pl.Prefix)
	pl.prepare(pl.Rest)
	return pl, nil
}

// prepare fills pl.cpu for the steps (a static plan needs none).
func (pl *plan) prepare(steps []step) {
	if len(steps) > 0 && pl.cpu == nil {
		pl.cpu = map[*qsim.Pass]*pass{}
	}
	for i := range steps {
		st := &steps[i]
		if st.Flip != nil {
			pl.cpu[st.Flip] = cpuPass(st.Flip)
		}
		if st.Ch != nil {
			for _, u := range st.Ch.Units {
				if u != nil {
					pl.cpu[u] = cpuPass(u)
				}
			}
		}
		pl.prepare(st.Then)
		pl.prepare(st.Else)
	}
}

// countPasses returns the passes of ps, those inside stages counted one by
// one, and the passes over the whole state.
func countPasses(ps []*pass) (fused, sweeps int) {
	for _, p := range ps {
		if p.stage != nil {
			fused += p.stage.passes
		} else {
			fused++
		}
	}
	return fused, len(ps)
}
