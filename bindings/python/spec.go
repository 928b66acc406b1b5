package facade

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// parseInputs reads an input spec: a JSON array with one
// ["DTYPE", [D0, D1, ...], ADDR, NBYTES] per input (an empty shape is a
// scalar), or "" for no inputs. ADDR is the address of the caller's buffer,
// which the caller keeps alive and unchanged until the dispatch completes:
// bulk data travels raw, its description as JSON, the facade's one encoding.
//
// It is read by hand, not with encoding/json: a dispatch's whole budget is
// a few microseconds, and this is on its path. It accepts the JSON its
// callers write (no escapes in dtype names, integers only), with any
// whitespace.
func parseInputs(spec string) ([]sokr.Tensor, error) {
	if spec == "" {
		return nil, nil
	}
	s := scanner{s: spec}
	ts, err := s.inputs()
	if err == nil && !s.end() {
		err = s.fail("text after the spec")
	}
	return ts, err
}

// parseBatch reads DispatchMany's specs: a JSON array of input specs.
func parseBatch(specs string) ([][]sokr.Tensor, error) {
	s := scanner{s: specs}
	var all [][]sokr.Tensor
	if !s.byte('[') {
		return nil, s.fail("a batch is a JSON array of input specs")
	}
	for first := true; !s.byte(']'); first = false {
		if !first && !s.byte(',') {
			return nil, s.fail("expected , or ] between input specs")
		}
		ts, err := s.inputs()
		if err != nil {
			return nil, fmt.Errorf("dispatch %d: %w", len(all), err)
		}
		all = append(all, ts)
	}
	if !s.end() {
		return nil, s.fail("text after the batch")
	}
	return all, nil
}

type scanner struct {
	s string
	i int
}

func (s *scanner) space() {
	for s.i < len(s.s) && (s.s[s.i] == ' ' || s.s[s.i] == '\t' || s.s[s.i] == '\n' || s.s[s.i] == '\r') {
		s.i++
	}
}

// byte consumes c (after whitespace) when it comes next.
func (s *scanner) byte(c byte) bool {
	s.space()
	if s.i < len(s.s) && s.s[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.s)
}

func (s *scanner) fail(what string) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("malformed input spec at byte %d: %s", s.i, what)}
}

func (s *scanner) str() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.s) && s.s[s.i] != '"' && s.s[s.i] != '\\' {
		s.i++
	}
	if s.i == len(s.s) || s.s[s.i] != '"' {
		return "", false
	}
	s.i++
	return s.s[start : s.i-1], true
}

func (s *scanner) int() (int64, bool) {
	s.space()
	neg := s.i < len(s.s) && s.s[s.i] == '-'
	if neg {
		s.i++
	}
	start := s.i
	var n uint64
	for s.i < len(s.s) && s.s[s.i] >= '0' && s.s[s.i] <= '9' {
		if n > (1<<63-1)/10 {
			return 0, false
		}
		n = n*10 + uint64(s.s[s.i]-'0')
		s.i++
	}
	if s.i == start || n > 1<<63-1 {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// inputs reads one input spec (see parseInputs).
func (s *scanner) inputs() ([]sokr.Tensor, error) {
	if !s.byte('[') {
		return nil, s.fail("an input spec is a JSON array")
	}
	var out []sokr.Tensor
	for first := true; !s.byte(']'); first = false {
		i := len(out)
		if !first && !s.byte(',') {
			return nil, s.fail("expected , or ] between inputs")
		}
		if !s.byte('[') {
			return nil, s.fail(fmt.Sprintf("input %d is not [dtype, shape, address, bytes]", i))
		}
		name, ok := s.str()
		if !ok || !s.byte(',') {
			return nil, s.fail(fmt.Sprintf("input %d: expected its dtype name", i))
		}
		dt, ok := sokr.ParseDType(name)
		if !ok {
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("unknown dtype %q", name)}
		}
		if !s.byte('[') {
			return nil, s.fail(fmt.Sprintf("input %d: expected its shape, a list of dimensions", i))
		}
		var shape sokr.Shape
		for firstDim := true; !s.byte(']'); firstDim = false {
			if !firstDim && !s.byte(',') {
				return nil, s.fail(fmt.Sprintf("input %d: expected , or ] in its shape", i))
			}
			d, ok := s.int()
			if !ok || d < 0 || d > 1<<31 {
				return nil, &sokr.InputError{Index: i, Msg: "bad dimension in its shape"}
			}
			shape = append(shape, int(d))
		}
		if !s.byte(',') {
			return nil, s.fail(fmt.Sprintf("input %d: expected its address", i))
		}
		addr, ok1 := s.int()
		comma := s.byte(',')
		n, ok2 := s.int()
		if !ok1 || !comma || !ok2 || addr < 0 || n < 0 || (addr == 0 && n > 0) || !s.byte(']') {
			return nil, &sokr.InputError{Index: i, Msg: "bad buffer: expected a non-negative address and size"}
		}
		// The size is checked against the shape before a slice is made of
		// the address: unsafe.Slice panics on a length past the address space.
		if want, ok := shape.Bytes(dt); !ok || int64(want) != n {
			err := sokr.Tensor{DType: dt, Shape: shape, Data: nil}.Check()
			if ok {
				err = fmt.Errorf("%v%v needs %d bytes of data, has %d", dt, shape, want, n)
			}
			return nil, &sokr.InputError{Index: i, Msg: err.Error()}
		}
		out = append(out, sokr.Tensor{DType: dt, Shape: shape, Data: bytesAt(uintptr(addr), n)})
	}
	return out, nil
}
