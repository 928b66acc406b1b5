package facade

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// parseInputs reads an input spec: inputs separated by ";", each
// "DTYPE:D0xD1x...:ADDR:NBYTES" (an empty shape is a scalar). ADDR is the
// address of the caller's buffer, which the caller keeps alive and unchanged
// until the dispatch completes.
func parseInputs(spec string) ([]sokr.Tensor, error) {
	if spec == "" {
		return nil, nil
	}
	parts := strings.Split(spec, ";")
	out := make([]sokr.Tensor, len(parts))
	for i, s := range parts {
		f := strings.Split(s, ":")
		if len(f) != 4 {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("malformed input spec %q", s)}
		}
		dt, ok := sokr.ParseDType(f[0])
		if !ok {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("unknown dtype %q", f[0])}
		}
		var shape sokr.Shape
		if f[1] != "" {
			for _, d := range strings.Split(f[1], "x") {
				n, err := strconv.Atoi(d)
				if err != nil || n < 0 {
					return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("bad dimension %q", d)}
				}
				shape = append(shape, n)
			}
		}
		addr, err1 := strconv.ParseUint(f[2], 10, 64)
		n, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || n < 0 || (addr == 0 && n > 0) {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("bad buffer %s:%s", f[2], f[3])}
		}
		out[i] = sokr.Tensor{DType: dt, Shape: shape, Data: bytesAt(uintptr(addr), n)}
		if err := out[i].Check(); err != nil {
			return nil, &sokr.InputError{Index: i, Msg: err.Error()}
		}
	}
	return out, nil
}
