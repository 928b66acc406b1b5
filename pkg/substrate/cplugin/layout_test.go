//go:build cgo

package cplugin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frozenLayout is the ABI 1.0 layout on LP64 targets (x86-64, AArch64),
// the same figures as the static assertions in sokr.h. Changing one is an
// incompatible ABI change: it needs a new major version.
var frozenLayout = map[string]uintptr{
	"sokr_string": 16, "sokr_string.ptr": 0, "sokr_string.len": 8,
	"sokr_property": 32, "sokr_property.key": 0, "sokr_property.value": 16,
	"sokr_tensor": 32, "sokr_tensor.dtype": 0, "sokr_tensor.rank": 4, "sokr_tensor.shape": 8, "sokr_tensor.data": 16,
	"sokr_tensor.data_len": 24,
	"sokr_output":          48, "sokr_output.name": 0, "sokr_output.tensor": 16,
	"sokr_plugin_program_v1": 40, "sokr_plugin_program_v1.struct_size": 0, "sokr_plugin_program_v1.format": 8,
	"sokr_plugin_program_v1.source": 24,
	"sokr_plugin_offer_v1":          56, "sokr_plugin_offer_v1.struct_size": 0, "sokr_plugin_offer_v1.ok": 8,
	"sokr_plugin_offer_v1.estimate_ns": 16, "sokr_plugin_offer_v1.estimate_memory_bytes": 24, "sokr_plugin_offer_v1.reason": 32,
	"sokr_plugin_offer_v1.reason_cap": 40, "sokr_plugin_offer_v1.reason_len": 48,
	"sokr_plugin_completion_v1": 48, "sokr_plugin_completion_v1.struct_size": 0, "sokr_plugin_completion_v1.status": 8,
	"sokr_plugin_completion_v1.message": 16, "sokr_plugin_completion_v1.outputs": 32, "sokr_plugin_completion_v1.n_outputs": 40,
	"sokr_plugin_job_v1": 88, "sokr_plugin_job_v1.struct_size": 0, "sokr_plugin_job_v1.program": 8, "sokr_plugin_job_v1.inputs": 16,
	"sokr_plugin_job_v1.n_inputs": 24, "sokr_plugin_job_v1.params": 32, "sokr_plugin_job_v1.n_params": 40,
	"sokr_plugin_job_v1.seed": 48, "sokr_plugin_job_v1.has_seed": 56, "sokr_plugin_job_v1.cancel_requested": 60,
	"sokr_plugin_job_v1.complete": 64, "sokr_plugin_job_v1.user_data": 72, "sokr_plugin_job_v1.plugin_data": 80,
	"sokr_plugin_v1": 128, "sokr_plugin_v1.struct_size": 0, "sokr_plugin_v1.abi_version": 8, "sokr_plugin_v1.self": 16,
	"sokr_plugin_v1.name": 24, "sokr_plugin_v1.kind": 40, "sokr_plugin_v1.formats": 56, "sokr_plugin_v1.n_formats": 64,
	"sokr_plugin_v1.properties": 72, "sokr_plugin_v1.n_properties": 80, "sokr_plugin_v1.prepare": 88,
	"sokr_plugin_v1.release_program": 96, "sokr_plugin_v1.dispatch": 104, "sokr_plugin_v1.cancel": 112, "sokr_plugin_v1.close": 120,
	"sokr_offer_v1": 80, "sokr_offer_v1.struct_size": 0, "sokr_offer_v1.ok": 8, "sokr_offer_v1.substrate": 16,
	"sokr_offer_v1.kind": 32, "sokr_offer_v1.reason": 48, "sokr_offer_v1.estimate_ns": 64, "sokr_offer_v1.estimate_memory_bytes": 72,
	"sokr_dispatch_options_v1": 48, "sokr_dispatch_options_v1.struct_size": 0, "sokr_dispatch_options_v1.substrate": 8,
	"sokr_dispatch_options_v1.timeout_ns": 24, "sokr_dispatch_options_v1.seed": 32, "sokr_dispatch_options_v1.has_seed": 40,
	"SOKR_PLUGIN_V1_MIN_SIZE": 112,
}

// TestLayout compares the frozen layout with what the C compiler computes
// (offsetof, sizeof) and with the Go types cgo derives from sokr.h
// (unsafe.Offsetof, unsafe.Sizeof), field by field.
func TestLayout(t *testing.T) {
	c, g := cLayout(), goLayout()
	require.Len(t, c, len(frozenLayout), "the C table and the frozen table list different fields")
	require.Len(t, g, len(frozenLayout), "the Go table and the frozen table list different fields")
	for name, want := range frozenLayout {
		assert.Equal(t, want, c[name], "C: %s", name)
		assert.Equal(t, want, g[name], "Go: %s", name)
	}
}
