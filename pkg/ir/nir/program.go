package nir

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/sokr-rs/sokr/pkg/internal/hdf5"
	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the IR format name of NIR programs.
const Format = "nir/1"

// Quantity names a NIR program states in its Requirements, besides
// sokr.QuantityMemoryBytes.
const (
	QuantityNeurons  = "neurons"  // elements of I, IF, LI, LIF, CubaLI and CubaLIF nodes
	QuantitySynapses = "synapses" // weights of Affine, Linear, Conv1d and Conv2d nodes
)

// FeatureRecurrent is the feature of a program whose graph has a cycle.
const FeatureRecurrent = "nir:recurrent"

// Program is a verified NIR graph. It is immutable once made and safe for
// concurrent use.
type Program struct {
	// Version is the NIR version that wrote the file ("" when unknown).
	Version string
	// Graph is the root graph, its edges resolved and its shapes inferred.
	Graph *Graph

	flat *Flat
	// src is what the IR plugin parsed, for ProgramSource.
	src []byte

	reqOnce sync.Once
	req     sokr.Requirements
}

var _ sokr.Program = (*Program)(nil)

// Format returns "nir/1".
func (p *Program) Format() string { return Format }

// Flat returns the graph with its subgraphs spliced in (see Flat).
func (p *Program) Flat() *Flat { return p.flat }

// Requirements lists a feature "nir:TYPE" per primitive type the graph
// uses (nested graphs included, "nir:NIRGraph" only for nested ones),
// "nir:recurrent" when it has a cycle, and the quantities neurons,
// synapses and memory_bytes (parameters and neuron state as float64).
func (p *Program) Requirements() sokr.Requirements {
	p.reqOnce.Do(func() {
		feats := map[string]bool{}
		var neurons, synapses, values int64
		var walk func(g *Graph)
		walk = func(g *Graph) {
			for _, n := range g.Nodes {
				if sub, ok := n.Prim.(*Graph); ok {
					feats["nir:NIRGraph"] = true
					walk(sub)
					continue
				}
				feats["nir:"+n.Prim.Type()] = true
				for _, a := range arrays(n.Prim) {
					values += int64(a.Len())
				}
				switch q := n.Prim.(type) {
				case *Affine:
					synapses += int64(q.Weight.Len())
				case *Linear:
					synapses += int64(q.Weight.Len())
				case *Conv1d:
					synapses += int64(q.Weight.Len())
				case *Conv2d:
					synapses += int64(q.Weight.Len())
				}
				if IsNeuron(n.Prim) {
					count := int64(numElements(n.OutShape))
					neurons += count
					values += count * int64(stateVars(n.Prim))
				}
			}
		}
		walk(p.Graph)
		if slices.ContainsFunc(p.flat.Edges, func(e FlatEdge) bool { return e.Recurrent }) {
			feats[FeatureRecurrent] = true
		}
		p.req = sokr.Requirements{
			Features: slices.Sorted(maps.Keys(feats)),
			Quantities: map[string]int64{
				QuantityNeurons:          neurons,
				QuantitySynapses:         synapses,
				sokr.QuantityMemoryBytes: 8 * values,
			},
		}
	})
	return p.req
}

// stateVars is the number of state variables per neuron: the membrane
// voltage, and the synaptic current of current-based models.
func stateVars(p Primitive) int {
	switch p.(type) {
	case *CubaLI, *CubaLIF:
		return 2
	}
	return 1
}

func numElements(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Parse reads a NIR graph from a .nir file (HDF5, recognised by its
// signature) or from JSON of NIR's dict form (nir.NIRGraph.to_dict() with
// arrays as nested lists), and verifies it. Every error is a
// *sokr.ProgramError naming the node or edge at fault, or for a malformed
// HDF5 file the byte offset (Pos.Offset).
func Parse(src []byte) (*Program, error) { return parse(context.Background(), src) }

// parse is Parse looking at ctx between its steps: reading the file,
// decoding the graph, verifying it, flattening it. Each step takes time in
// proportion to the file, and none unrolls anything.
func parse(ctx context.Context, src []byte) (*Program, error) {
	var (
		d       dict
		version string
		err     error
	)
	if isHDF5(src) {
		d, version, err = fromHDF5(src)
	} else {
		d, version, err = fromJSON(src)
	}
	if err != nil {
		return nil, err
	}
	return fromDict(ctx, d, version)
}

// FromDict reads NIR's dict form held in Go values: nested
// map[string]any with numbers (float64, int, json.Number), strings, bools,
// and nested lists ([]any, []float64, []int, []string), as encoding/json
// decodes it.
func FromDict(m map[string]any) (*Program, error) { return fromMapCtx(context.Background(), m) }

func fromMapCtx(ctx context.Context, m map[string]any) (*Program, error) {
	d, version, err := fromMap(m)
	if err != nil {
		return nil, err
	}
	return fromDict(ctx, d, version)
}

func fromDict(ctx context.Context, d dict, version string) (*Program, error) {
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	g, err := decodeGraph(d, "", 0)
	if err != nil {
		return nil, err
	}
	p, err := newProgram(ctx, g)
	if p != nil {
		p.Version = version
	}
	return p, err
}

// New verifies a graph built in Go and makes it a Program. It resolves
// the edges, marks the recurrent ones, infers shapes (setting Node.InShape
// and OutShape) and sorts each graph's Nodes by name; g must not change
// afterwards.
func New(g *Graph) (*Program, error) { return newProgram(context.Background(), g) }

func newProgram(ctx context.Context, g *Graph) (*Program, error) {
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	if err := verifyGraph(g, "", 0); err != nil {
		return nil, err
	}
	if err := sokr.ContextError(ctx); err != nil {
		return nil, err
	}
	flat, err := flatten(g)
	if err != nil {
		return nil, err
	}
	return &Program{Graph: g, flat: flat}, nil
}

func isHDF5(src []byte) bool { return hdf5.IsHDF5(src) }

// IR is the sokr.IR plugin for NIR: it parses .nir (HDF5) files and JSON
// of NIR's dict form, and lowers graphs held in Go. The zero value is
// ready to use.
//
//	reg.RegisterIR(nir.NewIR())
type IR struct{}

// NewIR returns the NIR plugin.
func NewIR() IR { return IR{} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
	_ sokr.Lowerer  = IR{}
)

// Format returns "nir/1".
func (IR) Format() string { return Format }

// Parse reads a .nir file or NIR dict JSON, as the function Parse does,
// after checking that ctx is live. A cancelled or expired ctx gives
// sokr.ErrCancelled or sokr.ErrDeadlineExceeded; on error the Program is
// nil. The program keeps a copy of src (see ProgramSource).
func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*Program, error) {
		p, err := parse(ctx, src)
		if err == nil && p != nil {
			p.src = bytes.Clone(src) // the caller's bytes may change; ProgramSource hands these out
		}
		return p, err
	})
}

// Detect reports an HDF5 file, or a JSON object that declares a NIRGraph.
func (IR) Detect(src []byte) bool {
	if isHDF5(src) {
		return true
	}
	s := bytes.TrimLeft(src, " \t\r\n")
	return len(s) > 0 && s[0] == '{' && bytes.Contains(s, []byte(`"NIRGraph"`))
}

// Accepts reports a *Graph or a map[string]any in NIR's dict form (one
// with "type": "NIRGraph", or a .nir file's {"version", "node"} layout).
func (IR) Accepts(obj any) bool {
	switch o := obj.(type) {
	case *Graph:
		return o != nil
	case map[string]any:
		if t, ok := o["type"].(string); ok {
			return t == "NIRGraph"
		}
		_, ok := o["node"].(map[string]any)
		return ok
	}
	return false
}

// Lower turns a *Graph (verified with New) or a dict (read with FromDict)
// into a Program.
func (IR) Lower(ctx context.Context, obj any) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*Program, error) {
		switch o := obj.(type) {
		case *Graph:
			return newProgram(ctx, o)
		case map[string]any:
			return fromMapCtx(ctx, o)
		}
		return nil, &sokr.ProgramError{Format: Format, Msg: "cannot lower a " + typeName(obj) + ": want a *nir.Graph or a NIR dict"}
	})
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
