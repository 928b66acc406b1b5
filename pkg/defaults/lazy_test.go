package defaults_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// vulkanMapped reports whether this process has mapped the Vulkan loader.
func vulkanMapped(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	return strings.Contains(string(b), "/libvulkan.so")
}

// stages is what TestVulkanLoadsOnlyWhenNeeded's child reports: whether the
// loader was mapped after each stage.
type stages struct {
	Start, Circuit, Native, BigCircuit, Capability, Listing bool
	Names                                                   []string
	Failure                                                 string // why Vulkan did not start, if it did not
}

// TestVulkanLoadsOnlyWhenNeeded: the default runtime does not load Vulkan
// when it starts, nor for a small circuit, nor for a native program the cpu
// substrate takes first; it does for a circuit large enough for a GPU to be
// compared with statevec, and for a SPIR-V module's capability question.
// A fresh process, so that nothing else has loaded Vulkan.
func TestVulkanLoadsOnlyWhenNeeded(t *testing.T) {
	if os.Getenv("SOKR_DEFAULTS_CHILD") == "1" {
		ctx := context.Background()
		var st stages
		rt, err := defaults.New()
		require.NoError(t, err)
		st.Start = vulkanMapped(t)

		bell := "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n"
		p, err := rt.Parse(ctx, "", []byte(bell))
		require.NoError(t, err)
		_, err = rt.Run(ctx, p, nil, sokr.Param("shots", 10))
		require.NoError(t, err)
		st.Circuit = vulkanMapped(t)

		n, err := rt.Parse(ctx, "", []byte("sokr.native/1\nparam x: f32[2]\ny: f32[2] = neg x\nreturn y\n"))
		require.NoError(t, err)
		_, err = rt.Run(ctx, n, []sokr.Tensor{sokr.FromSlice([]float32{1, 2})})
		require.NoError(t, err)
		st.Native = vulkanMapped(t)

		// 176 gates on 22 qubits: statevec estimates tens of milliseconds (it
		// runs them in as many), so the default policy compares it with the
		// devices, which start.
		big, err := rt.Parse(ctx, "", []byte("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[22];\nh q;\nt q;\nh q;\ns q;\nh q;\nt q;\nh q;\ns q;\n"))
		require.NoError(t, err)
		_, err = rt.Run(ctx, big, nil, sokr.Param("shots", 1))
		require.NoError(t, err)
		st.BigCircuit = vulkanMapped(t)

		src, err := os.ReadFile(filepath.Join("..", "ir", "spirv", "testdata", "saxpy.spv"))
		require.NoError(t, err)
		m, err := rt.Parse(ctx, "", src)
		require.NoError(t, err)
		rt.Capability(ctx, m)
		st.Capability = vulkanMapped(t)
		rt.StartDeferred()
		for _, s := range rt.Substrates() {
			st.Names = append(st.Names, s.Name())
		}
		st.Listing = vulkanMapped(t)
		if err := rt.Failures()["vulkan"]; err != nil {
			st.Failure = err.Error()
		}
		require.NoError(t, rt.Close(ctx))
		b, _ := json.Marshal(st)
		os.Stdout.WriteString("STAGES " + string(b) + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestVulkanLoadsOnlyWhenNeeded$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SOKR_DEFAULTS_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	var st stages
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "STAGES "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &st))
		}
	}
	assert.False(t, st.Start, "the runtime's start loaded Vulkan")
	assert.False(t, st.Circuit, "a circuit loaded Vulkan")
	assert.False(t, st.Native, "a native program the cpu substrate ran loaded Vulkan")
	assert.NotContains(t, st.Names, "vulkan", "the listing started the placeholder")
	if !strings.Contains(st.Failure, "no Vulkan loader") {
		// The control, wherever there is a loader: the checks above can fail.
		assert.True(t, st.BigCircuit, "a 22-qubit circuit, compared with the devices, loads Vulkan")
		assert.True(t, st.Capability, "a SPIR-V module's capability question loads Vulkan")
	}
}
