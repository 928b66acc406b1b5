package cpu

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

func mustParse(t *testing.T, src string) *native.Program {
	t.Helper()
	p, err := native.Parse([]byte("sokr.native/1\n" + src))
	require.NoError(t, err)
	return p
}

func TestFusionGroups(t *testing.T) {
	// a*x + y: one stored value (the result), computed by one group of two
	// instructions reading a (broadcast scalar), x and y.
	pl := compile(mustParse(t, "param x: f32[9]\nparam y: f32[9]\na: f32[] = const 2\nax: f32[9] = mul a, x\nout: f32[9] = add ax, y\nreturn out"))
	require.Len(t, pl.steps, 1)
	g := pl.steps[0].group
	require.NotNil(t, g)
	assert.Len(t, g.code, 2)
	require.Len(t, g.leaves, 3)
	scalars := 0
	for _, l := range g.leaves {
		if l.scalar {
			scalars++
		}
	}
	assert.Equal(t, 1, scalars)

	// A longer chain with compare, select and cast fuses into one group.
	pl = compile(mustParse(t, `param x: f64[100]
param y: f64[100]
e: f64[100] = exp x
n: f64[100] = neg e
c: bool[100] = lt x, y
s: f64[100] = select c, n, y
out: f32[100] = cast s
return out`))
	require.Len(t, pl.steps, 1)
	assert.Len(t, pl.steps[0].group.code, 5)

	// A value used twice, or returned, is stored: it is computed once.
	pl = compile(mustParse(t, "param x: f32[9]\ne: f32[9] = exp x\nn: f32[9] = neg e\nf: f32[9] = mul n, e\nreturn f"))
	assert.Len(t, pl.steps, 2, "e is used twice")
	pl = compile(mustParse(t, "param x: f32[9]\ne: f32[9] = exp x\nn: f32[9] = neg e\nreturn n, e"))
	assert.Len(t, pl.steps, 2, "e is returned")

	// Non-elementwise ops break chains.
	pl = compile(mustParse(t, "param x: f32[3,3]\ne: f32[3,3] = exp x\nm: f32[3,3] = matmul e, e\nr: f32[3,3] = relu m\nreturn r"))
	assert.Len(t, pl.steps, 3)

	// The plan is built once per program.
	p := mustParse(t, "param x: f32[9]\ne: f32[9] = exp x\nreturn e")
	assert.Same(t, compile(p), compile(p))
}

// TestFusionAllocatesNoTemporaries: a fused a*x + y allocates its output
// and nothing else of the data's size.
func TestFusionAllocatesNoTemporaries(t *testing.T) {
	const n = 1 << 20
	p := mustParse(t, "param x: f32[1048576]\nparam y: f32[1048576]\na: f32[] = const 2\nax: f32[1048576] = mul a, x\nout: f32[1048576] = add ax, y\nreturn out")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(New()))
	ctx := context.Background()
	in := []sokr.Tensor{sokr.FromSlice(make([]float32, n)), sokr.FromSlice(make([]float32, n))}
	_, err := rt.Run(ctx, p, in) // warm up: plan, scratch pool
	require.NoError(t, err)

	const runs = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := rt.Run(ctx, p, in)
		require.NoError(t, err)
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	assert.Less(t, perRun, uint64(4*n+64<<10), "allocated %d bytes per run; the output alone is %d", perRun, 4*n)
}
