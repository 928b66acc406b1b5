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
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
	"github.com/sokr-rs/sokr/pkg/substrate/vulkan"
)

// Register adds the built-in IRs and substrates to reg, and the C plugins
// listed in $SOKR_PLUGIN_PATH (see cplugin.RegisterEnv), and a vulkan
// substrate for each Vulkan device (see vulkan.Deferred). A substrate or
// plugin that fails to start is recorded in reg.Failures() and does not
// stop the others; an IR that cannot register is an error.
func Register(reg *sokr.Registry) error {
	for _, ir := range []sokr.IR{native.NewIR(), qasm.NewIR2(), qasm.NewIR3(), nir.NewIR(), spirv.NewIR()} {
		if err := reg.RegisterIR(ir); err != nil {
			return err
		}
	}
	// Failures are kept in reg.Failures(); the rest still register.
	_ = reg.StartSubstrate(cpu.Name, func() (sokr.Substrate, error) { return cpu.New(), nil })
	_ = reg.StartSubstrate(statevec.Name, func() (sokr.Substrate, error) { return statevec.New(statevec.Config{}), nil })
	_ = reg.StartSubstrate(snn.Name, func() (sokr.Substrate, error) { return snn.New(), nil })
	// One substrate per Vulkan device, started when a program may need one
	// (a placeholder until then: loading a driver maps its libraries, and
	// lavapipe's LLVM aborts a process holding CUDA-Q's); without Vulkan the
	// reason is then recorded under "vulkan" in the failures.
	_ = vulkan.RegisterDeferred(reg, vulkan.Config{})
	_, _ = cplugin.RegisterEnv(reg)
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
