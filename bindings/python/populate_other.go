//go:build !linux

package facade

// populate is a no-op where there is no MADV_POPULATE_WRITE: the copy
// faults the record's pages in as it touches them.
func populate([]byte) {}
