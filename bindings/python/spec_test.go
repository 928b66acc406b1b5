package facade

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestParseInputsReadsTheJSONCallersWrite(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	a := strconv.FormatUint(uint64(addr(x)), 10)
	ts, err := parseInputs(" [ [\"f32\" , [2, 3], " + a + ", 24], [\"f32\",[]," + a + ",4] ,[\"i64\",[0],0,0]] ")
	require.NoError(t, err)
	require.Len(t, ts, 3)
	assert.Equal(t, sokr.Shape{2, 3}, ts[0].Shape)
	assert.Equal(t, sokr.F32, ts[0].DType)
	assert.Len(t, ts[0].Data, 24)
	assert.Empty(t, ts[1].Shape, "[] is a scalar")
	assert.Len(t, ts[1].Data, 4)
	assert.Equal(t, sokr.Shape{0}, ts[2].Shape)
	ts, err = parseInputs("")
	require.NoError(t, err)
	assert.Empty(t, ts)
	ts, err = parseInputs("[]")
	require.NoError(t, err)
	assert.Empty(t, ts)

	for _, bad := range []string{`[["f32",[2],8,4611686018427387904]]`, `[["f32",[4611686018427387904,4],8,16]]`, "[", "[[]]", `[["f32"]]`, `[["f32",[2,3],` + a + `,24],]`, `[["f32",[2,3],` + a + `,24]`, `[["f32",[1.5],1,4]]`, `[["f32",[2],-1,8]]`, "{}"} {
		_, err := parseInputs(bad)
		var ie *sokr.InputError
		assert.ErrorAs(t, err, &ie, bad)
	}
	runtime.KeepAlive(x)
}

func TestParseBatchNamesTheBadDispatch(t *testing.T) {
	all, err := parseBatch(" [ [], [] ,[]] ")
	require.NoError(t, err)
	assert.Len(t, all, 3)
	all, err = parseBatch("[]")
	require.NoError(t, err)
	assert.Empty(t, all)
	_, err = parseBatch(`[[], [["f99",[1],1,4]]]`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dispatch 1")
	var ie *sokr.InputError
	assert.ErrorAs(t, err, &ie)
	for _, bad := range []string{"", "[[]", "[[]] x", "[[],,[]]"} {
		_, err := parseBatch(bad)
		assert.ErrorAs(t, err, &ie, bad)
	}
}
