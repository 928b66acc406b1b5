// Package defaults assembles the runtime most programs want: every built-in
// IR and every built-in substrate that can start on this machine. It is the
// one package (with bindings/ and cmd/) that knows them all.
//
//	rt, err := defaults.New()
//	if err != nil { ... }
//	defer rt.Close(ctx)
//	prog, err := rt.Parse(ctx, "", src)       // format detected
//	res, err := rt.Run(ctx, prog, inputs)
package defaults

import (
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

// Register adds the built-in IRs and substrates to reg. A substrate that
// fails to start is recorded in reg.Failures() and does not stop the
// others; an IR that cannot register is an error.
func Register(reg *sokr.Registry) error {
	if err := reg.RegisterIR(native.NewIR()); err != nil {
		return err
	}
	// Failures are kept in reg.Failures(); the rest still register.
	_ = reg.StartSubstrate(cpu.Name, func() (sokr.Substrate, error) { return cpu.New(), nil })
	return nil
}

// New returns a runtime with the built-in IRs and substrates registered.
func New(opts ...sokr.Option) (*sokr.Runtime, error) {
	rt := sokr.New(opts...)
	if err := Register(rt.Registry); err != nil {
		return nil, err
	}
	return rt, nil
}
