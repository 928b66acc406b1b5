package defaults_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestDefaultRuntime(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(ctx)) }()

	var formats []string
	for _, ir := range rt.IRs() {
		formats = append(formats, ir.Format())
	}
	assert.ElementsMatch(t, []string{native.Format, "openqasm/2", "openqasm/3", "nir/1", "spirv/1", "sokr.photonic/1", "qir/1"}, formats)
	for _, name := range []string{"cpu", "statevec", "snn", "photonic"} {
		_, ok := rt.Substrate(name)
		require.True(t, ok, name)
	}
	assert.Empty(t, rt.Failures())

	p, err := rt.Parse(ctx, "", []byte("sokr.native/1\nparam x: i64[3]\ny: i64[] = reduce_sum x, axes=[0]\nreturn y\n"))
	require.NoError(t, err)
	res, err := rt.Run(ctx, p, []sokr.Tensor{sokr.FromSlice([]int64{1, 2, 3})})
	require.NoError(t, err)
	assert.Equal(t, []int64{6}, sokr.View[int64](res.Outputs[0].Tensor))

	_, err = rt.Parse(ctx, "", []byte("MODULE m; BEGIN END m."))
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	_, err = rt.Parse(ctx, "nope/1", nil)
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	_, err = rt.Parse(ctx, native.Format, []byte("sokr.native/1\nreturn x\n"))
	require.ErrorIs(t, err, sokr.ErrInvalidProgram)

	_, err = rt.Lower(ctx, 42)
	require.ErrorIs(t, err, sokr.ErrUnknownFormat)
	got, err := rt.Lower(ctx, p)
	require.NoError(t, err)
	assert.Same(t, p, got)
}

func TestDefaultRuntimeRunsQASM(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(ctx)) }()

	bell := "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
	p, err := rt.Parse(ctx, "", []byte(bell))
	require.NoError(t, err)
	assert.Equal(t, "sokr.circuit/1", p.Format()) // OpenQASM lowers to the circuit IR
	res, err := rt.Run(ctx, p, nil, sokr.Seed(3), sokr.Param("shots", 400))
	require.NoError(t, err)
	counts := res.Outputs[0].Value.(map[string]int64)
	assert.Equal(t, int64(400), counts["00"]+counts["11"])
	assert.Greater(t, counts["00"], int64(150))
	assert.Greater(t, counts["11"], int64(150))
}

func TestDispatchAfterClose(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	require.NoError(t, rt.Close(ctx))
	p, err := native.Parse([]byte("sokr.native/1\nparam x: f32[1]\nreturn x\n"))
	require.NoError(t, err)
	_, err = rt.Run(ctx, p, []sokr.Tensor{sokr.FromSlice([]float32{1})})
	require.ErrorIs(t, err, sokr.ErrClosed)
}

// TestDefaultRuntimeRunsQIR: QIR programs are detected, lowered to the
// circuit IR and sampled on statevec; the Bell and GHZ states give only
// their two outcomes, the adaptive program's branches copy qubit 0's
// outcome to qubit 1 and its complement to qubit 2, and the integer
// computation on two results makes result 2 their AND.
func TestDefaultRuntimeRunsQIR(t *testing.T) {
	ctx := context.Background()
	rt, err := defaults.New()
	require.NoError(t, err)
	defer func() { require.NoError(t, rt.Close(ctx)) }()

	for _, c := range []struct {
		file string
		want []string
	}{
		{"bell_typed.ll", []string{"00", "11"}},
		{"ghz_opaque.ll", []string{"000", "111"}},
		{"adaptive.ll", []string{"100", "011"}},                   // bit 0 rightmost: (r2, r1, r0)
		{"adaptive_int.ll", []string{"000", "001", "010", "111"}}, // r2 = r0 AND r1
		{"base_blocks.ll", []string{"111"}},
	} {
		src, err := os.ReadFile(filepath.Join("..", "ir", "qir", "testdata", c.file))
		require.NoError(t, err)
		p, err := rt.Parse(ctx, "", src)
		require.NoError(t, err, c.file)
		assert.Equal(t, "sokr.circuit/1", p.Format())
		res, err := rt.Run(ctx, p, nil, sokr.Seed(5), sokr.Param("shots", 400))
		require.NoError(t, err, c.file)
		counts := res.Outputs[0].Value.(map[string]int64)
		var keys []string
		for k, n := range counts {
			keys = append(keys, k)
			// Each outcome is equally likely: far from a half of its share.
			assert.Greater(t, n, int64(400/len(c.want)/2), "%s: %s", c.file, k)
		}
		assert.ElementsMatch(t, c.want, keys, c.file)
	}

	// What the circuit cannot express is refused at capability, named,
	// with its line.
	loop := "define void @main() #0 {\n  call void @__quantum__qis__h__body(ptr null)\n  br label %top\ntop:\n  br label %top\n}\nattributes #0 = { \"entry_point\" }\n"
	p, err := rt.Parse(ctx, "", []byte(loop))
	require.NoError(t, err)
	_, err = rt.Run(ctx, p, nil, sokr.Param("shots", 10))
	require.ErrorIs(t, err, sokr.ErrNoCapableSubstrate)
	assert.Contains(t, err.Error(), "QIR backward branch (a loop)")
	assert.Contains(t, err.Error(), "5:3")
}
