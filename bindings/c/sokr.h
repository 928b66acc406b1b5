/*
 * sokr.h — SOKR's stable C ABI, version 1.0. This hand-written header is the
 * contract; cgo's generated headers are not. docs/ABI.md explains every rule
 * below at more length, with a walk-through for plugin authors.
 *
 * Two sides share this header:
 *
 *   Host side   (link with -lsokr): create a runtime, make programs from
 *               bytes, ask for capability, dispatch with a completion
 *               callback, poll / wait / cancel / release futures, read
 *               outputs, load plugins. Functions sokr_*.
 *
 *   Plugin side (no library to link): a shared object exports exactly one
 *               function, sokr_plugin_query_v1, which answers a table of
 *               function pointers (struct sokr_plugin_v1). SOKR then offers
 *               it programs, dispatches jobs to it, and the plugin reports
 *               each job's end through the host's complete function.
 *
 * Rules that hold everywhere:
 *
 *   - Integers are fixed width; enumerations are stored in int32_t.
 *   - Strings are {ptr, len} (struct sokr_string): not NUL-terminated unless
 *     a comment says so, UTF-8.
 *   - Status codes (sokr_status): 0 is success, positive values are
 *     informational (SOKR_PENDING, SOKR_UNSUPPORTED), negative ones errors.
 *   - A struct that may grow starts with uint64_t struct_size, which the
 *     writer sets to sizeof the struct it was compiled with. Fields are only
 *     ever appended; a reader touches a field only if struct_size covers it.
 *     Structs without struct_size (sokr_string, sokr_property, sokr_tensor,
 *     sokr_output) are frozen for the whole major version.
 *   - Ownership is written next to every pointer: "borrowed" means valid
 *     only during the call that passes it, unless a longer span is named.
 *
 * Layouts are frozen by the static assertions at the end of this file (for
 * LP64 targets: x86-64 and AArch64 Linux, macOS) and checked again from Go.
 */
#ifndef SOKR_H
#define SOKR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions */

#define SOKR_ABI_VERSION_MAJOR 1
#define SOKR_ABI_VERSION_MINOR 0
/* A version packs major and minor as (major << 16) | minor. */
#define SOKR_MAKE_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define SOKR_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define SOKR_VERSION_MINOR(v) ((uint32_t)(v) & 0xffffu)
#define SOKR_ABI_VERSION SOKR_MAKE_VERSION(SOKR_ABI_VERSION_MAJOR, SOKR_ABI_VERSION_MINOR)

/* ------------------------------------------------------------ status codes */

typedef int32_t sokr_status;

enum {
    SOKR_OK = 0,
    /* Informational (> 0). */
    SOKR_PENDING = 1,     /* the future has not completed yet (poll, wait) */
    SOKR_UNSUPPORTED = 2, /* the request is understood but not offered */
    /* Errors (< 0). The first ten mirror the Go core's error kinds. */
    SOKR_ERR_INVALID_ARGUMENT = -1,       /* a NULL or malformed argument */
    SOKR_ERR_INVALID_PROGRAM = -2,        /* malformed or unverifiable program */
    SOKR_ERR_INVALID_INPUT = -3,          /* inputs do not fit the program */
    SOKR_ERR_NO_CAPABLE_SUBSTRATE = -4,   /* every substrate refused */
    SOKR_ERR_CANCELLED = -5,              /* cancelled by the caller */
    SOKR_ERR_DEADLINE_EXCEEDED = -6,      /* the dispatch timeout passed */
    SOKR_ERR_SUBSTRATE_FAULT = -7,        /* the substrate failed while running */
    SOKR_ERR_CLOSED = -8,                 /* the runtime or plugin is shut down */
    SOKR_ERR_REGISTRATION = -9,           /* a plugin could not be registered */
    SOKR_ERR_ALREADY_DONE = -10,          /* cancel of a completed future */
    SOKR_ERR_UNKNOWN_FORMAT = -11,        /* no IR for this program format */
    SOKR_ERR_VERSION = -12,               /* no common ABI version */
    SOKR_ERR_OUT_OF_MEMORY = -13,
    SOKR_ERR_INTERNAL = -14               /* anything else */
};

/* ------------------------------------------------------------ shared types */

/* A string: len bytes at ptr, UTF-8, not NUL-terminated. Frozen. */
typedef struct sokr_string {
    const char *ptr;
    uint64_t len;
} sokr_string;

/* A string of a NUL-terminated C string (borrowed: the result points into s). */
static inline sokr_string sokr_str(const char *s) {
    sokr_string r;
    r.ptr = s;
    r.len = s ? (uint64_t)strlen(s) : 0;
    return r;
}

/* A sokr_string initializer for a string literal: SOKR_LIT("cpu"). */
#define SOKR_LIT(s) { (s), sizeof(s) - 1 }

/* A key/value pair of strings (substrate properties, dispatch parameters). Frozen. */
typedef struct sokr_property {
    sokr_string key;
    sokr_string value;
} sokr_property;

/* Element types, stored in int32_t. The values equal Go's sokr.DType. */
typedef enum sokr_dtype {
    SOKR_DTYPE_INVALID = 0,
    SOKR_DTYPE_F32 = 1,  /* IEEE 754 binary32 */
    SOKR_DTYPE_F64 = 2,  /* IEEE 754 binary64 */
    SOKR_DTYPE_I32 = 3,
    SOKR_DTYPE_I64 = 4,
    SOKR_DTYPE_BOOL = 5, /* one byte, 0 or 1 */
    SOKR_DTYPE_C64 = 6,  /* two binary32: real, imaginary */
    SOKR_DTYPE_C128 = 7  /* two binary64 */
} sokr_dtype;

/* Size in bytes of one element of dtype, 0 for an unknown dtype. */
static inline uint64_t sokr_dtype_size(int32_t dtype) {
    static const uint8_t sizes[8] = {0, 4, 8, 4, 8, 1, 8, 16};
    return (dtype >= 0 && dtype < 8) ? sizes[dtype] : 0;
}

/*
 * A dense, row-major (C-order) tensor in the machine's byte order. Frozen.
 * data_len == sokr_dtype_size(dtype) * product(shape) (1 for rank 0).
 * Who owns shape and data depends on where the tensor appears; see there.
 */
typedef struct sokr_tensor {
    int32_t dtype;        /* a sokr_dtype */
    int32_t rank;         /* number of dimensions, 0 for a scalar */
    const int64_t *shape; /* rank dimensions (may be NULL when rank == 0) */
    const void *data;
    uint64_t data_len;    /* bytes */
} sokr_tensor;

/* A named tensor: a program output. Frozen. */
typedef struct sokr_output {
    sokr_string name;
    sokr_tensor tensor;
} sokr_output;

/* ========================================================================
 * Plugin side: a substrate written in C, C++ or Rust.
 *
 * The plugin exports sokr_plugin_query_v1. The host calls it once, right
 * after loading the shared object, with the newest ABI version it speaks.
 * The plugin answers with a vtable whose abi_version has the same major
 * version, or returns SOKR_ERR_VERSION. Slots are called from any thread,
 * concurrently: a plugin guards its own state.
 *
 * A plugin runs inside the host's process, with the host's privileges and
 * memory: there is no sandbox. A plugin that crashes (a bad pointer, an
 * abort, a stack overflow) or corrupts memory takes the host down with it
 * (a Python or Jupyter kernel included), and no error can be reported.
 * Load only plugins you trust as much as the host program itself.
 * ======================================================================== */

/* A program offered to a plugin: its format and its serialised source. */
typedef struct sokr_plugin_program_v1 {
    uint64_t struct_size;
    sokr_string format;  /* borrowed, e.g. "sokr.native/1" */
    sokr_string source;  /* borrowed: the program's bytes in that format
                            (native programs: canonical text); copy what you keep */
} sokr_plugin_program_v1;

/* A plugin's answer to "can you run this program?". The host sets
 * struct_size, reason and reason_cap; the plugin sets the rest. */
typedef struct sokr_plugin_offer_v1 {
    uint64_t struct_size;
    int32_t ok;                     /* 1 yes, 0 no */
    int32_t reserved0;              /* 0 */
    int64_t estimate_ns;            /* forecast run time, 0 unknown */
    int64_t estimate_memory_bytes;  /* forecast memory, 0 unknown */
    char *reason;                   /* host-owned buffer of reason_cap bytes: why not,
                                       in words a user can act on */
    uint64_t reason_cap;
    uint64_t reason_len;            /* bytes the plugin wrote (<= reason_cap) */
} sokr_plugin_offer_v1;

/* Writes a NUL-terminated reason into offer (truncated to fit) and refuses. */
static inline void sokr_plugin_offer_refuse(sokr_plugin_offer_v1 *offer, const char *reason) {
    uint64_t n = (uint64_t)strlen(reason);
    if (n > offer->reason_cap) n = offer->reason_cap;
    memcpy(offer->reason, reason, (size_t)n);
    offer->reason_len = n;
    offer->ok = 0;
}

/* How a job ended, passed to the host's complete function. */
typedef struct sokr_plugin_completion_v1 {
    uint64_t struct_size;
    sokr_status status;          /* SOKR_OK, or a negative SOKR_ERR_* */
    int32_t reserved0;           /* 0 */
    sokr_string message;         /* borrowed for the call: why, when status < 0 */
    const sokr_output *outputs;  /* borrowed for the call: the host copies them */
    uint64_t n_outputs;
} sokr_plugin_completion_v1;

/*
 * The host's completion function. The plugin calls it exactly once per job
 * it accepted, from any thread, possibly before dispatch returns. After it
 * returns, the job, its inputs and everything reached from them belong to
 * the host again: the plugin must not touch them.
 */
typedef void (*sokr_plugin_complete_fn)(uint64_t user_data, const sokr_plugin_completion_v1 *completion);

/* One dispatch as a plugin sees it. Host-owned; valid until complete is called. */
typedef struct sokr_plugin_job_v1 {
    uint64_t struct_size;
    void *program;               /* the handle prepare returned */
    const sokr_tensor *inputs;   /* host-owned, read-only, valid until complete */
    uint64_t n_inputs;
    const sokr_property *params; /* host-owned dispatch parameters ("shots"), valid until complete */
    uint64_t n_params;
    uint64_t seed;               /* for every random choice, when has_seed */
    int32_t has_seed;
    int32_t cancel_requested;    /* the host sets it to 1 (atomically) to ask the
                                    plugin to stop; read it with sokr_plugin_job_cancelled */
    sokr_plugin_complete_fn complete;
    uint64_t user_data;          /* pass back to complete */
    void *plugin_data;           /* free for the plugin's own use */
} sokr_plugin_job_v1;

/* Reports whether the host asked the job to stop. */
static inline int sokr_plugin_job_cancelled(const sokr_plugin_job_v1 *job) {
    return __atomic_load_n(&job->cancel_requested, __ATOMIC_ACQUIRE) != 0;
}

/*
 * The plugin's vtable. Plugin-owned; must stay valid until close returns
 * (a static const struct is the usual choice). Slots up to and including
 * dispatch are required; later ones may be NULL.
 */
typedef struct sokr_plugin_v1 {
    uint64_t struct_size;          /* sizeof(sokr_plugin_v1) as the plugin compiled it */
    uint32_t abi_version;          /* SOKR_ABI_VERSION the plugin was compiled with */
    uint32_t reserved0;            /* 0 */
    void *self;                    /* plugin state, passed to every slot */
    sokr_string name;              /* unique substrate name, no white space */
    sokr_string kind;              /* "cpu", "gpu", "qpu", "neuromorphic", "remote", ... */
    const sokr_string *formats;    /* the program formats it runs (n_formats of them);
                                      the host never offers it another */
    uint64_t n_formats;
    const sokr_property *properties; /* static facts ("cores", "device"), n_properties of them */
    uint64_t n_properties;

    /*
     * Required. Reads a program and answers whether it can run it. On yes
     * (offer->ok = 1) it sets *handle to its prepared form, which the host
     * passes to dispatch and releases with release_program. On no it writes
     * the reason (sokr_plugin_offer_refuse) and leaves *handle NULL.
     * Returns SOKR_OK whether yes or no; an error status means the program
     * could not even be read (the host treats it as no, with the status).
     */
    sokr_status (*prepare)(void *self, const sokr_plugin_program_v1 *program,
                           sokr_plugin_offer_v1 *offer, void **handle);
    /* Required. Frees a prepared program. The host calls it once per handle,
       after the last job using it has completed. */
    void (*release_program)(void *self, void *handle);
    /*
     * Required. Starts a job and returns at once. SOKR_OK means it accepted
     * the job and will call job->complete exactly once (perhaps already
     * has). An error status means it refused the job without calling
     * complete and never will; the host fails the job with that status.
     */
    sokr_status (*dispatch)(void *self, sokr_plugin_job_v1 *job);

    /* Optional. Tells the plugin that job->cancel_requested was just set,
       for plugins that wait on something they could interrupt. The host
       calls it at most once per job, only after dispatch returned SOKR_OK,
       and keeps the job valid during the call even if complete runs
       meanwhile. Must not block. The job still completes exactly once. */
    void (*cancel)(void *self, sokr_plugin_job_v1 *job);
    /* Optional. Called once when the host shuts down, after every job has
       completed: stop threads, free self. No other slot is called after it. */
    void (*close)(void *self);
} sokr_plugin_v1;

/* The smallest struct_size of a valid sokr_plugin_v1: every required slot. */
#define SOKR_PLUGIN_V1_MIN_SIZE (offsetof(sokr_plugin_v1, dispatch) + sizeof(void *))

#if defined(_WIN32)
#define SOKR_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SOKR_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/*
 * The one symbol a plugin exports. host_abi_version is the newest version
 * the host speaks. Answer SOKR_OK with *plugin set to a vtable of the same
 * major version, or SOKR_ERR_VERSION.
 */
typedef sokr_status (*sokr_plugin_query_v1_fn)(uint32_t host_abi_version, const sokr_plugin_v1 **plugin);
#define SOKR_PLUGIN_QUERY_SYMBOL "sokr_plugin_query_v1"

/* ========================================================================
 * Host side: libsokr.so.
 *
 * Handles are opaque. Every function is safe to call from any thread.
 * A function that fails returns a negative status and records a message in
 * the calling thread's last error (sokr_last_error); a future keeps its own
 * message (sokr_future_error).
 * ======================================================================== */

typedef struct sokr_runtime sokr_runtime;
typedef struct sokr_program sokr_program;
typedef struct sokr_future sokr_future;
typedef struct sokr_offer_list sokr_offer_list;

/* The ABI version the library speaks (SOKR_ABI_VERSION when built). */
uint32_t sokr_abi_version(void);

/* The message of the last failed call on this thread (empty when none).
   Library-owned: valid until the next sokr_* call on this thread. */
sokr_string sokr_last_error(void);

/* Makes a runtime with every built-in IR and substrate, plus the plugins
   named by SOKR_PLUGIN_PATH (colon-separated .so files or directories,
   relative ones taken from the working directory; a plugin that fails to
   load is skipped and listed by sokr_runtime_info). Release it with
   sokr_runtime_destroy. */
sokr_status sokr_runtime_create(sokr_runtime **out);

/* Shuts a runtime down: waits up to timeout_ns (< 0: for ever) for futures
   still in flight, then cancels them, and frees the runtime. Futures and
   programs made from it stay valid until released. */
sokr_status sokr_runtime_destroy(sokr_runtime *rt, int64_t timeout_ns);

/* Loads the C plugin at path (borrowed) into rt. A relative path, a bare
   file name included, is taken from the working directory: the system
   library path is never searched. The plugin then runs in this process (see
   "Plugin side": a plugin that crashes takes the process down). On success,
   when name is not NULL, *name is the substrate's name (owned by rt, valid
   until it is destroyed). */
sokr_status sokr_runtime_load_plugin(sokr_runtime *rt, sokr_string path, sokr_string *name);

/* Describes rt as JSON: {"substrates": [{"name", "kind", "properties"}],
   "irs": [...], "failures": {name: message}}. Library-owned: valid until
   the next sokr_* call on this thread. */
sokr_string sokr_runtime_info(sokr_runtime *rt);

/* Parses and verifies a program of format (borrowed; empty: detected) from
   len bytes at src (borrowed). Release it with sokr_program_destroy. */
sokr_status sokr_program_create(sokr_runtime *rt, sokr_string format, const void *src, uint64_t len,
                                sokr_program **out);
void sokr_program_destroy(sokr_program *p);

/* One substrate's answer to capability. Owned by its sokr_offer_list. */
typedef struct sokr_offer_v1 {
    uint64_t struct_size;
    int32_t ok;                    /* 1 yes, 0 no */
    int32_t reserved0;
    sokr_string substrate;
    sokr_string kind;
    sokr_string reason;            /* why not; empty when ok */
    int64_t estimate_ns;           /* 0 unknown */
    int64_t estimate_memory_bytes; /* 0 unknown */
} sokr_offer_v1;

/* Asks every substrate of rt whether it can run p, in name order. Release
   the list with sokr_offer_list_destroy. */
sokr_status sokr_capability(sokr_runtime *rt, const sokr_program *p, sokr_offer_list **out);
uint64_t sokr_offer_list_len(const sokr_offer_list *list);
/* The i-th offer (NULL when out of range), valid until the list is destroyed. */
const sokr_offer_v1 *sokr_offer_list_get(const sokr_offer_list *list, uint64_t i);
void sokr_offer_list_destroy(sokr_offer_list *list);

/* Per-dispatch settings; pass NULL for the defaults. Borrowed for the call. */
typedef struct sokr_dispatch_options_v1 {
    uint64_t struct_size;
    sokr_string substrate; /* run on this substrate; empty: the runtime's policy */
    int64_t timeout_ns;    /* complete with SOKR_ERR_DEADLINE_EXCEEDED after this; 0 none */
    uint64_t seed;         /* used when has_seed */
    int32_t has_seed;
    int32_t reserved0;
} sokr_dispatch_options_v1;

/*
 * Called exactly once per dispatch, on any thread (possibly before
 * sokr_dispatch returns), when the future is done: it has completed and
 * the substrate has let go of the inputs. status is SOKR_OK or the error.
 * Must not block; it may call sokr_future_* on f (but not release it).
 */
typedef void (*sokr_callback_fn)(uint64_t user_data, sokr_future *f, sokr_status status);

/*
 * Runs p on inputs (n_inputs tensors). The tensor array and shapes are
 * borrowed for the call; the data buffers must stay valid and unmodified
 * until the future is done (callback ran, or poll/wait returned a status
 * other than SOKR_PENDING). cb may be NULL. On SOKR_OK, *out is the future;
 * release it with sokr_future_release. Failures of the dispatch itself (no
 * capable substrate, bad inputs) arrive through the future.
 */
sokr_status sokr_dispatch(sokr_runtime *rt, const sokr_program *p, const sokr_tensor *inputs, uint64_t n_inputs,
                          const sokr_dispatch_options_v1 *options, sokr_callback_fn cb, uint64_t user_data,
                          sokr_future **out);

/* SOKR_PENDING while not done, else the outcome: SOKR_OK or an error.
   "Done" means completed, inputs released, and the callback (if any) returned. */
sokr_status sokr_future_poll(sokr_future *f);
/* Waits up to timeout_ns (< 0: for ever) for f to be done; returns as poll. */
sokr_status sokr_future_wait(sokr_future *f, int64_t timeout_ns);
/* Asks f to stop: SOKR_OK if it was pending (it completes with
   SOKR_ERR_CANCELLED; the callback still fires once the substrate lets go),
   SOKR_ERR_ALREADY_DONE if it had already completed. */
sokr_status sokr_future_cancel(sokr_future *f);
/* The error message of a failed future (empty otherwise). Owned by f. */
sokr_string sokr_future_error(sokr_future *f);
/* The substrate that ran f (empty when none was chosen). Owned by f. */
sokr_string sokr_future_substrate(sokr_future *f);
/* Number of outputs of a successful future (0 otherwise). */
uint64_t sokr_future_output_count(sokr_future *f);
/* Fills *out with output i of a successful future. Name, shape and data are
   owned by f and valid until it is released. */
sokr_status sokr_future_output(sokr_future *f, uint64_t i, sokr_output *out);
/* Frees f. If it is still pending it is cancelled first; its callback, if
   any, still runs. */
void sokr_future_release(sokr_future *f);

/* --------------------------------------------------------- frozen layouts */

#if defined(__LP64__) || defined(_WIN64)
#if defined(__cplusplus)
#define SOKR_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define SOKR_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
SOKR_STATIC_ASSERT(sizeof(sokr_string) == 16, "sokr_string layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_property) == 32, "sokr_property layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_tensor) == 32 && offsetof(sokr_tensor, shape) == 8 &&
                       offsetof(sokr_tensor, data) == 16 && offsetof(sokr_tensor, data_len) == 24,
                   "sokr_tensor layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_output) == 48 && offsetof(sokr_output, tensor) == 16,
                   "sokr_output layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_plugin_program_v1) == 40 && offsetof(sokr_plugin_program_v1, source) == 24,
                   "sokr_plugin_program_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_plugin_offer_v1) == 56 && offsetof(sokr_plugin_offer_v1, reason) == 32 &&
                       offsetof(sokr_plugin_offer_v1, reason_len) == 48,
                   "sokr_plugin_offer_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_plugin_completion_v1) == 48 && offsetof(sokr_plugin_completion_v1, message) == 16 &&
                       offsetof(sokr_plugin_completion_v1, outputs) == 32,
                   "sokr_plugin_completion_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_plugin_job_v1) == 88 && offsetof(sokr_plugin_job_v1, inputs) == 16 &&
                       offsetof(sokr_plugin_job_v1, params) == 32 && offsetof(sokr_plugin_job_v1, seed) == 48 &&
                       offsetof(sokr_plugin_job_v1, cancel_requested) == 60 &&
                       offsetof(sokr_plugin_job_v1, complete) == 64 && offsetof(sokr_plugin_job_v1, user_data) == 72 &&
                       offsetof(sokr_plugin_job_v1, plugin_data) == 80,
                   "sokr_plugin_job_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_plugin_v1) == 128 && offsetof(sokr_plugin_v1, self) == 16 &&
                       offsetof(sokr_plugin_v1, name) == 24 && offsetof(sokr_plugin_v1, formats) == 56 &&
                       offsetof(sokr_plugin_v1, properties) == 72 && offsetof(sokr_plugin_v1, prepare) == 88 &&
                       offsetof(sokr_plugin_v1, dispatch) == 104 && offsetof(sokr_plugin_v1, cancel) == 112,
                   "sokr_plugin_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_offer_v1) == 80 && offsetof(sokr_offer_v1, reason) == 48 &&
                       offsetof(sokr_offer_v1, estimate_ns) == 64,
                   "sokr_offer_v1 layout is frozen");
SOKR_STATIC_ASSERT(sizeof(sokr_dispatch_options_v1) == 48 && offsetof(sokr_dispatch_options_v1, timeout_ns) == 24 &&
                       offsetof(sokr_dispatch_options_v1, has_seed) == 40,
                   "sokr_dispatch_options_v1 layout is frozen");
#undef SOKR_STATIC_ASSERT
#endif

#ifdef __cplusplus
}
#endif

#endif /* SOKR_H */
