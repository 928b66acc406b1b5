package facade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func TestErrorsCarryTheCoresKind(t *testing.T) {
	kindOf := func(err error) string {
		var info errorInfo
		require.NoError(t, json.Unmarshal([]byte(errorJSON(err)), &info))
		return info.Kind
	}
	for _, err := range []error{
		sokr.ErrNoCapableSubstrate, &sokr.ProgramError{Msg: "x"}, &sokr.InputError{Index: 0},
		sokr.ErrDeadlineExceeded, sokr.ErrCancelled, &sokr.FaultError{Substrate: "s"}, sokr.ErrClosed,
		&sokr.RegistrationError{Name: "n"}, sokr.ErrAlreadyDone, sokr.ErrUnknownFormat,
		context.Canceled, context.DeadlineExceeded, errors.New("other"),
	} {
		assert.Equal(t, string(sokr.KindOf(err)), kindOf(err), "%v", err)
	}
	assert.Equal(t, "cancelled", kindOf(fmt.Errorf("python: %w", context.Canceled)), "a raw context error is a cancellation to Python too")
	assert.Equal(t, "already_done", kindOf(sokr.ErrAlreadyDone))

	var listed []string
	require.NoError(t, json.Unmarshal([]byte(ErrorKinds()), &listed))
	require.NotEmpty(t, listed)
	assert.Equal(t, "error", listed[len(listed)-1])
	for _, k := range sokr.ErrorKinds() {
		assert.Contains(t, listed, string(k))
	}
	assert.Len(t, listed, len(sokr.ErrorKinds()))
}
