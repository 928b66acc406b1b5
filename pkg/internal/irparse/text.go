package irparse

import (
	"bytes"
	"strconv"
)

// Helpers shared by the line-oriented text formats (sokr.native/1,
// sokr.photonic/1): '#' starts a comment, blanks are spaces, tabs and
// carriage returns.

// Quote renders user text for an error message, cut to 40 bytes.
func Quote(s string) string {
	const most = 40
	if len(s) > most {
		return strconv.Quote(s[:most]) + "..."
	}
	return strconv.Quote(s)
}

// StripComment returns line without its '#' comment.
func StripComment(line []byte) []byte {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		return line[:i]
	}
	return line
}

// IsSpace reports the blanks of a line: space, tab and carriage return.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// TrimSpace returns b without leading and trailing blanks (IsSpace).
func TrimSpace(b []byte) []byte {
	for len(b) > 0 && IsSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && IsSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
