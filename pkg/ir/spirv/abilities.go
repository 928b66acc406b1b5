package spirv

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

var (
	_ sokr.Sourcer   = (*Program)(nil)
	_ sokr.Describer = (*Program)(nil)
)

// ProgramSource returns the module's bytes as the IR plugin read them (in
// their byte order); a Program from the function Parse has none (Words
// holds the module).
func (p *Program) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: Format, Bytes: p.src}, p.src != nil
}

// info is a module's reflection, for front-ends: the Python package reads
// it as Program.info["spirv"] (Program.spirv).
type info struct {
	Version           string         `json:"version"`
	Capabilities      []string       `json:"capabilities"`
	EntryPoints       []EntryPoint   `json:"entry_points"`
	Bindings          []Binding      `json:"bindings"`
	PushConstantBytes int64          `json:"push_constant_bytes"`
	SharedMemoryBytes int64          `json:"shared_memory_bytes"`
	SpecConstants     []SpecConstant `json:"spec_constants"`
}

// Description describes the module under the name "spirv": its SPIR-V
// version ("1.3"), capabilities, entry points, descriptor bindings,
// push-constant and shared-memory sizes and specialization constants.
func (p *Program) Description() (string, any) {
	return "spirv", &info{Version: fmt.Sprintf("%d.%d", p.Major, p.Minor), Capabilities: p.Capabilities,
		EntryPoints: p.EntryPoints, Bindings: p.Bindings, PushConstantBytes: p.PushConstantBytes,
		SharedMemoryBytes: p.SharedMemoryBytes, SpecConstants: p.SpecConstants}
}
