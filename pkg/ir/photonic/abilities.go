package photonic

import "github.com/sokr-rs/sokr/pkg/sokr"

var _ sokr.Sourcer = (*Program)(nil)

// ProgramSource returns the text the IR plugin parsed p from; a program
// made by a Builder or by the function Parse has none (its String is the
// canonical text).
func (p *Program) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: Format, Bytes: p.src}, p.src != nil
}
