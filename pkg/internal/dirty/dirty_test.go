package dirty

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBytes(t *testing.T) {
	for _, n := range []int{0, 1, 100, 64 << 10, 1 << 20, 40 << 20} {
		b := Bytes(n)
		require.Len(t, b, n)
		require.Equal(t, n, cap(b))
		for i := range b {
			b[i] = byte(i)
		}
		if n > 0 {
			assert.Equal(t, byte((n-1)%256), b[n-1])
		}
	}
	// The memory is collected like any other.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 50 {
		b := Bytes(8 << 20)
		b[0] = 1
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Less(t, after.HeapAlloc, before.HeapAlloc+64<<20, "dirty allocations are garbage collected")
}

func BenchmarkBytes40MB(b *testing.B) {
	for b.Loop() {
		Bytes(40 << 20)[0] = 1
	}
}

func BenchmarkMake40MB(b *testing.B) {
	for b.Loop() {
		make([]byte, 40<<20)[0] = 1
	}
}
