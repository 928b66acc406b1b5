package qasm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// FuzzParse feeds arbitrary bytes to Parse. It must not panic or hang;
// an error is a *sokr.ProgramError with a position inside the source; a
// program validates. The seeds are the OpenQASM 3 examples and invalid
// programs, a few QASMBench circuits, the constructs of the unit tests
// and the hostile inputs of the limit tests (testdata/fuzz holds them
// too). Limits are lowered so that each input runs in milliseconds; an
// input that outlives fuzzguard.Limit fails as a hang. The seeds from the
// optional test corpus are added where it is present; the others always
// run.
func FuzzParse(f *testing.F) {
	if corpus := testcorpus.Lookup(f, "qasm"); corpus != "" {
		for _, pattern := range []string{"openqasm3/*/*.qasm", "qasmbench/small/[a-f]*/*.qasm"} {
			files, err := filepath.Glob(filepath.Join(corpus, pattern))
			if err != nil || len(files) == 0 {
				f.Fatalf("no seeds %s in the test corpus %s: %v", pattern, corpus, err)
			}
			for _, path := range files {
				if src, err := os.ReadFile(path); err == nil && len(src) < 20000 {
					f.Add(src)
				}
			}
		}
	}
	for _, s := range []string{
		"",
		"OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q;\ncx q[0],q[1];\nif(c==1) x q[0];\nmeasure q -> c;",
		"OPENQASM 3;\ninclude \"stdgates.inc\";\ninput float t;\nqubit[3] q;\nbit[3] c;\nctrl @ negctrl @ rx(t) q[0], q[1], q[2];\ninv @ pow(0.5) @ cx q[1], q[2];\nc = measure q;\nwhile (c[0]) { reset q[0]; c[0] = measure q[0]; }",
		"qubit[4] q; for int i in [3:-1:0] { h q[i]; } let a = q[{0, 2}] ++ q[1:3]; gphase(π); ctrl(2) @ gphase(τ/3) q[0], q[3];",
		"gate g(a, b) x, y { U(a, b, a * b) x; ctrl @ gphase(a) y; } qubit[2] q; pow(-3) @ g(1, 2) q[1], q[0];",
		"def f(qubit a) -> bit { h a; return measure a; } qubit q; bit b; b = f(q); if (!b) { x q; } else { z q; }",
		"defcal x $0 { play d($0), g(...); } box [10ns] { delay[5ns] $1; } duration d = 2us;",
		letDoubling("qubit[2] q;", 24),
		gateDoubling(39, "", "", ""),
		loopDoubling(39),
		"OPENQASM 3; qubit q; for int i in [0:9223372036854775807] { }",
		"OPENQASM 3; qubit q; while (true) { }",
		"OPENQASM 3; include \"stdgates.inc\"; qubit[1] q; while (true) { x q[0]; }",
	} {
		f.Add([]byte(s))
	}
	savedOps, savedWork, savedBytes, savedAlias := maxOps, maxWork, maxBytes, maxAliasElems
	maxOps, maxWork, maxBytes, maxAliasElems = 1<<12, 1<<14, 4<<20, 1<<12
	defer func() { maxOps, maxWork, maxBytes, maxAliasElems = savedOps, savedWork, savedBytes, savedAlias }()
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		p, err := parse(ctx, src, 0)
		fuzzguard.Hang(t, err)
		if err != nil {
			var pe *sokr.ProgramError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
			}
			if p != nil {
				t.Fatal("Parse returned a program and an error")
			}
			lines := bytes.Count(src, []byte("\n")) + 1
			if pe.Pos.Line < 1 || pe.Pos.Line > lines || pe.Pos.Col < 1 {
				t.Fatalf("position %v outside the source (%d lines): %v", pe.Pos, lines, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("a parsed program does not validate: %v", err)
		}
		if p.Format() != circuit.Format || p.Source != Format2 && p.Source != Format3 {
			t.Fatalf("formats %q, %q", p.Format(), p.Source)
		}
		p.Requirements()
		NewIR3().Detect(src)
		NewIR2().Detect(src)
	})
}
