package facade

import "syscall"

// populateBytes is the smallest record populate faults in at once.
const populateBytes = 8 << 20

// populate faults in the pages of a large record the caller allocated
// before Read copies results into it: madvise MADV_NOHUGEPAGE, then
// MADV_POPULATE_WRITE (Linux 5.14), one system call instead of a page
// fault per page as the copy first touches each. numpy advises huge pages
// for large arrays, and on a VM with transparent huge pages on "madvise"
// and defrag "madvise" a fault that must compact memory for a huge page
// stalls: copying sokr.neuro's 131 MB of spikes into a fresh record took
// 0.28 s one read in two, populated 0.04 s every time (docs/benchmarks.md,
// "snn"). Done here, inside Read, rather than in Python: a Ctrl-C then
// cannot land between the two. A kernel without the advice refuses it
// and the copy faults as before; the pages' contents are not changed.
func populate(b []byte) {
	if len(b) < populateBytes {
		return
	}
	page := uintptr(syscall.Getpagesize())
	start := uintptr(bytesAddr(b)) &^ (page - 1)
	end := (uintptr(bytesAddr(b)) + uintptr(len(b)) + page - 1) &^ (page - 1)
	for _, advice := range []uintptr{madvNoHugePage, madvPopulateWrite} {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, advice) // advice only: refused is fine
	}
}

// The madvise advice populate gives (linux/mman.h).
const (
	madvNoHugePage    = 15
	madvPopulateWrite = 23
)
