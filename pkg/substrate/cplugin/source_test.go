//go:build cgo

package cplugin

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// keptSource is a program of an IR cplugin has never heard of that keeps
// its source (sokr.Sourcer), in its own format or another's.
type keptSource struct{ format string }

func (p keptSource) Format() string                  { return "kept/1" }
func (p keptSource) Requirements() sokr.Requirements { return sokr.Requirements{} }
func (p keptSource) ProgramSource() (sokr.Source, bool) {
	return sokr.Source{Format: p.format, Bytes: []byte("kept/1 text")}, true
}

func TestSourceFallsBackToTheProgramsOwnSource(t *testing.T) {
	b, err := Source(keptSource{format: "kept/1"})
	require.NoError(t, err)
	assert.Equal(t, "kept/1 text", string(b))

	_, err = Source(keptSource{format: "other/1"})
	require.Error(t, err, "a source in another format is not the program's text")
	assert.Contains(t, err.Error(), "cannot travel to a C plugin")

	// A SPIR-V module travels as the bytes it was read from, copied.
	spv, err := os.ReadFile("../../ir/spirv/testdata/saxpy.spv")
	require.NoError(t, err)
	p, err := spirv.IR{}.Parse(context.Background(), spv)
	require.NoError(t, err)
	b, err = Source(p)
	require.NoError(t, err)
	assert.Equal(t, spv, b)
	b[0] ^= 0xff
	src, ok := p.(sokr.Sourcer).ProgramSource()
	require.True(t, ok)
	assert.Equal(t, spv, src.Bytes, "the plugin's copy is not the program's")
}
