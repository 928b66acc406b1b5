// The public functions of sokr.h's host side. Each checks its pointers and
// calls the Go implementation (libsokr.go, the sokrgo_* exports) with plain
// handles, so that cgo's generated prototypes never meet sokr.h's.

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "_cgo_export.h"

static __thread char *last_error;
static __thread uint64_t last_error_len;
static __thread char *last_info;

static char *copy_string(const char *s, uint64_t n) {
    char *p = malloc((size_t)n + 1);
    if (p) {
        memcpy(p, s, (size_t)n);
        p[n] = 0;
    }
    return p;
}

void lib_set_error(const char *msg, uint64_t len) {
    free(last_error);
    last_error = copy_string(msg, len);
    last_error_len = last_error ? len : 0;
}

sokr_string lib_set_info(const char *msg, uint64_t len) {
    free(last_info);
    last_info = copy_string(msg, len);
    sokr_string s = {last_info, last_info ? len : 0};
    return s;
}

void lib_call_callback(sokr_callback_fn cb, uint64_t user_data, sokr_future *f, sokr_status st) {
    cb(user_data, f, st);
}

static sokr_status invalid(const char *what) {
    lib_set_error(what, strlen(what));
    return SOKR_ERR_INVALID_ARGUMENT;
}

uint32_t sokr_abi_version(void) { return SOKR_ABI_VERSION; }

sokr_string sokr_last_error(void) {
    sokr_string s = {last_error ? last_error : "", last_error_len};
    return s;
}

sokr_status sokr_runtime_create(sokr_runtime **out) {
    if (!out) return invalid("sokr_runtime_create: out is NULL");
    *out = NULL;
    sokr_runtime *rt = malloc(sizeof *rt);
    if (!rt) return SOKR_ERR_OUT_OF_MEMORY;
    sokr_status st = sokrgo_runtime_create(&rt->h);
    if (st != SOKR_OK) {
        free(rt);
        return st;
    }
    *out = rt;
    return SOKR_OK;
}

sokr_status sokr_runtime_destroy(sokr_runtime *rt, int64_t timeout_ns) {
    if (!rt) return SOKR_OK;
    sokr_status st = sokrgo_runtime_destroy(rt->h, timeout_ns);
    free(rt);
    return st;
}

sokr_status sokr_runtime_load_plugin(sokr_runtime *rt, sokr_string path, sokr_string *name) {
    if (!rt || (!path.ptr && path.len)) return invalid("sokr_runtime_load_plugin: rt or path is NULL");
    return sokrgo_runtime_load_plugin(rt->h, (char *)path.ptr, path.len, name);
}

sokr_string sokr_runtime_info(sokr_runtime *rt) {
    if (!rt) return lib_set_info("", 0);
    return sokrgo_runtime_info(rt->h);
}

sokr_status sokr_program_create(sokr_runtime *rt, sokr_string format, const void *src, uint64_t len,
                                sokr_program **out) {
    if (!rt || !out || (!src && len) || (!format.ptr && format.len))
        return invalid("sokr_program_create: rt, src, format or out is NULL");
    *out = NULL;
    sokr_program *p = malloc(sizeof *p);
    if (!p) return SOKR_ERR_OUT_OF_MEMORY;
    sokr_status st = sokrgo_program_create(rt->h, (char *)format.ptr, format.len, (void *)src, len, &p->h);
    if (st != SOKR_OK) {
        free(p);
        return st;
    }
    *out = p;
    return SOKR_OK;
}

void sokr_program_destroy(sokr_program *p) {
    if (!p) return;
    sokrgo_program_destroy(p->h);
    free(p);
}

sokr_status sokr_capability(sokr_runtime *rt, const sokr_program *p, sokr_offer_list **out) {
    if (!rt || !p || !out) return invalid("sokr_capability: rt, p or out is NULL");
    *out = NULL;
    return sokrgo_capability(rt->h, p->h, out);
}

uint64_t sokr_offer_list_len(const sokr_offer_list *list) { return list ? list->n : 0; }

const sokr_offer_v1 *sokr_offer_list_get(const sokr_offer_list *list, uint64_t i) {
    return list && i < list->n ? &list->offers[i] : NULL;
}

void sokr_offer_list_destroy(sokr_offer_list *list) { free(list); }

sokr_status sokr_dispatch(sokr_runtime *rt, const sokr_program *p, const sokr_tensor *inputs, uint64_t n_inputs,
                          const sokr_dispatch_options_v1 *options, sokr_callback_fn cb, uint64_t user_data,
                          sokr_future **out) {
    if (!rt || !p || !out || (!inputs && n_inputs)) return invalid("sokr_dispatch: rt, p, inputs or out is NULL");
    *out = NULL;
    sokr_future *f = malloc(sizeof *f);
    if (!f) return SOKR_ERR_OUT_OF_MEMORY;
    f->h = 0;
    // *out is set first: the callback may run before sokr_dispatch returns.
    *out = f;
    sokr_status st = sokrgo_dispatch(rt->h, p->h, (sokr_tensor *)inputs, n_inputs,
                                     (sokr_dispatch_options_v1 *)options, cb, user_data, f);
    if (st != SOKR_OK) {
        *out = NULL;
        free(f);
    }
    return st;
}

sokr_status sokr_future_poll(sokr_future *f) {
    if (!f) return invalid("sokr_future_poll: f is NULL");
    return sokrgo_future_poll(f->h);
}

sokr_status sokr_future_wait(sokr_future *f, int64_t timeout_ns) {
    if (!f) return invalid("sokr_future_wait: f is NULL");
    return sokrgo_future_wait(f->h, timeout_ns);
}

sokr_status sokr_future_cancel(sokr_future *f) {
    if (!f) return invalid("sokr_future_cancel: f is NULL");
    return sokrgo_future_cancel(f->h);
}

sokr_string sokr_future_error(sokr_future *f) {
    sokr_string empty = {"", 0};
    return f ? sokrgo_future_error(f->h) : empty;
}

sokr_string sokr_future_substrate(sokr_future *f) {
    sokr_string empty = {"", 0};
    return f ? sokrgo_future_substrate(f->h) : empty;
}

uint64_t sokr_future_output_count(sokr_future *f) { return f ? sokrgo_future_output_count(f->h) : 0; }

sokr_status sokr_future_output(sokr_future *f, uint64_t i, sokr_output *out) {
    if (!f || !out) return invalid("sokr_future_output: f or out is NULL");
    return sokrgo_future_output(f->h, i, out);
}

void sokr_future_release(sokr_future *f) {
    if (f) sokrgo_future_release(f->h, f); // frees f once the future is done
}
