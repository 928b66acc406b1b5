//go:build cgo && unix

package blas

// This file is the dlopen backend. The C trampolines below call the
// resolved CBLAS entry points through function pointers, so nothing here
// links against a BLAS at build time.

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

// Process exit and BLAS calls in flight. OpenBLAS's library destructor joins
// its worker threads; if another thread is inside a BLAS call at that moment
// (a Go goroutine finishing a matmul while the host process exits), the join
// never returns and the process hangs on exit. sokr_quiesce, registered with
// atexit (whose handlers run before shared libraries' destructors), turns new
// calls away and waits for those in flight to finish, for at most a minute.
static atomic_int sokr_active;
static atomic_int sokr_exiting;
static atomic_int sokr_registered;

static void sokr_quiesce(void) {
	atomic_store(&sokr_exiting, 1);
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 60000 && atomic_load(&sokr_active) > 0; i++) {
		nanosleep(&ms, NULL);
	}
}

static void sokr_register_quiesce(void) {
	if (atomic_exchange(&sokr_registered, 1) == 0) {
		atexit(sokr_quiesce);
	}
}

static int sokr_enter(void) {
	atomic_fetch_add(&sokr_active, 1);
	if (atomic_load(&sokr_exiting)) {
		atomic_fetch_sub(&sokr_active, 1);
		return 0;
	}
	return 1;
}

static void sokr_leave(void) {
	atomic_fetch_sub(&sokr_active, 1);
}

// CBLAS enum values (cblas.h); enums are passed as C int.
enum {
	sokrCblasRowMajor = 101,
	sokrCblasNoTrans  = 111,
	sokrCblasTrans    = 112
};

typedef void (*sokr_sgemm_fn)(int, int, int, int, int, int,
	float, const float *, int, const float *, int, float, float *, int);
typedef void (*sokr_dgemm_fn)(int, int, int, int, int, int,
	double, const double *, int, const double *, int, double, double *, int);
typedef void (*sokr_set_threads_fn)(int);
typedef int (*sokr_get_threads_fn)(void);
typedef char *(*sokr_get_config_fn)(void);

// copy_dlerror copies the thread-local dlerror() message into buf. It must be
// called from the same C call as the failing dl* function, because a
// goroutine may migrate between OS threads between two cgo calls.
static void sokr_copy_dlerror(char *buf, size_t n) {
	const char *e = dlerror();
	if (n == 0) {
		return;
	}
	if (e == NULL) {
		buf[0] = 0;
		return;
	}
	strncpy(buf, e, n - 1);
	buf[n - 1] = 0;
}

static void *sokr_dlopen(const char *name, char *err, size_t n) {
	dlerror();
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		sokr_copy_dlerror(err, n);
	}
	return h;
}

static void *sokr_dlsym(void *h, const char *sym, char *err, size_t n) {
	dlerror();
	void *p = dlsym(h, sym);
	if (p == NULL) {
		sokr_copy_dlerror(err, n);
	}
	return p;
}

static void sokr_dlclose(void *h) {
	dlclose(h);
}

// sokr_dladdr_fname returns the file name of the shared object that contains
// addr, or NULL.
static const char *sokr_dladdr_fname(void *addr) {
	Dl_info info;
	if (dladdr(addr, &info) == 0) {
		return NULL;
	}
	return info.dli_fname;
}

// sokr_sgemm and sokr_dgemm return 0 (and compute nothing) once the process
// is exiting, 1 otherwise.
static int sokr_sgemm(void *fn, int transA, int transB, int m, int n, int k,
		float alpha, const float *a, int lda, const float *b, int ldb,
		float beta, float *c, int ldc) {
	if (!sokr_enter()) {
		return 0;
	}
	((sokr_sgemm_fn)fn)(sokrCblasRowMajor,
		transA ? sokrCblasTrans : sokrCblasNoTrans,
		transB ? sokrCblasTrans : sokrCblasNoTrans,
		m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	sokr_leave();
	return 1;
}

static int sokr_dgemm(void *fn, int transA, int transB, int m, int n, int k,
		double alpha, const double *a, int lda, const double *b, int ldb,
		double beta, double *c, int ldc) {
	if (!sokr_enter()) {
		return 0;
	}
	((sokr_dgemm_fn)fn)(sokrCblasRowMajor,
		transA ? sokrCblasTrans : sokrCblasNoTrans,
		transB ? sokrCblasTrans : sokrCblasNoTrans,
		m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	sokr_leave();
	return 1;
}

static void sokr_set_threads(void *fn, int n) {
	((sokr_set_threads_fn)fn)(n);
}

static int sokr_get_threads(void *fn) {
	return ((sokr_get_threads_fn)fn)();
}

static const char *sokr_get_config(void *fn) {
	return ((sokr_get_config_fn)fn)();
}
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"
)

// dlopenSupported reports whether this build can load shared libraries.
const dlopenSupported = true

const errBufLen = 512

func open(name string) (*Lib, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	errBuf := (*C.char)(C.malloc(errBufLen))
	defer C.free(unsafe.Pointer(errBuf))

	h := C.sokr_dlopen(cname, errBuf, errBufLen)
	if h == nil {
		// glibc's message starts with the name we passed; don't repeat it.
		msg := strings.TrimPrefix(C.GoString(errBuf), name+": ")
		return nil, fmt.Errorf("dlopen failed: %s", msg)
	}
	sym := func(s string) (unsafe.Pointer, error) {
		cs := C.CString(s)
		defer C.free(unsafe.Pointer(cs))
		p := C.sokr_dlsym(h, cs, errBuf, errBufLen)
		if p == nil {
			return nil, fmt.Errorf("no symbol %s", s)
		}
		return p, nil
	}
	sgemm, err := sym("cblas_sgemm")
	if err != nil {
		C.sokr_dlclose(h)
		return nil, err
	}
	dgemm, err := sym("cblas_dgemm")
	if err != nil {
		C.sokr_dlclose(h)
		return nil, err
	}
	C.sokr_register_quiesce()
	lib := &Lib{name: name, handle: h, sgemm: sgemm, dgemm: dgemm}
	lib.setTh, _ = sym("openblas_set_num_threads")
	lib.getTh, _ = sym("openblas_get_num_threads")
	if f, err := sym("openblas_get_config"); err == nil {
		if s := C.sokr_get_config(f); s != nil {
			lib.config = strings.TrimSpace(C.GoString(s))
		}
	}
	if f := C.sokr_dladdr_fname(sgemm); f != nil {
		lib.path = C.GoString(f)
	}
	if p, err := filepath.EvalSymlinks(lib.path); err == nil {
		lib.path = p // e.g. /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so
	}
	if lib.path == "" {
		lib.path = name
	}
	return lib, nil
}

func (l *Lib) setThreadsCall(n int) { C.sokr_set_threads(l.setTh, C.int(n)) }

func (l *Lib) threadsCall() int { return int(C.sokr_get_threads(l.getTh)) }

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func (l *Lib) sgemmCall(transA, transB bool, m, n, k int, alpha float32,
	a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, beta float32,
	c unsafe.Pointer, ldc int) bool {
	return C.sokr_sgemm(l.sgemm, cbool(transA), cbool(transB),
		C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(a), C.int(lda), (*C.float)(b), C.int(ldb),
		C.float(beta), (*C.float)(c), C.int(ldc)) != 0
}

func (l *Lib) dgemmCall(transA, transB bool, m, n, k int, alpha float64,
	a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, beta float64,
	c unsafe.Pointer, ldc int) bool {
	return C.sokr_dgemm(l.dgemm, cbool(transA), cbool(transB),
		C.int(m), C.int(n), C.int(k), C.double(alpha),
		(*C.double)(a), C.int(lda), (*C.double)(b), C.int(ldb),
		C.double(beta), (*C.double)(c), C.int(ldc)) != 0
}
