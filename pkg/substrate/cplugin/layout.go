//go:build cgo

package cplugin

/*
#include <stddef.h>
#include "sokr.h"

// The layout as the C compiler sees it, for the Go test that freezes it.
#define F(T, f) {#T "." #f, offsetof(T, f)}
#define S(T) {#T, sizeof(T)}
typedef struct { const char *name; size_t value; } cp_layout_entry;
static const cp_layout_entry cp_layout[] = {
    S(sokr_string), F(sokr_string, ptr), F(sokr_string, len),
    S(sokr_property), F(sokr_property, key), F(sokr_property, value),
    S(sokr_tensor), F(sokr_tensor, dtype), F(sokr_tensor, rank), F(sokr_tensor, shape), F(sokr_tensor, data),
    F(sokr_tensor, data_len),
    S(sokr_output), F(sokr_output, name), F(sokr_output, tensor),
    S(sokr_plugin_program_v1), F(sokr_plugin_program_v1, struct_size), F(sokr_plugin_program_v1, format),
    F(sokr_plugin_program_v1, source),
    S(sokr_plugin_offer_v1), F(sokr_plugin_offer_v1, struct_size), F(sokr_plugin_offer_v1, ok),
    F(sokr_plugin_offer_v1, estimate_ns), F(sokr_plugin_offer_v1, estimate_memory_bytes), F(sokr_plugin_offer_v1, reason),
    F(sokr_plugin_offer_v1, reason_cap), F(sokr_plugin_offer_v1, reason_len),
    S(sokr_plugin_completion_v1), F(sokr_plugin_completion_v1, struct_size), F(sokr_plugin_completion_v1, status),
    F(sokr_plugin_completion_v1, message), F(sokr_plugin_completion_v1, outputs), F(sokr_plugin_completion_v1, n_outputs),
    S(sokr_plugin_job_v1), F(sokr_plugin_job_v1, struct_size), F(sokr_plugin_job_v1, program), F(sokr_plugin_job_v1, inputs),
    F(sokr_plugin_job_v1, n_inputs), F(sokr_plugin_job_v1, params), F(sokr_plugin_job_v1, n_params),
    F(sokr_plugin_job_v1, seed), F(sokr_plugin_job_v1, has_seed), F(sokr_plugin_job_v1, cancel_requested),
    F(sokr_plugin_job_v1, complete), F(sokr_plugin_job_v1, user_data), F(sokr_plugin_job_v1, plugin_data),
    S(sokr_plugin_v1), F(sokr_plugin_v1, struct_size), F(sokr_plugin_v1, abi_version), F(sokr_plugin_v1, self),
    F(sokr_plugin_v1, name), F(sokr_plugin_v1, kind), F(sokr_plugin_v1, formats), F(sokr_plugin_v1, n_formats),
    F(sokr_plugin_v1, properties), F(sokr_plugin_v1, n_properties), F(sokr_plugin_v1, prepare),
    F(sokr_plugin_v1, release_program), F(sokr_plugin_v1, dispatch), F(sokr_plugin_v1, cancel), F(sokr_plugin_v1, close),
    S(sokr_offer_v1), F(sokr_offer_v1, struct_size), F(sokr_offer_v1, ok), F(sokr_offer_v1, substrate),
    F(sokr_offer_v1, kind), F(sokr_offer_v1, reason), F(sokr_offer_v1, estimate_ns), F(sokr_offer_v1, estimate_memory_bytes),
    S(sokr_dispatch_options_v1), F(sokr_dispatch_options_v1, struct_size), F(sokr_dispatch_options_v1, substrate),
    F(sokr_dispatch_options_v1, timeout_ns), F(sokr_dispatch_options_v1, seed), F(sokr_dispatch_options_v1, has_seed),
    {"SOKR_PLUGIN_V1_MIN_SIZE", SOKR_PLUGIN_V1_MIN_SIZE},
};
static const cp_layout_entry *cp_layout_table(void) { return cp_layout; }
static size_t cp_layout_len(void) { return sizeof cp_layout / sizeof cp_layout[0]; }
*/
import "C"

import "unsafe"

// cLayout returns sizeof and offsetof of the ABI's structs as the C
// compiler computes them ("sokr_tensor" for the size, "sokr_tensor.data"
// for an offset).
func cLayout() map[string]uintptr {
	m := map[string]uintptr{}
	for _, e := range unsafe.Slice(C.cp_layout_table(), int(C.cp_layout_len())) {
		m[C.GoString(e.name)] = uintptr(e.value)
	}
	return m
}

// goLayout returns the same figures for the Go types cgo derives from
// sokr.h, which is what this package reads and writes through.
func goLayout() map[string]uintptr {
	var (
		str  C.sokr_string
		prop C.sokr_property
		ten  C.sokr_tensor
		out  C.sokr_output
		prog C.sokr_plugin_program_v1
		off  C.sokr_plugin_offer_v1
		comp C.sokr_plugin_completion_v1
		job  C.sokr_plugin_job_v1
		vt   C.sokr_plugin_v1
		hoff C.sokr_offer_v1
		opts C.sokr_dispatch_options_v1
	)
	return map[string]uintptr{
		"sokr_string": unsafe.Sizeof(str), "sokr_string.ptr": unsafe.Offsetof(str.ptr), "sokr_string.len": unsafe.Offsetof(str.len),
		"sokr_property": unsafe.Sizeof(prop), "sokr_property.key": unsafe.Offsetof(prop.key), "sokr_property.value": unsafe.Offsetof(prop.value),
		"sokr_tensor": unsafe.Sizeof(ten), "sokr_tensor.dtype": unsafe.Offsetof(ten.dtype), "sokr_tensor.rank": unsafe.Offsetof(ten.rank),
		"sokr_tensor.shape": unsafe.Offsetof(ten.shape), "sokr_tensor.data": unsafe.Offsetof(ten.data), "sokr_tensor.data_len": unsafe.Offsetof(ten.data_len),
		"sokr_output": unsafe.Sizeof(out), "sokr_output.name": unsafe.Offsetof(out.name), "sokr_output.tensor": unsafe.Offsetof(out.tensor),
		"sokr_plugin_program_v1": unsafe.Sizeof(prog), "sokr_plugin_program_v1.struct_size": unsafe.Offsetof(prog.struct_size),
		"sokr_plugin_program_v1.format": unsafe.Offsetof(prog.format), "sokr_plugin_program_v1.source": unsafe.Offsetof(prog.source),
		"sokr_plugin_offer_v1": unsafe.Sizeof(off), "sokr_plugin_offer_v1.struct_size": unsafe.Offsetof(off.struct_size),
		"sokr_plugin_offer_v1.ok": unsafe.Offsetof(off.ok), "sokr_plugin_offer_v1.estimate_ns": unsafe.Offsetof(off.estimate_ns),
		"sokr_plugin_offer_v1.estimate_memory_bytes": unsafe.Offsetof(off.estimate_memory_bytes), "sokr_plugin_offer_v1.reason": unsafe.Offsetof(off.reason),
		"sokr_plugin_offer_v1.reason_cap": unsafe.Offsetof(off.reason_cap), "sokr_plugin_offer_v1.reason_len": unsafe.Offsetof(off.reason_len),
		"sokr_plugin_completion_v1": unsafe.Sizeof(comp), "sokr_plugin_completion_v1.struct_size": unsafe.Offsetof(comp.struct_size),
		"sokr_plugin_completion_v1.status": unsafe.Offsetof(comp.status), "sokr_plugin_completion_v1.message": unsafe.Offsetof(comp.message),
		"sokr_plugin_completion_v1.outputs": unsafe.Offsetof(comp.outputs), "sokr_plugin_completion_v1.n_outputs": unsafe.Offsetof(comp.n_outputs),
		"sokr_plugin_job_v1": unsafe.Sizeof(job), "sokr_plugin_job_v1.struct_size": unsafe.Offsetof(job.struct_size),
		"sokr_plugin_job_v1.program": unsafe.Offsetof(job.program), "sokr_plugin_job_v1.inputs": unsafe.Offsetof(job.inputs),
		"sokr_plugin_job_v1.n_inputs": unsafe.Offsetof(job.n_inputs), "sokr_plugin_job_v1.params": unsafe.Offsetof(job.params),
		"sokr_plugin_job_v1.n_params": unsafe.Offsetof(job.n_params), "sokr_plugin_job_v1.seed": unsafe.Offsetof(job.seed),
		"sokr_plugin_job_v1.has_seed": unsafe.Offsetof(job.has_seed), "sokr_plugin_job_v1.cancel_requested": unsafe.Offsetof(job.cancel_requested),
		"sokr_plugin_job_v1.complete": unsafe.Offsetof(job.complete), "sokr_plugin_job_v1.user_data": unsafe.Offsetof(job.user_data),
		"sokr_plugin_job_v1.plugin_data": unsafe.Offsetof(job.plugin_data),
		"sokr_plugin_v1":                 unsafe.Sizeof(vt), "sokr_plugin_v1.struct_size": unsafe.Offsetof(vt.struct_size),
		"sokr_plugin_v1.abi_version": unsafe.Offsetof(vt.abi_version), "sokr_plugin_v1.self": unsafe.Offsetof(vt.self),
		"sokr_plugin_v1.name": unsafe.Offsetof(vt.name), "sokr_plugin_v1.kind": unsafe.Offsetof(vt.kind),
		"sokr_plugin_v1.formats": unsafe.Offsetof(vt.formats), "sokr_plugin_v1.n_formats": unsafe.Offsetof(vt.n_formats),
		"sokr_plugin_v1.properties": unsafe.Offsetof(vt.properties), "sokr_plugin_v1.n_properties": unsafe.Offsetof(vt.n_properties),
		"sokr_plugin_v1.prepare": unsafe.Offsetof(vt.prepare), "sokr_plugin_v1.release_program": unsafe.Offsetof(vt.release_program),
		"sokr_plugin_v1.dispatch": unsafe.Offsetof(vt.dispatch), "sokr_plugin_v1.cancel": unsafe.Offsetof(vt.cancel),
		"sokr_plugin_v1.close": unsafe.Offsetof(vt.close),
		"sokr_offer_v1":        unsafe.Sizeof(hoff), "sokr_offer_v1.struct_size": unsafe.Offsetof(hoff.struct_size),
		"sokr_offer_v1.ok": unsafe.Offsetof(hoff.ok), "sokr_offer_v1.substrate": unsafe.Offsetof(hoff.substrate),
		"sokr_offer_v1.kind": unsafe.Offsetof(hoff.kind), "sokr_offer_v1.reason": unsafe.Offsetof(hoff.reason),
		"sokr_offer_v1.estimate_ns": unsafe.Offsetof(hoff.estimate_ns), "sokr_offer_v1.estimate_memory_bytes": unsafe.Offsetof(hoff.estimate_memory_bytes),
		"sokr_dispatch_options_v1": unsafe.Sizeof(opts), "sokr_dispatch_options_v1.struct_size": unsafe.Offsetof(opts.struct_size),
		"sokr_dispatch_options_v1.substrate": unsafe.Offsetof(opts.substrate), "sokr_dispatch_options_v1.timeout_ns": unsafe.Offsetof(opts.timeout_ns),
		"sokr_dispatch_options_v1.seed": unsafe.Offsetof(opts.seed), "sokr_dispatch_options_v1.has_seed": unsafe.Offsetof(opts.has_seed),
		"SOKR_PLUGIN_V1_MIN_SIZE": uintptr(C.SOKR_PLUGIN_V1_MIN_SIZE),
	}
}
