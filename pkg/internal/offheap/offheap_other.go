//go:build !unix

package offheap

// Map returns n zeroed bytes from Go's heap where the platform has no
// mmap; Unmap leaves them to the collector.
func Map(n int) ([]byte, error) { return make([]byte, n), nil }

// Unmap does nothing here: the collector frees what Map made.
func Unmap([]byte) {}

// Live reports zero: nothing here is mapped.
func Live() int64 { return 0 }

// Total reports zero: nothing here is mapped.
func Total() int64 { return 0 }
