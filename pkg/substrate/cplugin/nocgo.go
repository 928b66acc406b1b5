//go:build !cgo

package cplugin

import "github.com/sokr-rs/sokr/pkg/sokr"

// HostVersion is the ABI version this host speaks (SOKR_ABI_VERSION).
const HostVersion = uint32(1<<16 | 0)

// Substrate is a C plugin seen as a sokr.Substrate. This build has no cgo,
// so Load always fails with ErrNoCgo and no Substrate is ever made.
type Substrate struct{ sokr.Substrate }

// Load fails: loading C plugins needs cgo.
func Load(path string) (*Substrate, error) {
	if abs, err := absPath(path); err == nil {
		path = abs
	}
	return nil, loadErr(path, ErrNoCgo, "rebuild with CGO_ENABLED=1 and a C compiler")
}
