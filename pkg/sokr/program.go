package sokr

import "context"

// Program is a parsed, verified computation tagged with its IR format. IR
// packages implement it; substrates type-assert to the concrete type of the
// formats they run.
type Program interface {
	// Format names the IR and its version, e.g. "sokr.native/1", "openqasm/2".
	Format() string
	// Requirements states what a substrate needs to run the program.
	Requirements() Requirements
}

// Requirements are what a program asks of a substrate: named features
// ("op:matmul", "dtype:f64", "gate:cu3", "nir:CubaLIF") and quantities
// ("memory_bytes", "flops", "qubits", "neurons", "timesteps").
type Requirements struct {
	Features   []string
	Quantities map[string]int64
}

// Common quantity names.
const (
	QuantityMemoryBytes = "memory_bytes"
	QuantityFLOPs       = "flops"
)

// IR turns source into Programs of one format. Parse errors are
// *ProgramError values with a position.
type IR interface {
	// Format is the unique, versioned name of the format, e.g. "sokr.native/1".
	Format() string
	// Parse reads a program from its text or binary form.
	Parse(ctx context.Context, src []byte) (Program, error)
}

// Detector is an optional IR ability: recognising its own source, so that a
// runtime can pick the format when the user does not name it.
type Detector interface {
	Detect(src []byte) bool
}

// Lowerer is an optional IR ability: turning an in-memory object (a circuit
// object, a graph dictionary) into a Program.
type Lowerer interface {
	// Accepts reports whether Lower understands obj.
	Accepts(obj any) bool
	Lower(ctx context.Context, obj any) (Program, error)
}
