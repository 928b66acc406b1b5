//go:build cgo

package vulkan

/*
#include "vk.h"
*/
import "C"

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Host memory. A runtime's memory budget is the machine's memory
// (pkg/sokr/admission.go), so Estimate.MemoryBytes is what a run takes
// from the host: the Go heap (results, bookkeeping), the C allocations of
// vk.c, the host-visible staging buffer every run goes through, and, on a
// device whose memory is the host's (a CPU driver such as lavapipe, an
// integrated GPU), its device buffers too. A discrete GPU's device-local
// memory is not in it: Capability refuses what does not fit the device's
// heap, and each result reports the device memory its run held in
// Meta["device_memory_bytes"].
//
// Buffers are pooled between runs, and the estimate is a cold pool's run:
// every buffer allocated afresh. AllocatedOutsideHeap counts the same way,
// each buffer as its run takes it (from the pool or fresh), so that the
// estimate checks measure a cold pool's run whatever the pool holds. The
// driver's own allocations (command buffers, descriptor sets, compiled
// pipelines) are the driver's, outside SOKR's reach, and not counted.

// runOverhead bounds what a run allocates on the Go heap whatever its
// size: the job's work description, its transfers and bindings, the
// result and its meta map, the device's first opening (TestEstimateCoversTheRun
// measures under 8 KiB on small programs).
const runOverhead = 32 << 10

// stepOverhead bounds a dispatch step's bookkeeping: its push constants
// (at most maxPushBytes) and its entry in the work's steps.
const stepOverhead = maxPushBytes + 256

// outputOverhead bounds an output's bookkeeping besides its data: its
// Output entry, its shape and name.
const outputOverhead = 256

// bufferHeader is the C allocation that holds a buffer's handles.
var bufferHeader = int64(unsafe.Sizeof(C.svk_buffer{}))

// frameBytes is a frame's C allocation (vk.c's svk_frame, with its
// scratch for the dispatch arguments).
var frameBytes = int64(C.svk_frame_size())

// AllocatedOutsideHeap returns the host bytes this substrate's runs have
// taken outside the Go heap since it opened, never decreasing: staging
// buffers, device buffers where device memory is host memory, frames and
// the C copies made to create pipelines. A buffer or frame taken from a
// pool counts as if allocated afresh (see the package's memory notes):
// sokrtest.CheckEstimate adds this to the Go heap's growth.
func (s *Substrate) AllocatedOutsideHeap() int64 { return s.outside.Load() }

// unified says whether the device's memory is the host's: a CPU driver's
// buffers are malloc'd memory, an integrated GPU's heap is system RAM.
func (s *Substrate) unified() bool { return unifiedType(s.info.Type) }

func unifiedType(t string) bool { return t == "cpu" || t == "integrated_gpu" }

// hostBytes is the host memory a buffer of size bytes takes: its size
// class and header for a staging buffer or on unified memory, else its
// header only.
func hostBytes(dev info, size int64, host bool) int64 {
	if !host && !unifiedType(dev.Type) {
		return bufferHeader
	}
	return footprint.Add(classBytes(size), bufferHeader)
}

// classBytes is sizeClass without wrapping for sizes near the int64 limit.
func classBytes(n int64) int64 {
	if n > footprint.Max-(1<<20) {
		return footprint.Max
	}
	return sizeClass(max(n, 1))
}

// pipelineBytes bounds the C memory creating a pipeline takes: the copy
// of the module's words, the entry point's name, the binding arrays and
// the pipeline's own record.
func pipelineBytes(words, bindings int, entry string, spec specialization) int64 {
	return int64(4*words+len(entry)+1+len(spec.data)+1) + int64(6*4*(bindings+1)+4*3*(len(spec.ids)+1)) + 256
}

// usage is a run's memory: host bytes (the estimate) and the device
// buffers it binds.
type usage struct {
	host, device int64
}

// nativeUsage is a native program's run: the arena, the staging buffer
// (params and constants, the fused chains' code, the outputs), the
// outputs on the Go heap, each step's bookkeeping, and the C copies of the
// built-in kernels it uses, created on first use.
func nativeUsage(p *native.Program, pl *plan, dev info) usage {
	var t footprint.Tally
	t.Add(runOverhead)
	t.Add(frameBytes)
	t.Add(hostBytes(dev, pl.arenaBytes, false))
	t.Add(hostBytes(dev, max(pl.stageBytes, 4), true))
	t.Add(footprint.Mul(len(pl.steps), stepOverhead))
	for _, o := range pl.outputs {
		ty := p.Nodes[o].Type
		t.Object(footprint.Mul(ty.Shape.NumElements(), ty.DType.Size()))
		t.Add(outputOverhead + footprint.Object(int64(8*len(ty.Shape))))
	}
	if ks, err := kernels(); err == nil {
		var used [numKernels]bool
		for _, st := range pl.steps {
			if !used[st.k] {
				used[st.k] = true
				t.Add(pipelineBytes(len(ks[st.k].Words), kernelBindings[st.k], "main", specialization{}))
			}
		}
	}
	return usage{host: t.Bytes(), device: classBytes(pl.arenaBytes)}
}

// moduleUsage is a SPIR-V module's run with binding b given sizes[b]
// bytes: a device buffer per binding, the staging buffer that carries them
// both ways, a copy of every writable storage buffer as an output, and the
// pipeline's C copies of the module.
func moduleUsage(m *spirv.Program, sizes []int64, dev info) usage {
	var t footprint.Tally
	t.Add(runOverhead)
	t.Add(frameBytes)
	t.Add(stepOverhead)
	t.Add(pipelineBytes(len(m.Words), len(m.Bindings), longestEntry(m), specialization{}) + specBound(m))
	var stage, device int64
	for i, b := range m.Bindings {
		n := sizes[i]
		t.Add(hostBytes(dev, n, false))
		device = footprint.Add(device, classBytes(n))
		stage = footprint.Add(stage, align(n))
		if b.Kind != spirv.UniformBuffer && !b.ReadOnly {
			t.Object(n)
			t.Add(outputOverhead)
		}
	}
	t.Add(hostBytes(dev, max(stage, 4), true))
	return usage{host: t.Bytes(), device: device}
}

// longestEntry is the longest GLCompute entry point's name.
func longestEntry(m *spirv.Program) string {
	s := ""
	for _, e := range m.EntryPoints {
		if len(e.Name) > len(s) {
			s = e.Name
		}
	}
	return s
}

// specBound bounds a specialization's bytes: eight per constant, and its
// id, offset and size.
func specBound(m *spirv.Program) int64 { return int64(len(m.SpecConstants)) * (8 + 3*4 + 64) }

// moduleSizes are the bytes each binding gets: the inputs' when given, else
// the least the block takes (Capability sees no inputs).
func moduleSizes(m *spirv.Program, inputs []sokr.Tensor) []int64 {
	sizes := make([]int64, len(m.Bindings))
	for i, b := range m.Bindings {
		sizes[i] = max(b.BlockSize, 4)
		if inputs != nil && i < len(inputs) {
			sizes[i] = max(int64(len(inputs[i].Data)), 1)
		}
	}
	return sizes
}

// deviceRefusal says why a run's device buffers cannot fit the device's
// memory, or "".
func deviceRefusal(u usage, dev info) string {
	if dev.DeviceLocalBytes == 0 || uint64(u.device) <= dev.DeviceLocalBytes {
		return ""
	}
	return fmt.Sprintf("the run needs %s of device memory; %s has %s", sokr.FormatBytes(u.device), dev.Name,
		sokr.FormatBytes(int64(min(dev.DeviceLocalBytes, uint64(footprint.Max)))))
}

// EstimateRun forecasts a run of p with these inputs: a SPIR-V module's
// buffers are its inputs' sizes, which Capability cannot see; a native
// program's are fixed by the program. A run whose device buffers exceed the
// device's memory is refused, as Dispatch would fail.
func (s *Substrate) EstimateRun(p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	var u usage
	switch p := p.(type) {
	case *spirv.Program:
		u = moduleUsage(p, moduleSizes(p, inputs), s.info)
	case *native.Program:
		pl, err := s.plan(p)
		if err != nil {
			return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this program: " + err.Error()}
		}
		u = nativeUsage(p, pl, s.info)
	case *circuit.Program:
		return s.estimateCircuitRun(p, inputs, opts)
	case *nir.Program:
		var trials int64 // the lowerings of 1 and 2 steps that size the submissions
		if net, sem, steps, batch, err := nirParse(p, inputs, opts); err == nil {
			per, trial, err := s.nirChunkSteps(net, sem, steps, batch, true)
			if err == nil && (per < steps || sem.session != "") {
				if u, err = s.nirChunkedUsage(net, sem, steps, batch, per); err != nil {
					return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
				}
				break
			}
			trials = trial
		}
		net, low, err := nirPrepare(p, inputs, opts)
		if err != nil {
			return sokr.Estimate{}, err
		}
		if u, err = s.nirUsage(net, low); err != nil {
			return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this NIR graph: " + err.Error()}
		}
		u.host += trials
	default:
		return sokr.Estimate{}, &sokr.InputError{Index: -1, Msg: refusal(p)}
	}
	if why := deviceRefusal(u, s.info); why != "" {
		return sokr.Estimate{}, &sokr.NoCapableError{Format: p.Format(), Offers: []sokr.Offer{sokr.No(s, why)}}
	}
	return sokr.Estimate{MemoryBytes: u.host}, nil
}

// deviceMeta is Meta["device_memory_bytes"]: the device buffers a run held.
func deviceMeta(bufs []*buffer) string {
	var n int64
	for _, b := range bufs {
		n += b.size
	}
	return strconv.FormatInt(n, 10)
}
