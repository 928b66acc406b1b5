package offheap

import "syscall"

// adviseHuge asks for transparent huge pages: a 2 GiB state then faults in
// 1024 pages of 2 MiB rather than half a million of 4 KiB. Advice only; a
// kernel that declines still maps the memory.
func adviseHuge(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
