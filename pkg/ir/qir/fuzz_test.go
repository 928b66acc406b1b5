package qir

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// FuzzParse feeds arbitrary bytes to parse. It must not panic or hang;
// an error is a *sokr.ProgramError with a position inside the source; a
// program validates. The seeds are the testdata programs and small
// malformed and branching ones.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.ll"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"define void @f() {\n}\n",
		"define void @f() {\n  br label %a\na:\n  br label %a\n}\n",
		"define void @f() {\n  %r = call i1 @__quantum__rt__read_result(ptr null)\n  br i1 %r, label %a, label %b\na:\n  br label %b\nb:\n  br i1 %r, label %c, label %c\nc:\n  ret void\n}\n",
		"define void @f() {\n  call void @__quantum__qis__ccx__body(ptr null, ptr null, ptr inttoptr (i64 63 to ptr))\n  ret void\n}\n",
		"define void @f() {\n  %1 = call i1 @__quantum__qis__read_result__body(ptr null)\n  br i1 %1, label %2, label %3\n2:\n  br label %3\n3:\n  %4 = phi i1 [ %1, %2 ], [ false, %0 ]\n  br i1 %4, label %5, label %6\n5:\n  %7 = phi i1 [ true, %3 ]\n  br i1 %7, label %6, label %6\n6:\n  ret void\n}\n",
		"define void @f() {\n  %a = call i1 @__quantum__rt__read_result(ptr null)\n  %x = zext i1 %a to i64\n  %y = shl i64 %x, 1\n  %z = or i64 %x, %y\n  %c = icmp uge i64 %z, 2\n  br i1 %c, label %t, label %t\nt:\n  ret void\n}\n",
		"define void @f() #7 {\n  call void @__quantum__qis__rx__body(double 0x7FF0000000000000, ptr null)\n  ret void\n}\nattributes #7 = { \"entry_point\" \"required_num_results\"=\"0\" }\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, done := fuzzguard.Start(t, src)
		defer done()
		p, err := parse(ctx, src)
		fuzzguard.Hang(t, err)
		if err != nil {
			var pe *sokr.ProgramError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *sokr.ProgramError: %v", err, err)
			}
			if p != nil {
				t.Fatal("parse returned a program and an error")
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
		if p.Format() != circuit.Format || p.Source != Format {
			t.Fatalf("formats %q, %q", p.Format(), p.Source)
		}
		p.Requirements()
		NewIR().Detect(src)
	})
}
