package statevec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/dirty"
	"github.com/sokr-rs/sokr/pkg/internal/offheap"
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// maxWhileIterations bounds the iterations of one execution of a while
// loop (qsim.MaxWhileIterations): a loop that has not ended by then (a
// repeat-until-success loop whose success probability is zero, say)
// faults instead of hanging.
const maxWhileIterations = qsim.MaxWhileIterations

// sim is a state vector and the means to update it in place.
type sim[T amp] struct {
	a           []T
	workers     int
	minParallel int
	mapped      []byte // a's memory when mapped off the heap (see newSim), for free
}

// newSim allocates an n-qubit state, not initialized, on Go's heap.
func newSim[T amp](n, workers, minParallel int) *sim[T] {
	var z T
	b := dirty.Bytes(int(unsafe.Sizeof(z)) << n)
	return &sim[T]{a: unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), 1<<n), workers: workers, minParallel: minParallel}
}

// mapFrom is the state size from which mapSim maps; tests lower it.
var mapFrom = offheap.Threshold

// mapSim allocates an n-qubit state for the length of one run: from the
// operating system when it is large (see package offheap), so that a
// refused allocation is an error rather than Go's fatal out of memory, and
// the memory is back the moment free is called rather than at the next
// collection. Small states come from the heap. The state must not outlive
// free: results that hand the state out use newSim.
func mapSim[T amp](n, workers, minParallel int) (*sim[T], error) {
	var z T
	size := int(unsafe.Sizeof(z)) << n
	if size < mapFrom {
		return newSim[T](n, workers, minParallel), nil
	}
	b, err := offheap.Map(size)
	if err != nil {
		return nil, err
	}
	return &sim[T]{a: unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), 1<<n), workers: workers, minParallel: minParallel, mapped: b}, nil
}

// AllocatedOutsideHeap reports the bytes of state mapped off the heap
// since the process started (see mapSim), for sokrtest.CheckEstimate.
func (s *Substrate) AllocatedOutsideHeap() int64 { return offheap.Total() }

// free gives a mapped state back to the operating system; a heap state is
// left to the collector. x is unusable afterwards.
func (x *sim[T]) free() {
	if x.mapped != nil {
		offheap.Unmap(x.mapped)
	}
	x.a, x.mapped = nil, nil
}

// parallel runs fn over [0, n) items of work on the amplitudes, split
// across the workers when the state is large enough.
func (x *sim[T]) parallel(n, grain int, fn func(lo, hi int)) {
	if len(x.a) < x.minParallel || x.workers < 2 {
		fn(0, n)
		return
	}
	parallelFor(x.workers, n, max(grain, 1), fn)
}

// reset sets the state to |0...0>.
func (x *sim[T]) reset() {
	x.parallel(len(x.a), x.minParallel, func(lo, hi int) { clear(x.a[lo:hi]) })
	x.a[0] = 1
}

// copyFrom sets the state to src's.
func (x *sim[T]) copyFrom(src *sim[T]) {
	x.parallel(len(x.a), x.minParallel, func(lo, hi int) { copy(x.a[lo:hi], src.a[lo:hi]) })
}

// apply runs one pass over the state.
func (x *sim[T]) apply(p *pass) { x.applyStop(p, nil) }

// applyStop runs one pass over the state. A cache-blocked stage asks stop
// (when not nil) between chunks and skips the rest once it reports true:
// a stage on a large state takes seconds. The state is then unusable.
func (x *sim[T]) applyStop(p *pass, stop func() bool) {
	if p.stage != nil {
		x.applyStage(p.stage, stop)
		return
	}
	nb := len(x.a) >> len(p.Pos)
	if w := laneBits[T](); lanesFor[T](p) != nil && nb>>w > 0 {
		// Pieces of whole vectors, so that every amplitude goes through the
		// kernels across lanes whatever the number of workers.
		x.parallel(nb>>w, x.minParallel>>len(p.Pos)>>w, func(lo, hi int) { runPass(p, x.a, lo<<w, hi<<w) })
		return
	}
	x.parallel(nb, x.minParallel>>len(p.Pos), func(lo, hi int) { runPass(p, x.a, lo, hi) })
}

// applyJob runs one pass, a stage stopping early when j is done.
func (x *sim[T]) applyJob(j *sokr.Job, p *pass) error {
	if p.stage == nil {
		x.apply(p)
		return nil
	}
	x.applyStop(p, func() bool { return j.Err() != nil })
	return j.Err()
}

// applyAll runs the passes, stopping early when ctx is done.
func (x *sim[T]) applyAll(j *sokr.Job, ps []*pass) error {
	for _, p := range ps {
		if err := j.Err(); err != nil {
			return err
		}
		if err := x.applyJob(j, p); err != nil {
			return err
		}
	}
	return nil
}

func norm2[T amp](v T) float64 {
	c := complex128(v)
	return real(c)*real(c) + imag(c)*imag(c)
}

// qubitProbs returns the weights of qubit q being |0> and |1>.
func (x *sim[T]) qubitProbs(q int) (p0, p1 float64) {
	s := reduce(x.par(), len(x.a), 2, func(lo, hi int, acc []float64) {
		for i := lo; i < hi; i++ {
			acc[i>>q&1] += norm2(x.a[i])
		}
	})
	return s[0], s[1]
}

// par is the number of workers for a reduction over the state.
func (x *sim[T]) par() int {
	if len(x.a) < x.minParallel {
		return 1
	}
	return x.workers
}

// measure measures qubit q: it draws the outcome with its probability,
// collapses the state onto it and renormalises.
func (x *sim[T]) measure(q int, rng *rand.Rand) int {
	p0, p1 := x.qubitProbs(q)
	outcome := 0
	if rng.Float64()*(p0+p1) >= p0 {
		outcome = 1
	}
	keep := p0
	if outcome == 1 {
		keep = p1
	}
	s := complex(1/math.Sqrt(keep), 0)
	d := []complex128{s, 0, 0, 0}
	if outcome == 1 {
		d = []complex128{0, 0, 0, s}
	}
	x.apply(newPass([]int{q}, d, nil, 0))
	return outcome
}

// applyChannel applies one randomly chosen operator of a noise channel, as
// a quantum trajectory does: a mixed-unitary channel picks its unitary by
// its fixed probability; a general one picks Kraus operator K_i with
// probability ||K_i psi||^2 and renormalises.
func (x *sim[T]) applyChannel(ch *qsim.Channel, cpu map[*qsim.Pass]*pass, rng *rand.Rand) {
	if ch.Weights != nil {
		i := qsim.Pick(ch.Weights, rng)
		if u := ch.Units[i]; u != nil {
			x.apply(cpu[u])
		}
		return
	}
	rho := x.reducedDensity(ch.Qubits)
	d := 1 << len(ch.Qubits)
	probs := make([]float64, len(ch.Ops))
	for i, k := range ch.Ops {
		// Tr(K rho K†) = sum over r, a, b of K[r][a] rho[a][b] conj(K[r][b]).
		var s complex128
		for r := range d {
			for a := range d {
				if k[r*d+a] == 0 {
					continue
				}
				var t complex128
				for b := range d {
					t += rho[a*d+b] * complex(real(k[r*d+b]), -imag(k[r*d+b]))
				}
				s += k[r*d+a] * t
			}
		}
		probs[i] = max(real(s), 0)
	}
	i := qsim.Pick(probs, rng)
	f := complex(1/math.Sqrt(probs[i]), 0)
	m := make([]complex128, len(ch.Ops[i]))
	for j, v := range ch.Ops[i] {
		m[j] = v * f
	}
	x.apply(newPass(ch.Qubits, m, nil, 0))
}

// reducedDensity returns the density matrix of the qubits (index bit j is
// qubits[j]), row-major.
func (x *sim[T]) reducedDensity(qubits []int) []complex128 {
	d := 1 << len(qubits)
	lay := qsim.NewPass(qubits, qsim.Identity(d), nil, 0) // for its index layout
	off := make([]int, d)                                 // offsets in the channel's qubit order
	for r := range d {
		for j, q := range qubits {
			off[r] |= (r >> j & 1) << q
		}
	}
	nb := len(x.a) >> len(qubits)
	s := reduce(x.par(), nb, 2*d*d, func(lo, hi int, acc []float64) {
		v := make([]complex128, d)
		for b := lo; b < hi; b++ {
			idx := lay.Index(b)
			for r := range d {
				v[r] = complex128(x.a[idx+off[r]])
			}
			for r, vr := range v {
				if vr == 0 {
					continue
				}
				for c, vc := range v {
					p := vr * complex(real(vc), -imag(vc))
					acc[2*(r*d+c)] += real(p)
					acc[2*(r*d+c)+1] += imag(p)
				}
			}
		}
	})
	rho := make([]complex128, d*d)
	for i := range rho {
		rho[i] = complex(s[2*i], s[2*i+1])
	}
	return rho
}

// run executes the per-shot steps, writing measured bits into bits; cpu
// holds the steps' qsim passes with the CPU layout (plan.cpu).
func (x *sim[T]) run(j *sokr.Job, steps []step, cpu map[*qsim.Pass]*pass, bits []bool, rng *rand.Rand) error {
	for i := range steps {
		st := &steps[i]
		switch st.Kind {
		case qsim.StepPass:
			if err := x.applyJob(j, st.Pass); err != nil {
				return err
			}
		case qsim.StepMeasure:
			bits[st.Clbit] = x.measure(st.Qubit, rng) == 1
		case qsim.StepReset:
			if x.measure(st.Qubit, rng) == 1 {
				x.apply(cpu[st.Flip])
			}
		case qsim.StepChannel:
			x.applyChannel(st.Ch, cpu, rng)
		case qsim.StepIf:
			branch := st.Else
			if st.Cond.Holds(bits) {
				branch = st.Then
			}
			if err := x.run(j, branch, cpu, bits, rng); err != nil {
				return err
			}
		case qsim.StepWhile:
			for n := 0; st.Cond.Holds(bits); n++ {
				if n == maxWhileIterations {
					return &sokr.FaultError{Substrate: Name, Msg: fmt.Sprintf(
						"the while loop%s ran %d iterations without its condition (%s) failing; giving up", qsim.At(st.Pos), n, condString(st.Cond))}
				}
				if err := j.Err(); err != nil {
					return err
				}
				if err := x.run(j, st.Then, cpu, bits, rng); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func condString(c circuit.Cond) string {
	return fmt.Sprintf("bits %v %s %d", c.Clbits, c.Cmp, c.Value)
}
