package vulkan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the prefix of the substrates' names: device i is "vulkan:i".
const Name = "vulkan"

// Config says how to load Vulkan. The zero value is what most programs want.
type Config struct {
	// Loader is the path or soname of the Vulkan loader; empty means
	// $SOKR_VULKAN_LOADER, else "libvulkan.so.1".
	Loader string
	// Validation turns on VK_LAYER_KHRONOS_validation and records its
	// messages (see Substrate.ValidationMessages). $SOKR_VULKAN_VALIDATION=1
	// turns it on as well.
	Validation bool
	// CacheDir keeps each device's pipeline cache between processes; empty
	// means $SOKR_VULKAN_CACHE_DIR, else the user cache directory's
	// "sokr/vulkan"; "-" keeps it in memory only.
	CacheDir string
	// CPU keeps Vulkan drivers that run on the CPU (Mesa's lavapipe, Google's
	// SwiftShader: device type CPU). They are left out by default: they are
	// slower than the cpu substrate, and lavapipe brings its own libLLVM into
	// the process, which aborts a process that already holds another LLVM
	// (CUDA-Q's: "LLVM ERROR: Option 'default' already exists!").
	// $SOKR_VULKAN_CPU=1 turns it on as well; tests on lavapipe set it.
	CPU bool
	// MaxChunkBytes, when positive, caps the bytes of each device buffer a
	// circuit's state vector is split into (a power of two, at least 2^13
	// amplitudes). It is for tests: lowering it makes a small state on
	// lavapipe take the path of states larger than one buffer. The default
	// is the device's own limit (maxStorageBufferRange and
	// maxMemoryAllocationSize).
	MaxChunkBytes int64
	// NIRArenaBytes, when positive, caps the device buffer of one
	// submission of a NIR run below the device's own limit. It is for
	// tests: lowering it makes a short run on lavapipe take the path of
	// runs too long for one submission (several, each continuing from the
	// last one's final state).
	NIRArenaBytes int64
	// EstimateCPU makes a CPU driver (lavapipe) give circuits a time
	// estimate, as a GPU does, so that the default policy compares it with
	// statevec's. It is for tests: by default a CPU driver gives none, since
	// it runs on the cores statevec uses, with slower kernels, and the
	// policy then keeps circuits on statevec.
	EstimateCPU bool
}

func (c Config) resolve() Config {
	if c.Loader == "" {
		c.Loader = os.Getenv("SOKR_VULKAN_LOADER")
	}
	if v, err := strconv.ParseBool(os.Getenv("SOKR_VULKAN_VALIDATION")); err == nil && v {
		c.Validation = true
	}
	if v, err := strconv.ParseBool(os.Getenv("SOKR_VULKAN_CPU")); err == nil && v {
		c.CPU = true
	}
	if c.CacheDir == "" {
		c.CacheDir = os.Getenv("SOKR_VULKAN_CACHE_DIR")
	}
	if c.CacheDir == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			c.CacheDir = dir + "/sokr/vulkan"
		} else {
			c.CacheDir = "-"
		}
	}
	return c
}

// UnavailableError says why Vulkan cannot be used on this machine: no
// loader, a library that is not one, no instance, or no device. It matches
// ErrUnavailable.
type UnavailableError struct{ Reason string }

// ErrUnavailable matches every *UnavailableError.
var ErrUnavailable = errors.New("vulkan: unavailable")

func (e *UnavailableError) Error() string { return "vulkan: unavailable: " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Register opens Vulkan and registers one substrate per device in reg. When
// Vulkan is unavailable, the reason is recorded in reg.Failures() under
// "vulkan" and returned; the registry carries on without it.
func Register(reg *sokr.Registry, cfg Config) ([]*Substrate, error) {
	subs, err := Open(cfg)
	if err != nil {
		_ = reg.StartSubstrate(Name, func() (sokr.Substrate, error) { return nil, err })
		return nil, err
	}
	var out []*Substrate
	var errs []error
	for _, s := range subs {
		if err := reg.StartSubstrate(s.Name(), func() (sokr.Substrate, error) { return s, nil }); err != nil {
			_ = s.Close()
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// Deferred stands in a registry for the Vulkan devices until a program may
// need them (see sokr.Deferred): registering it loads nothing. The runtime
// starts it, and it opens Vulkan with its Config and is replaced by
// "vulkan:0", "vulkan:1", ..., when the runtime would ask it about a SPIR-V
// module or a native program, when a dispatch names it or one of its
// devices, or when a listing (sokr info) asks what is there. A session that
// runs only circuits or spiking networks never loads libvulkan or a driver.
type Deferred struct {
	cfg    Config
	mu     sync.Mutex
	closed bool
}

var (
	_ sokr.Deferred = (*Deferred)(nil)
	_ sokr.Closer   = (*Deferred)(nil)
)

// NewDeferred returns a placeholder that opens Vulkan with cfg when started.
func NewDeferred(cfg Config) *Deferred { return &Deferred{cfg: cfg} }

// RegisterDeferred registers a Deferred placeholder named "vulkan" in reg.
// When Vulkan turns out to be unavailable, the reason is recorded in
// reg.Failures() under "vulkan" once it has started.
func RegisterDeferred(reg *sokr.Registry, cfg Config) error {
	return reg.RegisterSubstrate(NewDeferred(cfg))
}

// Name returns "vulkan".
func (d *Deferred) Name() string { return Name }

// Kind returns sokr.KindGPU.
func (d *Deferred) Kind() sokr.Kind { return sokr.KindGPU }

// Describe says that the devices are not enumerated yet, and when they are.
func (d *Deferred) Describe() sokr.Properties {
	return sokr.Properties{
		"started": "false",
		"starts":  "when a SPIR-V module or native program is asked of it, or a device is named",
	}
}

// Wants reports whether p is a program the vulkan substrate runs and the
// runtime should start Vulkan for: a SPIR-V module, a native program, or a
// circuit of qcost.CalQubits (20) qubits or more, large enough that a GPU
// may finish it first (the runtime asks only when statevec estimates the run
// at sokr.AutoCompare or more). Smaller circuits never load Vulkan unless a
// device is named; nor do NIR graphs, which snn runs unless vulkan:N is.
func (d *Deferred) Wants(p sokr.Program) bool {
	switch p := p.(type) {
	case *spirv.Program, *native.Program:
		return true
	case *circuit.Program:
		return p.Qubits >= qcost.CalQubits
	}
	return false
}

// refusal is the vulkan substrate's refusal of a program it does not run.
func refusal(p sokr.Program) string {
	return fmt.Sprintf("vulkan runs SPIR-V compute modules and sokr.native/1 programs, not %s", p.Format())
}

// Capability refuses: a program Vulkan does not run, with the substrate's
// reason; one it runs only when asked directly, not through a runtime
// (which starts the placeholder instead of asking it).
func (d *Deferred) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	if !d.Wants(p) {
		return sokr.No(d, refusal(p))
	}
	return sokr.No(d, "Vulkan is not started: a runtime starts it when it asks about this program")
}

// Dispatch fails the job: the placeholder runs nothing (a runtime dispatches
// to the devices it starts).
func (d *Deferred) Dispatch(_ context.Context, j *sokr.Job) {
	j.Fail(&sokr.NoCapableError{Format: j.Program.Format(), Offers: []sokr.Offer{d.Capability(j, j.Program)}})
}

// Start opens Vulkan (see Open) and returns one substrate per device.
func (d *Deferred) Start() ([]sokr.Substrate, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, &UnavailableError{Reason: "the placeholder was closed before it started"}
	}
	subs, err := Open(d.cfg)
	if err != nil {
		return nil, err
	}
	out := make([]sokr.Substrate, len(subs))
	for i, s := range subs {
		out[i] = s
	}
	return out, nil
}

// Close makes a later Start fail: the runtime that held the placeholder has
// shut down, and nobody would close the devices.
func (d *Deferred) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	return nil
}
