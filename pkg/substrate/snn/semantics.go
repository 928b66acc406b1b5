package snn

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/internal/opt"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Defaults of the dispatch options.
const (
	// DefaultDT is the simulation time step in seconds: 0.1 ms, the step of
	// the NIR paper's experiments (Pedersen et al., "Neuromorphic
	// intermediate representation", Nature Communications 15, 8122 (2024);
	// the lif_*.csv recordings in its repository are 1000 steps at 1e-4 s).
	DefaultDT = 1e-4
	// DefaultSpikeAmplitude is the value a spike carries: 1, as NIR defines
	// a spike z ∈ {0, 1} (the Heaviside step in its LIF, IF, CubaLIF and
	// Threshold definitions). Simulators that treat spikes as Dirac deltas
	// of unit area (Nengo, Brian2) carry 1/dt instead.
	DefaultSpikeAmplitude = 1.0
	// DefaultRecurrentDelay is the number of steps a recurrent edge delays
	// its signal: one, the least that makes a cycle computable step by step.
	DefaultRecurrentDelay = 1
)

// Option names (keys of sokr.Options.Params).
const (
	OptDT             = "dt"
	OptSolver         = "solver"
	OptReset          = "reset"
	OptSpikeTiming    = "spike_timing"
	OptSynapticDelay  = "synaptic_delay"
	OptRecurrentDelay = "recurrent_delay"
	OptSpikeAmplitude = "spike_amplitude"
	OptPrecision      = "precision"
	OptPropagation    = "propagation"
	OptRecord         = "record"
	OptSession        = "session"
	OptSessionReset   = "session_reset"
	OptInitialState   = "initial_state"
	OptFinalState     = "final_state"
)

// Initial states: what the neuron state variables hold before the first
// step (the "initial_state" option). NIR does not say; simulators differ
// (SOKR, snnTorch and Rockpool start at zero, Norse at v_leak), so the
// choice is an option and recorded in every result's Meta.
const (
	InitialZero  = neuron.InitialZero  // every v and i is 0 (the default)
	InitialVLeak = neuron.InitialVLeak // v = v_leak (LIF, LI, CubaLIF, CubaLI; IF and I start at 0), i = 0
	InitialGiven = neuron.InitialGiven // values given per node and variable, the rest 0
)

// Solvers: how the neuron ODEs are discretised over one step.
const (
	SolverEuler   = neuron.Euler   // forward Euler
	SolverExact   = neuron.Exact   // exact integration, input held constant over the step
	SolverImpulse = neuron.Impulse // exact decay, input as an impulse of area dt·x at the step's end
)

// Reset modes.
const (
	ResetToVReset = "to_v_reset" // v = v_reset (NIR's definition)
	ResetZero     = "zero"       // v = 0 whatever v_reset says
	ResetSubtract = "subtract"   // v -= v_threshold
)

// Spike timings.
const (
	SpikeAfterUpdate  = "after_update"  // the spike is read from the updated v (NIR)
	SpikeBeforeUpdate = "before_update" // from v at the start of the step
)

// Propagation modes.
const (
	PropagationAuto  = "auto"
	PropagationEvent = "event"
	PropagationDense = "dense"
)

// semantics are the parsed dispatch options.
type semantics struct {
	dt             float64
	solver         string
	reset          string
	spikeTiming    string
	synapticDelay  int
	recurrentDelay int
	amplitude      float64
	precision      sokr.DType
	propagation    string
	record         []string
	session        string
	sessionReset   bool
	// initial is InitialZero, InitialVLeak or InitialGiven; initialValues
	// holds the given values, by node path and variable ("v", "i"): one
	// per neuron (the same for every batch row) or batch × neurons.
	initial       string
	initialValues map[string]map[string][]float64
	// finalState asks for the state variables after the last step as
	// outputs "state:NODE.v" and "state:NODE.i".
	finalState bool
}

// same reports whether two runs' semantics give a session the same model
// (recording and session handling may differ between chunks).
func (s semantics) same(o semantics) bool {
	return s.dt == o.dt && s.solver == o.solver && s.reset == o.reset && s.spikeTiming == o.spikeTiming &&
		s.synapticDelay == o.synapticDelay && s.recurrentDelay == o.recurrentDelay &&
		s.amplitude == o.amplitude && s.precision == o.precision
}

// meta records the semantics in a result's Meta.
func (s semantics) meta() map[string]string {
	return map[string]string{
		OptDT:             strconv.FormatFloat(s.dt, 'g', -1, 64),
		OptSolver:         s.solver,
		OptReset:          s.reset,
		OptSpikeTiming:    s.spikeTiming,
		OptSynapticDelay:  strconv.Itoa(s.synapticDelay),
		OptRecurrentDelay: strconv.Itoa(s.recurrentDelay),
		OptSpikeAmplitude: strconv.FormatFloat(s.amplitude, 'g', -1, 64),
		OptPrecision:      s.precision.String(),
		OptInitialState:   s.initial,
	}
}

var knownOptions = []string{OptDT, OptSolver, OptReset, OptSpikeTiming, OptSynapticDelay, OptRecurrentDelay,
	OptSpikeAmplitude, OptPrecision, OptPropagation, OptRecord, OptSession, OptSessionReset, OptInitialState, OptFinalState}

// parseSemantics reads the dispatch options, refusing unknown names and
// bad values with an *sokr.InputError naming the option.
func parseSemantics(params map[string]any) (semantics, error) {
	s := semantics{
		dt: DefaultDT, solver: SolverEuler, reset: ResetToVReset, spikeTiming: SpikeAfterUpdate,
		recurrentDelay: DefaultRecurrentDelay, amplitude: DefaultSpikeAmplitude, precision: sokr.F32,
		propagation: PropagationAuto, initial: InitialZero,
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := params[name]
		var err error
		switch name {
		case OptDT:
			s.dt, err = opt.Number(name, v)
			if err == nil && !(s.dt > 0 && !math.IsInf(s.dt, 0)) {
				err = opt.Err(name, "must be a positive number of seconds, not %v", v)
			}
		case OptSolver:
			s.solver, err = opt.Choice(name, v, SolverEuler, SolverExact, SolverImpulse)
		case OptReset:
			s.reset, err = opt.Choice(name, v, ResetToVReset, ResetZero, ResetSubtract)
		case OptSpikeTiming:
			s.spikeTiming, err = opt.Choice(name, v, SpikeAfterUpdate, SpikeBeforeUpdate)
		case OptSynapticDelay:
			s.synapticDelay, err = integer(name, v, 0)
		case OptRecurrentDelay:
			s.recurrentDelay, err = integer(name, v, 1)
		case OptSpikeAmplitude:
			s.amplitude, err = opt.Number(name, v)
			if err == nil && (math.IsNaN(s.amplitude) || math.IsInf(s.amplitude, 0)) {
				err = opt.Err(name, "must be finite, not %v", v)
			}
		case OptPrecision:
			var p string
			p, err = opt.Choice(name, v, "f32", "f64")
			s.precision, _ = sokr.ParseDType(p)
		case OptPropagation:
			s.propagation, err = opt.Choice(name, v, PropagationAuto, PropagationEvent, PropagationDense)
		case OptRecord:
			s.record, err = opt.Probes(name, v)
		case OptSession:
			str, ok := v.(string)
			if !ok || str == "" {
				err = opt.Err(name, "must be a non-empty string, not %v", v)
			}
			s.session = str
		case OptSessionReset:
			b, ok := v.(bool)
			if !ok {
				err = opt.Err(name, "must be true or false, not %v", v)
			}
			s.sessionReset = b
		case OptInitialState:
			s.initial, s.initialValues, err = neuron.InitialState(v)
		case OptFinalState:
			b, ok := v.(bool)
			if !ok {
				err = opt.Err(name, "must be true or false, not %v", v)
			}
			s.finalState = b
		default:
			err = opt.Err(name, "unknown option; the snn substrate takes %s", strings.Join(knownOptions, ", "))
		}
		if err != nil {
			return s, err
		}
	}
	if s.sessionReset && s.session == "" {
		return s, opt.Err(OptSessionReset, "needs the %q option", OptSession)
	}
	return s, nil
}

func integer(name string, v any, least int) (int, error) {
	f, err := opt.Number(name, v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < float64(least) || f > 1<<30 {
		return 0, opt.Err(name, "must be a whole number of steps ≥ %d, not %v", least, v)
	}
	return int(f), nil
}

// checkInitial verifies the given initial values against the network and
// the batch: each names a node and one of its state variables, with one
// value per element or per batch row and element, times the rows of a
// delay line or recurrent history (initialRows).
func checkInitial(net *network, sem semantics, batch int) error {
	for _, node := range sortedKeys(sem.initialValues) {
		for _, name := range sortedKeys(sem.initialValues[node]) {
			rows, n, err := initialRows(net, sem, node, name)
			if err != nil {
				return err
			}
			if err := neuron.CheckCount(node, name, len(sem.initialValues[node][name]), rows, n, batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// initialRows returns how many rows of n values variable name of node
// holds: 1 row of the population for a neuron's v and i; a delay line's
// longest delay in steps (neuron.DelayLine, of a Delay node or of a
// synaptic delay "NEURON.synapse") and recurrent_delay rows for a node that
// recurrent edges read (neuron.Recurrent).
func initialRows(net *network, sem semantics, node, name string) (rows, n int, err error) {
	ui := net.unitNamed(node)
	if ui < 0 {
		if base, ok := strings.CutSuffix(node, neuron.SynapseSuffix); ok && sem.synapticDelay > 0 {
			if b := net.unitNamed(base); b >= 0 && net.units[b].op == opNeuron && name == neuron.DelayLine {
				return sem.synapticDelay, net.units[b].inSize(), nil
			}
		}
		return 0, 0, opt.Err(OptInitialState, "the graph has no node %q", node)
	}
	u := net.units[ui]
	has := stateVariables(net, ui)
	if !slices.Contains(has, name) {
		if len(has) == 0 {
			return 0, 0, opt.Err(OptInitialState, "node %q (%s) has no state variables (neurons have v, CubaLIF and CubaLI also i; Delay nodes %s, and nodes that recurrent edges read %s)",
				node, describeUnit(u), neuron.DelayLine, neuron.Recurrent)
		}
		return 0, 0, opt.Err(OptInitialState, "node %q (%s) has no state variable %q (it has %s)", node, describeUnit(u), name, strings.Join(has, ", "))
	}
	switch name {
	case neuron.DelayLine:
		d, err := maxDelaySteps(u, sem.dt)
		if err != nil {
			return 0, 0, &sokr.InputError{Index: -1, Name: OptInitialState, Msg: err.Error()}
		}
		return d, u.inSize(), nil
	case neuron.Recurrent:
		return sem.recurrentDelay, u.outSize(), nil
	}
	return 1, u.outSize(), nil
}

// stateVariables lists unit ui's state variables: v (and i) of a neuron,
// the delay line of a Delay unit, the recurrent history of a unit that a
// recurrent edge reads.
func stateVariables(net *network, ui int) []string {
	u := net.units[ui]
	var has []string
	switch u.op {
	case opNeuron:
		has = append(has, "v")
		if u.neuron.model.current() {
			has = append(has, "i")
		}
	case opDelay:
		has = append(has, neuron.DelayLine)
	}
	for _, w := range net.units {
		for _, s := range w.inputs {
			if s.recurrent && s.unit == ui && !slices.Contains(has, neuron.Recurrent) {
				has = append(has, neuron.Recurrent)
			}
		}
	}
	return has
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
