package statevec

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The density-matrix mode holds rho, a 2^n x 2^n matrix, as a state of 2n
// qubits: element rho[a][b] is amplitude a | b<<n. A gate U on qubits Q
// maps rho to U rho U†, which is U on Q and conj(U) on Q+n; a channel with
// Kraus operators K_i maps it to sum_i K_i rho K_i†, the superoperator
// sum_i K_i ⊗ conj(K_i) on Q and Q+n. Both are passes of the state-vector
// kernels, fused like any gates.

// Methods (option "method").
const (
	methodAuto          = qsim.MethodAuto
	methodDensity       = qsim.MethodDensity
	methodStatevector   = qsim.MethodStatevector
	methodTrajectories  = qsim.MethodTrajectories
	maxAutoDensityQubit = 14 // CUDA-Q's density-matrix-cpu target allows up to 14 qubits
	// maxDensityChannelQubits: a channel on k qubits is a superoperator on
	// 2k, and a pass has at most maxTargets targets.
	maxDensityChannelQubits = maxTargets / 2
)

// densityRefusal says why the density-matrix mode cannot run p in the
// given mode, or returns "". It applies every op exactly but does not
// branch: classical control needs a shot's own outcomes, and in sample
// mode an op on a qubit after its measurement would need the outcome too.
func densityRefusal(p *circuit.Program, mode Mode) string {
	if mode == ModeState {
		return "state mode returns a state vector, not a density matrix"
	}
	// The top-level ops as they are: trimOps would drop only resets of
	// untouched qubits (never measured yet) and, in observe, trailing
	// measurements (not checked there), and copying them costs memory
	// a trajectories run does not count.
	measured := make([]bool, p.Qubits)
	for i := range p.Ops {
		o := &p.Ops[i]
		switch o.Kind {
		case circuit.OpIf, circuit.OpWhile:
			return fmt.Sprintf("the %s%s branches on measured bits, which a density matrix does not record", o.Kind, qsim.At(o.Pos))
		case circuit.OpChannel:
			if len(o.Qubits) > maxDensityChannelQubits {
				return fmt.Sprintf("the %s channel%s acts on %d qubits; the density-matrix mode applies channels on at most %d",
					o.Channel.Kind, qsim.At(o.Pos), len(o.Qubits), maxDensityChannelQubits)
			}
		case circuit.OpBarrier:
			continue
		}
		if mode != ModeSample {
			continue // observe: a measurement is a dephasing, exact whatever follows
		}
		for _, q := range o.Qubits {
			if measured[q] {
				return fmt.Sprintf("the %s%s acts on qubit %d after its measurement, which makes later outcomes depend on the recorded one", o.Kind, qsim.At(o.Pos), q)
			}
		}
		if o.Kind == circuit.OpMeasure {
			measured[o.Qubits[0]] = true
		}
	}
	return ""
}

// noisy reports whether p has a noise channel.
func noisy(p *circuit.Program) bool {
	found := false
	circuit.Walk(p.Ops, func(o *circuit.Op) { found = found || o.Kind == circuit.OpChannel })
	return found
}

// chooseMethod settles o.density. An explicit "density_matrix" that cannot
// run p is an InputError saying why. "auto" takes the density matrix for a
// noisy circuit of at most 14 qubits that it can run (see densityRefusal),
// unless observe was given shots (an estimate by sampling, which
// trajectories make) or the run would not fit in the memory budget.
func (s *Substrate) chooseMethod(p *circuit.Program, o *options) error {
	switch o.Method {
	case methodDensity:
		if why := densityRefusal(p, o.Mode); why != "" {
			return optionError("method", "%q cannot run this circuit: %s; use \"trajectories\"", methodDensity, why)
		}
		if o.Mode == ModeObserve && o.ShotsGiven {
			return optionError("method", "%q computes exact expectations; drop \"shots\", or use \"trajectories\" to estimate them from shots", methodDensity)
		}
		o.density = true
	case methodAuto:
		if o.Mode == ModeState || (o.Mode == ModeObserve && o.ShotsGiven) || p.Qubits > maxAutoDensityQubit ||
			!noisy(p) || densityRefusal(p, o.Mode) != "" {
			return nil
		}
		o.density = true
		if s.runUsage(p, o).total() > s.budget {
			o.density = false
		}
	}
	return nil
}

// densityPlan is a program compiled for the density-matrix mode: passes
// over the 2n-qubit state, and in sample mode the measurements.
type densityPlan struct {
	passes   []*pass
	measures []measurement
	gates    int
}

// superGate is the superoperator sum_i K_i ⊗ conj(K_i) of Kraus operators
// on qubits (index bit j = qubits[j]), as a gate on qubits and qubits+n.
func superGate(qubits []int, kraus [][]complex128, n int) gate {
	k := len(qubits)
	d := 1 << k
	dd := d * d
	m := make([]complex128, dd*dd)
	for _, K := range kraus {
		for r1 := range d {
			for r2 := range d {
				row := (r1 | r2<<k) * dd
				for c1 := range d {
					a := K[r1*d+c1]
					if a == 0 {
						continue
					}
					for c2 := range d {
						b := K[r2*d+c2]
						m[row+(c1|c2<<k)] += a * complex(real(b), -imag(b))
					}
				}
			}
		}
	}
	on := make([]int, 0, 2*k)
	on = append(on, qubits...)
	for _, q := range qubits {
		on = append(on, q+n)
	}
	return gate{Qubits: on, Mat: m}
}

// compileDensity builds the density-matrix plan of p for the parameter
// values params (p must pass densityRefusal for the mode).
func compileDensity(p *circuit.Program, params []float64, fusion int, mode Mode) (*densityPlan, error) {
	n := p.Qubits
	ops := qsim.TrimOps(p, mode != ModeSample)
	dp := &densityPlan{}
	var gates []gate
	for i := range ops {
		o := &ops[i]
		switch o.Kind {
		case circuit.OpGate:
			g := qsim.EvalGate(o, params)
			dp.gates++
			if len(g.Qubits) == 0 {
				continue // a global phase cancels in U rho U†
			}
			c := gate{Qubits: make([]int, len(g.Qubits)), NCtrl: g.NCtrl, Neg: g.Neg, Mat: make([]complex128, len(g.Mat))}
			for j, q := range g.Qubits {
				c.Qubits[j] = q + n
			}
			for j, v := range g.Mat {
				c.Mat[j] = complex(real(v), -imag(v))
			}
			gates = append(gates, g, c)
		case circuit.OpChannel:
			if err := o.Channel.Validate(len(o.Qubits)); err != nil {
				return nil, &sokr.ProgramError{Format: circuit.Format, Pos: o.Pos, Msg: err.Error()}
			}
			gates = append(gates, superGate(o.Qubits, o.Channel.KrausOps(len(o.Qubits)), n))
		case circuit.OpReset:
			// |0><0| and |0><1|: the qubit goes to |0>, whatever it was.
			gates = append(gates, superGate(o.Qubits, [][]complex128{{1, 0, 0, 0}, {0, 1, 0, 0}}, n))
		case circuit.OpMeasure:
			if mode == ModeSample {
				dp.measures = append(dp.measures, measurement{Qubit: o.Qubits[0], Clbit: o.Clbit})
				continue // nothing acts on the qubit after it (densityRefusal): sampled from diag(rho)
			}
			// Unrecorded, a measurement dephases: |0><0| and |1><1|.
			gates = append(gates, superGate(o.Qubits, [][]complex128{{1, 0, 0, 0}, {0, 0, 0, 1}}, n))
		case circuit.OpIf, circuit.OpWhile:
			return nil, &sokr.ProgramError{Format: circuit.Format, Pos: o.Pos, Msg: "the density-matrix mode cannot branch on measured bits"}
		}
	}
	dp.passes = passes(gates, fusion)
	return dp, nil
}

// densityFusion is the fusion used on the 2n-qubit state: the option's,
// though the default follows the size of that state.
func densityFusion(o *options, qubits int) int {
	if !o.FusionGiven && 2*qubits >= fusionThreshold {
		return defaultFusion
	}
	return o.Fusion
}

// density runs the density-matrix mode: rho evolves once, exactly; sample
// draws the shots from its diagonal, observe takes Tr(rho P) of each term.
func (r *runner[T]) density(params []float64) (sokr.Result, error) {
	n := r.p.Qubits
	fusion := densityFusion(r.o, n)
	dp, err := compileDensity(r.p, params, fusion, r.o.Mode)
	if err != nil {
		return sokr.Result{}, err
	}
	r.meta["method"] = methodDensity
	r.meta["gates"] = strconv.Itoa(dp.gates)
	r.meta["fused_gates"] = strconv.Itoa(len(dp.passes))
	r.meta["fusion"] = strconv.Itoa(fusion)
	rho, err := r.alloc(2 * n)
	if err != nil {
		return sokr.Result{}, err
	}
	rho.reset()
	if err := rho.applyAll(r.j, dp.passes); err != nil {
		return sokr.Result{}, err
	}
	if r.o.Mode == ModeObserve {
		r.meta["groups"] = strconv.Itoa(len(r.o.Terms))
		r.meta["terms"] = strconv.Itoa(len(r.o.Terms))
		out := make([]float64, len(r.o.Terms))
		for t, term := range r.o.Terms {
			out[t] = pauliTrace(rho, n, term.Paulis)
		}
		return sokr.Result{Outputs: []sokr.Output{{Name: "expectations", Tensor: sokr.FromSlice(out)}}, Meta: r.meta}, nil
	}
	// A state whose probabilities are diag(rho), for the sampler.
	x, err := r.alloc(n)
	if err != nil {
		return sokr.Result{}, err
	}
	stride := 1<<n + 1
	x.parallel(len(x.a), x.minParallel, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x.a[i] = T(complex(math.Sqrt(max(real(complex128(rho.a[i*stride])), 0)), 0))
		}
	})
	return r.sampleFrom(x, dp.measures)
}

// pauliTrace returns Re Tr(rho P) for the Pauli string P (letter k on
// qubit k): P|j> = c(j)|j xor x>, x the qubits with X or Y, and c(j) =
// i^(number of Y) (-1)^popcount(j & (Y or Z qubits)), so Tr(rho P) =
// sum_j c(j) rho[j][j xor x], one pass over 2^n elements of rho.
func pauliTrace[T amp](rho *sim[T], n int, paulis string) float64 {
	var flip, sign uint64
	ny := 0
	for q := range n {
		switch paulis[q] {
		case 'X':
			flip |= 1 << q
		case 'Y':
			flip |= 1 << q
			sign |= 1 << q
			ny++
		case 'Z':
			sign |= 1 << q
		}
	}
	s := reduce(rho.par(), 1<<n, 2, func(lo, hi int, acc []float64) {
		for j := lo; j < hi; j++ {
			v := complex128(rho.a[j|int(uint64(j)^flip)<<n])
			if bits.OnesCount64(uint64(j)&sign)&1 == 1 {
				v = -v
			}
			acc[0] += real(v)
			acc[1] += imag(v)
		}
	})
	v := complex(s[0], s[1])
	for range ny % 4 {
		v *= 1i
	}
	return real(v)
}

// densityUsage is what a density-matrix run of p with options o
// allocates: rho (4^n amplitudes), the plan (every gate twice, channels
// as superoperators on twice their qubits), and sampling's state of the
// diagonal or observe's expectations.
func (s *Substrate) densityUsage(p *circuit.Program, o *options) usage {
	var u usage
	size := int64(16)
	if o.Precision == Complex64 {
		size = 8
	}
	n := p.Qubits
	u.states = footprint.Object(stateBytes(2*n, size))
	fusion := densityFusion(o, n)
	var plan footprint.Tally
	gmax := 1
	circuit.Walk(p.Ops, func(op *circuit.Op) {
		switch op.Kind {
		case circuit.OpGate:
			gmax = max(gmax, len(op.Qubits))
		case circuit.OpChannel, circuit.OpReset, circuit.OpMeasure:
			gmax = max(gmax, 2*len(op.Qubits))
		}
	})
	perFused := perGateBytes(min(gmax, max(fusion, 1)), fusion)
	ops := int64(0)
	circuit.Walk(p.Ops, func(op *circuit.Op) {
		ops++
		switch op.Kind {
		case circuit.OpGate:
			tq := len(op.Qubits) - op.Controls
			plan.Add(footprint.Object(int64(8 * len(op.Params))))
			plan.Add(footprint.Mul(3, footprint.Object(16<<(2*tq)))) // the matrix, its conjugate
			plan.Add(footprint.Mul(2, footprint.Object(int64(8*len(op.Qubits)))))
			plan.Add(footprint.Mul(2, max(perFused, passBytes(tq))))
		case circuit.OpChannel, circuit.OpReset, circuit.OpMeasure:
			q := len(op.Qubits)
			plan.Add(footprint.Mul(16, footprint.Object(16<<(2*q)))) // the Kraus operators
			plan.Add(footprint.Object(16 << (4 * q)))                // the superoperator
			plan.Add(footprint.Object(int64(16 * q)))
			plan.Add(max(perFused, passBytes(2*q)))
		}
	})
	// The ops kept (trimOps), and the gates listed before fusion: two per
	// op, in slices grown by append, copied once more by passes.
	plan.Add(footprint.Object(footprint.Mul(ops, int64(unsafe.Sizeof(circuit.Op{})))))
	plan.Add(footprint.Mul(ops, 8*int64(unsafe.Sizeof(gate{}))))
	u.plan = plan.Bytes()

	var res, scratch footprint.Tally
	scratch.Add(runOverhead)
	amps := int64(1) << min(n, 62)
	chunks := (amps + reduceChunk - 1) / reduceChunk
	scratch.Object(footprint.Mul(chunks, 8, 4))
	scratch.Add(footprint.Mul(int64(s.workers), 1<<10))
	switch o.Mode {
	case ModeObserve:
		terms := int64(len(o.Terms))
		res.Object(footprint.Mul(terms, 8))
		scratch.Add(footprint.Mul(terms, footprint.Object(footprint.Mul(chunks, 2*8))))
	default:
		res.Add(footprint.Object(stateBytes(n, size))) // the diagonal as amplitudes
		res.Add(sampleUsage(p, o, amps, chunks))
	}
	u.results, u.scratch = res.Bytes(), scratch.Bytes()
	return u
}
