package qsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/opt"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Defaults and bounds of the dispatch options.
const (
	DefaultShots        = 1000 // "shots"
	DefaultTrajectories = 1000 // "trajectories"
	// DefaultFusion is the largest block fused by default: 5 qubits, as
	// Qiskit Aer's fusion_max_qubit; measured best on Zen 4 for complex128
	// and complex64 (docs/benchmarks.md).
	DefaultFusion = 5
	// FusionThreshold is the fewest qubits for fusion to be on by default
	// (Aer's fusion_threshold is 14): below it a pass takes microseconds
	// and building fused matrices costs as much as it saves.
	FusionThreshold = 10
	MaxShots        = 1 << 30 // the most shots or trajectories
)

// Mode is what a dispatch computes (option "mode").
type Mode string

// The modes.
const (
	ModeSample  Mode = "sample"  // counts of measured bitstrings
	ModeObserve Mode = "observe" // expectation values of Pauli terms
	ModeState   Mode = "state"   // the final state vector
)

// Precision is the amplitude type (option "precision").
type Precision string

// The precisions.
const (
	Complex128 Precision = "complex128"
	Complex64  Precision = "complex64"
)

// PauliTerm is a term of an observable for Go callers: Coef times the
// tensor product of Paulis, a string of 'I', 'X', 'Y', 'Z' with one letter
// per qubit, character k acting on qubit k (so "ZI" is Z on qubit 0).
// The expectations output leaves Coef out; it is checked, not used.
type PauliTerm struct {
	Coef   complex128
	Paulis string
}

// Options are the parsed dispatch options.
type Options struct {
	Mode         Mode
	Shots        int  // "shots", or DefaultShots
	ShotsGiven   bool // "shots" was given
	Precision    Precision
	Terms        []PauliTerm // "observable" (observe mode)
	Fusion       int         // the most qubits of a fused pass; 0 or 1: no fusion
	FusionGiven  bool        // "fusion" was given
	Trajectories int
	Seed         uint64 // the run's seed, or a random one
	HasSeed      bool   // the seed was given
	// Method is the option as given ("auto" by default).
	Method string
}

// The values of the "method" option.
const (
	MethodAuto         = "auto"           // the substrate chooses
	MethodDensity      = "density_matrix" // the density matrix
	MethodStatevector  = "statevector"    // the state vector, trajectories where noisy
	MethodTrajectories = "trajectories"   // trajectories of the state vector
)

// knownOptions lists the option names; others are an error, so that a
// misspelt option is not silently ignored.
var knownOptions = []string{"mode", "shots", "precision", "observable", "fusion", "trajectories", "method"}

func optionError(name, format string, args ...any) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("option %q: ", name) + fmt.Sprintf(format, args...)}
}

// ParseOptions reads the dispatch options of a run of p. An unknown option
// or a bad value is a *sokr.InputError whose message starts with
// `option "name": `; a substrate may prefix its own name.
func ParseOptions(p *circuit.Program, opts sokr.Options) (*Options, error) {
	o := &Options{Mode: ModeSample, Shots: DefaultShots, Precision: Complex128, Trajectories: DefaultTrajectories,
		Seed: opts.Seed, HasSeed: opts.HasSeed, Method: MethodAuto}
	if !o.HasSeed {
		o.Seed = rand.Uint64()
	}
	if k, ok := opt.Unknown(opts.Params, knownOptions); ok {
		return nil, optionError(k, "unknown option; the options are %s", strings.Join(knownOptions, ", "))
	}
	if v, ok := opts.Params["mode"]; ok {
		s, _ := v.(string)
		switch Mode(s) {
		case ModeSample, ModeObserve, ModeState:
			o.Mode = Mode(s)
		default:
			return nil, optionError("mode", "got %#v; want \"sample\", \"observe\" or \"state\"", v)
		}
	}
	if v, ok := opts.Params["precision"]; ok {
		s, _ := v.(string)
		switch Precision(s) {
		case Complex128, Complex64:
			o.Precision = Precision(s)
		default:
			return nil, optionError("precision", "got %#v; want \"complex128\" or \"complex64\"", v)
		}
	}
	if v, ok := opts.Params["method"]; ok {
		s, _ := v.(string)
		switch s {
		case MethodAuto, MethodDensity, MethodStatevector, MethodTrajectories:
			o.Method = s
		default:
			return nil, optionError("method", "got %#v; want \"auto\", \"density_matrix\", \"statevector\" or \"trajectories\"", v)
		}
	}
	var err error
	if v, ok := opts.Params["shots"]; ok {
		if o.Shots, err = intOption("shots", v, 1, MaxShots); err != nil {
			return nil, err
		}
		o.ShotsGiven = true
	}
	if v, ok := opts.Params["trajectories"]; ok {
		if o.Trajectories, err = intOption("trajectories", v, 1, MaxShots); err != nil {
			return nil, err
		}
	}
	o.Fusion = 0
	if p.Qubits >= FusionThreshold {
		o.Fusion = DefaultFusion
	}
	if v, ok := opts.Params["fusion"]; ok {
		if o.Fusion, err = intOption("fusion", v, 0, MaxTargets); err != nil {
			return nil, err
		}
		o.FusionGiven = true
	}
	v, hasObs := opts.Params["observable"]
	switch {
	case o.Mode == ModeObserve && !hasObs:
		return nil, optionError("observable", "observe mode needs an observable: a list of Pauli terms")
	case o.Mode != ModeObserve && hasObs:
		return nil, optionError("observable", "is for observe mode, not %s", o.Mode)
	case hasObs:
		if o.Terms, err = parseObservable(v, p.Qubits); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// intOption reads an integer option in [lo, hi] (opt.Int), its error
// naming the option.
func intOption(name string, v any, lo, hi int) (int, error) {
	n, err := opt.Int(v, lo, hi)
	if err != nil {
		return 0, optionError(name, "%v", err)
	}
	return n, nil
}

// parseObservable reads the "observable" option: a list of terms, each a
// PauliTerm or a map {"coef": [re, im], "paulis": "XZI..."}.
func parseObservable(v any, qubits int) ([]PauliTerm, error) {
	var items []any
	switch x := v.(type) {
	case []PauliTerm:
		for _, t := range x {
			items = append(items, t)
		}
	case []map[string]any:
		for _, t := range x {
			items = append(items, t)
		}
	case []any:
		items = x
	case PauliTerm:
		items = []any{x}
	default:
		return nil, optionError("observable", "got %T; want a list of terms {\"coef\": [re, im], \"paulis\": \"XZ...\"}", v)
	}
	if len(items) == 0 {
		return nil, optionError("observable", "has no terms")
	}
	terms := make([]PauliTerm, len(items))
	for i, it := range items {
		var t PauliTerm
		switch x := it.(type) {
		case PauliTerm:
			t = x
		case map[string]any:
			for k := range x {
				if k != "coef" && k != "paulis" {
					return nil, optionError("observable", "term %d has unknown key %q; the keys are \"coef\" and \"paulis\"", i, k)
				}
			}
			s, ok := x["paulis"].(string)
			if !ok {
				return nil, optionError("observable", "term %d: \"paulis\" must be a string of I, X, Y, Z, got %#v", i, x["paulis"])
			}
			t.Paulis = s
			c, err := coefficient(x["coef"])
			if err != nil {
				return nil, optionError("observable", "term %d: %v", i, err)
			}
			t.Coef = c
		default:
			return nil, optionError("observable", "term %d is a %T; want {\"coef\": [re, im], \"paulis\": \"XZ...\"}", i, it)
		}
		t.Paulis = strings.ToUpper(t.Paulis)
		if len(t.Paulis) != qubits {
			return nil, optionError("observable", "term %d %q has %d letters; the circuit has %d qubits (one letter per qubit, qubit 0 first)",
				i, t.Paulis, len(t.Paulis), qubits)
		}
		if k := strings.IndexFunc(t.Paulis, func(r rune) bool { return !strings.ContainsRune("IXYZ", r) }); k >= 0 {
			return nil, optionError("observable", "term %d %q: %q at %d is not one of I, X, Y, Z", i, t.Paulis, t.Paulis[k], k)
		}
		if cmplxBad(t.Coef) {
			return nil, optionError("observable", "term %d: coefficient %v is not finite", i, t.Coef)
		}
		terms[i] = t
	}
	return terms, nil
}

// coefficient reads a coefficient: [re, im], a real number, or a complex.
func coefficient(v any) (complex128, error) {
	num := func(x any) (float64, bool) {
		switch y := x.(type) {
		case float64:
			return y, true
		case float32:
			return float64(y), true
		case int:
			return float64(y), true
		case int64:
			return float64(y), true
		}
		return 0, false
	}
	switch x := v.(type) {
	case nil:
		return 1, nil
	case complex128:
		return x, nil
	case []float64:
		if len(x) == 2 {
			return complex(x[0], x[1]), nil
		}
	case []any:
		if len(x) == 2 {
			re, ok1 := num(x[0])
			im, ok2 := num(x[1])
			if ok1 && ok2 {
				return complex(re, im), nil
			}
		}
	default:
		if re, ok := num(v); ok {
			return complex(re, 0), nil
		}
	}
	return 0, fmt.Errorf("\"coef\" must be [re, im], got %#v", v)
}

func cmplxBad(c complex128) bool {
	return math.IsNaN(real(c)) || math.IsNaN(imag(c)) || math.IsInf(real(c), 0) || math.IsInf(imag(c), 0)
}
