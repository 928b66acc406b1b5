package nir

import (
	"errors"
	"os"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// checkProgram holds the invariants of a parsed program: an error is a
// *sokr.ProgramError; a program's flat view is consistent, its forward
// edges follow the node order, and every node has shapes.
func checkProgram(t *testing.T, p *Program, err error) {
	if err != nil {
		var pe *sokr.ProgramError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
		}
		if p != nil {
			t.Fatal("a program and an error")
		}
		return
	}
	p.Requirements()
	f := p.Flat()
	for i, e := range f.Edges {
		if e.From < 0 || e.From >= len(f.Nodes) || e.To < 0 || e.To >= len(f.Nodes) {
			t.Fatalf("edge %d out of range: %+v", i, e)
		}
		if !e.Recurrent && e.From >= e.To {
			t.Fatalf("forward edge %s -> %s against the order", f.Nodes[e.From].Name, f.Nodes[e.To].Name)
		}
	}
	for _, n := range f.Nodes {
		if n.InShape == nil || n.OutShape == nil {
			t.Fatalf("node %s has no shapes", n.Name)
		}
		if _, ok := n.Prim.(*Graph); ok {
			t.Fatalf("node %s is a graph in the flat view", n.Name)
		}
	}
}

// FuzzParse feeds arbitrary bytes, HDF5 or JSON, to Parse.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/ports.nir", "testdata/every_v3_gzip.nir", "testdata/ports.json"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		p, err := parse(ctx, src)
		fuzzguard.Hang(t, err)
		checkProgram(t, p, err)
	})
}

// FuzzVerify feeds graphs in NIR's dict form (JSON) to the validator:
// edge resolution, ports, cycles and shape inference.
func FuzzVerify(f *testing.F) {
	for _, path := range []string{"testdata/every.json", "testdata/ports.json"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"type":"NIRGraph","nodes":{"i":{"type":"Input","shape":[2]},"l":{"type":"LIF","tau":[1,1],"r":[1,1],"v_leak":[0,0],"v_threshold":[1,1]},"o":{"type":"Output","shape":[2]}},"edges":[["i","l"],["l","l"],["l","o"]]}`,
		`{"type":"NIRGraph","nodes":{"i":{"type":"Input","shape":[1,4,4]},"p":{"type":"AvgPool2d","kernel_size":[2,2],"stride":[2,2],"padding":[0,0]},"f":{"type":"Flatten","start_dim":0,"end_dim":-1},"o":{"type":"Output","shape":[4]}},"edges":[["i","p"],["p","f"],["f","o"]]}`,
		`{"type":"NIRGraph","nodes":{"g":{"type":"NIRGraph","nodes":{"a":{"type":"Input","shape":[1]},"b":{"type":"Output","shape":[1]}},"edges":[["a","b"]]},"x":{"type":"Input","shape":[1]}},"edges":[["x","g.a"],["g.b","g"]]}`,
		`{"version":"1.0","node":{"type":"NIRGraph","nodes":{},"edges":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		p, err := parse(ctx, src)
		fuzzguard.Hang(t, err)
		checkProgram(t, p, err)
	})
}
