//go:build cgo

package vulkan

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// lavapipe is Mesa's CPU Vulkan driver: the device CI tests on.
const lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

func TestMain(m *testing.M) {
	// Test on lavapipe when it is installed, whatever else the machine has.
	if _, err := os.Stat(lavapipe); err == nil && os.Getenv("VK_ICD_FILENAMES") == "" && os.Getenv("VK_DRIVER_FILES") == "" {
		os.Setenv("VK_ICD_FILENAMES", lavapipe)
	}
	// Lavapipe is a CPU driver, left out unless asked for.
	if _, set := os.LookupEnv("SOKR_VULKAN_CPU"); !set {
		os.Setenv("SOKR_VULKAN_CPU", "1")
	}
	code := m.Run()
	if shared != nil {
		_ = shared.Close()
	}
	os.Exit(code)
}

var (
	sharedOnce sync.Once
	shared     *Substrate
	sharedErr  error
)

// inCI is true under CI=true, where nothing may skip.
func inCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// sharedGPU opens device 0 once, with validation on, for every test.
func sharedGPU() (*Substrate, error) {
	sharedOnce.Do(func() {
		var subs []*Substrate
		subs, sharedErr = Open(Config{Validation: true, CacheDir: "-"})
		if sharedErr == nil {
			shared = subs[0]
			for _, s := range subs[1:] {
				_ = s.Close()
			}
		}
	})
	return shared, sharedErr
}

// gpu returns the device every test shares, and fails the test if the
// validation layer reports anything during it. Without Vulkan it skips,
// except in CI, where it fails.
func gpu(t *testing.T) *Substrate {
	t.Helper()
	s, err := sharedGPU()
	if err != nil {
		if inCI() {
			t.Fatalf("CI needs Vulkan (lavapipe and the validation layer): %v", err)
		}
		t.Skipf("no Vulkan here: %v", err)
	}
	noValidationMessages(t, s)
	return s
}

func noValidationMessages(t *testing.T, s *Substrate) {
	t.Helper()
	s.ValidationMessages() // start clean
	t.Cleanup(func() {
		require.Empty(t, s.ValidationMessages(), "the Vulkan validation layer reported problems")
	})
}

// run dispatches p on s alone.
func run(t *testing.T, s sokr.Substrate, p sokr.Program, inputs []sokr.Tensor, opts ...sokr.DispatchOption) (sokr.Result, error) {
	t.Helper()
	rt := sokr.New()
	require.NoError(t, rt.RegisterSubstrate(s))
	t.Cleanup(func() { rt.UnregisterSubstrate(s.Name()) })
	return rt.Run(context.Background(), p, inputs, opts...)
}

// openFirst opens Vulkan with cfg and keeps device 0, closing the others.
func openFirst(t *testing.T, cfg Config) *Substrate {
	t.Helper()
	subs, err := Open(cfg)
	require.NoError(t, err)
	for _, o := range subs[1:] {
		require.NoError(t, o.Close())
	}
	return subs[0]
}
