package facade

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resident counts the pages of b that are in memory (mincore).
func resident(t *testing.T, b []byte) int {
	t.Helper()
	page := syscall.Getpagesize()
	vec := make([]byte, (len(b)+page-1)/page)
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(bytesAddr(b)), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	require.Zero(t, errno)
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// populate faults a large record in, in one call, and leaves a small one
// alone; the contents are not changed.
func TestPopulate(t *testing.T) {
	page := syscall.Getpagesize()
	for _, c := range []struct {
		size int
		all  bool
	}{{populateBytes - page, false}, {populateBytes + 3*page, true}} {
		b, err := syscall.Mmap(-1, 0, c.size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		require.NoError(t, err)
		require.Zero(t, resident(t, b), "a fresh mapping has no pages yet")
		populate(b[page/2:]) // an unaligned record inside the mapping
		want := 0
		if c.all {
			want = len(b) / page
		}
		assert.Equal(t, want, resident(t, b), "record of %d bytes", c.size)
		b[len(b)-1] = 7
		assert.Equal(t, byte(0), b[0])
		assert.Equal(t, byte(7), b[len(b)-1])
		require.NoError(t, syscall.Munmap(b))
	}
}
