package vulkan

import (
	"errors"
	"os"
	"strconv"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Name is the prefix of the substrates' names: device i is "vulkan:i".
const Name = "vulkan"

// Config says how to load Vulkan. The zero value is what most programs want.
type Config struct {
	// Loader is the path or soname of the Vulkan loader; empty means
	// $SOKR_VULKAN_LOADER, else "libvulkan.so.1".
	Loader string
	// Validation turns on VK_LAYER_KHRONOS_validation and records its
	// messages (see Substrate.ValidationMessages). $SOKR_VULKAN_VALIDATION=1
	// turns it on as well.
	Validation bool
	// CacheDir keeps each device's pipeline cache between processes; empty
	// means $SOKR_VULKAN_CACHE_DIR, else the user cache directory's
	// "sokr/vulkan"; "-" keeps it in memory only.
	CacheDir string
}

func (c Config) resolve() Config {
	if c.Loader == "" {
		c.Loader = os.Getenv("SOKR_VULKAN_LOADER")
	}
	if v, err := strconv.ParseBool(os.Getenv("SOKR_VULKAN_VALIDATION")); err == nil && v {
		c.Validation = true
	}
	if c.CacheDir == "" {
		c.CacheDir = os.Getenv("SOKR_VULKAN_CACHE_DIR")
	}
	if c.CacheDir == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			c.CacheDir = dir + "/sokr/vulkan"
		} else {
			c.CacheDir = "-"
		}
	}
	return c
}

// UnavailableError says why Vulkan cannot be used on this machine: no
// loader, a library that is not one, no instance, or no device. It matches
// ErrUnavailable.
type UnavailableError struct{ Reason string }

// ErrUnavailable matches every *UnavailableError.
var ErrUnavailable = errors.New("vulkan: unavailable")

func (e *UnavailableError) Error() string { return "vulkan: unavailable: " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Register opens Vulkan and registers one substrate per device in reg. When
// Vulkan is unavailable, the reason is recorded in reg.Failures() under
// "vulkan" and returned; the registry carries on without it.
func Register(reg *sokr.Registry, cfg Config) ([]*Substrate, error) {
	subs, err := Open(cfg)
	if err != nil {
		_ = reg.StartSubstrate(Name, func() (sokr.Substrate, error) { return nil, err })
		return nil, err
	}
	var out []*Substrate
	var errs []error
	for _, s := range subs {
		if err := reg.StartSubstrate(s.Name(), func() (sokr.Substrate, error) { return s, nil }); err != nil {
			_ = s.Close()
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}
