//go:build cgo

package vulkan

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Substrate runs SPIR-V compute modules and native programs on one Vulkan
// physical device. Its logical device is created on the first dispatch.
type Substrate struct {
	name  string
	index int
	info  info
	in    *instance
	cfg   Config

	mu     sync.Mutex
	dev    *device
	devErr error
	closed bool
	active sync.WaitGroup // dispatches between device() and their queueing
	pipeMu sync.Mutex
	pipes  map[pipeKey]*pipeline // guarded by pipeMu
	// builtins are the native kernels' pipelines, guarded by pipeMu.
	builtins [numKernels]*pipeline
	pooled   int64 // bytes of free buffers kept in pool
	pool     map[poolKey][]*buffer
	queue    *completer
	// outside counts the host bytes runs took outside the Go heap (see
	// AllocatedOutsideHeap).
	outside atomic.Int64
	// cost is the time model of circuit runs, measured on this device on
	// first use (see circuitEstimateFor).
	cost qcost.Lazy
	// spin is how long the completer polls a fence before it blocks: 100 µs
	// on GPUs, where it saves the driver's sleep and wake-up on short
	// dispatches; none on CPU drivers (lavapipe), whose work runs on the
	// cores a spin would take.
	spin uint64
	// sessions are the live NIR sessions (option "session"), by id.
	sessions neuron.Sessions[nirSession]
}

var (
	_ sokr.Substrate    = (*Substrate)(nil)
	_ sokr.Closer       = (*Substrate)(nil)
	_ sokr.RunEstimator = (*Substrate)(nil)
)

// Open loads the Vulkan loader and returns one substrate per physical
// device, named "vulkan:0", "vulkan:1", ... in the loader's order. Devices
// of type CPU (lavapipe, SwiftShader) are left out unless cfg.CPU or
// $SOKR_VULKAN_CPU=1; the known CPU drivers are not even loaded (see
// cpuDrivers). Without a loader, or with no device, it returns an
// *UnavailableError saying why.
func Open(cfg Config) ([]*Substrate, error) {
	cfg = cfg.resolve()
	in, err := openInstance(cfg.Loader, cfg.Validation, cfg.CPU)
	if err != nil {
		if strings.Contains(err.Reason, "VK_ERROR_INCOMPATIBLE_DRIVER") {
			// What the loader says when it has no driver left to load.
			err.Reason = "no Vulkan driver for this machine (" + err.Reason + ")"
		}
		if !cfg.CPU {
			err.Reason += cpuHint
		}
		return nil, err
	}
	var subs []*Substrate
	var cpus []string
	for i := range in.count() {
		d := in.info(i)
		if d.Type == "cpu" && !cfg.CPU {
			cpus = append(cpus, d.Name)
			continue
		}
		s := &Substrate{name: Name + ":" + strconv.Itoa(len(subs)), index: i, info: d, in: in, cfg: cfg,
			pipes: map[pipeKey]*pipeline{}, pool: map[poolKey][]*buffer{}}
		if d.Type != "cpu" {
			s.spin = uint64(100 * time.Microsecond)
		}
		subs = append(subs, s)
	}
	if len(subs) == 0 {
		in.refs = 1
		in.release()
		if len(cpus) > 0 {
			return nil, &UnavailableError{Reason: fmt.Sprintf("the only Vulkan devices run on the CPU (%s)%s", strings.Join(cpus, ", "), cpuHint)}
		}
		if cfg.CPU {
			return nil, &UnavailableError{Reason: "the Vulkan loader found no device (install a GPU's driver, or Debian's mesa-vulkan-drivers for lavapipe)"}
		}
		return nil, &UnavailableError{Reason: "the Vulkan loader found no device (install a GPU's driver)" + cpuHint}
	}
	// Every substrate holds the instance until it closes.
	in.refs = len(subs)
	return subs, nil
}

// cpuHint ends the reason Vulkan is unavailable when CPU drivers were left
// out.
const cpuHint = "; CPU drivers such as lavapipe are left out unless SOKR_VULKAN_CPU=1"

// Name returns "vulkan:N".
func (s *Substrate) Name() string { return s.name }

// Kind returns sokr.KindGPU (also for CPU drivers such as lavapipe, whose
// device_type says "cpu").
func (s *Substrate) Kind() sokr.Kind { return sokr.KindGPU }

// Describe reports the device, its driver and the limits that Capability
// checks.
func (s *Substrate) Describe() sokr.Properties {
	i := s.info
	p := sokr.Properties{
		"device_name":               i.Name,
		"device_type":               i.Type,
		"device_index":              strconv.Itoa(s.index),
		"vendor_id":                 fmt.Sprintf("0x%04x", i.VendorID),
		"device_id":                 fmt.Sprintf("0x%04x", i.DeviceID),
		"api_version":               apiString(i.API),
		"memory_bytes":              strconv.FormatUint(i.DeviceLocalBytes, 10),
		"max_storage_buffer_bytes":  strconv.FormatUint(uint64(i.MaxStorageRange), 10),
		"max_allocation_bytes":      strconv.FormatUint(i.MaxAlloc, 10),
		"max_workgroup_size":        fmt.Sprintf("%d,%d,%d", i.MaxGroupSize[0], i.MaxGroupSize[1], i.MaxGroupSize[2]),
		"max_workgroup_count":       fmt.Sprintf("%d,%d,%d", i.MaxGroupCount[0], i.MaxGroupCount[1], i.MaxGroupCount[2]),
		"max_workgroup_invocations": strconv.FormatUint(uint64(i.MaxInvocations), 10),
		"max_shared_memory_bytes":   strconv.FormatUint(uint64(i.MaxShared), 10),
		"max_push_constant_bytes":   strconv.FormatUint(uint64(i.MaxPush), 10),
		"timestamps":                strconv.FormatBool(i.TimestampBits > 0),
		"float64":                   strconv.FormatBool(i.features["Float64"]),
		"validation":                strconv.FormatBool(s.cfg.Validation),
		"robust_buffer_access":      strconv.FormatBool(i.Robust),
	}
	if i.SubgroupSize > 0 {
		p["subgroup_size"] = strconv.FormatUint(uint64(i.SubgroupSize), 10)
	}
	// Circuits: the largest state vectors (static circuits; per-shot
	// simulation holds two) and the buffers they are split into.
	p["circuit_max_qubits_c64"] = strconv.Itoa(maxCircuitQubits(i, 8, s.cfg.MaxChunkBytes, 1))
	if i.features["Float64"] {
		p["circuit_max_qubits_c128"] = strconv.Itoa(maxCircuitQubits(i, 16, s.cfg.MaxChunkBytes, 1))
	}
	p["circuit_chunk_bytes"] = strconv.FormatInt(8<<maxChunkBits(i, 8, s.cfg.MaxChunkBytes), 10)
	return p
}

// ValidationMessages returns the validation layer's messages recorded since
// the last call (for every device of this substrate's instance) and clears
// them. It is empty unless Config.Validation is on.
func (s *Substrate) ValidationMessages() []string {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	if s.in.c == nil {
		return nil
	}
	return s.in.takeMessages()
}

// Capability accepts SPIR-V compute modules whose capabilities, workgroup
// size, shared memory, push constants and bindings the device supports,
// native programs its built-in kernels cover (f32 and bool values) whose
// buffers fit the device's memory, NIR graphs (those whose lowering onto
// the kernels fits; the rest are refused, naming the node, for the snn
// substrate), and circuits whose state fits the device (see the package
// documentation). The estimate is host memory (see memory.go): a native
// program's run, or a module's with the least its blocks take (EstimateRun
// sees the inputs that size a module's buffers); circuits also carry a
// time estimate.
func (s *Substrate) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	s.mu.Lock()
	closed, devErr := s.closed, s.devErr
	s.mu.Unlock()
	switch {
	case closed:
		return sokr.No(s, "the substrate is closed")
	case devErr != nil:
		return sokr.No(s, "the device is unusable: "+devErr.Error())
	}
	switch p := p.(type) {
	case *spirv.Program:
		if why := s.checkModule(p); why != "" {
			return sokr.No(s, why)
		}
		u := moduleUsage(p, moduleSizes(p, nil), s.info)
		if why := deviceRefusal(u, s.info); why != "" {
			return sokr.No(s, why)
		}
		return sokr.Yes(s, sokr.Estimate{MemoryBytes: u.host})
	case *native.Program:
		pl, err := s.plan(p)
		if err != nil {
			return sokr.No(s, err.Error())
		}
		u := nativeUsage(p, pl, s.info)
		if why := deviceRefusal(u, s.info); why != "" {
			return sokr.No(s, why)
		}
		return sokr.Yes(s, sokr.Estimate{MemoryBytes: u.host})
	case *nir.Program:
		return s.nirCapability(p)
	case *circuit.Program:
		return s.circuitCapability(p)
	}
	return sokr.No(s, refusal(p))
}

// device opens the logical device on first use. A caller that gets it must
// call s.active.Done when it has queued its work.
func (s *Substrate) device() (*device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w: %s is closed", sokr.ErrClosed, s.name)
	}
	if s.devErr != nil {
		return nil, s.devErr
	}
	if s.dev == nil {
		d, err := s.in.openDevice(s.index, s.loadCache())
		if err != nil {
			s.devErr = err
			return nil, err
		}
		s.dev = d
		s.queue = newCompleter(s)
	}
	s.active.Add(1)
	return s.dev, nil
}

func (s *Substrate) cachePath() string {
	if s.cfg.CacheDir == "-" {
		return ""
	}
	return filepath.Join(s.cfg.CacheDir, hex.EncodeToString(s.info.CacheUUID[:])+".bin")
}

func (s *Substrate) loadCache() []byte {
	if p := s.cachePath(); p != "" {
		b, _ := os.ReadFile(p) // a missing or unreadable cache only costs time
		return b
	}
	return nil
}

func (s *Substrate) saveCache(d *device) {
	p := s.cachePath()
	if p == "" {
		return
	}
	data := d.pipelineCache()
	if len(data) == 0 || os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	tmp := p + ".tmp" + strconv.Itoa(os.Getpid()) + "." + strconv.Itoa(s.index)
	if os.WriteFile(tmp, data, 0o644) == nil {
		_ = os.Rename(tmp, p)
	}
}

// pipelineFor returns the cached pipeline for a module's entry point,
// creating it on first use.
func (s *Substrate) pipelineFor(d *device, m *spirv.Program, entry string, sets, binds, uniform []uint32, spec specialization) (*pipeline, error) {
	key := pipeKey{m.Hash(), entry, spec.key()}
	// pipeMu, not mu: the driver may take a while to compile, and the
	// completer must not wait for it to return buffers.
	s.pipeMu.Lock()
	defer s.pipeMu.Unlock()
	if p, ok := s.pipes[key]; ok {
		return p, nil
	}
	p, err := d.newPipeline(m.Words, entry, sets, binds, uniform, nil, uint32(pushRange(m)), spec)
	if err != nil {
		return nil, err
	}
	s.outside.Add(pipelineBytes(len(m.Words), len(sets), entry, spec))
	s.pipes[key] = p
	return p, nil
}

type pipeKey struct {
	module [32]byte
	entry  string
	spec   string // the specialization's values and ids
}

// Close waits for the dispatches in flight, saves the pipeline cache and
// releases the device. Later dispatches fail with sokr.ErrClosed and
// Capability refuses.
func (s *Substrate) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	d, q := s.dev, s.queue
	s.mu.Unlock()
	s.active.Wait()
	if q != nil {
		q.stop()
	}
	if d != nil {
		d.idle() // frames of a failed wait may still be running
		s.saveCache(d)
		s.pipeMu.Lock()
		for _, p := range s.pipes {
			d.freePipeline(p)
		}
		for _, p := range s.builtins {
			if p != nil {
				d.freePipeline(p)
			}
		}
		s.pipes, s.builtins = nil, [numKernels]*pipeline{}
		s.pipeMu.Unlock()
		for _, bs := range s.pool {
			for _, b := range bs {
				d.freeBuffer(b)
			}
		}
		s.pool = nil
		d.close()
	}
	s.in.release()
	return nil
}
