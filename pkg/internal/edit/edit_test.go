package edit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/internal/edit"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b        string
		limit, want int
	}{
		{"", "", 3, 0}, {"h", "hh", 3, 1}, {"lif", "lif1", 3, 1}, {"lfi", "lif", 3, 1},
		{"kitten", "sitting", 9, 3}, {"a", "abcdef", 3, 3}, {"abc", "xyz", 9, 3},
	} {
		assert.Equal(t, c.want, edit.Distance(c.a, c.b, c.limit), "%q %q", c.a, c.b)
	}
}
