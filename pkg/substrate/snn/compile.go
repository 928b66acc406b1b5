package snn

import (
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
)

// compiled is a network ready to run with given semantics, in precision F:
// the neuron updates discretised, weights transposed, delays in steps.
type compiled[F float] struct {
	net   *network
	sem   semantics
	units []unitCode[F]
	// recSource marks the units read by a recurrent edge: their outputs
	// are kept for recurrent_delay steps.
	recSource []bool
	// warnings say what in the semantics is likely not what the user
	// meant (forward Euler with dt > 2τ), reported in Result.Meta.
	warnings []string
}

// unitCode is what a unit needs at run time, in F.
type unitCode[F float] struct {
	neuron *neuronKernel[F]
	// opAffine: the weight as read, [out, in], and its layouts in F, each
	// made at its first use (denseWeight, packedWeight), since a run at
	// low activity never needs the dense one and a run at high activity
	// never needs the packed one (their conversion is the largest part of
	// compiling a big layer).
	src       []float64
	nin, nout int
	w         []F // the weight, [out, in] (dense propagation through the BLAS)
	wp        []F // the weight packed for event-driven propagation (packWeight)
	wt        []F // the weight transposed, made when the Go matrix kernel needs it
	bias      []F // opAffine, opConv: [out] or nil
	scale     []F
	threshold []F
	conv      []F   // opConv: the weight as given, [cout, cin/groups, kh, kw]
	delay     []int // opDelay: steps per element
	maxDelay  int
}

// withSynapticDelay returns net with a delay line of k steps in front of
// every neuron population (the "synaptic_delay" option).
func withSynapticDelay(net *network, k int, dt float64) *network {
	if k == 0 {
		return net
	}
	out := &network{recurrent: net.recurrent}
	pos := make([]int, len(net.units)) // old index -> new index
	var remap []*unit                  // units whose inputs still use old indices
	for i, u := range net.units {
		if u.op == opNeuron {
			d := &unit{name: u.name + ".synapse", op: opDelay, inShape: u.inShape, outShape: u.inShape, inputs: u.inputs}
			d.delay = make([]float64, u.inSize())
			for e := range d.delay {
				d.delay[e] = float64(k) * dt
			}
			out.units = append(out.units, d)
			remap = append(remap, d)
			nu := *u
			nu.inputs = []source{{unit: len(out.units) - 1}}
			out.units = append(out.units, &nu)
		} else {
			nu := *u
			out.units = append(out.units, &nu)
			remap = append(remap, &nu)
		}
		pos[i] = len(out.units) - 1
	}
	for _, u := range remap {
		ins := make([]source, len(u.inputs))
		for j, s := range u.inputs {
			ins[j] = source{unit: pos[s.unit], recurrent: s.recurrent}
		}
		u.inputs = ins
	}
	for _, i := range net.inputs {
		out.inputs = append(out.inputs, pos[i])
	}
	for _, i := range net.outputs {
		out.outputs = append(out.outputs, pos[i])
	}
	return out
}

// compile prepares net for a run. Errors name the node at fault.
func compile[F float](net *network, sem semantics) (*compiled[F], error) {
	net = withSynapticDelay(net, sem.synapticDelay, sem.dt)
	c := &compiled[F]{net: net, sem: sem, units: make([]unitCode[F], len(net.units)), recSource: make([]bool, len(net.units))}
	for i, u := range net.units {
		for _, s := range u.inputs {
			if s.recurrent {
				c.recSource[s.unit] = true
			}
		}
		uc := &c.units[i]
		switch u.op {
		case opNeuron:
			k, err := neuronCoefficients[F](u.neuron, sem)
			if err != nil {
				return nil, fmt.Errorf("node %q (%s): %w", u.name, u.neuron.model, err)
			}
			uc.neuron = k
			if w := eulerWarning(u, sem); w != "" {
				c.warnings = append(c.warnings, w)
			}
		case opAffine:
			uc.src, uc.nin, uc.nout = u.weight, u.inSize(), u.outSize()
			uc.bias = convert[F](u.bias)
		case opScale:
			uc.scale = convert[F](u.scale)
		case opThreshold:
			uc.threshold = convert[F](u.threshold)
		case opConv:
			uc.conv, uc.bias = convert[F](u.conv.weight), convert[F](u.conv.bias)
		case opDelay:
			dmax, err := maxDelaySteps(u, sem.dt)
			if err != nil {
				return nil, err
			}
			uc.delay = make([]int, len(u.delay))
			for e, d := range u.delay {
				uc.delay[e] = int(math.Round(d / sem.dt))
			}
			uc.maxDelay = dmax
		}
	}
	return c, nil
}

// maxDelaySteps checks that every delay of a Delay unit is a whole number
// of steps of dt, at most maxDelay, and returns the longest in steps: the
// rows of the unit's delay line. It allocates nothing, so that a run's
// memory can be worked out before its delay lines are made.
func maxDelaySteps(u *unit, dt float64) (int, error) {
	dmax := 0
	for _, d := range u.delay {
		steps := math.Round(d / dt)
		switch {
		case d < 0 || math.IsNaN(d) || math.IsInf(d, 0):
			return 0, fmt.Errorf("node %q: delay %g s: a delay is a finite, non-negative time", u.name, d)
		case steps > maxDelay:
			return 0, fmt.Errorf("node %q: delay %g s is %g steps of dt = %g s, more than the %d steps a delay line holds", u.name, d, steps, dt, maxDelay)
		case math.Abs(steps*dt-d) > 1e-6*dt+1e-12*math.Abs(d):
			return 0, fmt.Errorf("node %q: delay %g s is not a whole number of steps of dt = %g s", u.name, d, dt)
		}
		dmax = max(dmax, int(steps))
	}
	return dmax, nil
}

// maxDelay bounds a delay in steps: 2^24, 28 minutes at the default dt,
// far beyond any network's delays, and small enough that the count of
// steps is exact in float64 and in an int on every platform.
const maxDelay = 1 << 24

// convertGrain is the fewest weights worth a goroutine when converting or
// packing a layer's weight.
const convertGrain = 1 << 16

// denseWeight returns the weight in F, [out, in], converting it at the
// first call, on workers goroutines. The runner calls it from one
// goroutine, so it needs no lock.
func (uc *unitCode[F]) denseWeight(workers int) []F {
	if uc.w == nil {
		uc.w = make([]F, len(uc.src))
		parallel.For(workers, len(uc.src), convertGrain, func(_, lo, hi int) {
			for i, v := range uc.src[lo:hi] {
				uc.w[lo+i] = F(v)
			}
		})
	}
	return uc.w
}

// packedWeight returns the weight packed for event-driven propagation
// (packWeight), packing it at the first call, on workers goroutines.
func (uc *unitCode[F]) packedWeight(workers int) []F {
	if uc.wp == nil {
		uc.wp = packWeightOn[F](uc.src, uc.nin, uc.nout, workers)
	}
	return uc.wp
}

// convert rounds a parameter array to F (nil stays nil).
func convert[F float](x []float64) []F {
	if x == nil {
		return nil
	}
	out := make([]F, len(x))
	for i, v := range x {
		out[i] = F(v)
	}
	return out
}

// eulerWarning says when forward Euler is unstable for a population
// (neuron.EulerWarning).
func eulerWarning(u *unit, sem semantics) string {
	if sem.solver != SolverEuler {
		return ""
	}
	p := u.neuron
	return neuron.EulerWarning(u.name, string(p.model), sem.dt, p.tau, p.tauSyn, p.tauMem)
}
