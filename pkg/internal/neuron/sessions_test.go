package neuron

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// A session opens once and is found again; past the limit a new one is an
// InputError naming the option, with the hint; End frees a place.
func TestSessions(t *testing.T) {
	var live Sessions[int]
	a, err := live.Open("a", 2, "")
	require.NoError(t, err)
	*a = 7
	again, err := live.Open("a", 2, "")
	require.NoError(t, err)
	assert.Same(t, a, again)
	_, err = live.Open("b", 2, "")
	require.NoError(t, err)
	_, err = live.Open("c", 2, " (raise it)")
	require.ErrorIs(t, err, sokr.ErrInvalidInput)
	assert.ErrorContains(t, err, `option "session": 2 sessions are live, the most this substrate keeps; end one with EndSession (raise it)`)
	assert.Equal(t, 2, live.Len())
	assert.True(t, live.End("a"))
	assert.False(t, live.End("a"))
	_, err = live.Open("c", 2, "")
	require.NoError(t, err)
	assert.Equal(t, 2, live.Len())
}
