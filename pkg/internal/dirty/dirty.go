// Package dirty allocates byte slices without zeroing them, for buffers
// that are about to be overwritten in full (the outputs of a kernel).
//
// Zeroing is not free: for a 40 MB result, make([]byte, n) spends about 2 ms
// clearing memory on one core that the kernel then overwrites anyway, a
// quarter of a fused a*x + y over 10M floats on this project's 2-core
// machines. Bytes asks the Go allocator for memory with its needzero flag
// off, through runtime.mallocgc: a runtime internal that the Go team keeps
// reachable by linkname, with a frozen signature, because widely used
// packages (bytedance/gopkg's dirtmake, cockroachdb/pebble, ...) rely on it
// (see the comment on mallocgc in runtime/malloc.go).
//
// The memory is ordinary garbage-collected Go memory; only its initial
// contents are undefined. Never expose such a slice before every byte of it
// has been written.
package dirty

import "unsafe"

//go:linkname mallocgc runtime.mallocgc
func mallocgc(size uintptr, typ unsafe.Pointer, needzero bool) unsafe.Pointer

// Bytes returns a slice of n bytes with undefined contents. Small sizes,
// where zeroing costs nothing worth saving, come from make.
func Bytes(n int) []byte {
	if n < 64<<10 {
		return make([]byte, n)
	}
	p := mallocgc(uintptr(n), nil, false)
	return unsafe.Slice((*byte)(p), n)
}
