package footprint_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
)

func TestMul(t *testing.T) {
	assert.Equal(t, int64(24), footprint.Mul(2, 3, 4))
	assert.Equal(t, int64(1), footprint.Mul[int]())
	assert.Equal(t, footprint.Max, footprint.Mul[int64](1<<40, 1<<30), "2^70 saturates")
	assert.Equal(t, int64(0), footprint.Mul[int64](1<<40, 1<<30, 0), "a zero factor after an overflow")
	assert.Equal(t, footprint.Max, footprint.Mul(4, -1), "a negative size is not a size")
	assert.Equal(t, int64(math.MaxInt64), footprint.Mul[int64](math.MaxInt64, 1))
}

func TestAdd(t *testing.T) {
	assert.Equal(t, int64(6), footprint.Add(1, 2, 3))
	assert.Equal(t, footprint.Max, footprint.Add(math.MaxInt64-1, 2))
	assert.Equal(t, footprint.Max, footprint.Add(5, -1))
}

func TestTally(t *testing.T) {
	var tl footprint.Tally
	tl.Add(10)
	tl.Mul(1000000, 16, 4) // 6.4e7
	assert.Equal(t, int64(64000010), tl.Bytes())
	tl.Mul(1<<40, 1<<30)
	tl.Add(1)
	assert.Equal(t, footprint.Max, tl.Bytes(), "stays saturated")
}

func TestObject(t *testing.T) {
	assert.Zero(t, footprint.Object(0))
	assert.Equal(t, footprint.Max, footprint.Object(-1), "an overflowed size (Shape.NumElements is -1 then)")
	assert.GreaterOrEqual(t, footprint.Object(10000), int64(10240), "size class 10240")
	assert.Equal(t, int64(40960), footprint.Object(40000), "whole pages")
	assert.Equal(t, footprint.Max, footprint.Object(footprint.Max-1))
	var tl footprint.Tally
	tl.Object(40000)
	assert.Equal(t, int64(40960), tl.Bytes())
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "512 B", footprint.Format(512))
	assert.Equal(t, "1.5 GiB", footprint.Format(3<<29))
	assert.Equal(t, "more than 8 EiB", footprint.Format(footprint.Max))
}
