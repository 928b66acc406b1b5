package irparse_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/internal/irparse/irparsetest"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/ir/qasm"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// irCase is one built-in IR with a valid source and sources it must refuse.
type irCase struct {
	ir      sokr.IR
	valid   []byte
	garbage [][]byte
}

func builtinIRs(t *testing.T) []irCase {
	t.Helper()
	read := func(parts ...string) []byte {
		b, err := os.ReadFile(filepath.Join(parts...))
		require.NoError(t, err)
		return b
	}
	spv := read("..", "..", "ir", "spirv", "testdata", "saxpy.spv")
	badSpv := make([]byte, 24)
	binary.LittleEndian.PutUint32(badSpv, spirv.Magic)
	binary.LittleEndian.PutUint32(badSpv[20:], 0xffffffff) // an instruction of 65535 words
	return []irCase{
		{native.NewIR(), []byte("sokr.native/1\nparam x: f32[3]\ny: f32[3] = relu x\nreturn y\n"),
			[][]byte{[]byte("sokr.native/1\ny: f32[3] = nosuchop x\n"), []byte("\x00\xff garbage")}},
		{qasm.NewIR2(), []byte("OPENQASM 2.0;\nqreg q[1];\nU(0, 0, 0) q[0];\n"),
			[][]byte{[]byte("OPENQASM 2.0;\nqreg q[1];\nfoo q;\n"), []byte("\x00\xff garbage")}},
		{qasm.NewIR3(), []byte("OPENQASM 3;\nqubit q;\nU(0, 0, 0) q;\n"),
			[][]byte{[]byte("OPENQASM 3;\nqubit q;\nfor int i in [0:1] { bar q; }\n"), []byte("\x00\xff garbage")}},
		{nir.NewIR(), read("..", "..", "ir", "nir", "testdata", "ports.json"),
			[][]byte{[]byte(`{"type": "NIRGraph", "nodes": 3}`), []byte("\x00\xff garbage")}},
		{spirv.NewIR(), spv, [][]byte{badSpv, []byte("\x00\xff garbage")}},
		{photonic.NewIR(), []byte("sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"),
			[][]byte{[]byte("sokr.photonic/1\nmodes 2\nnosuchcomponent 0\n"), []byte("\x00\xff garbage")}},
	}
}

// Every IR's Parse gives a nil Program (a nil interface, not a nil
// pointer inside one) and a typed error for a dead context or a bad
// source, and a Program for a good one.
func TestEveryIRParseWrapper(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range builtinIRs(t) {
		t.Run(c.ir.Format(), func(t *testing.T) {
			p, err := c.ir.Parse(context.Background(), c.valid)
			require.NoError(t, err)
			require.NotNil(t, p)
			assert.NotEmpty(t, p.Format())

			p, err = c.ir.Parse(cancelled, c.valid)
			assert.ErrorIs(t, err, sokr.ErrCancelled)
			assert.ErrorIs(t, err, context.Canceled)
			assert.True(t, p == nil, "a cancelled parse returned %#v", p)

			p, err = c.ir.Parse(expired, c.valid)
			assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.True(t, p == nil, "an expired parse returned %#v", p)

			for _, src := range c.garbage {
				p, err = c.ir.Parse(context.Background(), src)
				var pe *sokr.ProgramError
				require.ErrorAs(t, err, &pe, "%q", src)
				assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
				assert.True(t, p == nil, "a failed parse of %q returned %#v", src, p)
			}
		})
	}
}

// Every IR looks at its context after the entry check too (qasm and
// native every irparse.PollEvery statements or lines, spirv every so many
// instructions and before reflecting, nir between its steps), and a parse
// cancelled at any of those looks ends with ErrCancelled and no Program.
func TestEveryIRLooksAtTheContextAsItGoes(t *testing.T) {
	long := func(header, line string, n int, footer string) []byte {
		var b strings.Builder
		b.WriteString(header)
		for i := range n {
			fmt.Fprintf(&b, line, i+1, i)
		}
		b.WriteString(footer)
		return []byte(b.String())
	}
	n := 3 * irparse.PollEvery
	sources := map[string][]byte{
		native.Format:   long("sokr.native/1\nparam v0: f32[3]\n", "v%d: f32[3] = relu v%d\n", n, fmt.Sprintf("return v%d\n", n)),
		qasm.Format2:    long("OPENQASM 2.0;\nqreg q[2];\n", "U(%d, %d, 0) q[0];\n", n, ""),
		qasm.Format3:    long("OPENQASM 3;\nqubit[2] q;\n", "U(%d, %d, 0) q[0];\n", n, ""),
		photonic.Format: long("sokr.photonic/1\nmodes 2\ninput |1,1>\n", "ps 0, phi=%d.%d\n", n, ""),
	}
	for _, c := range builtinIRs(t) {
		t.Run(c.ir.Format(), func(t *testing.T) {
			src := c.valid
			if s, ok := sources[c.ir.Format()]; ok {
				src = s
			}
			ctx := irparsetest.AfterLooks(math.MaxInt)
			_, err := c.ir.Parse(ctx, src)
			require.NoError(t, err)
			looks := ctx.Looks()
			require.Greater(t, looks, 1, "only the entry check looked at the context")
			for k := range looks {
				p, err := c.ir.Parse(irparsetest.AfterLooks(k), src)
				require.ErrorIs(t, err, sokr.ErrCancelled, "cancelled at look %d of %d", k+1, looks)
				require.True(t, p == nil)
			}
		})
	}
}

// nir's Lower goes through the same wrapper.
func TestNIRLowerWrapper(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := nir.NewIR().Lower(cancelled, map[string]any{"type": "NIRGraph"})
	assert.ErrorIs(t, err, sokr.ErrCancelled)
	assert.True(t, p == nil)
	p, err = nir.NewIR().Lower(context.Background(), 42)
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.True(t, p == nil)
	p, err = nir.NewIR().Lower(context.Background(), map[string]any{"type": "NIRGraph", "nodes": 3})
	assert.ErrorIs(t, err, sokr.ErrInvalidProgram)
	assert.True(t, p == nil)
}
