package cplugin

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// TestEveryErrorKindHasAStatus fails when the core gains an error kind
// that libsokr would report as SOKR_ERR_INTERNAL.
func TestEveryErrorKindHasAStatus(t *testing.T) {
	for _, k := range sokr.ErrorKinds() {
		st, ok := kindStatus[k]
		if assert.True(t, ok, "the core's kind %q has no sokr_status: add one to kindStatus (and sokr.h)", k) && k != sokr.ErrorKindOther {
			assert.NotEqual(t, StatusInternal, st, k)
			assert.Less(t, st, StatusOK, k)
		}
	}
}
