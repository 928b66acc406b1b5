// The objects behind sokr.h's opaque handles, shared by libsokr.c and the
// Go side (libsokr.go). Not part of the ABI.
#ifndef SOKR_LIBSOKR_INTERNAL_H
#define SOKR_LIBSOKR_INTERNAL_H

#include "sokr.h"

// Runtimes, programs and futures are C structs holding a handle into the
// Go side's tables, so that C never holds a Go pointer.
struct sokr_runtime { uint64_t h; };
struct sokr_program { uint64_t h; };
struct sokr_future { uint64_t h; };

// A list of offers: the array, then the strings it points into, in one
// malloc block.
struct sokr_offer_list {
    uint64_t n;
    sokr_offer_v1 offers[];
};

// The calling thread's last error and last info string (libsokr.c).
void lib_set_error(const char *msg, uint64_t len);
sokr_string lib_set_info(const char *msg, uint64_t len);

// Calls a user's completion callback.
void lib_call_callback(sokr_callback_fn cb, uint64_t user_data, sokr_future *f, sokr_status st);

#endif
