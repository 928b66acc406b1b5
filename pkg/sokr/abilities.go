package sokr

// Optional abilities of programs and substrates, for front-ends (the Python
// package, libsokr, C plugins) that handle programs of formats they do not
// know. As in database/sql/driver, each is a small interface that a Program
// or Substrate implements or not, and a caller finds by type assertion:
//
//	if s, ok := p.(sokr.Signaturer); ok { ins := s.Signature().Inputs; ... }
//
// A new IR gets the front-ends' features (Program.source, Program.info,
// preallocated outputs) by implementing them, with no change to the
// front-ends; a switch on concrete program types there would silently leave
// it out.

// TensorSpec is one declared input or output of a program: its name,
// dtype and shape.
type TensorSpec struct {
	Name  string
	DType DType
	Shape Shape
}

// Signature is a program's declared inputs and outputs, in order.
type Signature struct {
	Inputs  []TensorSpec
	Outputs []TensorSpec
}

// Signaturer is an optional Program ability: declaring the dtype and shape
// of every input and output, so that a caller can check inputs and
// preallocate outputs before dispatching. A program whose outputs depend on
// the run (shots, time steps) does not implement it.
type Signaturer interface {
	Signature() Signature
}

// Source is what a program was read from: the bytes and their IR format,
// which may differ from the program's own (a "sokr.circuit/1" program read
// from "openqasm/2" text).
type Source struct {
	Format string
	Bytes  []byte // shared with the program: do not modify
}

// Sourcer is an optional Program ability: giving back the source the
// program was parsed from, so that it can be parsed again elsewhere (a
// remote cluster, a C plugin). ProgramSource reports false for a program
// that was built in memory or derived from another (a circuit with noise
// added), whose source, if any, no longer describes it.
type Sourcer interface {
	ProgramSource() (Source, bool)
}

// Describer is an optional Program ability: describing the program for
// front-ends (a circuit's registers, a graph's nodes, a SPIR-V module's
// bindings). Description returns a name for the description ("circuit",
// "nir", "spirv") and a value that encoding/json can marshal; the Python
// package's Program.info holds the value under that name.
type Describer interface {
	Description() (name string, value any)
}

// SessionEnder is an optional Substrate ability: a substrate that keeps
// state between dispatches of one session (a spiking network's membrane
// potentials) forgets session id, reporting whether it was live.
type SessionEnder interface {
	EndSession(id string) bool
}

// Diagnoser is an optional Substrate ability: handing over, and clearing,
// the diagnostics a substrate collected since the last call (a Vulkan
// validation layer's messages), so that tests and users can see them.
type Diagnoser interface {
	ValidationMessages() []string
}

// Tabular is an optional ability of a domain value (an Output's Value): a
// columnar form that front-ends encode and decode far faster than the
// value itself. A photonic distribution over 490,314 Fock states crosses
// to Python as two arrays instead of a map with that many keys. Table
// returns a value that encoding/json can marshal, or nil when this value
// has no such form (then it crosses as itself).
type Tabular interface {
	Table() any
}
