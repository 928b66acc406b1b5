package offheap_test

import (
	"context"
	"errors"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/offheap"
	"github.com/sokr-rs/sokr/pkg/internal/ulimit"
)

func TestMapGivesZeroedWritableMemory(t *testing.T) {
	before := offheap.Total()
	b, err := offheap.Map(offheap.Threshold + 12345)
	require.NoError(t, err)
	require.Len(t, b, offheap.Threshold+12345)
	for i := 0; i < len(b); i += 4096 {
		require.Zero(t, b[i], i)
	}
	b[0], b[len(b)-1] = 1, 2
	assert.Equal(t, byte(2), b[len(b)-1])
	assert.Equal(t, int64(len(b)), offheap.Live())
	offheap.Unmap(b)
	assert.Zero(t, offheap.Live())
	assert.Equal(t, int64(len(b)), offheap.Total()-before, "Total never decreases")

	empty, err := offheap.Map(0)
	require.NoError(t, err)
	assert.Empty(t, empty)
	offheap.Unmap(empty)
}

// TestRefusalIsAnError maps more than the address space allows: the
// process gets an *Error wrapping ENOMEM, not Go's fatal out of memory.
func TestRefusalIsAnError(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the refusal is provoked with a Linux address-space size")
	}
	_, err := offheap.Map(1 << 62)
	var oe *offheap.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, int64(1<<62), oe.Bytes)
	assert.True(t, errors.Is(err, syscall.ENOMEM), "%v", err)
	assert.Contains(t, err.Error(), "cannot map 4.0 EiB")
}

// TestUnmapReturnsTheAddressSpace runs testdata/cycle, which maps and
// unmaps 1 GiB eight times, under a 3 GiB address-space limit.
func TestUnmapReturnsTheAddressSpace(t *testing.T) {
	bin := ulimit.Build(t, "./testdata/cycle")
	out, err := ulimit.Run(context.Background(), 3_000_000, nil, bin)
	require.NoError(t, err, out)
	assert.Equal(t, "OK\n", out)
}
