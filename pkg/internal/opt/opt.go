// Package opt reads substrates' dispatch options (sokr.Options.Params)
// the same way everywhere, refusing a bad value with an *sokr.InputError
// that names the option:
//
//	dt, err := opt.Number("dt", params["dt"])
//	// option "dt": must be a number, not fast (string)
package opt

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// Unknown returns the first name, in sorted order (so that the error is
// the same on every run), of params that is not in known, and whether
// there is one. A reader refuses an unknown option so that a misspelt one
// is not silently ignored.
func Unknown(params map[string]any, known []string) (string, bool) {
	first, found := "", false
	for k := range params {
		if !slices.Contains(known, k) && (!found || k < first) {
			first, found = k, true
		}
	}
	return first, found
}

// Int reads an integer in [lo, hi]: a Go integer, or an integral float64
// or json.Number (as JSON numbers arrive from the bindings). Its error is
// the complaint alone ("got 1.5; want an integer"), without the option's
// name, for a reader whose errors word the name in their own way (qsim's
// and photonic's) to wrap.
func Int(v any, lo, hi int) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		n = int64(min(x, math.MaxInt64))
	case uint32:
		n = int64(x)
	case uint64:
		n = int64(min(x, math.MaxInt64))
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("got %v; want an integer", x)
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, fmt.Errorf("got %v; want an integer", x)
		}
		n = i
	default:
		return 0, fmt.Errorf("got %#v (%T); want an integer", v, v)
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, fmt.Errorf("%d is out of range [%d, %d]", n, lo, hi)
	}
	return int(n), nil
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
