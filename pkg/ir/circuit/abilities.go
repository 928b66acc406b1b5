package circuit

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

var (
	_ sokr.Sourcer   = (*Program)(nil)
	_ sokr.Describer = (*Program)(nil)
)

// ProgramSource returns the text a front-end read the circuit from, in
// its format (p.Source: "openqasm/2", "qir/1"), so that it can be parsed
// again elsewhere; false when p has no Text.
func (p *Program) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: p.Source, Bytes: p.Text}, p.Text != nil
}

// info is what front-ends need to know of a circuit: its size, its
// registers and its runtime parameters. The Python package reads it as
// Program.info["circuit"].
type info struct {
	Qubits      int        `json:"qubits"`
	Clbits      int        `json:"clbits"`
	QRegs       []Register `json:"qregs"`
	CRegs       []Register `json:"cregs"`
	Params      []string   `json:"params"`
	Measured    bool       `json:"measured"`
	Source      string     `json:"source"`
	Unsupported []string   `json:"unsupported"`
}

// Description describes the circuit under the name "circuit": qubits,
// clbits, registers, parameters, whether it measures, its source format
// and the unsupported constructs (as "FEATURE at POSITION").
func (p *Program) Description() (string, any) {
	in := &info{Qubits: p.Qubits, Clbits: p.Clbits, QRegs: p.QRegs, CRegs: p.CRegs, Params: p.Params,
		Measured: p.Measured(), Source: p.Source, Unsupported: []string{}}
	for _, u := range p.Unsupported {
		in.Unsupported = append(in.Unsupported, fmt.Sprintf("%s at %s", u.Feature, u.Pos))
	}
	if in.QRegs == nil {
		in.QRegs = []Register{}
	}
	if in.CRegs == nil {
		in.CRegs = []Register{}
	}
	if in.Params == nil {
		in.Params = []string{}
	}
	return "circuit", in
}
