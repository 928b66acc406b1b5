//go:build cgo

package vulkan

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// TestCPUDevicesLeftOutUnlessAskedFor: without SOKR_VULKAN_CPU or
// Config.CPU no device of type CPU is listed (in CI, where lavapipe is the
// only driver, Vulkan is then unavailable, saying how to get it); asked for,
// lavapipe is there.
func TestCPUDevicesLeftOutUnlessAskedFor(t *testing.T) {
	gpu(t) // skips or fails like the others when there is no Vulkan
	t.Setenv("SOKR_VULKAN_CPU", "")
	filter, hadFilter := os.LookupEnv("VK_LOADER_DRIVERS_DISABLE")

	subs, err := Open(Config{CacheDir: "-"})
	for _, s := range subs {
		assert.NotEqual(t, "cpu", s.Describe()["device_type"], s.Describe()["device_name"])
		require.NoError(t, s.Close())
	}
	if err != nil {
		require.ErrorIs(t, err, ErrUnavailable)
		assert.Contains(t, err.Error(), "left out unless SOKR_VULKAN_CPU=1")
	}
	after, hasFilter := os.LookupEnv("VK_LOADER_DRIVERS_DISABLE")
	assert.Equal(t, hadFilter, hasFilter, "the loader's driver filter is put back")
	assert.Equal(t, filter, after)

	all, err := Open(Config{CacheDir: "-", CPU: true})
	require.NoError(t, err)
	cpus := 0
	for i, s := range all {
		assert.Equal(t, Name+":"+strconv.Itoa(i), s.Name())
		if s.Describe()["device_type"] == "cpu" {
			cpus++
		}
		require.NoError(t, s.Close())
	}
	if _, err := os.Stat(lavapipe); err == nil {
		assert.Positive(t, cpus, "lavapipe is listed when asked for")
	}
	assert.Equal(t, len(all)-cpus, len(subs), "only the CPU devices were left out")
}

// mapped is what TestCPUDriverNotLoaded's child process reports.
type mapped struct {
	Loader   bool   `json:"loader"`   // libvulkan.so is mapped
	Lavapipe bool   `json:"lavapipe"` // libvulkan_lvp.so is mapped
	Radeon   bool   `json:"radeon"`   // libvulkan_radeon.so is mapped
	LLVM     bool   `json:"llvm"`     // a libLLVM is mapped
	Devices  int    `json:"devices"`
	Err      string `json:"err"`
}

// TestCPUDriverNotLoaded: unless asked for, lavapipe's library is not even
// loaded (its libLLVM aborts a process holding CUDA-Q's LLVM), with the
// loader's own driver discovery; nor is RADV (which links libLLVM too) on a
// machine without an AMD GPU. The check runs in a fresh process, since this
// one has lavapipe loaded by the other tests.
func TestCPUDriverNotLoaded(t *testing.T) {
	if os.Getenv("SOKR_VULKAN_MAPS_CHILD") == "1" {
		subs, err := Open(Config{CacheDir: "-"})
		out := mapped{Devices: len(subs)}
		if err != nil {
			out.Err = err.Error()
		}
		b, rerr := os.ReadFile("/proc/self/maps")
		require.NoError(t, rerr)
		out.Loader = strings.Contains(string(b), "/libvulkan.so")
		out.Lavapipe = strings.Contains(string(b), "libvulkan_lvp.so")
		out.Radeon = strings.Contains(string(b), "libvulkan_radeon.so")
		out.LLVM = strings.Contains(string(b), "libLLVM")
		j, _ := json.Marshal(out)
		os.Stdout.Write(append([]byte("MAPS "), j...))
		os.Stdout.WriteString("\n")
		return
	}
	if _, err := os.Stat(lavapipe); err != nil {
		if inCI() {
			t.Fatalf("CI needs lavapipe: %v", err)
		}
		t.Skip("needs lavapipe")
	}
	child := func(cpu string) mapped {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCPUDriverNotLoaded$", "-test.count=1")
		for _, kv := range os.Environ() {
			// The loader's own discovery, as users have it.
			if !strings.HasPrefix(kv, "VK_ICD_FILENAMES=") && !strings.HasPrefix(kv, "VK_DRIVER_FILES=") &&
				!strings.HasPrefix(kv, "SOKR_VULKAN_CPU=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "SOKR_VULKAN_MAPS_CHILD=1", "SOKR_VULKAN_CPU="+cpu)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		for _, line := range strings.Split(string(out), "\n") {
			if rest, ok := strings.CutPrefix(line, "MAPS "); ok {
				var m mapped
				require.NoError(t, json.Unmarshal([]byte(rest), &m))
				return m
			}
		}
		t.Fatalf("the child reported nothing:\n%s", out)
		return mapped{}
	}
	without := child("")
	assert.True(t, without.Loader, "the loader was loaded: %+v", without)
	assert.False(t, without.Lavapipe, "lavapipe was loaded though not asked for: %+v", without)
	if vendors, ok := gpuVendors(pciDevices); ok && !vendors[0x1002] {
		assert.False(t, without.Radeon, "RADV was loaded on a machine without an AMD GPU: %+v", without)
		assert.False(t, without.LLVM, "a libLLVM was loaded: %+v", without)
	}
	with := child("1")
	assert.True(t, with.Lavapipe, "asked for, lavapipe is loaded (so the check above can fail): %+v", with)
	assert.Positive(t, with.Devices, with.Err)
}

// TestDeferred: the placeholder refuses what Vulkan does not run without
// opening it, starts on a native program and is replaced by the devices.
func TestDeferred(t *testing.T) {
	gpu(t) // skips or fails like the others when there is no Vulkan
	ctx := context.Background()
	rt := sokr.New()
	require.NoError(t, RegisterDeferred(rt.Registry, Config{CacheDir: "-", Validation: true}))
	defer func() { require.NoError(t, rt.Close(ctx)) }()

	_, err := rt.Run(ctx, sokrtest.Program{Fmt: "openqasm/3"}, nil)
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Contains(t, err.Error(), "vulkan: vulkan runs SPIR-V compute modules and sokr.native/1 programs, not openqasm/3")
	require.Len(t, rt.Substrates(), 1)
	assert.Equal(t, "vulkan", rt.Substrates()[0].Name())
	assert.Equal(t, "false", rt.Substrates()[0].Describe()["started"])

	p := parse(t, "param x: f32[4]\ny: f32[4] = neg x\nreturn y")
	f := rt.Dispatch(ctx, p, []sokr.Tensor{sokr.FromSlice([]float32{1, -2, 3, 0})})
	res, err := f.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, []float32{-1, 2, -3, 0}, sokr.View[float32](res.Outputs[0].Tensor))
	assert.Equal(t, "vulkan:0", f.Substrate())
	assert.Equal(t, "vulkan:0", rt.Substrates()[0].Name(), "the placeholder gave way to the devices")
	for _, s := range rt.Substrates() {
		assert.Empty(t, s.(*Substrate).ValidationMessages())
	}

	// A closed placeholder does not start.
	d := NewDeferred(Config{CacheDir: "-"})
	require.NoError(t, d.Close())
	_, err = d.Start()
	require.ErrorIs(t, err, ErrUnavailable)
}

// TestDriverFilter: the CPU drivers are filtered unless asked for, and the
// PCI drivers of vendors with no GPU on the bus, unless the user chose the
// drivers or the bus cannot be read.
func TestDriverFilter(t *testing.T) {
	for _, k := range []string{"VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_LOADER_DRIVERS_SELECT"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	dev := func(name, class, vendor string) {
		require.NoError(t, os.MkdirAll(dir+"/"+name, 0o755))
		require.NoError(t, os.WriteFile(dir+"/"+name+"/class", []byte(class+"\n"), 0o644))
		require.NoError(t, os.WriteFile(dir+"/"+name+"/vendor", []byte(vendor+"\n"), 0o644))
	}
	dev("0000:00:00.0", "0x060000", "0x8086") // an Intel host bridge: no GPU
	dev("0000:01:00.0", "0x030200", "0x10de") // an NVIDIA 3D controller
	vendors, ok := gpuVendors(dir)
	require.True(t, ok)
	assert.Equal(t, map[uint64]bool{0x10de: true}, vendors)

	cpu := []string{"*lvp_icd*", "*swiftshader*"}
	absent := []string{"*radeon_icd*", "*intel_icd*", "*intel_hasvk_icd*"}
	assert.Equal(t, append(append([]string{}, cpu...), absent...), driverFilter(false, dir))
	assert.Equal(t, absent, driverFilter(true, dir))

	dev("0000:02:00.0", "0x120000", "0x1002") // an AMD accelerator (Instinct)
	assert.Equal(t, []string{"*intel_icd*", "*intel_hasvk_icd*"}, driverFilter(true, dir))

	// Unreadable or chosen: only the CPU drivers.
	assert.Equal(t, cpu, driverFilter(false, dir+"/nothing"))
	assert.Empty(t, driverFilter(true, dir+"/nothing"))
	t.Setenv("VK_ICD_FILENAMES", lavapipe)
	assert.Equal(t, cpu, driverFilter(false, dir))
}
