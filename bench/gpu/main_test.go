package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/vulkan"
)

// lavapipe is Mesa's CPU Vulkan driver, the device CI runs this on.
const lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

// validationLayer is where Debian's vulkan-validationlayers installs it.
const validationLayer = "/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json"

func TestMain(m *testing.M) {
	if _, err := os.Stat(lavapipe); err == nil && os.Getenv("VK_ICD_FILENAMES") == "" && os.Getenv("VK_DRIVER_FILES") == "" {
		os.Setenv("VK_ICD_FILENAMES", lavapipe)
	}
	// Lavapipe is a CPU driver, left out unless asked for.
	if _, set := os.LookupEnv("SOKR_VULKAN_CPU"); !set {
		os.Setenv("SOKR_VULKAN_CPU", "1")
	}
	os.Exit(m.Run())
}

// inCI is true under CI=true, where nothing may skip.
func inCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// TestQuickRun runs the whole benchmark at -quick sizes (under the
// validation layer when it is installed) and checks its report.
func TestQuickRun(t *testing.T) {
	out := t.TempDir()
	_, err := os.Stat(validationLayer)
	cfg := Config{Out: out, Quick: true, Budget: 20 * time.Second, Sections: allSections, Validate: err == nil}
	var log bytes.Buffer
	rep, err := run(context.Background(), cfg, &log)
	t.Log("\n" + log.String())
	if errors.Is(err, vulkan.ErrUnavailable) {
		if inCI() {
			t.Fatalf("CI needs Vulkan (lavapipe: Debian's mesa-vulkan-drivers): %v", err)
		}
		t.Skipf("no Vulkan here: %v", err)
	}
	require.NoError(t, err)
	assert.True(t, rep.OK, "errors %v, validation %v", rep.Errors, rep.Validation)

	// The report on disk is the one returned.
	data, err := os.ReadFile(filepath.Join(out, reportFile))
	require.NoError(t, err)
	var got Report
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, "sokr.gpubench/1", got.Schema)
	assert.Equal(t, "quick", got.Mode)
	assert.True(t, got.Complete)
	assert.True(t, got.OK)
	assert.Empty(t, got.Errors)
	assert.Empty(t, got.Validation)
	assert.NotEmpty(t, got.Device["device_name"])
	assert.Positive(t, got.OpenMs)

	require.NotNil(t, got.SAXPY)
	assert.Equal(t, 1<<18, got.SAXPY.N)
	assert.Equal(t, int64(12<<18), got.SAXPY.Bytes)
	require.Len(t, got.SAXPY.Variants, len(saxpyKernels))
	for _, v := range got.SAXPY.Variants {
		assert.Empty(t, v.Error, v.Name)
		assert.True(t, v.Correct, v.Name)
		assert.NotEmpty(t, v.GPUNs, v.Name)
		assert.Positive(t, v.MedianGBps, v.Name)
		assert.GreaterOrEqual(t, v.BestGBps, v.MedianGBps, v.Name)
		assert.InDelta(t, float64(got.SAXPY.Bytes)/(v.GPUMs.Median*1e6), v.MedianGBps, 1e-9*v.MedianGBps, v.Name)
	}
	assert.NotEmpty(t, got.SAXPY.Best)
	if got.SAXPY.PeakGBps == 0 {
		assert.Equal(t, "unknown peak", got.SAXPY.PeakSource)
		assert.False(t, got.SAXPY.Goal.Applies)
	}

	require.NotNil(t, got.Latency)
	for _, l := range []*LatencyRun{got.Latency.SPIRV, got.Latency.Native} {
		require.NotNil(t, l)
		assert.True(t, l.Correct, l.Program)
		assert.Positive(t, l.Runs, l.Program)
		assert.Positive(t, l.TotalUs.Median, l.Program)
		assert.GreaterOrEqual(t, l.TotalUs.P99, l.TotalUs.Median, l.Program)
		assert.LessOrEqual(t, l.TotalUs.Min, l.TotalUs.Median, l.Program)
		assert.Positive(t, l.GPUUs.N, l.Program)
	}
	assert.False(t, got.Latency.Goal.Applies, "the latency goal is checked on GPUs only")

	require.NotNil(t, got.Matmul)
	require.Len(t, got.Matmul.Sizes, 1)
	m := got.Matmul.Sizes[0]
	assert.True(t, m.Correct)
	assert.Positive(t, m.Checked)
	assert.Positive(t, m.MedianGFLOPS)

	require.NotNil(t, got.VsCPU)
	require.Len(t, got.VsCPU.Programs, 3)
	for _, c := range got.VsCPU.Programs {
		assert.Empty(t, c.Error, c.Name)
		assert.True(t, c.Agree, "%s: relative error %g", c.Name, c.MaxRelErr)
		assert.Positive(t, c.SpeedupWall, c.Name)
		assert.Positive(t, c.SpeedupKernel, c.Name)
	}
	require.Len(t, got.Probes, 3)
	for _, p := range got.Probes {
		assert.True(t, p.OK, "%s: %s", p.Name, p.Error)
	}
	assert.Contains(t, log.String(), "headline:")
}

// TestSAXPYKernelsRagged runs each SAXPY kernel on an array that is not a
// multiple of its grid, with few workgroups: the grid-stride kernel's tail
// (which the H100's 2^28 run takes, its grid capped at 65535 groups) and
// the others' bounds checks.
func TestSAXPYKernelsRagged(t *testing.T) {
	subs, err := vulkan.Open(vulkan.Config{CacheDir: "-"})
	if err != nil {
		if inCI() {
			t.Fatalf("CI needs Vulkan: %v", err)
		}
		t.Skipf("no Vulkan here: %v", err)
	}
	for _, s := range subs[1:] {
		_ = s.Close()
	}
	defer subs[0].Close()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(subs[0]))
	const n = 4 * (256*4*3*2 + 777) // vec4x4 with 3 groups: two full passes and a ragged one
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i&1023)/1024, float32(i%13)
	}
	for _, k := range saxpyKernels {
		prog, err := shader(k.shader)
		require.NoError(t, err)
		units := n / k.width
		groups := (units + 256 - 1) / 256
		if k.gridStride {
			groups = 3
		}
		push := binary.LittleEndian.AppendUint32(nil, math.Float32bits(saxpyA))
		push = binary.LittleEndian.AppendUint32(push, uint32(units))
		g := grid(groups)
		res, err := rt.Run(context.Background(), prog, []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)},
			sokr.Param("push_constants", push), sokr.Param("groups", g[:]))
		require.NoError(t, err, k.name)
		out, ok := res.Get("Y")
		require.True(t, ok, k.name)
		got := sokr.View[float32](out.Tensor)
		for i := range got {
			if got[i] != saxpyA*x[i]+y[i] {
				t.Fatalf("%s: y[%d] = %g, want %g", k.name, i, got[i], saxpyA*x[i]+y[i])
			}
		}
	}
}

// TestUnknownSection: a mistyped -sections fails before touching Vulkan.
func TestUnknownSection(t *testing.T) {
	_, err := run(context.Background(), Config{Sections: []string{"saxpy", "sxapy"}}, &bytes.Buffer{})
	require.ErrorContains(t, err, `unknown section "sxapy"`)
}

func TestGrid(t *testing.T) {
	for _, tc := range []struct {
		groups int
		want   [3]int
	}{
		{1, [3]int{1, 1, 1}},
		{65535, [3]int{65535, 1, 1}},
		{1 << 20, [3]int{32768, 32, 1}}, // 2^28 f32, one per invocation
		{65537, [3]int{65535, 2, 1}},    // a prime: rounded up
	} {
		got := grid(tc.groups)
		assert.Equal(t, tc.want, got, "groups %d", tc.groups)
		assert.GreaterOrEqual(t, got[0]*got[1]*got[2], tc.groups)
	}
}

func TestSAXPYN(t *testing.T) {
	h100 := sokr.Properties{"max_storage_buffer_bytes": "4294967295", "max_allocation_bytes": "4292870144",
		"memory_bytes": "85520809984"}
	assert.Equal(t, 1<<28, saxpyN(1<<28, h100))
	lvp := sokr.Properties{"max_storage_buffer_bytes": "134217728", "max_allocation_bytes": "2147483648",
		"memory_bytes": "2147483648"}
	assert.Equal(t, 1<<25, saxpyN(1<<28, lvp))
	assert.Equal(t, 1<<10, saxpyN(1000+1<<10, sokr.Properties{}), "no limits: the largest power of two up to want")
}

func TestPeakFor(t *testing.T) {
	p, src := peakFor("NVIDIA H100 80GB HBM3", 0)
	assert.Equal(t, 3352.0, p)
	assert.Contains(t, src, "2619 MHz")
	p, src = peakFor("llvmpipe (LLVM 15.0.6, 256 bits)", 0)
	assert.Zero(t, p)
	assert.Equal(t, "unknown peak", src)
	p, src = peakFor("llvmpipe", 100)
	assert.Equal(t, 100.0, p)
	assert.Equal(t, "-peak flag", src)
}

func TestDist(t *testing.T) {
	v := make([]float64, 200)
	for i := range v {
		v[i] = float64(200 - i) // 200 .. 1, unsorted
	}
	d := dist(v)
	assert.Equal(t, Dist{N: 200, Min: 1, Median: 100.5, P99: 198, Mean: 100.5, Max: 200}, d)
	assert.Equal(t, float64(200), v[0], "dist leaves its input alone")
	assert.Equal(t, Dist{}, dist(nil))
}

// TestShadersUpToDate recompiles the shaders and compares them with the
// committed SPIR-V (which the GPU machine runs).
func TestShadersUpToDate(t *testing.T) {
	if _, err := exec.LookPath("glslangValidator"); err != nil {
		if inCI() {
			t.Fatal("CI needs glslangValidator (Debian glslang-tools)")
		}
		t.Skip("glslangValidator not installed")
	}
	srcs, err := filepath.Glob("shaders/*.comp")
	require.NoError(t, err)
	require.NotEmpty(t, srcs)
	dir := t.TempDir()
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".comp")
		out := filepath.Join(dir, name+".spv")
		b, err := exec.Command("glslangValidator", "-V", "--target-env", "vulkan1.0", "-o", out, src).CombinedOutput()
		require.NoError(t, err, string(b))
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		want, err := shaderFS.ReadFile("shaders/" + name + ".spv")
		require.NoError(t, err)
		assert.True(t, bytes.Equal(got, want), "shaders/%s.spv is stale: run bench/gpu/gen.sh", name)
		_, err = shader(name)
		assert.NoError(t, err, name)
	}
}
