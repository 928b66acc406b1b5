package facade

import (
	"encoding/json"
	"errors"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// errorInfo is an error as Python sees it: Kind (sokr.KindOf) selects the
// SokrError subclass, the other fields carry the core's detail.
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

// ErrorKinds returns, as a JSON list, every kind errorJSON gives (the
// core's table, sokr.ErrorKinds, "error" last): Python's test checks that
// sokr.errors has an exception for each.
func ErrorKinds() string {
	b, _ := json.Marshal(sokr.ErrorKinds())
	return string(b)
}

// errorJSON encodes err for Python ("" for nil).
func errorJSON(err error) string {
	if err == nil {
		return ""
	}
	e := errorInfo{Kind: string(sokr.KindOf(err)), Message: err.Error()}
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
