//go:build cgo

package vulkan

/*
#cgo CFLAGS: -I${SRCDIR}/internal/include -O2
#cgo LDFLAGS: -ldl -lpthread
#include <stdlib.h>
#include "vk.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// instance is a loaded Vulkan loader with one VkInstance.
type instance struct {
	mu   sync.Mutex
	c    *C.svk_instance
	refs int // open devices
}

func cerr(buf []C.char) string { return C.GoString(&buf[0]) }

// cpuDrivers match the manifest files of the CPU Vulkan drivers SOKR knows:
// Mesa's lavapipe (lvp_icd.<arch>.json) and Google's SwiftShader
// (vk_swiftshader_icd.json). Unless CPU devices are asked for, openInstance
// has the loader skip them, so that their libraries are never mapped
// (lavapipe links libLLVM). The loader's driver filter,
// VK_LOADER_DRIVERS_DISABLE, matches these globs against manifest file
// names; loaders before 1.3.234 ignore it, and Open still leaves the CPU
// devices out by their type.
var cpuDrivers = []string{"*lvp_icd*", "*swiftshader*"}

// pciDrivers are Mesa's drivers for PCI GPUs, by the vendor whose GPUs they
// drive (PCI vendor IDs: AMD 0x1002, Intel 0x8086, NVIDIA 0x10de). The
// loader loads every driver it finds to ask it for devices, so with Debian's
// mesa-vulkan-drivers it maps RADV, and RADV's libLLVM, on a machine with no
// AMD GPU: the same clash with CUDA-Q as lavapipe's. A driver for a vendor
// with no display controller or accelerator on the PCI bus is left out too.
var pciDrivers = []struct {
	glob   string
	vendor uint64
}{
	{"*radeon_icd*", 0x1002},
	{"*intel_icd*", 0x8086},
	{"*intel_hasvk_icd*", 0x8086},
	{"*nouveau_icd*", 0x10de},
}

// pciDevices is where Linux lists the PCI devices.
const pciDevices = "/sys/bus/pci/devices"

// driverFilter lists the manifest globs the loader is to skip: the CPU
// drivers unless cpu, and the PCI drivers of vendors absent from pciDir,
// unless the user chose the drivers (VK_ICD_FILENAMES, VK_DRIVER_FILES,
// VK_LOADER_DRIVERS_SELECT) or pciDir cannot be read.
func driverFilter(cpu bool, pciDir string) []string {
	var globs []string
	if !cpu {
		globs = append(globs, cpuDrivers...)
	}
	for _, k := range []string{"VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_LOADER_DRIVERS_SELECT"} {
		if os.Getenv(k) != "" {
			return globs
		}
	}
	vendors, ok := gpuVendors(pciDir)
	if !ok {
		return globs
	}
	for _, d := range pciDrivers {
		if !vendors[d.vendor] {
			globs = append(globs, d.glob)
		}
	}
	return globs
}

// gpuVendors reads the vendors of the display controllers (PCI class 0x03)
// and processing accelerators (0x12) under dir, Linux's sysfs PCI devices;
// ok is false when there is nothing to read.
func gpuVendors(dir string) (vendors map[uint64]bool, ok bool) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil, false
	}
	vendors = map[uint64]bool{}
	for _, e := range entries {
		class, err1 := readHex(dir + "/" + e.Name() + "/class")
		vendor, err2 := readHex(dir + "/" + e.Name() + "/vendor")
		if err1 != nil || err2 != nil {
			return nil, false
		}
		if c := class >> 16; c == 0x03 || c == 0x12 {
			vendors[vendor] = true
		}
	}
	return vendors, true
}

func readHex(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(string(b)), "0x"), 16, 64)
}

// envMu serialises the changes openInstance makes to the environment.
var envMu sync.Mutex

// withDriverFilter runs fn with globs added to the loader's driver filter,
// then restores the variable.
func withDriverFilter(globs []string, fn func()) {
	const key = "VK_LOADER_DRIVERS_DISABLE"
	envMu.Lock()
	defer envMu.Unlock()
	old, had := os.LookupEnv(key)
	v := strings.Join(globs, ",")
	if old != "" {
		v = old + "," + v
	}
	// With cgo, os.Setenv calls the C library's setenv, which the loader's
	// getenv reads.
	_ = os.Setenv(key, v)
	defer func() {
		if had {
			_ = os.Setenv(key, old)
		} else {
			_ = os.Unsetenv(key)
		}
	}()
	fn()
}

// openInstance loads the loader at path and creates an instance, without
// the drivers driverFilter lists.
func openInstance(path string, validation, cpu bool) (in *instance, err *UnavailableError) {
	if globs := driverFilter(cpu, pciDevices); len(globs) > 0 {
		withDriverFilter(globs, func() { in, err = create(path, validation) })
		return in, err
	}
	return create(path, validation)
}

func create(path string, validation bool) (*instance, *UnavailableError) {
	var cpath *C.char
	if path != "" {
		cpath = C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	errbuf := make([]C.char, C.SVK_ERRLEN)
	v := C.int(0)
	if validation {
		v = 1
	}
	c := C.svk_open(cpath, v, &errbuf[0])
	if c == nil {
		return nil, &UnavailableError{Reason: cerr(errbuf)}
	}
	return &instance{c: c}, nil
}

func (in *instance) count() int { return int(C.svk_count(in.c)) }

func (in *instance) apiVersion() uint32 { return uint32(C.svk_api_version(in.c)) }

// messages returns the validation messages recorded so far and clears them.
func (in *instance) takeMessages() []string {
	n := int(C.svk_messages(in.c))
	var out []string
	buf := make([]C.char, 4096)
	for i := 0; i < n && i < C.SVK_MAX_MESSAGES; i++ {
		C.svk_message(in.c, C.uint32_t(i), &buf[0], C.size_t(len(buf)))
		out = append(out, C.GoString(&buf[0]))
	}
	if n > C.SVK_MAX_MESSAGES {
		out = append(out, fmt.Sprintf("... and %d more", n-C.SVK_MAX_MESSAGES))
	}
	C.svk_clear_messages(in.c)
	return out
}

// release drops one reference; the last one destroys the instance.
func (in *instance) release() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.refs--
	if in.refs == 0 && in.c != nil {
		C.svk_close(in.c)
		in.c = nil
	}
}

// Device types, as VkPhysicalDeviceType.
var deviceTypes = []string{"other", "integrated_gpu", "discrete_gpu", "virtual_gpu", "cpu"}

// info describes a physical device: its identity, the limits capability
// checks against, and the shader features it has.
type info struct {
	Name                 string
	API                  uint32
	VendorID, DeviceID   uint32
	Type                 string
	CacheUUID            [16]byte
	MaxGroupCount        [3]uint32
	MaxGroupSize         [3]uint32
	MaxInvocations       uint32
	MaxShared, MaxPush   uint32
	MaxStorageRange      uint32
	MaxUniformRange      uint32
	MaxStoragePerStage   uint32
	MaxUniformPerStage   uint32
	MaxBoundSets         uint32
	MaxAlloc             uint64
	TimestampBits        uint32
	DeviceLocalBytes     uint64
	SubgroupOps          uint32
	SubgroupComputeStage bool
	SubgroupSize         uint32
	Robust               bool
	// StorageArrayDynamic is shaderStorageBufferArrayDynamicIndexing: the
	// circuit kernels index their array of state chunks.
	StorageArrayDynamic bool
	features            map[string]bool
	InstanceAPI         uint32
}

func (in *instance) info(i int) info {
	var c C.svk_info
	C.svk_info_get(in.c, C.uint32_t(i), &c)
	t := "other"
	if int(c.device_type) < len(deviceTypes) {
		t = deviceTypes[c.device_type]
	}
	d := info{
		Name: C.GoString(&c.name[0]), API: uint32(c.api_version),
		VendorID: uint32(c.vendor_id), DeviceID: uint32(c.device_id), Type: t,
		MaxInvocations: uint32(c.max_wg_invocations), MaxShared: uint32(c.max_shared), MaxPush: uint32(c.max_push),
		MaxStorageRange: uint32(c.max_storage_range), MaxUniformRange: uint32(c.max_uniform_range),
		MaxStoragePerStage: uint32(c.max_storage_per_stage), MaxUniformPerStage: uint32(c.max_uniform_per_stage),
		MaxBoundSets: uint32(c.max_bound_sets), MaxAlloc: uint64(c.max_alloc),
		TimestampBits:    uint32(c.timestamp_bits),
		DeviceLocalBytes: uint64(c.device_local_bytes), SubgroupOps: uint32(c.subgroup_ops),
		SubgroupComputeStage: c.subgroup_stages&0x20 != 0, SubgroupSize: uint32(c.subgroup_size),
		InstanceAPI: in.apiVersion(), Robust: c.robust != 0, StorageArrayDynamic: c.storage_array_dynamic != 0,
	}
	for k := range 3 {
		d.MaxGroupCount[k] = uint32(c.max_wg_count[k])
		d.MaxGroupSize[k] = uint32(c.max_wg_size[k])
	}
	for k := range 16 {
		d.CacheUUID[k] = byte(c.uuid[k])
	}
	d.features = map[string]bool{
		"Float64": c.f64 != 0, "Int64": c.i64 != 0, "Int16": c.i16 != 0, "Int8": c.i8 != 0, "Float16": c.f16 != 0,
		"StorageBuffer16BitAccess": c.sb16 != 0, "UniformAndStorageBuffer16BitAccess": c.ub16 != 0,
		"StoragePushConstant16": c.pc16 != 0, "StorageBuffer8BitAccess": c.sb8 != 0,
		"UniformAndStorageBuffer8BitAccess": c.ub8 != 0, "StoragePushConstant8": c.pc8 != 0,
		"Int64Atomics": c.int64_atomics != 0, "VariablePointers": c.var_ptrs != 0,
		"VariablePointersStorageBuffer": c.var_ptrs_sb != 0, "VulkanMemoryModel": c.vmm != 0,
	}
	return d
}

// apiString renders a packed Vulkan version as "1.3.239".
func apiString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", (v>>22)&0x7f, (v>>12)&0x3ff, v&0xfff)
}

// device is an open logical device with its queue.
type device struct {
	c  *C.svk_device
	in *instance
}

func (in *instance) openDevice(i int, cache []byte) (*device, error) {
	errbuf := make([]C.char, C.SVK_ERRLEN)
	var p unsafe.Pointer
	if len(cache) > 0 {
		p = C.CBytes(cache)
		defer C.free(p)
	}
	c := C.svk_device_open(in.c, C.uint32_t(i), p, C.size_t(len(cache)), &errbuf[0])
	if c == nil {
		return nil, fmt.Errorf("%s", cerr(errbuf))
	}
	in.mu.Lock()
	in.refs++
	in.mu.Unlock()
	return &device{c: c, in: in}, nil
}

// idle waits for all submitted work, even work whose fence wait failed.
func (d *device) idle() { C.svk_device_idle(d.c) }

func (d *device) close() {
	C.svk_device_close(d.c)
	d.in.release()
}

func (d *device) pipelineCache() []byte {
	n := C.svk_device_cache(d.c, nil, 0)
	if n == 0 {
		return nil
	}
	buf := C.malloc(n)
	defer C.free(buf)
	if C.svk_device_cache(d.c, buf, n) != n {
		return nil
	}
	return C.GoBytes(buf, C.int(n))
}

// buffer is a VkBuffer with its memory, allocated in C so that its address
// can be handed to C freely.
type buffer struct {
	c    *C.svk_buffer
	size int64
	host bool
}

func (d *device) newBuffer(size int64, host bool) (*buffer, error) {
	c := (*C.svk_buffer)(C.calloc(1, C.size_t(unsafe.Sizeof(C.svk_buffer{}))))
	errbuf := make([]C.char, C.SVK_ERRLEN)
	h := C.int(0)
	if host {
		h = 1
	}
	if C.svk_buffer_create(d.c, C.uint64_t(size), h, c, &errbuf[0]) != 0 {
		C.free(unsafe.Pointer(c))
		return nil, fmt.Errorf("%s", cerr(errbuf))
	}
	return &buffer{c: c, size: size, host: host}, nil
}

func (d *device) freeBuffer(b *buffer) {
	C.svk_buffer_destroy(d.c, b.c)
	C.free(unsafe.Pointer(b.c))
}

// bytes is a host buffer's mapped memory.
func (b *buffer) bytes() []byte {
	return unsafe.Slice((*byte)(b.c._map), b.size)
}

// pipeline is a compute pipeline with its layout.
type pipeline struct {
	c        *C.svk_pipeline
	bindings int // descriptors: a dispatch binds this many buffers
}

// specialization is a pipeline's specialization constants: one entry per
// constant id, its value's bytes at offsets[i] in data.
type specialization struct {
	ids, offsets, sizes []uint32
	data                []byte
}

// key identifies the specialization in a cache ("" for none).
func (sp specialization) key() string {
	if len(sp.ids) == 0 {
		return ""
	}
	b := append([]byte{}, sp.data...)
	for _, id := range sp.ids {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	return string(b)
}

// newPipeline creates a compute pipeline. counts gives each binding's
// descriptor count (a descriptor array); nil means one each. The pipeline's
// dispatches take one buffer per descriptor.
func (d *device) newPipeline(words []uint32, entry string, sets, bindings, uniform, counts []uint32, push uint32, spec specialization) (*pipeline, error) {
	code := C.CBytes(unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), 4*len(words)))
	defer C.free(code)
	centry := C.CString(entry)
	defer C.free(unsafe.Pointer(centry))
	n := len(sets)
	cs := cU32(sets)
	cb := cU32(bindings)
	cu := cU32(uniform)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cb))
	defer C.free(unsafe.Pointer(cu))
	var cc *C.uint32_t
	descriptors := n
	if counts != nil {
		cc = cU32(counts)
		defer C.free(unsafe.Pointer(cc))
		descriptors = 0
		for _, c := range counts {
			descriptors += int(max(c, 1))
		}
	}
	si, so, ss := cU32(spec.ids), cU32(spec.offsets), cU32(spec.sizes)
	defer C.free(unsafe.Pointer(si))
	defer C.free(unsafe.Pointer(so))
	defer C.free(unsafe.Pointer(ss))
	sd := C.CBytes(append(spec.data, 0)) // never empty
	defer C.free(sd)
	errbuf := make([]C.char, C.SVK_ERRLEN)
	c := C.svk_pipeline_create(d.c, (*C.uint32_t)(code), C.size_t(4*len(words)), centry, C.uint32_t(n), cs, cb, cu, cc, C.uint32_t(push),
		C.uint32_t(len(spec.ids)), si, so, ss, sd, C.size_t(len(spec.data)), &errbuf[0])
	if c == nil {
		return nil, fmt.Errorf("%s", cerr(errbuf))
	}
	return &pipeline{c: c, bindings: descriptors}, nil
}

func cU32(v []uint32) *C.uint32_t {
	p := (*C.uint32_t)(C.calloc(C.size_t(len(v)+1), 4))
	copy(unsafe.Slice((*uint32)(unsafe.Pointer(p)), len(v)), v)
	return p
}

func (d *device) freePipeline(p *pipeline) { C.svk_pipeline_destroy(d.c, p.c) }

// frame is one recorded submission: a command buffer, its fence, its
// descriptor sets and its two timestamps.
type frame struct {
	c *C.svk_frame
	// args and err are the frame's C scratch memory for the dispatch
	// arguments (buffer pointers, offsets, ranges, push constants) and for
	// error text: no allocation per call.
	args unsafe.Pointer
	err  *C.char
}

// maxBindings is the most buffers one dispatch binds (vk.c's frame pools).
const maxBindings = 256

func (d *device) frame() (*frame, error) {
	errbuf := make([]C.char, C.SVK_ERRLEN)
	c := C.svk_frame_get(d.c, &errbuf[0])
	if c == nil {
		return nil, fmt.Errorf("%s", cerr(errbuf))
	}
	return &frame{c: c, args: C.svk_frame_args(c), err: C.svk_frame_err(c)}, nil
}

func (f *frame) fail() error { return fmt.Errorf("%s", C.GoString(f.err)) }

func (f *frame) copy(src *buffer, srcOff int64, dst *buffer, dstOff, size int64) {
	C.svk_cmd_copy(f.c, src.c, C.uint64_t(srcOff), dst.c, C.uint64_t(dstOff), C.uint64_t(size))
}

func (f *frame) barrier() { C.svk_cmd_barrier(f.c) }

func (f *frame) timestamp(q int) { C.svk_cmd_timestamp(f.c, C.uint32_t(q)) }

// binding is one buffer bound for a dispatch: a range of a buffer.
type binding struct {
	buf         *buffer
	off, length int64 // length 0: to the end of the buffer
}

func (f *frame) dispatch(p *pipeline, binds []binding, push []byte, groups [3]uint32) error {
	if len(binds) != p.bindings || len(binds) > maxBindings || len(push) > 512 {
		return fmt.Errorf("dispatch: %d buffers for %d bindings, %d push-constant bytes", len(binds), p.bindings, len(push))
	}
	n := len(binds)
	bufs := unsafe.Slice((**C.svk_buffer)(f.args), n)
	offs := unsafe.Slice((*C.uint64_t)(unsafe.Add(f.args, 8*maxBindings)), n)
	lens := unsafe.Slice((*C.uint64_t)(unsafe.Add(f.args, 16*maxBindings)), n)
	pushp := unsafe.Add(f.args, 24*maxBindings)
	for i, b := range binds {
		bufs[i], offs[i], lens[i] = b.buf.c, C.uint64_t(b.off), C.uint64_t(b.length)
	}
	copy(unsafe.Slice((*byte)(pushp), len(push)), push)
	if C.svk_cmd_dispatch(f.c, p.c, (**C.svk_buffer)(f.args), (*C.uint64_t)(unsafe.Add(f.args, 8*maxBindings)),
		(*C.uint64_t)(unsafe.Add(f.args, 16*maxBindings)), pushp, C.uint32_t(len(push)),
		C.uint32_t(groups[0]), C.uint32_t(groups[1]), C.uint32_t(groups[2]), f.err) != 0 {
		return f.fail()
	}
	return nil
}

// dispatchBound dispatches p with the buffers the last dispatch bound: p's
// layout must be identical to that dispatch's pipeline's.
func (f *frame) dispatchBound(p *pipeline, push []byte, groups [3]uint32) {
	if len(push) > 512 {
		panic("vulkan: push constants over 512 bytes")
	}
	pushp := unsafe.Add(f.args, 24*maxBindings)
	copy(unsafe.Slice((*byte)(pushp), len(push)), push)
	C.svk_cmd_dispatch_bound(f.c, p.c, pushp, C.uint32_t(len(push)), C.uint32_t(groups[0]), C.uint32_t(groups[1]), C.uint32_t(groups[2]))
}

func (f *frame) submit() error {
	if C.svk_frame_submit(f.c, f.err) != 0 {
		return f.fail()
	}
	return nil
}

// Wait results.
const (
	waitDone    = 0
	waitTimeout = 2 // VK_TIMEOUT
)

// wait polls the frame's fence for up to spinNs, then waits up to
// timeoutNs: waitDone, waitTimeout, or an error naming the VkResult.
func (f *frame) wait(spinNs, timeoutNs uint64) (int, error) {
	r := int(C.svk_frame_wait(f.c, C.uint64_t(spinNs), C.uint64_t(timeoutNs)))
	switch r {
	case waitDone, waitTimeout:
		return r, nil
	}
	return r, fmt.Errorf("vkWaitForFences: %s (%d)", C.GoString(C.svk_result_name(C.int(r))), r)
}

func (f *frame) elapsedNs() uint64 { return uint64(C.svk_frame_elapsed(f.c)) }

func (f *frame) release() {
	C.svk_frame_put(f.c)
	f.c, f.args, f.err = nil, nil, nil
}
