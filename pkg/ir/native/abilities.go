package native

import "github.com/sokr-rs/sokr/pkg/sokr"

var (
	_ sokr.Signaturer = (*Program)(nil)
	_ sokr.Sourcer    = (*Program)(nil)
)

// Signature declares the program's params and returned values, in order,
// with their dtypes and shapes: a native program's are fixed by its text.
func (p *Program) Signature() sokr.Signature {
	s := sokr.Signature{Inputs: make([]sokr.TensorSpec, len(p.Params)), Outputs: make([]sokr.TensorSpec, len(p.Outputs))}
	for k, i := range p.Params {
		s.Inputs[k] = p.param(i)
	}
	for k, i := range p.Outputs {
		s.Outputs[k] = p.param(i)
	}
	return s
}

func (p *Program) param(i int) sokr.TensorSpec {
	n := &p.Nodes[i]
	return sokr.TensorSpec{Name: n.Name, DType: n.Type.DType, Shape: n.Type.Shape}
}

// ProgramSource returns the text the IR plugin parsed p from; a program
// made by a Builder or by the function Parse has none (its String is the
// canonical text).
func (p *Program) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: Format, Bytes: p.src}, p.src != nil
}
