package cplugin

import (
	"errors"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// querySymbol is the one symbol a plugin exports (SOKR_PLUGIN_QUERY_SYMBOL).
const querySymbol = "sokr_plugin_query_v1"

// Why a plugin was refused. A *LoadError matches exactly one of these with
// errors.Is, and also sokr.ErrRegistration.
var (
	// ErrOpen: the shared object could not be loaded (no such file, not an
	// ELF object, a missing dependency, built for another architecture).
	ErrOpen = errors.New("cplugin: cannot load the shared object")
	// ErrMissingSymbol: the shared object does not export sokr_plugin_query_v1.
	ErrMissingSymbol = errors.New("cplugin: missing symbol " + querySymbol)
	// ErrVersion: the plugin refused the host's ABI version, or answered a
	// vtable of another major version.
	ErrVersion = errors.New("cplugin: ABI version mismatch")
	// ErrStructTooSmall: the vtable's struct_size does not cover the fields
	// its version requires.
	ErrStructTooSmall = errors.New("cplugin: plugin struct too small")
	// ErrNullSlot: a required vtable slot (prepare, release_program,
	// dispatch) is NULL.
	ErrNullSlot = errors.New("cplugin: required slot is NULL")
	// ErrInvalidPlugin: the query failed, or the vtable's fields are unusable
	// (no vtable, an empty name or kind, no formats).
	ErrInvalidPlugin = errors.New("cplugin: invalid plugin")
	// ErrNoCgo: this build of SOKR has no cgo, so it cannot load C plugins.
	ErrNoCgo = errors.New("cplugin: built without cgo; C plugins need CGO_ENABLED=1")
)

// LoadError reports a plugin that was refused: which file, why (Kind, one
// of the Err* values above) and the detail. It matches Kind and
// sokr.ErrRegistration with errors.Is:
//
//	s, err := cplugin.Load("libfoo.so")
//	if errors.Is(err, cplugin.ErrVersion) { ... rebuild the plugin against this sokr.h ... }
type LoadError struct {
	Path string // the shared object
	Kind error  // ErrOpen, ErrMissingSymbol, ErrVersion, ErrStructTooSmall, ErrNullSlot, ErrInvalidPlugin or ErrNoCgo
	Msg  string // the detail, e.g. "struct_size is 24 bytes; ABI 1.0 needs at least 112"
}

// Error describes the path, the kind of refusal and the detail.
func (e *LoadError) Error() string {
	s := e.Kind.Error() + " " + e.Path
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is makes errors.Is(err, e.Kind) and errors.Is(err, sokr.ErrRegistration)
// true.
func (e *LoadError) Is(target error) bool { return target == e.Kind || target == sokr.ErrRegistration }

func loadErr(path string, kind error, format string, args ...any) *LoadError {
	return &LoadError{Path: path, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Status is a sokr_status code of the C ABI: 0 is success, positive values
// are informational, negative ones errors.
type Status int32

// The status codes of sokr.h.
const (
	StatusOK                 Status = 0
	StatusPending            Status = 1
	StatusUnsupported        Status = 2
	StatusInvalidArgument    Status = -1
	StatusInvalidProgram     Status = -2
	StatusInvalidInput       Status = -3
	StatusNoCapableSubstrate Status = -4
	StatusCancelled          Status = -5
	StatusDeadlineExceeded   Status = -6
	StatusSubstrateFault     Status = -7
	StatusClosed             Status = -8
	StatusRegistration       Status = -9
	StatusAlreadyDone        Status = -10
	StatusUnknownFormat      Status = -11
	StatusVersion            Status = -12
	StatusOutOfMemory        Status = -13
	StatusInternal           Status = -14
	minStatus, maxStatus            = StatusInternal, StatusUnsupported
)

var statusNames = [...]string{
	"SOKR_ERR_INTERNAL", "SOKR_ERR_OUT_OF_MEMORY", "SOKR_ERR_VERSION", "SOKR_ERR_UNKNOWN_FORMAT",
	"SOKR_ERR_ALREADY_DONE", "SOKR_ERR_REGISTRATION", "SOKR_ERR_CLOSED", "SOKR_ERR_SUBSTRATE_FAULT",
	"SOKR_ERR_DEADLINE_EXCEEDED", "SOKR_ERR_CANCELLED", "SOKR_ERR_NO_CAPABLE_SUBSTRATE",
	"SOKR_ERR_INVALID_INPUT", "SOKR_ERR_INVALID_PROGRAM", "SOKR_ERR_INVALID_ARGUMENT",
	"SOKR_OK", "SOKR_PENDING", "SOKR_UNSUPPORTED",
}

// String returns the status's name in sokr.h ("SOKR_ERR_VERSION"), or its
// number for a code sokr.h does not define.
func (s Status) String() string {
	if s >= minStatus && s <= maxStatus {
		return statusNames[s-minStatus]
	}
	return fmt.Sprintf("sokr_status(%d)", int32(s))
}

// StatusOf returns the sokr_status that stands for err: StatusOK for nil,
// the code of its kind (sokr.KindOf: a raw context.Canceled is
// StatusCancelled, context.DeadlineExceeded StatusDeadlineExceeded) for the
// core's kinds, StatusVersion for a plugin refused for its ABI version,
// StatusInternal otherwise.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	k := sokr.KindOf(err)
	switch k {
	case sokr.ErrorKindRegistration, sokr.ErrorKindAlreadyDone, sokr.ErrorKindUnknownFormat, sokr.ErrorKindOther:
		// A version refusal is also a registration error: the more specific
		// code wins over the kinds that come after it.
		if errors.Is(err, ErrVersion) {
			return StatusVersion
		}
	}
	if st, ok := kindStatus[k]; ok {
		return st
	}
	return StatusInternal
}

// kindStatus maps the core's error kinds to status codes.
var kindStatus = map[sokr.ErrorKind]Status{
	sokr.ErrorKindNoCapableSubstrate: StatusNoCapableSubstrate,
	sokr.ErrorKindInvalidProgram:     StatusInvalidProgram,
	sokr.ErrorKindInvalidInput:       StatusInvalidInput,
	sokr.ErrorKindDeadlineExceeded:   StatusDeadlineExceeded,
	sokr.ErrorKindCancelled:          StatusCancelled,
	sokr.ErrorKindSubstrateFault:     StatusSubstrateFault,
	sokr.ErrorKindClosed:             StatusClosed,
	sokr.ErrorKindRegistration:       StatusRegistration,
	sokr.ErrorKindAlreadyDone:        StatusAlreadyDone,
	sokr.ErrorKindUnknownFormat:      StatusUnknownFormat,
	sokr.ErrorKindOther:              StatusInternal,
}

// jobError turns a plugin's failed completion into the core's error of the
// same kind, naming the substrate.
func jobError(substrate, format string, st Status, msg string) error {
	if msg == "" {
		msg = "failed with " + st.String()
	}
	switch st {
	case StatusInvalidInput:
		return &sokr.InputError{Index: -1, Msg: substrate + ": " + msg}
	case StatusInvalidProgram:
		return &sokr.ProgramError{Format: format, Msg: substrate + ": " + msg}
	case StatusNoCapableSubstrate, StatusUnsupported:
		return &sokr.NoCapableError{Format: format, Offers: []sokr.Offer{{Substrate: substrate, Reason: msg}}}
	case StatusCancelled:
		return fmt.Errorf("%w: %s: %s", sokr.ErrCancelled, substrate, msg)
	case StatusDeadlineExceeded:
		return fmt.Errorf("%w: %s: %s", sokr.ErrDeadlineExceeded, substrate, msg)
	case StatusClosed:
		return fmt.Errorf("%w: %s: %s", sokr.ErrClosed, substrate, msg)
	}
	return &sokr.FaultError{Substrate: substrate, Msg: msg + " (" + st.String() + ")"}
}
