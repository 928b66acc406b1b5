package snn

// opKind is what a unit of the flattened network computes.
type opKind int

const (
	opInput     opKind = iota // a graph input: the dispatch's tensor
	opOutput                  // a graph output: the sum of its inputs, recorded
	opNeuron                  // LIF, CubaLIF, IF, LI, CubaLI, I
	opAffine                  // y = W x + b (Linear has no bias)
	opScale                   // y = s ⊙ x
	opConv                    // Conv1d and Conv2d (a 1-d convolution has height 1)
	opSumPool                 // SumPool2d
	opAvgPool                 // AvgPool2d
	opFlatten                 // a reshape: the data is unchanged
	opDelay                   // y(t) = x(t - τ), per element
	opThreshold               // y = amplitude if x > θ else 0
)

// neuronModel names the NIR neuron primitives.
type neuronModel string

const (
	modelLIF     neuronModel = "LIF"
	modelCubaLIF neuronModel = "CubaLIF"
	modelIF      neuronModel = "IF"
	modelLI      neuronModel = "LI"
	modelCubaLI  neuronModel = "CubaLI"
	modelI       neuronModel = "I"
)

// spiking reports whether the model fires (and so has a threshold).
func (m neuronModel) spiking() bool { return m == modelLIF || m == modelCubaLIF || m == modelIF }

// current reports whether the model has a synaptic current state.
func (m neuronModel) current() bool { return m == modelCubaLIF || m == modelCubaLI }

// neuronParams are a population's NIR parameters in SI units, one value
// per neuron (row-major over the population's shape). Parameters the model
// does not have are nil.
type neuronParams struct {
	model                     neuronModel
	tau, tauSyn, tauMem       []float64 // seconds
	r, vLeak, vThresh, vReset []float64
	wIn                       []float64
}

// convParams describe Conv1d (h = 1) and Conv2d over inputs [C, H, W].
type convParams struct {
	weight           []float64 // [cout, cin/groups, kh, kw]
	bias             []float64 // [cout] or nil
	cin, cout        int
	kh, kw           int
	strideH, strideW int
	padH, padW       int
	dilH, dilW       int
	groups           int
	inH, inW         int
	outH, outW       int
}

// poolParams describe SumPool2d and AvgPool2d over inputs [C, H, W].
type poolParams struct {
	c, inH, inW, outH, outW int
	kh, kw, sh, sw, ph, pw  int
}

// unit is one node of the flattened network. Nested graphs are inlined:
// a unit's name is its path, "G.NODE".
type unit struct {
	name     string
	op       opKind
	inShape  []int // per sample, without the time and batch dimensions
	outShape []int
	inputs   []source // summed

	neuron    *neuronParams
	weight    []float64 // opAffine: [out, in]
	bias      []float64 // opAffine: [out] or nil (Linear)
	scale     []float64 // opScale
	conv      *convParams
	pool      *poolParams
	delay     []float64 // opDelay: seconds per element
	threshold []float64 // opThreshold
}

func (u *unit) inSize() int  { return shapeSize(u.inShape) }
func (u *unit) outSize() int { return shapeSize(u.outShape) }

// source is an edge into a unit. A recurrent edge closes a cycle: its value
// at step t is the source's output at step t - recurrent_delay.
type source struct {
	unit      int
	recurrent bool
}

// network is a NIR graph flattened for simulation: units in an order in
// which every non-recurrent edge goes forward.
type network struct {
	units   []*unit
	inputs  []int // the opInput units, in the graph's input order
	outputs []int // the opOutput units, in the graph's output order
	// recurrent is set when some edge is recurrent.
	recurrent bool
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// unitNamed returns the index of the unit called name, or -1.
func (n *network) unitNamed(name string) int {
	for i, u := range n.units {
		if u.name == name {
			return i
		}
	}
	return -1
}
