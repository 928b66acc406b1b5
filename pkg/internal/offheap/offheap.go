// Package offheap maps large buffers straight from the operating system,
// outside Go's heap, and gives them back the moment their run ends.
//
// A state vector of 2 GiB on Go's heap is freed only by a collection, and
// its pages stay in the heap's address space afterwards, where the page
// allocator may place small spans inside the freed range (it is first-fit
// by address). The next 2 GiB run then needs another 2 GiB of address space,
// and under `ulimit -v` or a tight cgroup Go dies with a fatal "out of
// memory" that no recover catches. A mapping has neither problem: Unmap
// returns the range to the operating system at once, and a refused mapping
// is an error the run reports, not the death of the process.
//
//	b, err := offheap.Map(2 << 30)
//	if err != nil {
//		return err // "cannot map 2.0 GiB: cannot allocate memory"
//	}
//	defer offheap.Unmap(b)
//
// The memory is zeroed. It is not scanned by the garbage collector: never
// store Go pointers in it, and never let a slice of it outlive Unmap.
package offheap

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Threshold is the size from which callers should map rather than make:
// 64 MiB, Go's heap arena size on 64-bit Linux. Below it the heap reuses
// memory well and a mapping's page faults would cost more than they save.
const Threshold = 64 << 20

// Error reports a mapping the operating system refused.
type Error struct {
	Bytes int64
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("cannot map %s: %v", sokr.FormatBytes(e.Bytes), e.Err)
}

// Unwrap returns the system's error (syscall.ENOMEM, typically).
func (e *Error) Unwrap() error { return e.Err }
