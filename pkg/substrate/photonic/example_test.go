package photonic_test

import (
	"context"
	"fmt"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/photonic"
)

// The Hong–Ou–Mandel dip: two photons on a balanced beam splitter never
// leave on different sides. The runtime parses the program, picks the
// photonic substrate and returns exact probabilities. |1,1> is not exactly
// 0 because the beam splitter's cos(π/4) and sin(π/4) differ in their
// last bit in double precision: 4.93e-32 is the exact probability of the
// matrix as rounded (numpy's cos and sin give the same).
func Example() {
	rt := sokr.New()
	_ = rt.RegisterIR(ir.NewIR())
	_ = rt.RegisterSubstrate(photonic.New(photonic.Config{}))
	ctx := context.Background()
	prog, err := rt.Parse(ctx, "", []byte(`sokr.photonic/1
modes 2
input |1,1>
bs 0, 1
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := rt.Run(ctx, prog, nil, sokr.Param("mode", "probabilities"))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := res.Get("probabilities")
	p := out.Value.(ir.Probabilities)
	for _, s := range p.States() {
		fmt.Printf("%v %.3g\n", s, p.Get(s))
	}
	fmt.Println(res.Meta["method"])
	// Output:
	// |2,0> 0.5
	// |1,1> 4.93e-32
	// |0,2> 0.5
	// slos
}

// Sampling is exact and seeded: the same seed gives the same counts.
func ExampleSubstrate_Dispatch() {
	prog, _ := ir.NewBuilder(3).
		Input(1, 1, 1).
		BS(0, 1).BS(1, 2).BS(0, 1).
		Loss(0.9).
		Detect(ir.Threshold).
		Build()
	s := photonic.New(photonic.Config{})
	job := sokr.NewJob(context.Background(), prog, nil, sokr.Options{Seed: 7, HasSeed: true, Params: map[string]any{"shots": 1000}})
	s.Dispatch(job, job)
	res, err := job.Future().Wait(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := res.Get("counts")
	counts := out.Value.(ir.Counts)
	fmt.Println(counts.Shots(), len(counts) <= 8, res.Meta["loss"])
	// Output:
	// 1000 true uniform eta=0.9 (sampling: photons thinned at the input; probabilities: dilation)
}

// Cost says what a run will take before it starts.
func ExampleSubstrate_Cost() {
	in := make([]int, 24)
	for i := range 12 {
		in[i] = 1
	}
	b := ir.NewBuilder(24).Input(in...)
	for i := 0; i+1 < 24; i++ {
		b.BS(i, i+1)
	}
	prog, _ := b.Build()
	s := photonic.New(photonic.Config{Workers: 1})
	c, _ := s.Cost(prog, sokr.Options{Params: map[string]any{"shots": 100}})
	fmt.Println(c.Method, c.Photons, c.Modes)
	c, _ = s.Cost(prog, sokr.Options{Params: map[string]any{"mode": "probabilities", "outputs": []string{"|1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0>"}}})
	fmt.Println(c.Method, c.Permanents)
	c, _ = s.Cost(prog, sokr.Options{Params: map[string]any{"mode": "probabilities"}})
	fmt.Println(c.Method, c.States)
	// Output:
	// clifford-clifford 12 24
	// permanents 1
	// slos 834451800
}
