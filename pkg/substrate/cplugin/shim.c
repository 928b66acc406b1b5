//go:build cgo

#include <dlfcn.h>

#include "shim.h"
#include "_cgo_export.h"

int cp_open(const char *path, sokr_plugin_query_v1_fn *query, const char **err) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        *err = dlerror();
        return CP_OPEN_FAILED;
    }
    dlerror();
    void *sym = dlsym(lib, SOKR_PLUGIN_QUERY_SYMBOL);
    if (!sym) {
        *err = "the shared object does not export " SOKR_PLUGIN_QUERY_SYMBOL;
        dlclose(lib);
        return CP_NO_QUERY_SYMBOL;
    }
    // The library stays loaded for the life of the process: plugin threads
    // and function pointers may outlive any point where unloading is safe.
    *query = (sokr_plugin_query_v1_fn)sym;
    return CP_OPENED;
}

sokr_status cp_query(sokr_plugin_query_v1_fn query, uint32_t version, const sokr_plugin_v1 **plugin) {
    *plugin = NULL;
    return query(version, plugin);
}

sokr_status cp_prepare(const sokr_plugin_v1 *p, const char *format, uint64_t format_len, const void *src,
                       uint64_t src_len, sokr_plugin_offer_v1 *offer, void **handle) {
    sokr_plugin_program_v1 prog = {
        .struct_size = sizeof prog,
        .format = {format, format_len},
        .source = {(const char *)src, src_len},
    };
    *handle = NULL;
    return p->prepare(p->self, &prog, offer, handle);
}

void cp_release_program(const sokr_plugin_v1 *p, void *handle) { p->release_program(p->self, handle); }

sokr_status cp_dispatch(const sokr_plugin_v1 *p, sokr_plugin_job_v1 *job) {
    job->complete = (sokr_plugin_complete_fn)sokrCpluginComplete;
    return p->dispatch(p->self, job);
}

void cp_cancel(const sokr_plugin_v1 *p, sokr_plugin_job_v1 *job) {
    __atomic_store_n(&job->cancel_requested, 1, __ATOMIC_RELEASE);
    if (cp_has_slot(p, offsetof(sokr_plugin_v1, cancel))) p->cancel(p->self, job);
}

void cp_close(const sokr_plugin_v1 *p) {
    if (cp_has_slot(p, offsetof(sokr_plugin_v1, close))) p->close(p->self);
}

int cp_has_slot(const sokr_plugin_v1 *p, uint64_t offset) {
    if (p->struct_size < offset + sizeof(void *)) return 0;
    void *slot;
    memcpy(&slot, (const char *)p + offset, sizeof slot);
    return slot != NULL;
}
