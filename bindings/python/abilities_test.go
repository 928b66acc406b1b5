package facade

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// toy/1 is an IR this facade has never heard of: "toy/1 scale N" scales
// an f32[4] by N. Its programs implement every optional program ability,
// and its substrate every optional substrate ability, so that the facade
// must find them by type assertion.
type toyIR struct{}

func (toyIR) Format() string { return "toy/1" }

func (toyIR) Detect(src []byte) bool { return bytes.HasPrefix(src, []byte("toy/1 ")) }

func (toyIR) Parse(_ context.Context, src []byte) (sokr.Program, error) {
	var k float32
	if _, err := fmt.Sscanf(string(src), "toy/1 scale %g", &k); err != nil {
		return nil, &sokr.ProgramError{Format: "toy/1", Pos: sokr.Position{Line: 1, Col: 1}, Msg: err.Error()}
	}
	return &toyProgram{scale: k, src: bytes.Clone(src)}, nil
}

type toyProgram struct {
	scale float32
	src   []byte
}

func (p *toyProgram) Format() string { return "toy/1" }
func (p *toyProgram) Requirements() sokr.Requirements {
	return sokr.Requirements{Features: []string{"toy:scale"}, Quantities: map[string]int64{"elements": 4}}
}
func (p *toyProgram) Signature() sokr.Signature {
	return sokr.Signature{
		Inputs:  []sokr.TensorSpec{{Name: "x", DType: sokr.F32, Shape: sokr.Shape{4}}},
		Outputs: []sokr.TensorSpec{{Name: "y", DType: sokr.F32, Shape: sokr.Shape{4}}},
	}
}
func (p *toyProgram) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: "toy/1", Bytes: p.src}, true
}
func (p *toyProgram) Description() (string, any) {
	return "toy", map[string]float32{"scale": p.scale}
}

type toySubstrate struct {
	mu       sync.Mutex
	sessions map[string]bool
}

func (s *toySubstrate) Name() string              { return "toy" }
func (s *toySubstrate) Kind() sokr.Kind           { return sokr.KindCPU }
func (s *toySubstrate) Describe() sokr.Properties { return sokr.Properties{} }
func (s *toySubstrate) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	if _, ok := p.(*toyProgram); !ok {
		return sokr.No(s, "not a toy program")
	}
	return sokr.Yes(s, sokr.Estimate{})
}
func (s *toySubstrate) Dispatch(_ context.Context, j *sokr.Job) {
	p := j.Program.(*toyProgram)
	in := j.Inputs[0].Data
	out := make([]byte, len(in))
	for i := 0; i+4 <= len(in); i += 4 {
		binary.LittleEndian.PutUint32(out[i:], math.Float32bits(p.scale*math.Float32frombits(binary.LittleEndian.Uint32(in[i:]))))
	}
	j.Complete(sokr.Result{Outputs: []sokr.Output{{Name: "y", Tensor: sokr.Tensor{DType: sokr.F32, Shape: sokr.Shape{4}, Data: out}}}}, nil)
}
func (s *toySubstrate) EndSession(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.sessions[id]
	delete(s.sessions, id)
	return live
}
func (s *toySubstrate) ValidationMessages() []string { return []string{"toy says hello"} }

func TestANewIRGetsSourceInfoAndDispatchWithNoFacadeChange(t *testing.T) {
	rt, err := NewRuntime("[]", "", "")
	require.NoError(t, err)
	defer CloseRuntime(rt, 5)
	r, err := runtimeFor(rt)
	require.NoError(t, err)
	require.NoError(t, r.RegisterIR(toyIR{}))
	sub := &toySubstrate{sessions: map[string]bool{"s1": true}}
	require.NoError(t, r.RegisterSubstrate(sub))

	src := []byte("toy/1 scale 3")
	h, err := Parse(rt, "", addr(src), int64(len(src)))
	require.NoError(t, err)
	runtime.KeepAlive(src)
	defer FreeProgram(h)

	// source
	assert.Equal(t, "toy/1", ProgramSourceFormat(h))
	require.Equal(t, int64(len(src)), ProgramSourceLen(h))
	got := make([]byte, len(src))
	require.NoError(t, CopyProgramSource(h, addr(got), int64(len(got))))
	assert.Equal(t, src, got)

	// info: the common fields, the signature and the IR's own description
	var info struct {
		Format       string           `json:"format"`
		Features     []string         `json:"features"`
		Quantities   map[string]int64 `json:"quantities"`
		HasSignature bool             `json:"has_signature"`
		Inputs       []paramInfo      `json:"inputs"`
		Outputs      []paramInfo      `json:"outputs"`
		Toy          map[string]any   `json:"toy"`
	}
	require.NoError(t, json.Unmarshal([]byte(ProgramInfo(h)), &info))
	assert.Equal(t, "toy/1", info.Format)
	assert.Equal(t, []string{"toy:scale"}, info.Features)
	assert.Equal(t, map[string]int64{"elements": 4}, info.Quantities)
	assert.True(t, info.HasSignature)
	assert.Equal(t, []paramInfo{{Name: "x", DType: "f32", Shape: []int{4}}}, info.Inputs)
	assert.Equal(t, []paramInfo{{Name: "y", DType: "f32", Shape: []int{4}}}, info.Outputs)
	assert.Equal(t, map[string]any{"scale": 3.0}, info.Toy)

	// dispatch, read through the preallocated-output path the signature allows
	x := []float32{1, 2, 3, 4}
	ticket, err := Dispatch(rt, h, inputs(spec("f32", "4", x)), "", "", "")
	require.NoError(t, err)
	require.True(t, Wait(ticket, 10))
	state, rec, _ := readRec(t, ticket, RecordHeader+16)
	runtime.KeepAlive(x)
	require.Positive(t, state, "the fast record")
	assert.Equal(t, []float32{3, 6, 9, 12}, float32s(rec[RecordHeader:]))

	// the substrate's abilities
	msgs, err := ValidationMessages(rt)
	require.NoError(t, err)
	assert.JSONEq(t, `{"toy": ["toy says hello"]}`, msgs)
	live, err := EndSession(rt, "toy", "s1")
	require.NoError(t, err)
	assert.True(t, live)
	live, err = EndSession(rt, "toy", "s1")
	require.NoError(t, err)
	assert.False(t, live, "ended already")
}

// describedAs is a program whose description would hide a common field.
type describedAs struct{ name string }

func (p describedAs) Format() string                  { return "d/1" }
func (p describedAs) Requirements() sokr.Requirements { return sokr.Requirements{} }
func (p describedAs) Description() (string, any)      { return p.name, func() {} }

func TestProgramInfoKeepsTheCommonFieldsAndSaysWhatCannotBeEncoded(t *testing.T) {
	h := programs.put(describedAs{name: "format"})
	defer FreeProgram(h)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ProgramInfo(h)), &m))
	assert.Equal(t, "d/1", m["format"], "a description named like a common field is left out")

	h2 := programs.put(describedAs{name: "d"})
	defer FreeProgram(h2)
	require.NoError(t, json.Unmarshal([]byte(ProgramInfo(h2)), &m))
	require.Contains(t, m, "d")
	assert.Contains(t, m["d"].(map[string]any)["error"], "cannot be encoded")
	assert.Equal(t, false, m["has_signature"])
}

func TestBuiltInIRsKeepTheirSource(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", path))
		require.NoError(t, err)
		return string(b)
	}
	for _, tc := range []struct{ format, src string }{
		{"sokr.native/1", axpy},
		{"nir/1", twoLIF},
		{"openqasm/3", "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nh q;\n"},
		{"qir/1", read("pkg/ir/qir/testdata/bell_typed.ll")},
		{"spirv/1", read("pkg/ir/spirv/testdata/saxpy.spv")},
		{"sokr.photonic/1", "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"},
	} {
		h := parse(t, tc.src)
		n := ProgramSourceLen(h)
		require.Equal(t, int64(len(tc.src)), n, tc.format)
		got := make([]byte, n)
		require.NoError(t, CopyProgramSource(h, addr(got), n))
		assert.Equal(t, tc.src, string(got), tc.format)
		assert.Equal(t, tc.format, ProgramSourceFormat(h))
		FreeProgram(h)
	}
}
