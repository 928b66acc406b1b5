//go:build cgo

package vulkan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

func module(t testing.TB, name string) *spirv.Program {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "ir", "spirv", "testdata", name))
	require.NoError(t, err)
	p, err := spirv.Parse(src)
	require.NoError(t, err)
	return p
}

func parse(t testing.TB, src string) *native.Program {
	t.Helper()
	p, err := native.Parse([]byte("sokr.native/1\n" + src))
	require.NoError(t, err, src)
	return p
}

func randF32(rng *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float32()
	}
	return v
}

func TestDescribe(t *testing.T) {
	s := gpu(t)
	p := s.Describe()
	assert.NotEmpty(t, p["device_name"])
	assert.Equal(t, "vulkan:0", s.Name())
	assert.Equal(t, sokr.KindGPU, s.Kind())
	for _, k := range []string{"api_version", "max_storage_buffer_bytes", "max_workgroup_size", "memory_bytes", "timestamps"} {
		assert.NotEmpty(t, p[k], k)
	}
	assert.Equal(t, "true", p["validation"])
}

func TestSaxpy(t *testing.T) {
	s := gpu(t)
	m := module(t, "saxpy.spv")
	require.True(t, s.Capability(context.Background(), m).OK, s.Capability(context.Background(), m).Reason)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 255, 256, 1000, 1 << 20} {
		x, y := randF32(rng, n, -1, 1), randF32(rng, n, -1, 1)
		push := []float32{2.5, math.Float32frombits(uint32(n))}
		res, err := run(t, s, m, []sokr.Tensor{sokr.FromSlice(x), sokr.FromSlice(y)}, sokr.Param("push_constants", push))
		require.NoError(t, err)
		require.Len(t, res.Outputs, 1, "only the writable binding comes back")
		assert.Equal(t, "Y", res.Outputs[0].Name)
		got := sokr.View[float32](res.Outputs[0].Tensor)
		for i := range n {
			require.InDelta(t, 2.5*x[i]+y[i], got[i], 1e-6, "n=%d i=%d", n, i)
		}
		assert.Equal(t, fmt.Sprint((n+255)/256)+",1,1", res.Meta["groups"])
		assert.NotEmpty(t, res.Meta["gpu_time_ns"])
	}
}

func TestMatmulModule(t *testing.T) {
	s := gpu(t)
	m := module(t, "matmul.spv") // bindings A, B, C in set 0; a uniform Dims in set 1
	require.True(t, s.Capability(context.Background(), m).OK, s.Capability(context.Background(), m).Reason)
	const M, N, K = 32, 48, 64
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randF32(rng, M*K, -1, 1), randF32(rng, K*N, -1, 1)
	dims := make([]int32, 24) // 96 bytes: m, n, k, a vec4 and a mat4
	dims[0], dims[1], dims[2] = M, N, K
	res, err := run(t, s, m, []sokr.Tensor{sokr.FromSlice(a, M, K), sokr.FromSlice(b, K, N), sokr.NewTensor(sokr.F32, M, N),
		sokr.FromSlice(dims)}, sokr.Param("groups", []int{N / 16, M / 16}))
	require.NoError(t, err)
	require.Len(t, res.Outputs, 1, "A and B are read-only, Dims is a uniform")
	c := res.Outputs[0]
	assert.Equal(t, "C", c.Name)
	assert.Equal(t, sokr.Shape{M, N}, c.Tensor.Shape)
	got := sokr.View[float32](c.Tensor)
	for i := range M {
		for j := range N {
			var want float64
			for k := range K {
				want += float64(a[i*K+k]) * float64(b[k*N+j])
			}
			require.InDelta(t, want, got[i*N+j], 1e-4, "C[%d,%d]", i, j)
		}
	}
}

func TestFloat64Module(t *testing.T) {
	s := gpu(t)
	m := module(t, "dscale.spv") // binding 0.3: double s; double v[4]; double rest[]
	off := s.Capability(context.Background(), m)
	if !s.info.features["Float64"] {
		assert.Contains(t, off.Reason, "Float64")
		return
	}
	require.True(t, off.OK, off.Reason)
	buf := make([]float64, 5+128)
	buf[0], buf[2] = 2, 3
	for i := range 128 {
		buf[5+i] = float64(i)
	}
	res, err := run(t, s, m, []sokr.Tensor{sokr.FromSlice(buf)})
	require.NoError(t, err)
	// Without specialization the local size is its own default, 1 (the WG
	// constant shares SpecId 0 but has its own default): 128 groups.
	assert.Equal(t, "128,1,1", res.Meta["groups"])
	got := sokr.View[float64](res.Outputs[0].Tensor)
	for i := range 128 {
		require.Equal(t, 6*float64(i), got[5+i])
	}
	// Specialized to 64 (by name, or by id as JSON gives it): two groups.
	for _, spec := range []any{map[string]any{"WG": 64}, map[string]any{"0": 64.0}, map[int]any{0: 32}} {
		res, err = run(t, s, m, []sokr.Tensor{sokr.FromSlice(buf)}, sokr.Param("spec_constants", spec))
		require.NoError(t, err)
		want := "2,1,1"
		if _, ok := spec.(map[int]any); ok {
			want = "4,1,1"
		}
		assert.Equal(t, want, res.Meta["groups"], "%v", spec)
		got = sokr.View[float64](res.Outputs[0].Tensor)
		for i := range 128 {
			require.Equal(t, 6*float64(i), got[5+i])
		}
	}
	for spec, want := range map[string]string{
		`{"7": 1}`:       `no specialization constant "7" (it has: 0 , 0 WG)`,
		`{"WG": 2.5}`:    "2.5 does not fit",
		`{"WG": -1}`:     "-1 does not fit",
		`{"WG": true}`:   "a bool for a uint32",
		`{"WG": 100000}`: "after specialization",
	} {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(spec), &v))
		_, err := run(t, s, m, []sokr.Tensor{sokr.FromSlice(buf)}, sokr.Param("spec_constants", v))
		require.ErrorIs(t, err, sokr.ErrInvalidInput, spec)
		assert.Contains(t, err.Error(), want, spec)
	}
}

// TestValidationIsOn proves the validation layer is really listening:
// pushing 3 bytes of constants (the size must be a multiple of 4) is
// invalid usage, and it must be reported.
func TestValidationIsOn(t *testing.T) {
	s := gpu(t)
	m := module(t, "saxpy.spv")
	d, err := s.device()
	require.NoError(t, err)
	defer s.active.Done()
	p, err := s.pipelineFor(d, m, "main", []uint32{0, 0}, []uint32{0, 1}, []uint32{0, 0}, specialization{})
	require.NoError(t, err)
	b, err := d.newBuffer(4096, false)
	require.NoError(t, err)
	defer d.freeBuffer(b)
	fr, err := d.frame()
	require.NoError(t, err)
	require.NoError(t, fr.dispatch(p, []binding{{buf: b}, {buf: b}}, []byte{0, 0, 0}, [3]uint32{1, 1, 1}))
	require.NoError(t, fr.submit())
	_, err = fr.wait(0, uint64(10*time.Second))
	require.NoError(t, err)
	fr.release()
	msgs := s.ValidationMessages()
	require.NotEmpty(t, msgs, "the validation layer reported nothing")
	assert.Contains(t, msgs[0], "vkCmdPushConstants")
}

func TestModuleRefusals(t *testing.T) {
	s := gpu(t)
	ctx := context.Background()
	base := func() *spirv.Program {
		return &spirv.Program{Major: 1, Minor: 0, Capabilities: []string{"Shader"},
			EntryPoints: []spirv.EntryPoint{{Name: "main", Model: "GLCompute", WorkgroupSize: [3]uint32{64, 1, 1}}}}
	}
	cases := []struct {
		edit func(p *spirv.Program)
		want string
	}{
		{func(p *spirv.Program) { p.EntryPoints[0].Model = "Vertex" }, "no GLCompute entry point"},
		{func(p *spirv.Program) { p.Capabilities = append(p.Capabilities, "Geometry") }, "capability Geometry"},
		{func(p *spirv.Program) { p.EntryPoints[0].WorkgroupSize = [3]uint32{1 << 20, 1, 1} }, "workgroup size"},
		{func(p *spirv.Program) { p.EntryPoints[0].WorkgroupSize = [3]uint32{64, 64, 64} }, "invocations per workgroup"},
		{func(p *spirv.Program) { p.SharedMemoryBytes = 1 << 30 }, "shared memory"},
		{func(p *spirv.Program) { p.PushConstantBytes = 1 << 20 }, "push constants"},
		{func(p *spirv.Program) { p.Minor = 9 }, "SPIR-V 1.9"},
		{func(p *spirv.Program) {
			p.Bindings = []spirv.Binding{{Kind: spirv.StorageBuffer, Name: "Huge", BlockSize: 1 << 40}}
		}, "binding 0.0 (Huge)"},
		{func(p *spirv.Program) { p.Bindings = []spirv.Binding{{Set: 30, Kind: spirv.StorageBuffer}} }, "set 30"},
	}
	for _, c := range cases {
		p := base()
		c.edit(p)
		off := s.Capability(ctx, p)
		assert.False(t, off.OK, c.want)
		assert.Contains(t, off.Reason, c.want)
	}
	assert.True(t, s.Capability(ctx, base()).OK)
}

func TestModuleBadInput(t *testing.T) {
	s := gpu(t)
	m := module(t, "saxpy.spv")
	x := sokr.FromSlice(make([]float32, 16))
	push := sokr.Param("push_constants", []float32{1, 0})
	cases := []struct {
		inputs []sokr.Tensor
		opts   []sokr.DispatchOption
		want   string
	}{
		{[]sokr.Tensor{x}, []sokr.DispatchOption{push}, "2 buffer bindings"},
		{[]sokr.Tensor{x, {DType: sokr.Bool, Shape: sokr.Shape{3}, Data: []byte{1, 0, 1}}}, []sokr.DispatchOption{push}, "do not fit"},
		{[]sokr.Tensor{x, {DType: sokr.F32, Shape: sokr.Shape{0}}}, []sokr.DispatchOption{push}, "empty array"},
		{[]sokr.Tensor{x, x}, nil, "push-constant block is 8 bytes; 0 were given"},
		{[]sokr.Tensor{x, sokr.FromSlice(make([]float64, 8))}, []sokr.DispatchOption{push}, "binding 0.1 (Y) holds float32 elements; the array is f64"},
		{[]sokr.Tensor{sokr.FromSlice(make([]int32, 16)), x}, []sokr.DispatchOption{push}, "binding 0.0 (X) holds float32 elements; the array is i32"},
		{[]sokr.Tensor{x, x}, []sokr.DispatchOption{sokr.Param("push_constants", []float32{1})}, "8 bytes; 4 were given"},
		{[]sokr.Tensor{x, x}, []sokr.DispatchOption{push, sokr.Param("groups", []any{0.0})}, "outside 1.."},
		{[]sokr.Tensor{x, x}, []sokr.DispatchOption{push, sokr.Param("groups", "many")}, "workgroup counts"},
		{[]sokr.Tensor{x, x}, []sokr.DispatchOption{push, sokr.Param("entry_point", "nope")}, `no GLCompute entry point "nope"`},
	}
	for _, c := range cases {
		_, err := run(t, s, m, c.inputs, c.opts...)
		require.ErrorIs(t, err, sokr.ErrInvalidInput, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	// A buffer larger than the device's largest storage buffer.
	big := int(s.info.MaxStorageRange/4) + 64
	if uint64(big)*4 < 1<<31 { // lavapipe: 128 MiB
		_, err := run(t, s, m, []sokr.Tensor{x, sokr.FromSlice(make([]float32, big))}, push)
		require.ErrorIs(t, err, sokr.ErrInvalidInput)
		assert.Contains(t, err.Error(), "the largest storage buffer")
	}
}

// TestNativeMatchesCPU runs the same programs on cpu and vulkan.
func TestNativeMatchesCPU(t *testing.T) {
	s := gpu(t)
	rng := rand.New(rand.NewPCG(3, 4))
	progs := []struct {
		src    string
		inputs [][]float32
	}{
		{`param x: f32[1000]
param y: f32[1000]
a: f32[] = const 2.5
ax: f32[1000] = mul a, x
s: f32[1000] = add ax, y
e: f32[1000] = exp s
l: f32[1000] = log e
q: f32[1000] = sqrt e
th: f32[1000] = tanh s
sg: f32[1000] = sigmoid s
r: f32[1000] = relu s
n: f32[1000] = neg r
ab: f32[1000] = abs n
si: f32[1000] = sin s
co: f32[1000] = cos s
d: f32[1000] = div si, q
p: f32[1000] = pow q, a
mx: f32[1000] = max si, co
mn: f32[1000] = min si, co
sb: f32[1000] = sub mx, mn
return l, th, sg, ab, d, p, sb`, [][]float32{randF32(rng, 1000, -1, 1), randF32(rng, 1000, -1, 1)}},
		{`param x: f32[7,5]
param y: f32[7,5]
lt: bool[7,5] = lt x, y
ge: bool[7,5] = ge x, y
eq: bool[7,5] = eq lt, ge
z: f32[] = const 0
sel: f32[7,5] = select lt, x, z
c: f32[7,5] = cast lt
b: bool[7,5] = cast x
return lt, eq, sel, c, b`, [][]float32{randF32(rng, 35, -1, 1), randF32(rng, 35, -1, 1)}},
		{`param x: f32[3,4,5]
t: f32[5,3,4] = transpose x, perm=[2,0,1]
b: f32[2,3,4,5] = broadcast x
v: f32[4,1] = const [[1],[2],[3],[4]]
vb: f32[3,4,5] = broadcast v
m: f32[3,4,5] = mul vb, x
r: f32[60] = reshape m
s0: f32[4,5] = reduce_sum x, axes=[0]
s1: f32[3] = reduce_max x, axes=[2,1]
s2: f32[3,5] = reduce_min x, axes=[1]
s3: f32[] = reduce_mean x, axes=[0,1,2]
return t, b, r, s0, s1, s2, s3`, [][]float32{randF32(rng, 60, -1, 1)}},
		{`param a: f32[2,67,45]
param b: f32[2,45,130]
c: f32[2,67,130] = matmul a, b
return c`, [][]float32{randF32(rng, 2*67*45, -1, 1), randF32(rng, 2*45*130, -1, 1)}},
		{`param x: f32[300000]
s: f32[] = reduce_sum x, axes=[0]
k: f32[] = const 3
w: f32[] = mul s, k
return s, w`, [][]float32{randF32(rng, 300000, 0, 1)}},
		// Fusion: a reshape inside a chain, a chain value read after a
		// reduction, scalars broadcast into a chain, values kept in
		// registers and returned.
		{`param x: f32[4,5]
param c: f32[]
e: f32[4,5] = exp x
r: f32[20] = reshape e
s: f32[20] = mul r, c
t: f32[20] = tanh s
tot: f32[] = reduce_sum t, axes=[0]
u: f32[20] = sub t, tot
g: bool[20] = gt u, c
w: f32[20] = select g, u, c
return w, e, tot`, [][]float32{randF32(rng, 20, -1, 1), {0.3}}},
		// Long reductions split into chunks (two passes), with kept axes
		// before and after the reduced ones.
		{`param x: f32[3,20000,2]
m: f32[3,2] = reduce_mean x, axes=[1]
hi: f32[2] = reduce_max x, axes=[0,1]
lo: f32[3] = reduce_min x, axes=[2,1]
s: f32[20000] = reduce_sum x, axes=[0,2]
return m, hi, lo, s`, [][]float32{randF32(rng, 120000, -1, 1)}},
	}
	c := cpu.New()
	for i, pc := range progs {
		p := parse(t, pc.src)
		require.True(t, s.Capability(context.Background(), p).OK, s.Capability(context.Background(), p).Reason)
		var inputs []sokr.Tensor
		for k, v := range pc.inputs {
			in := sokr.FromSlice(v)
			in.Shape = p.Nodes[p.Params[k]].Type.Shape // a scalar too
			inputs = append(inputs, in)
		}
		want, err := run(t, c, p, inputs)
		require.NoError(t, err)
		got, err := run(t, s, p, inputs)
		require.NoError(t, err, "program %d", i)
		require.Len(t, got.Outputs, len(want.Outputs))
		for k, w := range want.Outputs {
			g := got.Outputs[k]
			require.Equal(t, w.Name, g.Name)
			require.Equal(t, w.Tensor.DType, g.Tensor.DType, w.Name)
			require.Equal(t, w.Tensor.Shape, g.Tensor.Shape, w.Name)
			if w.Tensor.DType == sokr.Bool {
				require.Equal(t, w.Tensor.Data, g.Tensor.Data, w.Name)
				continue
			}
			wv, gv := sokr.View[float32](w.Tensor), sokr.View[float32](g.Tensor)
			for e := range wv {
				tol := 1e-4 * (1 + math.Abs(float64(wv[e])))
				require.InDelta(t, wv[e], gv[e], tol, "program %d output %s element %d", i, w.Name, e)
			}
		}
	}
}

func TestNativeRefusals(t *testing.T) {
	s := gpu(t)
	ctx := context.Background()
	off := s.Capability(ctx, parse(t, "param x: f64[4]\ny: f64[4] = exp x\nreturn y"))
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "node y (exp): vulkan computes exp in f32 only")
	off = s.Capability(ctx, parse(t, "param x: i32[4]\ny: i32[4] = neg x\nreturn y"))
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "node x")
	assert.Contains(t, off.Reason, "i32")
	for src, want := range map[string]string{
		"param x: f32[4]\ny: f64[4] = cast x\nreturn y":                                                          "converting to f64",
		"param x: f64[4]\ny: f32[4] = cast x\nreturn y":                                                          "cast of f64 values to f32",
		"param x: f64[4]\nz: f64[] = const 0\nb: bool[4] = gt x, z\nreturn b":                                    "gt of f64 values",
		"param c: bool[4]\nparam x: f64[4]\ny: f64[4] = select c, x, x\nreturn y":                                "no f64 select",
		"param x: f64[1,1,1,1,1,1,1,2]\ny: f64[2,1,1,1,1,1,1,1] = transpose x, perm=[7,0,1,2,3,4,5,6]\nreturn y": "7 for f64",
	} {
		off := s.Capability(ctx, parse(t, src))
		assert.False(t, off.OK, src)
		assert.Contains(t, off.Reason, want, src)
	}
	off = s.Capability(ctx, parse(t, "param x: f32[1,1,1,1,1,1,1,1,2]\ny: f32[2,1,1,1,1,1,1,1,1] = transpose x, perm=[8,0,1,2,3,4,5,6,7]\nreturn y"))
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "at most 8 dimensions")
	n := int(s.info.MaxStorageRange/4) + 1
	off = s.Capability(ctx, parse(t, fmt.Sprintf("param x: f32[%d]\ny: f32[%d] = exp x\nreturn y", n, n)))
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "largest storage buffer")
}

func TestConformance(t *testing.T) {
	s := gpu(t)
	axpy := parse(t, `param x: f32[5]
param y: f32[5]
a: f32[] = const 2
ax: f32[5] = mul a, x
out: f32[5] = add ax, y
return out`)
	big := parse(t, `param x: f32[4000000]
e: f32[4000000] = exp x
s: f32[4000000] = sin e
out: f32[] = reduce_sum s, axes=[0]
return out`)
	cases := []sokrtest.Case{{
		Name: "axpy", Program: axpy,
		Inputs: []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4, 5}), sokr.FromSlice([]float32{1, 1, 1, 1, 1})},
		Want:   []sokr.Tensor{sokr.FromSlice([]float32{3, 5, 7, 9, 11})},
	}}
	if s.info.features["Float64"] { // lavapipe has it
		cases = append(cases, sokrtest.Case{
			Name: "matmul+reduce f64", Program: parse(t, "param a: f64[2,3]\nparam b: f64[3,2]\nc: f64[2,2] = matmul a, b\ns: f64[2] = reduce_sum c, axes=[1]\nreturn c, s"),
			Inputs: []sokr.Tensor{sokr.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3), sokr.FromSlice([]float64{7, 8, 9, 10, 11, 12}, 3, 2)},
			Want:   []sokr.Tensor{sokr.FromSlice([]float64{58, 64, 139, 154}, 2, 2), sokr.FromSlice([]float64{122, 293})},
			Tol:    1e-12,
		})
	}
	slow := sokrtest.Case{Name: "big", Program: big, Inputs: []sokr.Tensor{sokr.FromSlice(make([]float32, 4000000))}}
	sokrtest.Run(t, s, sokrtest.Suite{Cases: cases, Slow: &slow,
		Refused: []sokr.Program{parse(t, "param x: i32[4]\ny: i32[4] = neg x\nreturn y")}})
}

// TestManyDispatches: dispatches from many goroutines complete exactly once
// with their own answers (one completer goroutine, pooled frames and
// buffers).
func TestManyDispatches(t *testing.T) {
	s := gpu(t)
	p := parse(t, "param x: f32[64]\nk: f32[] = const 3\ny: f32[64] = mul x, k\nreturn y")
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	defer rt.UnregisterSubstrate(s.Name())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				x := make([]float32, 64)
				for e := range x {
					x[e] = float32(g*1000 + i*64 + e)
				}
				res, err := rt.Run(context.Background(), p, []sokr.Tensor{sokr.FromSlice(x)})
				if !assert.NoError(t, err) {
					return
				}
				y := sokr.View[float32](res.Outputs[0].Tensor)
				for e := range y {
					if y[e] != 3*x[e] {
						t.Errorf("g%d i%d e%d: %v != %v", g, i, e, y[e], 3*x[e])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestUnavailable(t *testing.T) {
	_, err := Open(Config{Loader: "/nonexistent/libvulkan.so.1", CacheDir: "-"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "no Vulkan loader")
	_, err = Open(Config{Loader: "libc.so.6", CacheDir: "-"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "not a Vulkan loader")

	reg := sokr.NewRegistry()
	_, err = Register(reg, Config{Loader: "/nonexistent/libvulkan.so.1"})
	require.Error(t, err)
	assert.Contains(t, reg.Failures()[Name].Error(), "no Vulkan loader")
}

// TestCloseInFlight: closing a device with dispatches in flight completes
// every one of them; later dispatches fail with ErrClosed and Capability
// refuses.
func TestCloseInFlight(t *testing.T) {
	if _, err := os.Stat(lavapipe); err != nil && !inCI() {
		t.Skip("needs lavapipe")
	}
	gpu(t) // skips or fails like the others when there is no Vulkan
	dir := t.TempDir()
	s := openFirst(t, Config{Validation: true, CacheDir: dir})
	rt, p, futs := inFlight(t, s, 20, 100000)
	require.NoError(t, s.Close())
	for _, f := range futs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := f.Wait(ctx)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, sokr.ErrClosed)
			continue
		}
		assert.InDelta(t, 100000, sokr.View[float32](res.Outputs[0].Tensor)[0], 1)
	}
	_, err := rt.Run(context.Background(), p, []sokr.Tensor{sokr.FromSlice(make([]float32, 100000))}, sokr.On(s.Name()))
	require.Error(t, err)
	off := s.Capability(context.Background(), p)
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "closed")
	files, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	assert.Len(t, files, 1, "the pipeline cache is saved on close")
	require.NoError(t, s.Close(), "closing twice is harmless")
}

// TestKernelsUpToDate recompiles the built-in kernels and compares them
// with the committed SPIR-V.
func TestKernelsUpToDate(t *testing.T) {
	if _, err := exec.LookPath("glslangValidator"); err != nil {
		if inCI() {
			t.Fatal("CI needs glslangValidator (Debian glslang-tools)")
		}
		t.Skip("glslangValidator not installed")
	}
	dir := t.TempDir()
	for _, k := range kernelFiles {
		out := filepath.Join(dir, k+".spv")
		args := []string{"-V", "--target-env", "vulkan1.0", "-o", out}
		if src, ok := strings.CutSuffix(k, "64"); ok {
			args, k = append(args, "-DDOUBLE"), src
		}
		cmd := exec.Command("glslangValidator", append(args, filepath.Join("kernels", k+".comp"))...)
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, string(b))
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		want, err := kernelFS.ReadFile("kernels/" + filepath.Base(out))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(got, want), "kernels/%s is stale: run kernels/gen.sh", filepath.Base(out))
	}
	ks, err := kernels()
	require.NoError(t, err)
	assert.Equal(t, int64(8), ks[kFused].PushConstantBytes)
	assert.Equal(t, int64(80), ks[kStrided].PushConstantBytes)
	assert.Equal(t, int64(104), ks[kReduce].PushConstantBytes)
	assert.Equal(t, int64(36), ks[kMatmul].PushConstantBytes)
	// The event-driven pair share matmul's layout and the masks' offset.
	assert.Equal(t, int64(40), ks[kEventMask].PushConstantBytes)
	assert.Equal(t, int64(40), ks[kEventMM].PushConstantBytes)
	// The circuit kernels share one layout (qcommon.glsl): one descriptor
	// set serves all of a command buffer's dispatches.
	for k := kQInit; k <= kQKraus64; k++ {
		assert.Equal(t, int64(32), ks[k].PushConstantBytes, kernelFiles[k])
		for _, b := range ks[k].Bindings { // unused ones are left out of the module
			assert.True(t, b.Set == 0 && b.Binding < 3, "%s binds %d.%d", kernelFiles[k], b.Set, b.Binding)
		}
	}
}

// TestSpinThenBlock: the completer polls the fence first (as on GPUs), then
// blocks; both paths give the answer.
func TestSpinThenBlock(t *testing.T) {
	s := gpu(t)
	old := s.spin
	defer func() { s.spin = old }()
	p := parse(t, "param x: f32[300000]\ny: f32[300000] = exp x\nz: f32[] = reduce_sum y, axes=[0]\nreturn z")
	for _, spin := range []time.Duration{time.Microsecond, 500 * time.Millisecond} {
		s.spin = uint64(spin)
		res, err := run(t, s, p, []sokr.Tensor{sokr.FromSlice(make([]float32, 300000))})
		require.NoError(t, err)
		assert.InDelta(t, 300000, sokr.View[float32](res.Outputs[0].Tensor)[0], 1)
	}
}

// TestDeviceLost runs through a stand-in loader (testdata/lostloader.c) that
// forwards to the real one until told the device is gone: dispatches then
// fail with a fault naming VK_ERROR_DEVICE_LOST, Capability refuses saying
// why, nothing hangs, and Close still works.
func TestDeviceLost(t *testing.T) {
	gpu(t) // skips or fails like the others when there is no Vulkan
	shim := filepath.Join(t.TempDir(), "liblost.so")
	out, err := exec.Command("cc", "-shared", "-fPIC", "-O1", "-Iinternal/include", "testdata/lostloader.c", "-o", shim, "-ldl").CombinedOutput()
	require.NoError(t, err, string(out))
	s := openFirst(t, Config{Loader: shim, CacheDir: "-"})
	p := parse(t, "param x: f32[1000]\ny: f32[1000] = exp x\nreturn y")
	in := []sokr.Tensor{sokr.FromSlice(make([]float32, 1000))}
	res, err := run(t, s, p, in)
	require.NoError(t, err)
	assert.Equal(t, float32(1), sokr.View[float32](res.Outputs[0].Tensor)[999])

	// Work in flight when the device goes: every future still completes.
	rt, _, futs := inFlight(t, s, 8, 1000000)
	t.Setenv("SOKR_TEST_DEVICE_LOST", "1")
	for _, f := range futs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := f.Wait(ctx)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, sokr.ErrSubstrateFault)
		}
	}
	rt.UnregisterSubstrate(s.Name())
	// A fault at submit, or a refusal when a fence wait already found the
	// device gone; either way the cause is named.
	_, err = run(t, s, p, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "VK_ERROR_DEVICE_LOST")
	off := s.Capability(context.Background(), p)
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "the device is unusable")
	_, err = run(t, s, p, in)
	require.Error(t, err, "a lost device stays lost")
	require.NoError(t, s.Close())
}

// TestShaderPastItsBuffer: a shader told (by its push constants) to touch
// more elements than its buffer holds cannot reach other memory: with
// robust buffer access the extra writes are dropped.
func TestShaderPastItsBuffer(t *testing.T) {
	s := gpu(t)
	if !s.info.Robust { // lavapipe and NVIDIA have it
		if inCI() {
			t.Fatal("lavapipe should have robust buffer access")
		}
		t.Skip("the device has no robust buffer access")
	}
	m := module(t, "saxpy.spv")
	x := sokr.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8})
	y := sokr.FromSlice([]float32{1, 1, 1, 1, 1, 1, 1})
	res, err := run(t, s, m, []sokr.Tensor{x, y}, sokr.Param("push_constants", []float32{2, math.Float32frombits(1 << 20)}),
		sokr.Param("groups", 4096))
	require.NoError(t, err)
	assert.Equal(t, []float32{3, 5, 7, 9, 11, 13, 15}, sokr.View[float32](res.Outputs[0].Tensor))
}

// TestLongProgram: long native programs give the cpu's answer: 100
// elementwise ops (fused into chains), and 80 kernels in one command buffer
// (more descriptor sets than one pool holds).
func TestLongProgram(t *testing.T) {
	s := gpu(t)
	var b strings.Builder
	b.WriteString("param x: f32[1000]\nk: f32[] = const 1.001\nv0: f32[1000] = mul x, k\n")
	for i := 1; i < 100; i++ {
		fmt.Fprintf(&b, "v%d: f32[1000] = mul v%d, k\n", i, i-1)
	}
	b.WriteString("w: f32[40,25] = reshape v99\n")
	for i := range 40 { // add, transpose: two kernels each
		prev := "w"
		if i > 0 {
			prev = fmt.Sprintf("t%d", i-1)
		}
		shape := "[40,25]"
		if i%2 == 1 {
			shape = "[25,40]"
		}
		out := "[25,40]"
		if i%2 == 1 {
			out = "[40,25]"
		}
		fmt.Fprintf(&b, "a%d: f32%s = add %s, k\nt%d: f32%s = transpose a%d, perm=[1,0]\n", i, shape, prev, i, out, i)
	}
	b.WriteString("return v99, t39")
	p := parse(t, b.String())
	in := []sokr.Tensor{sokr.FromSlice(randF32(rand.New(rand.NewPCG(7, 8)), 1000, -1, 1))}
	want, err := run(t, cpu.New(), p, in)
	require.NoError(t, err)
	got, err := run(t, s, p, in)
	require.NoError(t, err)
	// 100 muls in chains of up to 14 (16 registers: x, k and the values),
	// then 80 kernels.
	assert.Equal(t, "88", got.Meta["kernels"])
	for k := range want.Outputs {
		assert.InDeltaSlice(t, sokr.View[float32](want.Outputs[k].Tensor), sokr.View[float32](got.Outputs[k].Tensor), 1e-5)
	}
}

// TestReviewedEdges covers what a review found: sizes past 32 bits,
// splats too large to expand, descriptors that are not buffers, shared
// bindings, binding counts past what a dispatch carries, no workgroup size.
func TestReviewedEdges(t *testing.T) {
	s := gpu(t)
	ctx := context.Background()
	for src, want := range map[string]string{
		"param x: f32[1]\nb: f32[65536,65536] = broadcast x\ns: f32[] = reduce_sum b, axes=[0,1]\nreturn s": "node b",
		"c: f32[1099511627776] = const 1\nreturn c":                                                         "node c",
		"param a: f32[65536,1]\nparam b: f32[1,65536]\nc: f32[65536,65536] = matmul a, b\nreturn c":         "node c",
	} {
		start := time.Now()
		off := s.Capability(ctx, parse(t, src))
		assert.False(t, off.OK, src)
		assert.Contains(t, off.Reason, want, src)
		assert.Less(t, time.Since(start), 5*time.Second, "Capability expands nothing: %s", src)
	}

	// Two splats that fit one at a time, not together.
	n := min(s.info.MaxStorageRange, uint32(min(s.info.MaxAlloc, math.MaxUint32)))/8 + 1024
	off := s.Capability(ctx, parse(t, fmt.Sprintf("c: f32[%d] = const 1\nd: f32[%d] = const 2\ne: f32[%d] = add c, d\nreturn e", n, n, n)))
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "more than")

	img := module(t, "image.spv")
	off = s.Capability(ctx, img)
	assert.False(t, off.OK)
	assert.Contains(t, off.Reason, "binding 0.0 (src) is an image")

	base := func() *spirv.Program {
		return &spirv.Program{Major: 1, Capabilities: []string{"Shader"},
			EntryPoints: []spirv.EntryPoint{{Name: "main", Model: "GLCompute", WorkgroupSize: [3]uint32{64, 1, 1}}}}
	}
	shared := base()
	shared.Bindings = []spirv.Binding{{Kind: spirv.StorageBuffer, Name: "A"}, {Kind: spirv.StorageBuffer, Name: "B"}}
	assert.Contains(t, s.Capability(ctx, shared).Reason, "two variables share binding 0.0 (A and B)")
	none := base()
	none.EntryPoints[0].WorkgroupSize = [3]uint32{}
	assert.Contains(t, s.Capability(ctx, none).Reason, "no workgroup size")
	assert.Equal(t, int64(8), pushRange(&spirv.Program{PushConstantBytes: 6}))
	assert.Equal(t, int64(8), pushRange(&spirv.Program{PushConstantBytes: 8}))

	// Dispatch checks for itself what the runtime checks before it.
	direct := func(p sokr.Program, in ...sokr.Tensor) error {
		j := sokr.NewJob(ctx, p, in, sokr.Options{})
		s.Dispatch(j, j)
		_, err := j.Future().Wait(ctx)
		return err
	}
	add := parse(t, "param x: f32[4]\nparam y: f32[4]\nz: f32[4] = add x, y\nreturn z")
	require.ErrorIs(t, direct(add, sokr.FromSlice([]float32{1})), sokr.ErrInvalidInput)
	require.ErrorIs(t, direct(add, sokr.FromSlice([]int32{1, 2, 3, 4}), sokr.FromSlice([]float32{1, 2, 3, 4})), sokr.ErrInvalidInput)
	err := direct(img, sokr.FromSlice(make([]float32, 64)), sokr.FromSlice(make([]float32, 64)), sokr.FromSlice(make([]float32, 64)))
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.Contains(t, err.Error(), "is an image")
}

// TestSpecialValues: pow, max and min follow Go's rules (what cpu
// computes) for negative bases, zeros, infinities and NaN.
func TestSpecialValues(t *testing.T) {
	s := gpu(t)
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	xs := []float32{-2, -0.5, 0, 0, inf, -inf, -inf, 2, -1, 0.5, nan, 1, -2, 0, -8, 3}
	ys := []float32{2, 3, 0, -1, 0, 2, 3, inf, inf, -inf, 1, nan, 0.5, 3, 1.0 / 3, nan}
	p := parse(t, `param x: f32[16]
param y: f32[16]
p: f32[16] = pow x, y
hi: f32[16] = max x, y
lo: f32[16] = min x, y
m: f32[] = reduce_max y, axes=[0]
return p, hi, lo, m`)
	in := []sokr.Tensor{sokr.FromSlice(xs), sokr.FromSlice(ys)}
	want, err := run(t, cpu.New(), p, in)
	require.NoError(t, err)
	got, err := run(t, s, p, in)
	require.NoError(t, err)
	for k, w := range want.Outputs {
		wv, gv := sokr.View[float32](w.Tensor), sokr.View[float32](got.Outputs[k].Tensor)
		for e := range wv {
			if math.IsNaN(float64(wv[e])) {
				assert.True(t, math.IsNaN(float64(gv[e])), "%s[%d] (%v, %v): %v, want NaN", w.Name, e, xs[e], ys[e], gv[e])
				continue
			}
			assert.InDelta(t, wv[e], gv[e], 1e-6*math.Abs(float64(wv[e])), "%s[%d] (%v, %v)", w.Name, e, xs[e], ys[e])
			if wv[e] == 0 { // the sign of zero too
				assert.Equal(t, math.Signbit(float64(wv[e])), math.Signbit(float64(gv[e])), "%s[%d]", w.Name, e)
			}
		}
	}
}

// TestThousandsOfKernels: one command buffer takes as many dispatches as
// the program has (descriptor pools are added as needed).
func TestThousandsOfKernels(t *testing.T) {
	s := gpu(t)
	var b strings.Builder
	b.WriteString("param x: f32[2,3]\n")
	prev := "x"
	for i := range 4200 {
		shape := "[3,2]"
		if i%2 == 1 {
			shape = "[2,3]"
		}
		fmt.Fprintf(&b, "t%d: f32%s = transpose %s, perm=[1,0]\n", i, shape, prev)
		prev = fmt.Sprintf("t%d", i)
	}
	fmt.Fprintf(&b, "return %s", prev)
	p := parse(t, b.String())
	require.True(t, s.Capability(context.Background(), p).OK)
	res, err := run(t, s, p, []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)})
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, sokr.View[float32](res.Outputs[0].Tensor))
}

// inFlight dispatches n runs of sum(exp(x)) over size zeros on s, through a
// runtime of its own, and returns without waiting.
func inFlight(t *testing.T, s *Substrate, n, size int) (*sokr.Runtime, *native.Program, []*sokr.Future) {
	t.Helper()
	p := parse(t, fmt.Sprintf("param x: f32[%d]\ny: f32[%d] = exp x\nz: f32[] = reduce_sum y, axes=[0]\nreturn z", size, size))
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	var futs []*sokr.Future
	for range n {
		futs = append(futs, rt.Dispatch(context.Background(), p, []sokr.Tensor{sokr.FromSlice(make([]float32, size))}))
	}
	return rt, p, futs
}

// TestNativeF64 runs f64 programs (arithmetic chains, broadcast, transpose,
// reductions, matmul) on the f64 kernels, against cpu to 1e-12.
func TestNativeF64(t *testing.T) {
	s := gpu(t)
	if !s.info.features["Float64"] {
		if inCI() {
			t.Fatal("lavapipe, CI's device, has Float64")
		}
		t.Skip("the device has no shaderFloat64")
	}
	p := parse(t, `param a: f64[3,70,45]
param b: f64[3,45,33]
param v: f64[33]
c: f64[3,70,33] = matmul a, b
vb: f64[3,70,33] = broadcast v
h: f64[] = const 0.5
d: f64[3,70,33] = mul c, h
e: f64[3,70,33] = add d, vb
r: f64[3,70,33] = relu e
q: f64[3,70,33] = sqrt r
m: f64[3,70,33] = max q, d
t: f64[33,70,3] = transpose m, perm=[2,1,0]
w: f64[2] = const [1.5, -2.25]
s0: f64[] = reduce_sum m, axes=[0,1,2]
s1: f64[3,33] = reduce_mean m, axes=[1]
s2: f64[70] = reduce_max m, axes=[0,2]
s3: f64[3] = reduce_min m, axes=[1,2]
return t, s0, s1, s2, s3, w`)
	require.True(t, s.Capability(context.Background(), p).OK, s.Capability(context.Background(), p).Reason)
	rng := rand.New(rand.NewPCG(9, 10))
	f64s := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64()*2 - 1
		}
		return v
	}
	in := []sokr.Tensor{sokr.FromSlice(f64s(3*70*45), 3, 70, 45), sokr.FromSlice(f64s(3*45*33), 3, 45, 33), sokr.FromSlice(f64s(33))}
	want, err := run(t, cpu.New(), p, in)
	require.NoError(t, err)
	got, err := run(t, s, p, in)
	require.NoError(t, err)
	for k, w := range want.Outputs {
		g := got.Outputs[k]
		require.Equal(t, w.Tensor.Shape, g.Tensor.Shape, w.Name)
		wv, gv := sokr.View[float64](w.Tensor), sokr.View[float64](g.Tensor)
		for e := range wv {
			require.InDelta(t, wv[e], gv[e], 1e-12*(1+math.Abs(wv[e])), "%s[%d]", w.Name, e)
		}
	}
}
