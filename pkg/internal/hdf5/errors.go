package hdf5

import "fmt"

// FormatError reports a file this package cannot read: malformed,
// truncated, or using a feature outside the supported subset
// (Unsupported). Offset is the absolute byte offset in the file of the
// structure at fault.
type FormatError struct {
	Offset      int64
	Msg         string
	Unsupported bool // the file may be valid HDF5, but uses a feature this reader lacks
}

// Error describes the fault and where it is.
func (e *FormatError) Error() string {
	if e.Unsupported {
		return fmt.Sprintf("hdf5: at byte %d: unsupported: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("hdf5: at byte %d: %s", e.Offset, e.Msg)
}

func errorf(off int64, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(off int64, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...), Unsupported: true}
}
