// Package opt reads substrates' dispatch options (sokr.Options.Params)
// the same way everywhere, refusing a bad value with an *sokr.InputError
// that names the option:
//
//	dt, err := opt.Number("dt", params["dt"])
//	// option "dt": must be a number, not fast (string)
package opt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Err is the error for a bad value of option name.
func Err(name, format string, args ...any) error {
	return &sokr.InputError{Index: -1, Name: name, Msg: "option " + strconv.Quote(name) + ": " + fmt.Sprintf(format, args...)}
}

// Number reads a number: any Go number, or a string that parses as one.
func Number(name string, v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	return 0, Err(name, "must be a number, not %v (%T)", v, v)
}

// Choice reads one of the allowed strings.
func Choice(name string, v any, allowed ...string) (string, error) {
	if s, ok := v.(string); ok {
		for _, a := range allowed {
			if s == a {
				return s, nil
			}
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	return "", Err(name, "must be one of %s, not %v", strings.Join(q, ", "), v)
}

// Probes reads a list of probe names: []string, []any of strings, or one
// comma-separated string.
func Probes(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return x, nil
	case string:
		var out []string
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, Err(name, "element %d is %v (%T), not a probe name", i, e, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, Err(name, "must be a list of probe names such as \"lif.v\", not %v (%T)", v, v)
}
