package hostmem_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
)

func TestDefaultBudget(t *testing.T) {
	b := hostmem.DefaultBudget()
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		assert.Equal(t, int64(hostmem.Fallback), b)
		return
	}
	assert.Positive(t, b)
	assert.NotEqual(t, int64(hostmem.Fallback), b, "read from /proc/meminfo")
	assert.Equal(t, b, hostmem.DefaultBudget())
}
