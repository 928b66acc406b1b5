package photonic_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Parse reads the text format; Print writes the canonical form, leaving
// out defaults.
func ExampleParse() {
	src := `sokr.photonic/1
# Hong-Ou-Mandel: two photons meet on a balanced beam splitter
modes 2
input |1,1>
bs 0, 1, theta=pi/2        # the default, so Print leaves it out
ps 1, phi=-pi/4
unitary 0, 1 = [[0.6, 0.8i],
                [0.8i, 0.6]]
loss eta=0.9
detect threshold 1
`
	p, err := photonic.Parse([]byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Print(os.Stdout)
	fmt.Println(p.Requirements().Features)
	// Output:
	// sokr.photonic/1
	// modes 2
	// input |1,1>
	// bs 0, 1
	// ps 1, phi=-0.7853981633974483
	// unitary 0, 1 = [[0.6, 0.8i],
	//   [0.8i, 0.6]]
	// loss eta=0.9
	// detect threshold 1
	// [photonic:bs photonic:ps photonic:unitary photonic:loss photonic:pnr photonic:threshold]
}

// Errors name what is wrong and where.
func ExampleParse_error() {
	src := `sokr.photonic/1
modes 2
input |1,1>
bs 0, 2
`
	_, err := photonic.Parse([]byte(src))
	fmt.Println(err)
	var perr *sokr.ProgramError
	if errors.As(err, &perr) {
		fmt.Println(perr.Pos.Line, perr.Pos.Col)
	}
	fmt.Println(errors.Is(err, sokr.ErrInvalidProgram))
	// Output:
	// sokr: invalid program (sokr.photonic/1) at 4:7: mode 2 is out of range: the program has modes 0 to 1
	// 4 7
	// true
}

// A Builder makes the same programs from Go.
func ExampleNewBuilder() {
	p, err := photonic.NewBuilder(3).
		Input(1, 1, 1).
		BS(0, 1).
		BeamSplitter(1, 2, photonic.BeamSplitter{Theta: 1.2309594173407747}). // cos²(θ/2) = 1/3
		PS(2, 0.5).
		Loss(0.8).
		Detect(photonic.Threshold).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	q := p.Requirements().Quantities
	fmt.Println(q["modes"], q["photons"], q["fock_states"])
	// Output:
	// sokr.photonic/1
	// modes 3
	// input |1,1,1>
	// bs 0, 1
	// bs 1, 2, theta=1.2309594173407747
	// ps 2, phi=0.5
	// loss eta=0.8
	// detect threshold
	// 3 3 10
}

// The transfer matrix of Perceval's default beam splitter is
// (1/√2)·[[1, i], [i, 1]], entry [out][in].
func ExampleProgram_Transfer() {
	p, _ := photonic.NewBuilder(2).Input(1, 0).BS(0, 1).Build()
	t := p.Transfer()
	fmt.Printf("%.4f %.4f\n%.4f %.4f\n", t[0], t[1], t[2], t[3])
	// Output:
	// (0.7071+0.0000i) (0.0000+0.7071i)
	// (0.0000+0.7071i) (0.7071+0.0000i)
}

// The IR plugin parses for a runtime and recognises its header.
func ExampleIR() {
	ir := photonic.NewIR()
	src := []byte("sokr.photonic/1\nmodes 1\ninput |1>\n")
	prog, err := ir.Parse(context.Background(), src)
	fmt.Println(prog.Format(), err, ir.Detect(src))
	// Output:
	// sokr.photonic/1 <nil> true
}

// Results are keyed by Fock states in Perceval's notation.
func ExampleCounts() {
	c := photonic.Counts{"|2,0>": 48, "|0,2>": 52}
	fmt.Println(c.Get(photonic.FockState{0, 2}), c.Get(photonic.FockState{1, 1}), c.Shots(), c.States())
	s, err := photonic.ParseFockState("|1, 0, 1>")
	fmt.Println(s, s.Photons(), err)
	// Output:
	// 52 0 100 [|2,0> |0,2>]
	// |1,0,1> 2 <nil>
}
