//go:build !cgo

package cplugin_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

// TestNoCgo checks that a build without cgo refuses plugins with a clear,
// typed error, and that registering from the path records it.
func TestNoCgo(t *testing.T) {
	_, err := cplugin.Load("libx.so")
	if !errors.Is(err, cplugin.ErrNoCgo) || !errors.Is(err, sokr.ErrRegistration) {
		t.Fatalf("Load = %v, want ErrNoCgo", err)
	}
	reg := sokr.NewRegistry()
	if _, err := cplugin.RegisterPath(reg, "libx.so"); !errors.Is(err, cplugin.ErrNoCgo) {
		t.Fatalf("RegisterPath = %v, want ErrNoCgo", err)
	}
	abs, err := filepath.Abs("libx.so")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Failures()["cplugin:"+abs]; !ok {
		t.Fatalf("the failure was not recorded under the absolute path: %v", reg.Failures())
	}
}
