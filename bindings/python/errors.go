package facade

import (
	"encoding/json"
	"errors"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// errorInfo is an error as Python sees it: Kind selects the SokrError
// subclass, the other fields carry the core's detail.
type errorInfo struct {
	Kind      string      `json:"kind"`
	Message   string      `json:"message"`
	Format    string      `json:"format,omitempty"`
	Line      int         `json:"line,omitempty"`
	Col       int         `json:"col,omitempty"`
	Node      string      `json:"node,omitempty"`
	Offset    int64       `json:"offset,omitempty"`
	Index     *int        `json:"index,omitempty"`
	Name      string      `json:"name,omitempty"`
	Offers    []offerInfo `json:"offers,omitempty"`
	Substrate string      `json:"substrate,omitempty"`
	Stack     string      `json:"stack,omitempty"`
}

// kinds maps the core's sentinels to the names the Python package uses,
// most specific first.
var kinds = []struct {
	err  error
	kind string
}{
	{sokr.ErrNoCapableSubstrate, "no_capable_substrate"},
	{sokr.ErrInvalidProgram, "invalid_program"},
	{sokr.ErrInvalidInput, "invalid_input"},
	{sokr.ErrDeadlineExceeded, "deadline_exceeded"},
	{sokr.ErrCancelled, "cancelled"},
	{sokr.ErrSubstrateFault, "substrate_fault"},
	{sokr.ErrClosed, "closed"},
	{sokr.ErrRegistration, "registration"},
	{sokr.ErrAlreadyDone, "already_done"},
	{sokr.ErrUnknownFormat, "unknown_format"},
}

// ErrorKinds returns, as a JSON list, every kind errorJSON gives ("error"
// last, for an error of none of the core's kinds): Python's test checks that
// sokr.errors has an exception for each.
func ErrorKinds() string {
	names := make([]string, 0, len(kinds)+1)
	for _, k := range kinds {
		names = append(names, k.kind)
	}
	b, _ := json.Marshal(append(names, "error"))
	return string(b)
}

// errorJSON encodes err for Python ("" for nil).
func errorJSON(err error) string {
	if err == nil {
		return ""
	}
	e := errorInfo{Kind: "error", Message: err.Error()}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			e.Kind = k.kind
			break
		}
	}
	var pe *sokr.ProgramError
	if errors.As(err, &pe) {
		e.Format, e.Line, e.Col, e.Node, e.Offset = pe.Format, pe.Pos.Line, pe.Pos.Col, pe.Pos.Node, pe.Pos.Offset
	}
	var ie *sokr.InputError
	if errors.As(err, &ie) {
		idx := ie.Index
		e.Index, e.Name = &idx, ie.Name
	}
	var nc *sokr.NoCapableError
	if errors.As(err, &nc) {
		e.Format, e.Offers = nc.Format, offersOf(nc.Offers)
	}
	var fe *sokr.FaultError
	if errors.As(err, &fe) {
		e.Substrate, e.Stack = fe.Substrate, fe.Stack
	}
	var re *sokr.RegistrationError
	if errors.As(err, &re) {
		e.Name = re.Name
	}
	b, _ := json.Marshal(e)
	return string(b)
}
