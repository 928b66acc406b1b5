/*
 * elementwise_plugin.c — a SOKR substrate written in plain C: the example
 * that docs/ABI.md walks through. Copy it to start a plugin of your own.
 *
 * It runs SOKR native programs ("sokr.native/1", received as canonical text)
 * made of f32 or f64 values and these operations:
 *
 *     param, const (a single number), neg, abs, exp, log, sqrt, relu,
 *     add, sub, mul, div, max, min (operands of equal shape, or rank 0),
 *     reduce_sum (over any axes)
 *
 * and refuses, with the reason, any program using something else. Small
 * programs run on the dispatching thread (a thread hand-off would cost more
 * than the work); larger ones on the plugin's own pthreads, which complete
 * the jobs. Cancellation is honoured between operations.
 *
 * Build:
 *     cc -std=c11 -O2 -fPIC -shared -pthread -I bindings/c \
 *        bindings/c/examples/elementwise_plugin.c -o libsokr_elementwise.so -lm
 * Use:
 *     SOKR_PLUGIN_PATH=$PWD/libsokr_elementwise.so  (or cplugin.Load, or
 *     sokr.load_plugin from Python, or sokr_runtime_load_plugin from C)
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sokr.h"

#define MAX_RANK 8
#define MAX_NAME 64
/* Programs with less work (element operations) than this run inline. */
#define INLINE_WORK (1 << 14)

/* ------------------------------------------------------------- programs */

enum op {
    OP_PARAM, OP_CONST,
    OP_NEG, OP_ABS, OP_EXP, OP_LOG, OP_SQRT, OP_RELU,            /* unary */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN,               /* binary */
    OP_REDUCE_SUM
};

static const char *const op_names[] = {
    "param", "const", "neg", "abs", "exp", "log", "sqrt", "relu",
    "add", "sub", "mul", "div", "max", "min", "reduce_sum",
};
#define N_OPS ((int)(sizeof op_names / sizeof op_names[0]))

typedef struct node {
    char name[MAX_NAME];
    int op;
    int32_t dtype;              /* SOKR_DTYPE_F32 or SOKR_DTYPE_F64 */
    int rank;
    int64_t shape[MAX_RANK];
    int64_t n;                  /* elements */
    int args[2];
    int nargs;
    uint32_t axes;              /* reduce_sum: bit k set = axis k reduced */
    double value;               /* const */
} node;

typedef struct program {
    node *nodes;
    int n_nodes, cap_nodes;
    int params[64], n_params;
    int outputs[64], n_outputs;
    int64_t work, bytes;
} program;

static void program_free(program *p) {
    if (!p) return;
    free(p->nodes);
    free(p);
}

/* A cursor over one line of program text. */
typedef struct cursor {
    const char *s, *end;
    int line;
    char *err;                  /* where errors go */
    size_t err_cap;
} cursor;

static int failf(cursor *c, const char *what, const char *detail) {
    snprintf(c->err, c->err_cap, "line %d: %s%s", c->line, what, detail ? detail : "");
    return -1;
}

static void skip_space(cursor *c) {
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r')) c->s++;
}

static int eat(cursor *c, char ch) {
    skip_space(c);
    if (c->s < c->end && *c->s == ch) {
        c->s++;
        return 1;
    }
    return 0;
}

/* Reads a name [A-Za-z_][A-Za-z0-9_.]* into out. */
static int read_name(cursor *c, char *out) {
    skip_space(c);
    const char *b = c->s;
    if (c->s >= c->end || !(isalpha((unsigned char)*c->s) || *c->s == '_')) return failf(c, "expected a name", NULL);
    while (c->s < c->end && (isalnum((unsigned char)*c->s) || *c->s == '_' || *c->s == '.')) c->s++;
    size_t n = (size_t)(c->s - b);
    if (n >= MAX_NAME) return failf(c, "name too long for this plugin", NULL);
    memcpy(out, b, n);
    out[n] = 0;
    return 0;
}

static int read_int(cursor *c, int64_t *v) {
    skip_space(c);
    char buf[32];
    size_t n = 0;
    while (c->s < c->end && isdigit((unsigned char)*c->s) && n < sizeof buf - 1) buf[n++] = *c->s++;
    if (n == 0) return failf(c, "expected a number", NULL);
    buf[n] = 0;
    *v = strtoll(buf, NULL, 10);
    return 0;
}

/* Reads a type such as f32[2,3] (f32[] is a scalar). */
static int read_type(cursor *c, node *nd) {
    char dt[MAX_NAME];
    if (read_name(c, dt)) return -1;
    if (strcmp(dt, "f32") == 0) nd->dtype = SOKR_DTYPE_F32;
    else if (strcmp(dt, "f64") == 0) nd->dtype = SOKR_DTYPE_F64;
    else return failf(c, "dtype not supported by this plugin (it runs f32 and f64): ", dt);
    if (!eat(c, '[')) return failf(c, "expected [ after the dtype", NULL);
    nd->rank = 0;
    nd->n = 1;
    if (eat(c, ']')) return 0;
    do {
        int64_t d;
        if (nd->rank == MAX_RANK) return failf(c, "rank above this plugin's limit of 8", NULL);
        if (read_int(c, &d)) return -1;
        if (d <= 0 || d > (INT64_C(1) << 40) / nd->n) return failf(c, "dimension out of range", NULL);
        nd->shape[nd->rank++] = d;
        nd->n *= d;
    } while (eat(c, ','));
    if (!eat(c, ']')) return failf(c, "expected ] after the dimensions", NULL);
    return 0;
}

static int find(const program *p, const char *name) {
    for (int i = 0; i < p->n_nodes; i++)
        if (strcmp(p->nodes[i].name, name) == 0) return i;
    return -1;
}

static node *push(program *p) {
    if (p->n_nodes == p->cap_nodes) {
        int cap = p->cap_nodes ? 2 * p->cap_nodes : 16;
        node *nn = realloc(p->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return NULL;
        p->nodes = nn;
        p->cap_nodes = cap;
    }
    node *nd = &p->nodes[p->n_nodes++];
    memset(nd, 0, sizeof *nd);
    return nd;
}

static int same_shape(const node *a, const node *b) {
    if (a->rank != b->rank) return 0;
    for (int k = 0; k < a->rank; k++)
        if (a->shape[k] != b->shape[k]) return 0;
    return 1;
}

/* Reads operands and attributes of an operation and checks its types. */
static int read_operation(cursor *c, program *p, node *nd) {
    char opname[MAX_NAME], arg[MAX_NAME];
    if (read_name(c, opname)) return -1;
    nd->op = -1;
    for (int i = OP_CONST; i < N_OPS; i++)
        if (strcmp(opname, op_names[i]) == 0) nd->op = i;
    if (nd->op < 0)
        return failf(c, "op not supported by this plugin (it runs const, neg, abs, exp, log, sqrt, relu, add, sub, "
                        "mul, div, max, min and reduce_sum): ", opname);
    if (nd->op == OP_CONST) {
        skip_space(c);
        if (c->s < c->end && *c->s == '[') return failf(c, "list constants are not supported by this plugin", NULL);
        char buf[64];
        size_t n = 0;
        while (c->s < c->end && !isspace((unsigned char)*c->s) && n < sizeof buf - 1) buf[n++] = *c->s++;
        buf[n] = 0;
        char *endp;
        nd->value = strtod(buf, &endp);
        if (n == 0 || *endp) return failf(c, "bad constant ", buf);
        return 0;
    }
    int want = (nd->op == OP_REDUCE_SUM || nd->op < OP_ADD) ? 1 : 2;
    for (int i = 0; i < want; i++) {
        if (i > 0 && !eat(c, ',')) return failf(c, "expected , between operands", NULL);
        if (read_name(c, arg)) return -1;
        int a = find(p, arg);
        if (a < 0) return failf(c, "unknown operand (defined later, or not at all): ", arg);
        const node *an = &p->nodes[a];
        if (an->dtype != nd->dtype) return failf(c, "operand dtype differs from the result's: ", arg);
        nd->args[nd->nargs++] = a;
    }
    if (nd->op == OP_REDUCE_SUM) {
        const node *in = &p->nodes[nd->args[0]];
        char key[MAX_NAME];
        if (!eat(c, ',') || read_name(c, key) || strcmp(key, "axes") != 0 || !eat(c, '=') || !eat(c, '['))
            return failf(c, "expected axes=[...]", NULL);
        if (!eat(c, ']')) {
            do {
                int64_t ax;
                if (read_int(c, &ax)) return -1;
                if (ax >= in->rank || (nd->axes >> ax & 1)) return failf(c, "axis out of range or repeated", NULL);
                nd->axes |= 1u << ax;
            } while (eat(c, ','));
            if (!eat(c, ']')) return failf(c, "expected ] after the axes", NULL);
        }
        int k = 0;
        for (int d = 0; d < in->rank; d++) {
            if (nd->axes >> d & 1) continue;
            if (k >= nd->rank || nd->shape[k] != in->shape[d]) return failf(c, "result shape does not match the reduction", NULL);
            k++;
        }
        if (k != nd->rank) return failf(c, "result shape does not match the reduction", NULL);
        return 0;
    }
    for (int i = 0; i < nd->nargs; i++) {
        const node *an = &p->nodes[nd->args[i]];
        if (!same_shape(an, nd) && an->rank != 0) return failf(c, "operand shape differs from the result's", NULL);
    }
    return 0;
}

/* Parses one statement (a line without its comment, not blank). */
static int statement(cursor *c, program *p) {
    char name[MAX_NAME];
    if (read_name(c, name)) return -1;
    skip_space(c);
    if (strcmp(name, "return") == 0 && c->s < c->end && *c->s != ':') {
        do {
            if (read_name(c, name)) return -1;
            int i = find(p, name);
            if (i < 0) return failf(c, "unknown output ", name);
            if (p->n_outputs == 64) return failf(c, "more than 64 outputs", NULL);
            p->outputs[p->n_outputs++] = i;
        } while (eat(c, ','));
        skip_space(c);
        return c->s == c->end ? 0 : failf(c, "unexpected text after the outputs", NULL);
    }
    int is_param = strcmp(name, "param") == 0 && c->s < c->end && *c->s != ':';
    if (is_param && read_name(c, name)) return -1;
    if (find(p, name) >= 0) return failf(c, "name defined twice: ", name);
    node *nd = push(p);
    if (!nd) return failf(c, "out of memory", NULL);
    memcpy(nd->name, name, sizeof nd->name);
    if (!eat(c, ':')) return failf(c, "expected : after the name", NULL);
    if (read_type(c, nd)) return -1;
    if (is_param) {
        if (p->n_params == 64) return failf(c, "more than 64 params", NULL);
        nd->op = OP_PARAM;
        p->params[p->n_params++] = p->n_nodes - 1;
    } else {
        if (!eat(c, '=')) return failf(c, "expected = after the type", NULL);
        if (read_operation(c, p, nd)) return -1;
    }
    int64_t per = nd->op == OP_REDUCE_SUM ? p->nodes[nd->args[0]].n : nd->n;
    p->work += per;
    p->bytes += nd->n * (int64_t)sokr_dtype_size(nd->dtype);
    skip_space(c);
    if (c->s != c->end) return failf(c, "unexpected text at the end of the statement", NULL);
    return 0;
}

/* Parses native text; on failure returns NULL with the reason in err. */
static program *parse(const char *src, size_t len, char *err, size_t err_cap) {
    program *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    cursor c = {.err = err, .err_cap = err_cap};
    int header = 0;
    const char *s = src, *end = src + len;
    while (s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol) eol = end;
        const char *hash = memchr(s, '#', (size_t)(eol - s));
        c.s = s;
        c.end = hash ? hash : eol;
        c.line++;
        s = eol + 1;
        skip_space(&c);
        if (c.s == c.end) continue;
        if (!header) {
            const char *h = "sokr.native/1";
            while (c.end > c.s && isspace((unsigned char)c.end[-1])) c.end--;
            if ((size_t)(c.end - c.s) != strlen(h) || memcmp(c.s, h, strlen(h)) != 0) {
                failf(&c, "expected the header sokr.native/1", NULL);
                goto fail;
            }
            header = 1;
            continue;
        }
        if (statement(&c, p)) goto fail;
    }
    if (!header || p->n_outputs == 0) {
        snprintf(err, err_cap, "%s", header ? "the program has no return statement" : "empty program");
        goto fail;
    }
    return p;
fail:
    program_free(p);
    return NULL;
}

/* ------------------------------------------------------------- execution */

#define UNARY(T, EXPR)                                     \
    do {                                                   \
        const T *a = A;                                    \
        T *o = O;                                          \
        for (int64_t i = 0; i < n; i++) {                  \
            T x = a[i];                                    \
            o[i] = (EXPR);                                 \
        }                                                  \
    } while (0)

#define BINARY(T, EXPR)                                    \
    do {                                                   \
        const T *a = A, *b = B;                            \
        T *o = O;                                          \
        for (int64_t i = 0; i < n; i++) {                  \
            T x = a[i * sa], y = b[i * sb];                \
            o[i] = (EXPR);                                 \
        }                                                  \
    } while (0)

#define ELEMENTWISE(T, SQRT, EXP, LOG, FABS)                                   \
    switch (nd->op) {                                                          \
    case OP_NEG: UNARY(T, -x); break;                                          \
    case OP_ABS: UNARY(T, FABS(x)); break;                                     \
    case OP_EXP: UNARY(T, EXP(x)); break;                                      \
    case OP_LOG: UNARY(T, LOG(x)); break;                                      \
    case OP_SQRT: UNARY(T, SQRT(x)); break;                                    \
    case OP_RELU: UNARY(T, x > 0 ? x : (T)0); break;                           \
    case OP_ADD: BINARY(T, x + y); break;                                      \
    case OP_SUB: BINARY(T, x - y); break;                                      \
    case OP_MUL: BINARY(T, x * y); break;                                      \
    case OP_DIV: BINARY(T, x / y); break;                                      \
    case OP_MAX: BINARY(T, (x != x || y != y) ? x + y : (x > y ? x : y)); break; \
    case OP_MIN: BINARY(T, (x != x || y != y) ? x + y : (x < y ? x : y)); break; \
    }

/* Sums the input over the reduced axes, accumulating in double. */
static int reduce_sum(const node *in, const node *nd, const void *A, void *O) {
    int64_t ostride[MAX_RANK], idx[MAX_RANK] = {0}, s = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        ostride[d] = (nd->axes >> d & 1) ? 0 : s;
        if (!(nd->axes >> d & 1)) s *= in->shape[d];
    }
    double *acc = calloc((size_t)nd->n, sizeof *acc);
    if (!acc) return -1;
    int64_t o = 0;
    for (int64_t i = 0; i < in->n; i++) {
        acc[o] += in->dtype == SOKR_DTYPE_F32 ? ((const float *)A)[i] : ((const double *)A)[i];
        for (int d = in->rank - 1; d >= 0; d--) { /* next index, row-major */
            o += ostride[d];
            if (++idx[d] < in->shape[d]) break;
            o -= ostride[d] * in->shape[d];
            idx[d] = 0;
        }
    }
    for (int64_t i = 0; i < nd->n; i++) {
        if (nd->dtype == SOKR_DTYPE_F32) ((float *)O)[i] = (float)acc[i];
        else ((double *)O)[i] = acc[i];
    }
    free(acc);
    return 0;
}

/* Completes a job with an error. */
static void fail_job(sokr_plugin_job_v1 *job, sokr_status st, const char *msg) {
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .status = st, .message = sokr_str(msg)};
    job->complete(job->user_data, &c);
}

/* Runs a job to its end and completes it, on whichever thread calls it. */
static void run(sokr_plugin_job_v1 *job) {
    const program *p = job->program;
    char msg[256];
    if (job->n_inputs != (uint64_t)p->n_params) {
        snprintf(msg, sizeof msg, "program takes %d inputs, got %llu", p->n_params, (unsigned long long)job->n_inputs);
        fail_job(job, SOKR_ERR_INVALID_INPUT, msg);
        return;
    }
    const void **val = calloc((size_t)p->n_nodes, sizeof *val);
    void **own = calloc((size_t)p->n_nodes, sizeof *own);
    sokr_output *outs = calloc((size_t)p->n_outputs, sizeof *outs);
    sokr_status st = SOKR_OK;
    if (!val || !own || !outs) {
        st = SOKR_ERR_OUT_OF_MEMORY;
        snprintf(msg, sizeof msg, "out of memory");
        goto done;
    }
    for (int i = 0; i < p->n_params; i++) {
        const node *nd = &p->nodes[p->params[i]];
        const sokr_tensor *t = &job->inputs[i];
        int ok = t->dtype == nd->dtype && t->rank == nd->rank &&
                 t->data_len == (uint64_t)nd->n * sokr_dtype_size(nd->dtype) && t->data != NULL;
        for (int k = 0; ok && k < nd->rank; k++) ok = t->shape[k] == nd->shape[k];
        if (!ok) {
            st = SOKR_ERR_INVALID_INPUT;
            snprintf(msg, sizeof msg, "input %d (%s) does not match its param's dtype and shape", i, nd->name);
            goto done;
        }
        val[p->params[i]] = t->data;
    }
    for (int i = 0; i < p->n_nodes; i++) {
        const node *nd = &p->nodes[i];
        if (nd->op == OP_PARAM) continue;
        if (sokr_plugin_job_cancelled(job)) {
            st = SOKR_ERR_CANCELLED;
            snprintf(msg, sizeof msg, "cancelled before %s", nd->name);
            goto done;
        }
        size_t size = sokr_dtype_size(nd->dtype);
        void *O = own[i] = malloc((size_t)nd->n * size);
        if (!O) {
            st = SOKR_ERR_OUT_OF_MEMORY;
            snprintf(msg, sizeof msg, "out of memory for %s", nd->name);
            goto done;
        }
        val[i] = O;
        int64_t n = nd->n;
        if (nd->op == OP_CONST) {
            for (int64_t k = 0; k < n; k++) {
                if (nd->dtype == SOKR_DTYPE_F32) ((float *)O)[k] = (float)nd->value;
                else ((double *)O)[k] = nd->value;
            }
            continue;
        }
        const void *A = val[nd->args[0]];
        if (nd->op == OP_REDUCE_SUM) {
            if (reduce_sum(&p->nodes[nd->args[0]], nd, A, O)) {
                st = SOKR_ERR_OUT_OF_MEMORY;
                snprintf(msg, sizeof msg, "out of memory for %s", nd->name);
                goto done;
            }
            continue;
        }
        const void *B = nd->nargs > 1 ? val[nd->args[1]] : NULL;
        int64_t sa = p->nodes[nd->args[0]].n == n ? 1 : 0; /* a rank-0 operand broadcasts */
        int64_t sb = nd->nargs > 1 && p->nodes[nd->args[1]].n == n ? 1 : 0;
        if (nd->dtype == SOKR_DTYPE_F32) {
            ELEMENTWISE(float, sqrtf, expf, logf, fabsf)
        } else {
            ELEMENTWISE(double, sqrt, exp, log, fabs)
        }
    }
    for (int k = 0; k < p->n_outputs; k++) {
        const node *nd = &p->nodes[p->outputs[k]];
        outs[k].name = sokr_str(nd->name);
        outs[k].tensor = (sokr_tensor){
            .dtype = nd->dtype,
            .rank = nd->rank,
            .shape = nd->shape,
            .data = val[p->outputs[k]],
            .data_len = (uint64_t)nd->n * sokr_dtype_size(nd->dtype),
        };
    }
done:;
    sokr_plugin_completion_v1 c = {.struct_size = sizeof c, .status = st};
    if (st == SOKR_OK) {
        c.outputs = outs;
        c.n_outputs = (uint64_t)p->n_outputs;
    } else {
        c.message = sokr_str(msg);
    }
    job->complete(job->user_data, &c); /* the host copies the outputs */
    if (own)
        for (int i = 0; i < p->n_nodes; i++) free(own[i]);
    free(own);
    free(val);
    free(outs);
}

/* ---------------------------------------------------------- thread pool */

typedef struct task {
    sokr_plugin_job_v1 *job;
    struct task *next;
} task;

typedef struct plugin {
    sokr_plugin_v1 vt;          /* first, so &plugin->vt is the plugin */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    task *head, *tail;
    int stopping;
    int n_threads;
    pthread_t threads[8];
} plugin;

static void *worker(void *arg) {
    plugin *pl = arg;
#ifdef __linux__
    pthread_setname_np(pthread_self(), "c-elementwise"); /* as top and gdb show it */
#endif
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->head && !pl->stopping) pthread_cond_wait(&pl->cv, &pl->mu);
        task *t = pl->head;
        if (t) {
            pl->head = t->next;
            if (!pl->head) pl->tail = NULL;
        }
        pthread_mutex_unlock(&pl->mu);
        if (!t) return NULL; /* stopping, queue empty */
        run(t->job);
        free(t);
    }
}

/* ------------------------------------------------------------------ slots */

static sokr_status prepare(void *self, const sokr_plugin_program_v1 *prog, sokr_plugin_offer_v1 *offer, void **handle) {
    (void)self;
    char err[256];
    program *p = parse(prog->source.ptr, (size_t)prog->source.len, err, sizeof err);
    if (!p) {
        sokr_plugin_offer_refuse(offer, err);
        return SOKR_OK;
    }
    offer->ok = 1;
    offer->estimate_ns = 1000 + p->work; /* about one element op per ns, plus the call */
    offer->estimate_memory_bytes = p->bytes;
    *handle = p;
    return SOKR_OK;
}

static void release_program(void *self, void *handle) {
    (void)self;
    program_free(handle);
}

static sokr_status dispatch(void *self, sokr_plugin_job_v1 *job) {
    plugin *pl = self;
    const program *p = job->program;
    if (p->work < INLINE_WORK) {
        run(job);
        return SOKR_OK;
    }
    task *t = malloc(sizeof *t);
    if (!t) return SOKR_ERR_OUT_OF_MEMORY;
    t->job = job;
    t->next = NULL;
    pthread_mutex_lock(&pl->mu);
    if (pl->tail) pl->tail->next = t;
    else pl->head = t;
    pl->tail = t;
    pthread_cond_signal(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    return SOKR_OK;
}

static void plugin_close(void *self) {
    plugin *pl = self;
    pthread_mutex_lock(&pl->mu);
    pl->stopping = 1;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    for (int i = 0; i < pl->n_threads; i++) pthread_join(pl->threads[i], NULL);
    pthread_cond_destroy(&pl->cv);
    pthread_mutex_destroy(&pl->mu);
    free(pl);
}

static const sokr_string formats[] = {SOKR_LIT("sokr.native/1")};
static const sokr_property properties[] = {
    {SOKR_LIT("ops"), SOKR_LIT("const neg abs exp log sqrt relu add sub mul div max min reduce_sum")},
    {SOKR_LIT("dtypes"), SOKR_LIT("f32 f64")},
};

/*
 * Each query makes an independent instance (its own threads), so that the
 * same library can be loaded into several runtimes and each closed alone.
 */
SOKR_PLUGIN_EXPORT sokr_status sokr_plugin_query_v1(uint32_t host_abi_version, const sokr_plugin_v1 **out) {
    if (SOKR_VERSION_MAJOR(host_abi_version) != SOKR_ABI_VERSION_MAJOR) return SOKR_ERR_VERSION;
    plugin *pl = calloc(1, sizeof *pl);
    if (!pl) return SOKR_ERR_OUT_OF_MEMORY;
    pl->vt = (sokr_plugin_v1){
        .struct_size = sizeof(sokr_plugin_v1),
        .abi_version = SOKR_ABI_VERSION,
        .self = pl,
        .name = SOKR_LIT("c-elementwise"),
        .kind = SOKR_LIT("cpu"),
        .formats = formats,
        .n_formats = 1,
        .properties = properties,
        .n_properties = sizeof properties / sizeof properties[0],
        .prepare = prepare,
        .release_program = release_program,
        .dispatch = dispatch,
        .cancel = NULL, /* cancel_requested is checked between operations */
        .close = plugin_close,
    };
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cores < 1 ? 1 : cores > 8 ? 8 : (int)cores;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&pl->threads[i], NULL, worker, pl) != 0) break;
        pl->n_threads++;
    }
    if (pl->n_threads == 0) {
        pthread_cond_destroy(&pl->cv);
        pthread_mutex_destroy(&pl->mu);
        free(pl);
        return SOKR_ERR_INTERNAL;
    }
    *out = &pl->vt;
    return SOKR_OK;
}
