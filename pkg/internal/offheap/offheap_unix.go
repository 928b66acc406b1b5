//go:build unix

package offheap

import (
	"sync/atomic"
	"syscall"
)

// live is the bytes mapped by Map and not yet unmapped; total every byte
// Map ever mapped.
var live, total atomic.Int64

// Live reports the bytes mapped by Map and not yet given back: zero
// between runs, which tests check.
func Live() int64 { return live.Load() }

// Total reports every byte Map has mapped since the process started, never
// decreasing: sokrtest.CheckEstimate adds a run's share of it to the Go
// heap's (see sokrtest.OutsideHeap).
func Total() int64 { return total.Load() }

// Map returns n zeroed bytes mapped from the operating system, or an *Error
// when it refuses. Release them with Unmap.
func Map(n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, &Error{Bytes: int64(n), Err: err}
	}
	adviseHuge(b)
	live.Add(int64(n))
	total.Add(int64(n))
	return b, nil
}

// Unmap gives b, a slice returned by Map, back to the operating system.
// Nothing may touch b afterwards.
func Unmap(b []byte) {
	if len(b) == 0 {
		return
	}
	if err := syscall.Munmap(b); err != nil {
		// Munmap fails only for a slice Map did not return: a bug in
		// the caller, which must not go unnoticed.
		panic("offheap: " + err.Error())
	}
	live.Add(-int64(len(b)))
}
