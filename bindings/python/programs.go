package facade

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Parse reads a program of format (detected when empty) from the bytes at
// addr (n of them: the caller keeps them alive for the call), and returns
// the program's handle.
func Parse(rt int64, format string, addr uintptr, n int64) (int64, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return 0, fail(err)
	}
	// The built-in IRs copy what they keep (their source, for
	// sokr.Sourcer), but an IR need not: copy, as the Python bytes object
	// may move or go.
	src := append([]byte(nil), bytesAt(addr, n)...)
	p, err := parseSource(context.Background(), r, format, src)
	if err != nil {
		return 0, fail(err)
	}
	return programs.put(p), nil
}

// FreeProgram releases a program handle.
func FreeProgram(prog int64) { programs.drop(prog) }

// ProgramText returns a program's canonical text (if its IR prints one).
func ProgramText(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return ""
	}
	if s, ok := p.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}

type paramInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

func paramInfos(ps []sokr.TensorSpec) []paramInfo {
	out := make([]paramInfo, len(ps))
	for i, p := range ps {
		out[i] = paramInfo{Name: p.Name, DType: p.DType.String(), Shape: p.Shape}
	}
	return out
}

// programInfo is the part of ProgramInfo every program has.
type programInfo struct {
	Format       string           `json:"format"`
	Features     []string         `json:"features"`
	Quantities   map[string]int64 `json:"quantities"`
	Inputs       []paramInfo      `json:"inputs"`
	Outputs      []paramInfo      `json:"outputs"`
	HasSignature bool             `json:"has_signature"`
}

// ProgramInfo describes a program as JSON: format, requirements, its
// inputs and outputs when it declares them (sokr.Signaturer), and its IR's
// description under the name the IR gives it (sokr.Describer: "circuit",
// "nir", "spirv", or a name this facade has never heard of).
func ProgramInfo(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return "{}"
	}
	return infoOf(p)
}

// infoOf is ProgramInfo's JSON for p.
func infoOf(p sokr.Program) string {
	req := p.Requirements()
	in := programInfo{Format: p.Format(), Features: req.Features, Quantities: req.Quantities, Inputs: []paramInfo{}, Outputs: []paramInfo{}}
	if s, ok := p.(sokr.Signaturer); ok {
		sig := s.Signature()
		in.HasSignature, in.Inputs, in.Outputs = true, paramInfos(sig.Inputs), paramInfos(sig.Outputs)
	}
	b, _ := json.Marshal(in)
	d, ok := p.(sokr.Describer)
	if !ok {
		return string(b)
	}
	name, v := d.Description()
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields)
	if _, taken := fields[name]; taken || name == "" {
		return string(b) // the common fields win over a description that would hide one
	}
	dj, err := json.Marshal(v)
	if err != nil {
		dj, _ = json.Marshal(map[string]string{"error": "the description cannot be encoded: " + err.Error()})
	}
	fields[name] = dj
	b, _ = json.Marshal(fields)
	return string(b)
}

// sourceOf returns a program's source, if its IR keeps one (sokr.Sourcer):
// a substrate that sends programs elsewhere (a Dask cluster) re-parses them
// there.
func sourceOf(p sokr.Program) (sokr.Source, bool) {
	if s, ok := p.(sokr.Sourcer); ok {
		return s.ProgramSource()
	}
	return sokr.Source{}, false
}

// ProgramSourceLen is the length of the source a program was parsed from
// (-1 when unknown: a program built in Go).
func ProgramSourceLen(prog int64) int64 {
	p, ok := programs.get(prog)
	if !ok {
		return -1
	}
	if s, ok := sourceOf(p); ok {
		return int64(len(s.Bytes))
	}
	return -1
}

// ProgramSourceFormat is the IR format a program's source is in (for
// OpenQASM, "openqasm/2" or "openqasm/3", where the program's own format is
// "sokr.circuit/1"); "" when unknown.
func ProgramSourceFormat(prog int64) string {
	p, ok := programs.get(prog)
	if !ok {
		return ""
	}
	s, _ := sourceOf(p)
	return s.Format
}

// CopyProgramSource copies a program's source into the n bytes at addr.
func CopyProgramSource(prog int64, addr uintptr, n int64) error {
	p, ok := programs.get(prog)
	var s sokr.Source
	if ok {
		s, ok = sourceOf(p)
	}
	if !ok || int64(len(s.Bytes)) != n {
		return fail(&sokr.ProgramError{Msg: fmt.Sprintf("program %d has no %d bytes of source", prog, n)})
	}
	copy(bytesAt(addr, n), s.Bytes)
	return nil
}

type offerInfo struct {
	Substrate      string  `json:"substrate"`
	Kind           string  `json:"kind"`
	OK             bool    `json:"ok"`
	Reason         string  `json:"reason"`
	EstimateSecond float64 `json:"estimate_seconds"`
	EstimateBytes  int64   `json:"estimate_bytes"`
}

func offersOf(offers []sokr.Offer) []offerInfo {
	out := make([]offerInfo, len(offers))
	for i, o := range offers {
		out[i] = offerInfo{Substrate: o.Substrate, Kind: string(o.Kind), OK: o.OK, Reason: o.Reason,
			EstimateSecond: o.Estimate.Time.Seconds(), EstimateBytes: o.Estimate.MemoryBytes}
	}
	return out
}

// Capability returns every substrate's offer for a program as a JSON list.
func Capability(rt, prog int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	p, err := programFor(prog)
	if err != nil {
		return "", fail(err)
	}
	b, _ := json.Marshal(offersOf(r.Capability(context.Background(), p)))
	return string(b), nil
}
