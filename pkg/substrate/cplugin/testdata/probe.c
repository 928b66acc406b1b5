/*
 * probe.c — small plugins for the host's tests, one per -D flag:
 *
 *   PROBE_ECHO             completes every job before dispatch returns, its
 *                          inputs echoed as outputs out0, out1, ... (the
 *                          benchmark's plugin: the ABI's cost and no work)
 *   PROBE_HOLD_SLOT        holds every job until its cancel slot is called
 *   PROBE_HOLD_POLL        holds every job on a thread polling cancel_requested
 *   PROBE_HOLD_FILE        holds every job, deaf to cancellation, on a thread that
 *                          echoes it once the file $SOKR_PROBE_RELEASE exists
 *   PROBE_CLOSE_BLOCKS     echoes; its close slot returns only once the file
 *                          $SOKR_PROBE_RELEASE exists
 *   PROBE_DOUBLE_COMPLETE  completes every job twice
 *   PROBE_BAD_OUTPUT       completes with an output whose data_len is wrong
 *   PROBE_HUGE_SHAPE       completes with f32[2^32,2^32,4], data NULL, data_len 0
 *                          (the element count wraps to 0 in 64 bits)
 *   PROBE_NULL_OUTPUTS     completes with n_outputs 5 and outputs NULL
 *   PROBE_MANY_OUTPUTS     completes with n_outputs 2^40 (one real output)
 *   PROBE_NULL_DATA        completes with f32[4], data NULL, data_len 16
 *   PROBE_NULL_NAME        completes with an output whose name is NULL, len 3
 *   PROBE_FAIL             completes with SOKR_ERR_INVALID_INPUT and a message
 *   PROBE_PARAMS           echoes seed and params as an output's name
 *   PROBE_WRONG_MAJOR      answers a vtable of ABI version 2.0
 *   PROBE_REFUSE_VERSION   refuses the host's version with SOKR_ERR_VERSION
 *   PROBE_NULL_DISPATCH    leaves the required dispatch slot NULL
 *   PROBE_SMALL_STRUCT     declares a struct_size below SOKR_PLUGIN_V1_MIN_SIZE
 *   PROBE_NO_SYMBOL        exports the query function under another name
 *   PROBE_BAD_NAME         declares a substrate name with a space
 *
 * Every probe runs programs of format "probe/1" and names itself
 * PROBE_NAME (default "probe"). Every probe's close slot creates the file
 * $SOKR_PROBE_CLOSED when that variable is set.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sokr.h"

#ifndef PROBE_NAME
#define PROBE_NAME "probe"
#endif

static int program_token;

static sokr_status prepare(void *self, const sokr_plugin_program_v1 *prog, sokr_plugin_offer_v1 *offer, void **handle) {
    (void)self;
    if (prog->source.len >= 6 && memcmp(prog->source.ptr, "refuse", 6) == 0) {
        sokr_plugin_offer_refuse(offer, "the probe refuses programs that start with \"refuse\"");
        return SOKR_OK;
    }
    offer->ok = 1;
    offer->estimate_ns = 100;
    *handle = &program_token;
    return SOKR_OK;
}

static void release_program(void *self, void *handle) {
    (void)self;
    (void)handle;
}

static inline void echo(sokr_plugin_job_v1 *job) {
    sokr_output outs[8];
    static const char *names[8] = {"out0", "out1", "out2", "out3", "out4", "out5", "out6", "out7"};
    uint64_t n = job->n_inputs < 8 ? job->n_inputs : 8;
    for (uint64_t i = 0; i < n; i++) {
        outs[i].name = sokr_str(names[i]);
        outs[i].tensor = job->inputs[i];
    }
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .status = SOKR_OK, .outputs = outs, .n_outputs = n};
    job->complete(job->user_data, &c);
}

static inline void cancelled(sokr_plugin_job_v1 *job) {
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .status = SOKR_ERR_CANCELLED, .message = sokr_str("held until cancelled")};
    job->complete(job->user_data, &c);
}

/* wait_for_file sleeps until path exists (1 ms polls). */
__attribute__((unused)) static void wait_for_file(const char *path) {
    struct timespec ms = {0, 1000000};
    while (access(path, F_OK) != 0) nanosleep(&ms, NULL);
}

#if defined(PROBE_HOLD_FILE)
struct held {
    sokr_plugin_job_v1 *job;
    char *release; /* a copy of $SOKR_PROBE_RELEASE, read on the dispatching thread */
};

static void *holder(void *arg) {
    struct held *h = arg;
    wait_for_file(h->release);
    echo(h->job);
    free(h->release);
    free(h);
    return NULL;
}
#endif

#if defined(PROBE_HOLD_POLL)
static void *poller(void *arg) {
    sokr_plugin_job_v1 *job = arg;
    struct timespec ms = {0, 1000000};
    while (!sokr_plugin_job_cancelled(job)) nanosleep(&ms, NULL);
    cancelled(job);
    return NULL;
}
#endif

__attribute__((unused)) static sokr_status dispatch(void *self, sokr_plugin_job_v1 *job) {
    (void)self;
#if defined(PROBE_HOLD_SLOT)
    (void)job; /* completed by cancel */
#elif defined(PROBE_HOLD_POLL)
    pthread_t t;
    if (pthread_create(&t, NULL, poller, job) != 0) return SOKR_ERR_INTERNAL;
    pthread_detach(t);
#elif defined(PROBE_HOLD_FILE)
    const char *release = getenv("SOKR_PROBE_RELEASE");
    if (release == NULL) return SOKR_ERR_INVALID_ARGUMENT;
    struct held *h = malloc(sizeof *h);
    if (h == NULL) return SOKR_ERR_OUT_OF_MEMORY;
    h->job = job;
    h->release = strdup(release);
    pthread_t t;
    if (h->release == NULL || pthread_create(&t, NULL, holder, h) != 0) {
        free(h->release);
        free(h);
        return SOKR_ERR_INTERNAL;
    }
    pthread_detach(t);
#elif defined(PROBE_DOUBLE_COMPLETE)
    echo(job);
    echo(job); /* wrong: the host drops it */
#elif defined(PROBE_BAD_OUTPUT)
    int64_t shape[1] = {4};
    float data[3] = {1, 2, 3};
    sokr_output out = {sokr_str("bad"), {SOKR_DTYPE_F32, 1, shape, data, sizeof data}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = 1};
    job->complete(job->user_data, &c);
#elif defined(PROBE_HUGE_SHAPE)
    int64_t shape[3] = {INT64_C(1) << 32, INT64_C(1) << 32, 4};
    sokr_output out = {sokr_str("huge"), {SOKR_DTYPE_F32, 3, shape, NULL, 0}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = 1};
    job->complete(job->user_data, &c);
#elif defined(PROBE_NULL_OUTPUTS)
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = NULL, .n_outputs = 5};
    job->complete(job->user_data, &c);
#elif defined(PROBE_MANY_OUTPUTS)
    int64_t shape[1] = {0};
    sokr_output out = {sokr_str("one"), {SOKR_DTYPE_F32, 1, shape, NULL, 0}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = UINT64_C(1) << 40};
    job->complete(job->user_data, &c);
#elif defined(PROBE_NULL_DATA)
    int64_t shape[1] = {4};
    sokr_output out = {sokr_str("nodata"), {SOKR_DTYPE_F32, 1, shape, NULL, 16}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = 1};
    job->complete(job->user_data, &c);
#elif defined(PROBE_NULL_NAME)
    int64_t shape[1] = {0};
    sokr_output out = {{NULL, 3}, {SOKR_DTYPE_F32, 1, shape, NULL, 0}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = 1};
    job->complete(job->user_data, &c);
#elif defined(PROBE_FAIL)
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .status = SOKR_ERR_INVALID_INPUT,
                                   .message = sokr_str("x must be positive")};
    job->complete(job->user_data, &c);
#elif defined(PROBE_PARAMS)
    char name[256];
    int n = snprintf(name, sizeof name, "seed=%llu/%d", (unsigned long long)job->seed, job->has_seed);
    for (uint64_t i = 0; i < job->n_params && n < (int)sizeof name; i++)
        n += snprintf(name + n, sizeof name - (size_t)n, " %.*s=%.*s", (int)job->params[i].key.len,
                      job->params[i].key.ptr, (int)job->params[i].value.len, job->params[i].value.ptr);
    int64_t shape[1] = {0};
    sokr_output out = {sokr_str(name), {SOKR_DTYPE_F32, 1, shape, NULL, 0}};
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .outputs = &out, .n_outputs = 1};
    job->complete(job->user_data, &c);
#else
    echo(job);
#endif
    return SOKR_OK;
}

static void cancel(void *self, sokr_plugin_job_v1 *job) {
    (void)self;
#if defined(PROBE_HOLD_SLOT)
    cancelled(job);
#else
    (void)job;
#endif
}

static void close_plugin(void *self) {
    (void)self;
#if defined(PROBE_CLOSE_BLOCKS)
    const char *release = getenv("SOKR_PROBE_RELEASE");
    if (release != NULL) wait_for_file(release);
#endif
    const char *mark = getenv("SOKR_PROBE_CLOSED");
    if (mark != NULL) {
        FILE *f = fopen(mark, "w");
        if (f != NULL) fclose(f);
    }
}

static const sokr_string formats[] = {SOKR_LIT("probe/1")};

__attribute__((unused)) static const sokr_plugin_v1 vtable = {
    .struct_size = sizeof(sokr_plugin_v1),
#if defined(PROBE_WRONG_MAJOR)
    .abi_version = SOKR_MAKE_VERSION(2, 0),
#else
    .abi_version = SOKR_ABI_VERSION,
#endif
#if defined(PROBE_BAD_NAME)
    .name = SOKR_LIT("has space"),
#else
    .name = SOKR_LIT(PROBE_NAME),
#endif
    .kind = SOKR_LIT("cpu"),
    .formats = formats,
    .n_formats = 1,
    .prepare = prepare,
    .release_program = release_program,
#if !defined(PROBE_NULL_DISPATCH)
    .dispatch = dispatch,
#endif
    .cancel = cancel,
    .close = close_plugin,
};

#if defined(PROBE_SMALL_STRUCT)
static sokr_plugin_v1 small;
#endif

#if defined(PROBE_NO_SYMBOL)
#define QUERY sokr_plugin_query
#else
#define QUERY sokr_plugin_query_v1
#endif

SOKR_PLUGIN_EXPORT sokr_status QUERY(uint32_t host_abi_version, const sokr_plugin_v1 **out) {
#if defined(PROBE_REFUSE_VERSION)
    (void)host_abi_version;
    (void)out;
    return SOKR_ERR_VERSION;
#else
    if (SOKR_VERSION_MAJOR(host_abi_version) != SOKR_ABI_VERSION_MAJOR) return SOKR_ERR_VERSION;
#if defined(PROBE_SMALL_STRUCT)
    small = vtable;
    small.struct_size = 24;
    *out = &small;
#else
    *out = &vtable;
#endif
    return SOKR_OK;
#endif
}
