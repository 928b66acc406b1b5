package photonic

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/opt"
	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Mode is what a dispatch computes (option "mode").
type Mode string

// The modes.
const (
	// ModeSample draws "shots" samples (default 1000) by Clifford &
	// Clifford's algorithm; the output "counts" is an ir.Counts.
	ModeSample Mode = "sample"
	// ModeProbabilities computes exact output probabilities; the output
	// "probabilities" is an ir.Probabilities. Without "outputs" it is the
	// full distribution (SLOS); with it, those outcomes only (permanents).
	ModeProbabilities Mode = "probabilities"
)

// DefaultShots is the number of samples of a sample run without "shots",
// as statevec's and CUDA-Q's default of 1000.
const DefaultShots = 1000

// MaxShots bounds "shots"; memory is checked against the budget as well.
const MaxShots = 1 << 30

// maxOutputs bounds the "outputs" of one run.
const maxOutputs = 1 << 20

// options are the parsed dispatch options.
type options struct {
	mode    Mode
	shots   int
	outputs []ir.FockState
	seed    uint64
	hasSeed bool
}

// knownOptions lists the option names; others are an error, so that a
// misspelt option is not silently ignored.
var knownOptions = []string{"mode", "shots", "outputs"}

func optionError(name, format string, args ...any) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("photonic option %q: ", name) + fmt.Sprintf(format, args...)}
}

// defaultOptions are what Capability's estimate assumes.
func defaultOptions() *options {
	return &options{mode: ModeSample, shots: DefaultShots}
}

// parseOptions reads the dispatch options of a run of p.
func parseOptions(p *ir.Program, opts sokr.Options) (*options, error) {
	o := defaultOptions()
	o.seed, o.hasSeed = opts.Seed, opts.HasSeed
	if !o.hasSeed {
		o.seed = rand.Uint64()
	}
	if k, ok := opt.Unknown(opts.Params, knownOptions); ok {
		return nil, optionError(k, "unknown option; the options are %s", strings.Join(knownOptions, ", "))
	}
	if v, ok := opts.Params["mode"]; ok {
		s, _ := v.(string)
		switch Mode(s) {
		case ModeSample, ModeProbabilities:
			o.mode = Mode(s)
		default:
			return nil, optionError("mode", "got %#v; want \"sample\" or \"probabilities\"", v)
		}
	}
	if v, ok := opts.Params["shots"]; ok {
		if o.mode != ModeSample {
			return nil, optionError("shots", "only a sample run takes shots (mode is %q)", o.mode)
		}
		var err error
		if o.shots, err = intOption("shots", v, 1, MaxShots); err != nil {
			return nil, err
		}
	}
	if v, ok := opts.Params["outputs"]; ok {
		if o.mode != ModeProbabilities {
			return nil, optionError("outputs", "only a probabilities run takes outputs (mode is %q)", o.mode)
		}
		var err error
		if o.outputs, err = outputsOption(p, v); err != nil {
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

// outputsOption reads "outputs": a list of outcomes, each a Fock state
// string ("|1,0,1>") or a list of occupations, one per mode; a threshold
// mode reads 0 or 1.
func outputsOption(p *ir.Program, v any) ([]ir.FockState, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	case []ir.FockState:
		for _, s := range x {
			items = append(items, s)
		}
	case [][]int:
		for _, s := range x {
			items = append(items, s)
		}
	default:
		return nil, optionError("outputs", "got %T; want a list of Fock states, each \"|1,0,1>\" or a list of occupations", v)
	}
	if len(items) == 0 || len(items) > maxOutputs {
		return nil, optionError("outputs", "%d outcomes; give 1 to %d (or leave outputs out for the full distribution)", len(items), maxOutputs)
	}
	out := make([]ir.FockState, len(items))
	for i, it := range items {
		s, err := fockItem(it)
		if err != nil {
			return nil, optionError("outputs", "outcome %d: %v", i, err)
		}
		if len(s) != p.Modes {
			return nil, optionError("outputs", "outcome %d, %v, has %d modes; the program has %d", i, s, len(s), p.Modes)
		}
		for mode, c := range s {
			if p.Detectors[mode] == ir.Threshold && c > 1 {
				return nil, optionError("outputs", "outcome %d, %v: mode %d has a threshold detector, which reads 0 or 1", i, s, mode)
			}
		}
		out[i] = s
	}
	return out, nil
}

func fockItem(it any) (ir.FockState, error) {
	switch x := it.(type) {
	case string:
		return ir.ParseFockState(x)
	case ir.FockState:
		return checkOcc(slices.Clone(x))
	case []int:
		return checkOcc(slices.Clone(ir.FockState(x)))
	case []any:
		s := make(ir.FockState, len(x))
		for i, e := range x {
			n, err := intOption("outputs", e, 0, ir.MaxPhotons)
			if err != nil {
				return nil, fmt.Errorf("occupation %d: %v", i, e)
			}
			s[i] = n
		}
		return s, nil
	}
	return nil, fmt.Errorf("got %T; want \"|1,0,1>\" or a list of occupations", it)
}

func checkOcc(s ir.FockState) (ir.FockState, error) {
	for i, c := range s {
		if c < 0 || c > ir.MaxPhotons {
			return nil, fmt.Errorf("occupation %d is %d; want 0 to %d", i, c, ir.MaxPhotons)
		}
	}
	return s, nil
}
