package nir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
)

// TestDictRoundTrip writes each graph back in dict form, reads that as
// JSON and checks that the graph is the same: every primitive, nested
// graphs, ports and metadata.
func TestDictRoundTrip(t *testing.T) {
	paper, err := filepath.Glob(filepath.Join(paperDir, "*.nir"))
	require.NoError(t, err)
	require.NotEmpty(t, paper)
	dictRoundTrip(t, append([]string{"testdata/every.json", "testdata/every_v3_gzip.nir", "testdata/ports.json"}, paper...))
	t.Run("corpus", func(t *testing.T) {
		corpus, err := filepath.Glob(filepath.Join(testcorpus.Dir(t, "nir"), "*.nir"))
		require.NoError(t, err)
		require.NotEmpty(t, corpus)
		dictRoundTrip(t, corpus)
	})
}

func dictRoundTrip(t *testing.T, files []string) {
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			p, err := Parse(data)
			if err != nil {
				require.True(t, strings.Contains(f, "subgraph"), "only the malformed braille subgraph files are refused: %v", err)
				return
			}
			b, err := json.Marshal(p.Dict())
			require.NoError(t, err)
			q, err := Parse(b)
			require.NoError(t, err, string(b[:min(len(b), 400)]))
			assert.Equal(t, p.Graph, q.Graph)
			assert.Equal(t, p.Flat(), q.Flat())
		})
	}
}

func TestNested(t *testing.T) {
	assert.Equal(t, 2.5, nested(Array{Data: []float64{2.5}}))
	assert.Equal(t, []any{[]any{1.0, 2.0, 3.0}, []any{4.0, 5.0, 6.0}}, nested(Array{Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5, 6}}))
	assert.Equal(t, []any{}, nested(Array{Shape: []int{0}}))
}
