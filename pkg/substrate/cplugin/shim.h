// The C half of the plugin host: dlopen, and calls through the plugin's
// function pointers (cgo cannot call a C function pointer directly).
#ifndef SOKR_CPLUGIN_SHIM_H
#define SOKR_CPLUGIN_SHIM_H

#include "sokr.h"

enum { CP_OPENED = 0, CP_OPEN_FAILED = 1, CP_NO_QUERY_SYMBOL = 2 };

// cp_open loads the shared object at path and looks up its query function.
// It returns CP_OPENED, or CP_OPEN_FAILED / CP_NO_QUERY_SYMBOL with a
// NUL-terminated message in *err (dlerror's: copy it before the next dl
// call on this thread).
int cp_open(const char *path, sokr_plugin_query_v1_fn *query, const char **err);

sokr_status cp_query(sokr_plugin_query_v1_fn query, uint32_t version, const sokr_plugin_v1 **plugin);

sokr_status cp_prepare(const sokr_plugin_v1 *p, const char *format, uint64_t format_len, const void *src,
                       uint64_t src_len, sokr_plugin_offer_v1 *offer, void **handle);

void cp_release_program(const sokr_plugin_v1 *p, void *handle);

// cp_dispatch sets job->complete to the host's completion function and
// calls the plugin's dispatch slot.
sokr_status cp_dispatch(const sokr_plugin_v1 *p, sokr_plugin_job_v1 *job);

// cp_cancel sets job->cancel_requested and, when the plugin has a cancel
// slot, calls it.
void cp_cancel(const sokr_plugin_v1 *p, sokr_plugin_job_v1 *job);

void cp_close(const sokr_plugin_v1 *p);

// cp_has_slot reports whether the vtable is large enough to hold the slot
// at offset and that slot is not NULL.
int cp_has_slot(const sokr_plugin_v1 *p, uint64_t offset);

#endif
