package statevec

import (
	"errors"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Defaults of the dispatch options (qsim's, shared with vulkan).
const (
	defaultFusion   = qsim.DefaultFusion
	fusionThreshold = qsim.FusionThreshold
)

// Mode is what a dispatch computes (option "mode").
type Mode = qsim.Mode

// The modes.
const (
	ModeSample  = qsim.ModeSample  // counts of measured bitstrings
	ModeObserve = qsim.ModeObserve // expectation values of Pauli terms
	ModeState   = qsim.ModeState   // the final state vector
)

// Precision is the amplitude type (option "precision").
type Precision = qsim.Precision

// The precisions.
const (
	Complex128 = qsim.Complex128
	Complex64  = qsim.Complex64
)

// PauliTerm is a term of an observable for Go callers: Coef times the
// tensor product of Paulis, a string of 'I', 'X', 'Y', 'Z' with one letter
// per qubit, character k acting on qubit k (so "ZI" is Z on qubit 0).
// The expectations output leaves Coef out; it is checked, not used.
type PauliTerm = qsim.PauliTerm

// options are the parsed dispatch options (qsim.ParseOptions) and the
// choice made of the "method" option (chooseMethod): density, simulate the
// density matrix.
type options struct {
	qsim.Options
	density bool
}

func optionError(name, format string, args ...any) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("statevec option %q: ", name) + fmt.Sprintf(format, args...)}
}

// parseOptions reads the dispatch options of a run of p; an error names
// the substrate.
func parseOptions(p *circuit.Program, opts sokr.Options) (*options, error) {
	o, err := qsim.ParseOptions(p, opts)
	if err != nil {
		if ie, ok := errors.AsType[*sokr.InputError](err); ok {
			ie.Msg = "statevec " + ie.Msg
		}
		return nil, err
	}
	return &options{Options: *o}, nil
}
