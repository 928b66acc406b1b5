/*
 * host.c — a C program that uses SOKR through libsokr.so: it makes a
 * runtime, loads a plugin, asks every substrate whether it can run a
 * program, dispatches it with a completion callback, waits, reads the
 * outputs, and cancels a dispatch.
 *
 * Build and run (make libsokr puts the library in build/):
 *     cc -std=c11 -O2 -I bindings/c bindings/c/examples/host.c -o build/host \
 *        -L build -lsokr -Wl,-rpath,'$ORIGIN'
 *     build/host [PLUGIN.so [SUBSTRATE [ROUND_TRIPS]]]
 *
 * With a plugin it runs the program on SUBSTRATE (default: the plugin's);
 * with ROUND_TRIPS it also times that many dispatch-and-wait round trips.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sokr.h"

static const char program_text[] =
    "sokr.native/1\n"
    "param x: f32[4]\n"
    "param y: f32[4]\n"
    "a: f32[] = const 2\n"
    "ax: f32[4] = mul a, x\n"
    "out: f32[4] = add ax, y\n"
    "total: f32[] = reduce_sum out, axes=[0]\n"
    "return out, total\n";

/* Prints the failed call and the library's message, and exits. */
static void check(sokr_status st, const char *what) {
    if (st < 0) {
        sokr_string msg = sokr_last_error();
        fprintf(stderr, "%s: status %d: %.*s\n", what, (int)st, (int)msg.len, msg.ptr);
        exit(1);
    }
}

static atomic_int callbacks;

/* Runs on any thread, once per dispatch, when the future is done. */
static void on_done(uint64_t user_data, sokr_future *f, sokr_status status) {
    (void)f;
    (void)status;
    atomic_fetch_add(&callbacks, (int)user_data);
}

int main(int argc, char **argv) {
    sokr_runtime *rt;
    check(sokr_runtime_create(&rt), "sokr_runtime_create");
    printf("abi %u.%u\n", SOKR_VERSION_MAJOR(sokr_abi_version()), SOKR_VERSION_MINOR(sokr_abi_version()));

    sokr_string pinned = {NULL, 0};
    if (argc > 1) {
        check(sokr_runtime_load_plugin(rt, sokr_str(argv[1]), &pinned), "sokr_runtime_load_plugin");
        printf("loaded %.*s\n", (int)pinned.len, pinned.ptr);
        if (argc > 2) pinned = sokr_str(argv[2]);
    }

    sokr_program *prog;
    check(sokr_program_create(rt, sokr_str(""), program_text, sizeof program_text - 1, &prog), "sokr_program_create");

    sokr_offer_list *offers;
    check(sokr_capability(rt, prog, &offers), "sokr_capability");
    for (uint64_t i = 0; i < sokr_offer_list_len(offers); i++) {
        const sokr_offer_v1 *o = sokr_offer_list_get(offers, i);
        printf("offer %.*s: %s\n", (int)o->substrate.len, o->substrate.ptr, o->ok ? "yes" : "no");
    }
    sokr_offer_list_destroy(offers);

    float x[4] = {1, 2, 3, 4}, y[4] = {1, 1, 1, 1};
    int64_t shape[1] = {4};
    sokr_tensor inputs[2] = {
        {SOKR_DTYPE_F32, 1, shape, x, sizeof x},
        {SOKR_DTYPE_F32, 1, shape, y, sizeof y},
    };
    sokr_dispatch_options_v1 opts = {.struct_size = sizeof opts, .substrate = pinned};

    sokr_future *f;
    check(sokr_dispatch(rt, prog, inputs, 2, &opts, on_done, 1, &f), "sokr_dispatch");
    sokr_status st = sokr_future_wait(f, -1);
    if (st != SOKR_OK) {
        sokr_string msg = sokr_future_error(f);
        fprintf(stderr, "dispatch failed: %d: %.*s\n", (int)st, (int)msg.len, msg.ptr);
        return 1;
    }
    sokr_string sub = sokr_future_substrate(f);
    printf("ran on %.*s\n", (int)sub.len, sub.ptr);
    for (uint64_t i = 0; i < sokr_future_output_count(f); i++) {
        sokr_output out;
        check(sokr_future_output(f, i, &out), "sokr_future_output");
        const float *v = out.tensor.data;
        printf("%.*s =", (int)out.name.len, out.name.ptr);
        for (uint64_t k = 0; k < out.tensor.data_len / sizeof(float); k++) printf(" %g", v[k]);
        printf("\n");
    }
    sokr_future_release(f);

    /* An error arrives through the future, with its message. */
    sokr_tensor wrong[2] = {{SOKR_DTYPE_F64, 1, shape, x, sizeof x}, inputs[1]};
    check(sokr_dispatch(rt, prog, wrong, 2, NULL, NULL, 0, &f), "sokr_dispatch");
    st = sokr_future_wait(f, -1);
    sokr_string msg = sokr_future_error(f);
    printf("bad inputs: status %d: %.*s\n", (int)st, (int)msg.len, msg.ptr);
    sokr_future_release(f);

    if (argc > 3) {
        long n = atol(argv[3]);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            check(sokr_dispatch(rt, prog, inputs, 2, &opts, NULL, 0, &f), "sokr_dispatch");
            if (sokr_future_wait(f, -1) != SOKR_OK) return 1;
            sokr_future_release(f);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        fprintf(stderr, "round trip: %.0f ns/op over %ld dispatches\n", ns / (double)n, n);
    }

    check(sokr_runtime_destroy(rt, -1), "sokr_runtime_destroy");
    sokr_program_destroy(prog);
    printf("callbacks %d\n", atomic_load(&callbacks));
    return 0;
}
