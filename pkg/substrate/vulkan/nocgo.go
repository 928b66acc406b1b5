//go:build !cgo

package vulkan

import "github.com/sokr-rs/sokr/pkg/sokr"

// Substrate is one Vulkan device. This build has no cgo, so Open always
// fails and no Substrate is ever made.
type Substrate struct{ sokr.Substrate }

// Open fails: loading Vulkan needs cgo.
func Open(Config) ([]*Substrate, error) {
	return nil, &UnavailableError{Reason: "SOKR was built without cgo; rebuild with CGO_ENABLED=1 and a C compiler"}
}

// ValidationMessages is empty without cgo.
func (s *Substrate) ValidationMessages() []string { return nil }

// Close does nothing without cgo.
func (s *Substrate) Close() error { return nil }
