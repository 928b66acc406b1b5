package spirv_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The modules in testdata are compiled from the .comp files beside them
// with glslangValidator -V --target-env vulkan1.1 (testdata/gen.sh).
var modules = []string{"saxpy", "matmul", "dscale", "image"}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".spv"))
	require.NoError(t, err)
	return b
}

// tool returns the path of a SPIRV-Tools or SPIRV-Cross program; CI must
// have them (scripts/deps.sh installs spirv-tools and spirv-cross).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; scripts/deps.sh installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func TestReflect(t *testing.T) {
	p, err := spirv.Parse(read(t, "saxpy"))
	require.NoError(t, err)
	assert.Equal(t, spirv.Format, p.Format())
	assert.Equal(t, []spirv.EntryPoint{{Name: "main", Model: "GLCompute", WorkgroupSize: [3]uint32{256, 1, 1}, WorkgroupSpecID: [3]int{-1, -1, -1}}}, p.EntryPoints)
	assert.Equal(t, []spirv.Binding{
		{Set: 0, Binding: 0, Kind: spirv.StorageBuffer, Name: "X", BlockSize: 0, RuntimeStride: 4, Element: "float32", ReadOnly: true},
		{Set: 0, Binding: 1, Kind: spirv.StorageBuffer, Name: "Y", BlockSize: 0, RuntimeStride: 4, Element: "float32"},
	}, p.Bindings)
	assert.Equal(t, int64(8), p.PushConstantBytes)
	assert.Contains(t, p.Capabilities, "Shader")
	r := p.Requirements()
	assert.Contains(t, r.Features, "spirv:Shader")
	assert.Contains(t, r.Features, "spirv:model:GLCompute")
	assert.Equal(t, int64(256), r.Quantities["workgroup_invocations"])

	m, err := spirv.Parse(read(t, "matmul"))
	require.NoError(t, err)
	assert.Equal(t, int64(2*16*16*4), m.SharedMemoryBytes)
	ubo, ok := m.Binding(1, 0)
	require.True(t, ok)
	assert.Equal(t, spirv.UniformBuffer, ubo.Kind)
	assert.Equal(t, int64(96), ubo.BlockSize)
	c, _ := m.Binding(0, 2)
	assert.True(t, c.WriteOnly)

	d, err := spirv.Parse(read(t, "dscale"))
	require.NoError(t, err)
	assert.Contains(t, d.Capabilities, "Float64")
	assert.Equal(t, 0, d.EntryPoints[0].WorkgroupSpecID[0], "x comes from specialization constant 0")
	b, _ := d.Binding(0, 3)
	assert.Equal(t, int64(40), b.BlockSize)
	assert.Equal(t, int64(8), b.RuntimeStride)
	assert.Equal(t, "float64", b.Element)
	require.NotEmpty(t, d.SpecConstants)
	assert.Equal(t, "", ubo.Element, "no runtime array")
}

// reflection is the part of spirv-cross --reflect this package matches.
type reflection struct {
	EntryPoints []struct {
		Name          string `json:"name"`
		Mode          string `json:"mode"`
		WorkgroupSize []int  `json:"workgroup_size"`
		IsSpecID      []bool `json:"workgroup_size_is_spec_constant_id"`
	} `json:"entryPoints"`
	SSBOs []struct {
		Name      string `json:"name"`
		Set       uint32 `json:"set"`
		Binding   uint32 `json:"binding"`
		BlockSize int64  `json:"block_size"`
		ReadOnly  bool   `json:"readonly"`
		WriteOnly bool   `json:"writeonly"`
	} `json:"ssbos"`
	UBOs []struct {
		Name      string `json:"name"`
		Set       uint32 `json:"set"`
		Binding   uint32 `json:"binding"`
		BlockSize int64  `json:"block_size"`
	} `json:"ubos"`
	// Descriptors that are not buffers.
	Images           []descriptor `json:"images"`
	Textures         []descriptor `json:"textures"`
	SeparateImages   []descriptor `json:"separate_images"`
	SeparateSamplers []descriptor `json:"separate_samplers"`
}

type descriptor struct {
	Name    string `json:"name"`
	Set     uint32 `json:"set"`
	Binding uint32 `json:"binding"`
}

// TestAgainstSpirvCross compares the reflection with spirv-cross --reflect.
func TestAgainstSpirvCross(t *testing.T) {
	cross := tool(t, "spirv-cross")
	for _, name := range modules {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(cross, filepath.Join("testdata", name+".spv"), "--reflect", "--output", "/dev/stdout").Output()
			require.NoError(t, err)
			var want reflection
			require.NoError(t, json.Unmarshal(out, &want))
			p, err := spirv.Parse(read(t, name))
			require.NoError(t, err)
			require.Len(t, p.EntryPoints, len(want.EntryPoints))
			for i, e := range want.EntryPoints {
				got := p.EntryPoints[i]
				assert.Equal(t, e.Name, got.Name)
				assert.Equal(t, "comp", e.Mode)
				for k := range 3 {
					if e.IsSpecID[k] {
						assert.Equal(t, e.WorkgroupSize[k], got.WorkgroupSpecID[k], "dimension %d's spec id", k)
					} else {
						assert.Equal(t, uint32(e.WorkgroupSize[k]), got.WorkgroupSize[k], "dimension %d", k)
					}
				}
			}
			kinds := map[spirv.BindingKind]int{}
			for _, b := range p.Bindings {
				kinds[b.Kind]++
			}
			assert.Equal(t, len(want.SSBOs), kinds[spirv.StorageBuffer])
			assert.Equal(t, len(want.UBOs), kinds[spirv.UniformBuffer])
			assert.Equal(t, len(want.Images)+len(want.SeparateImages), kinds[spirv.Image])
			assert.Equal(t, len(want.Textures), kinds[spirv.SampledImage])
			assert.Equal(t, len(want.SeparateSamplers), kinds[spirv.Sampler])
			for kind, list := range map[spirv.BindingKind][]descriptor{spirv.Image: append(want.Images, want.SeparateImages...),
				spirv.SampledImage: want.Textures, spirv.Sampler: want.SeparateSamplers} {
				for _, d := range list {
					b, ok := p.Binding(d.Set, d.Binding)
					require.True(t, ok, "%s %d.%d", d.Name, d.Set, d.Binding)
					assert.Equal(t, kind, b.Kind, d.Name)
					assert.Equal(t, d.Name, b.Name)
				}
			}
			for _, s := range want.SSBOs {
				b, ok := p.Binding(s.Set, s.Binding)
				require.True(t, ok, "%d.%d", s.Set, s.Binding)
				assert.Equal(t, spirv.StorageBuffer, b.Kind)
				assert.Equal(t, s.Name, b.Name)
				assert.Equal(t, s.BlockSize, b.BlockSize, s.Name)
				assert.Equal(t, s.ReadOnly, b.ReadOnly, s.Name)
				assert.Equal(t, s.WriteOnly, b.WriteOnly, s.Name)
			}
			for _, u := range want.UBOs {
				b, ok := p.Binding(u.Set, u.Binding)
				require.True(t, ok)
				assert.Equal(t, spirv.UniformBuffer, b.Kind)
				assert.Equal(t, u.BlockSize, b.BlockSize, u.Name)
			}
		})
	}
}

// corrupt returns broken variants of a module, each with what Parse must
// say about it.
func corrupt(t *testing.T, src []byte) map[string]struct {
	b    []byte
	want string
} {
	put := func(i int, v uint32) []byte {
		b := append([]byte(nil), src...)
		binary.LittleEndian.PutUint32(b[4*i:], v)
		return b
	}
	first := binary.LittleEndian.Uint32(src[20:])
	return map[string]struct {
		b    []byte
		want string
	}{
		"empty":          {nil, "too short for the 5-word header"},
		"odd bytes":      {src[:len(src)-3], "not a whole number of 32-bit words"},
		"bad magic":      {put(0, 0xdeadbeef), "at word 0: magic number"},
		"bad version":    {put(1, 0x00020000), "at word 1: version word"},
		"zero bound":     {put(3, 0), "at word 3: the id bound is 0"},
		"zero count":     {put(5, first&0xffff), "at word 5: instruction (opcode"},
		"truncated":      {src[:4*6], "runs past the end of the module"},
		"past the bound": {put(3, 2), "outside the id bound 2"},
	}
}

func TestMalformedModules(t *testing.T) {
	src := read(t, "saxpy")
	for name, c := range corrupt(t, src) {
		t.Run(name, func(t *testing.T) {
			_, err := spirv.Parse(c.b)
			require.Error(t, err)
			require.ErrorIs(t, err, sokr.ErrInvalidProgram)
			var pe *sokr.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, spirv.Format, pe.Format)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestSpirvValAgrees checks that spirv-val accepts the test modules and
// rejects each corrupted one that Parse rejects.
func TestSpirvValAgrees(t *testing.T) {
	val := tool(t, "spirv-val")
	dir := t.TempDir()
	for _, name := range modules {
		out, err := exec.Command(val, "--target-env", "vulkan1.1", filepath.Join("testdata", name+".spv")).CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
	}
	for name, c := range corrupt(t, read(t, "saxpy")) {
		f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".spv")
		require.NoError(t, os.WriteFile(f, c.b, 0o644))
		out, err := exec.Command(val, f).CombinedOutput()
		assert.Error(t, err, "spirv-val accepted the %s module: %s", name, out)
	}
}

func TestIR(t *testing.T) {
	ir := spirv.NewIR()
	src := read(t, "saxpy")
	assert.True(t, ir.Detect(src))
	assert.False(t, ir.Detect([]byte("OPENQASM 2.0;")))
	big := make([]byte, len(src))
	for i := 0; i+4 <= len(src); i += 4 {
		binary.BigEndian.PutUint32(big[i:], binary.LittleEndian.Uint32(src[i:]))
	}
	assert.True(t, ir.Detect(big))
	p, err := spirv.Parse(big)
	require.NoError(t, err, "a big-endian module reads the same")
	q, err := spirv.Parse(src)
	require.NoError(t, err)
	assert.Equal(t, q.Bindings, p.Bindings)
	w, err := spirv.FromWords(q.Words)
	require.NoError(t, err)
	assert.Equal(t, q.EntryPoints, w.EntryPoints)
}

func FuzzParse(f *testing.F) {
	for _, name := range modules {
		b, err := os.ReadFile(filepath.Join("testdata", name+".spv"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, done := fuzzguard.Start(t, b)
		defer done()
		prog, err := spirv.IR{}.Parse(ctx, b)
		fuzzguard.Hang(t, err)
		if err != nil {
			var pe *sokr.ProgramError
			if !assert.ErrorAs(t, err, &pe) {
				return
			}
			return
		}
		p := prog.(*spirv.Program)
		_ = p.Requirements()
		for _, e := range p.EntryPoints {
			_ = e.Invocations()
		}
	})
}

func TestHash(t *testing.T) {
	src, err := os.ReadFile("testdata/saxpy.spv")
	require.NoError(t, err)
	a, err := spirv.Parse(src)
	require.NoError(t, err)
	b, err := spirv.Parse(src)
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256(src), a.Hash(), "the words in little-endian order are the file")
	assert.Equal(t, a.Hash(), b.Hash())
	other, err := os.ReadFile("testdata/matmul.spv")
	require.NoError(t, err)
	c, err := spirv.Parse(other)
	require.NoError(t, err)
	assert.NotEqual(t, a.Hash(), c.Hash())
	assert.Equal(t, a.Hash(), (&spirv.Program{Words: a.Words}).Hash(), "hand-made programs hash too")
}
