package snn

import (
	"fmt"
	"math"
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
}

// unitCode is what a unit needs at run time, in F.
type unitCode[F float] struct {
	neuron    *neuronKernel[F]
	w         []F // opAffine: the weight, [out, in] (dense propagation)
	wp        []F // opAffine: the weight packed for event-driven propagation
	wt        []F // opAffine: the weight transposed, made when the Go matrix kernel needs it
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
		case opAffine:
			uc.w, uc.wp = convert[F](u.weight), packWeight[F](u.weight, u.inSize(), u.outSize())
			uc.bias = convert[F](u.bias)
		case opScale:
			uc.scale = convert[F](u.scale)
		case opThreshold:
			uc.threshold = convert[F](u.threshold)
		case opConv:
			uc.conv, uc.bias = convert[F](u.conv.weight), convert[F](u.conv.bias)
		case opDelay:
			uc.delay = make([]int, len(u.delay))
			for e, d := range u.delay {
				steps := math.Round(d / sem.dt)
				if d < 0 || math.IsNaN(d) || steps > 1<<24 || math.Abs(steps*sem.dt-d) > 1e-6*sem.dt+1e-12*math.Abs(d) {
					return nil, fmt.Errorf("node %q: delay %g s is not a whole number of steps of dt = %g s", u.name, d, sem.dt)
				}
				uc.delay[e] = int(steps)
				uc.maxDelay = max(uc.maxDelay, int(steps))
			}
		}
	}
	return c, nil
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
