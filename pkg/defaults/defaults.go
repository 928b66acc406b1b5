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
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	photonicir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/ir/qir"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
	"github.com/sokr-rs/sokr/pkg/substrate/photonic"
	"github.com/sokr-rs/sokr/pkg/substrate/snn"
	"github.com/sokr-rs/sokr/pkg/substrate/statevec"
	"github.com/sokr-rs/sokr/pkg/substrate/vulkan"
)

// Register adds the built-in IRs and substrates to reg, and the C plugins
// listed in $SOKR_PLUGIN_PATH (see cplugin.RegisterEnv), and a vulkan
// substrate for each Vulkan device (see vulkan.Deferred). A substrate or
// plugin that fails to start is recorded in reg.Failures() and does not
// stop the others; an IR that cannot register is an error. The substrates
// plan for this machine's memory budget (see New).
func Register(reg *sokr.Registry) error { return register(reg, hostmem.DefaultBudget()) }

// register is Register with the memory budget the cpu, statevec, snn and
// photonic substrates refuse programs beyond, so that their reasons give
// the same number as the runtime's.
func register(reg *sokr.Registry, budget int64) error {
	for _, ir := range []sokr.IR{native.NewIR(), qasm.NewIR2(), qasm.NewIR3(), nir.NewIR(), spirv.NewIR(), photonicir.NewIR(), qir.NewIR()} {
		if err := reg.RegisterIR(ir); err != nil {
			return err
		}
	}
	// Failures are kept in reg.Failures(); the rest still register.
	_ = reg.StartSubstrate(cpu.Name, func() (sokr.Substrate, error) { return cpu.New(cpu.WithMemoryBudget(budget)), nil })
	_ = reg.StartSubstrate(statevec.Name, func() (sokr.Substrate, error) {
		return statevec.New(statevec.Config{MemoryBudget: budget}), nil
	})
	_ = reg.StartSubstrate(snn.Name, func() (sokr.Substrate, error) { return snn.New(snn.WithMemoryBudget(budget)), nil })
	_ = reg.StartSubstrate(photonic.Name, func() (sokr.Substrate, error) {
		return photonic.New(photonic.Config{MemoryBudget: budget}), nil
	})
	// One substrate per Vulkan device, started when a program may need one
	// (a placeholder until then: loading a driver maps its libraries, and
	// lavapipe's LLVM aborts a process holding CUDA-Q's); without Vulkan the
	// reason is then recorded under "vulkan" in the failures.
	_ = vulkan.RegisterDeferred(reg, vulkan.Config{})
	_, _ = cplugin.RegisterEnv(reg)
	return nil
}

// New returns a runtime with the built-in IRs and substrates registered,
// and a memory budget (sokr.WithMemory) that is the smallest of three
// quarters of MemAvailable, the cgroup's memory limit less its use, and the
// address-space limit (ulimit -v) less what the process has mapped. The
// user's setting, SOKR_MEMORY ("4GiB", "4G", "4000000000"), takes the
// place of the MemAvailable share; a malformed one is an error matching
// ErrMemorySize. The substrates refuse programs beyond the same budget.
// A sokr.WithMemory among opts replaces the budget.
func New(opts ...sokr.Option) (*sokr.Runtime, error) { return NewWithMemory("", "", opts...) }

// NewWithMemory is New with memory, the user's setting ("4GiB", a number of
// bytes), in place of SOKR_MEMORY; source names it in messages (e.g.
// "Runtime(memory=...)"). An empty memory reads SOKR_MEMORY.
func NewWithMemory(memory, source string, opts ...sokr.Option) (*sokr.Runtime, error) {
	b, err := hostmem.Machine{}.Budget(memory, source)
	if err != nil {
		return nil, fmt.Errorf("sokr: %w", err)
	}
	rt := sokr.New(append([]sokr.Option{sokr.WithMemoryFrom(b.Bytes, b.From())}, opts...)...)
	budget := rt.Memory().Budget
	if budget <= 0 { // sokr.WithMemory(0) among opts: no admission, the substrates keep the machine's
		budget = hostmem.DefaultBudget()
	}
	if err := register(rt.Registry, budget); err != nil {
		return nil, err
	}
	return rt, nil
}

// ErrMemorySize is matched by the error of a malformed memory setting.
var ErrMemorySize = hostmem.ErrSize

// ParseMemory reads a memory setting as NewWithMemory and SOKR_MEMORY do:
// bytes ("4000000000"), or a number and a unit ("4GiB", "4G", "1.5 GiB",
// "4GB": K, M, G, T and KiB..TiB are powers of 1024, KB..TB of 1000).
// Errors match ErrMemorySize and say what is wrong.
func ParseMemory(s string) (int64, error) { return hostmem.ParseSize(s) }
