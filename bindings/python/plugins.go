package facade

import "github.com/sokr-rs/sokr/pkg/substrate/cplugin"

// LoadPlugin loads the C plugin at path (a shared object exporting
// sokr_plugin_query_v1, see docs/ABI.md) into runtime rt (0: the default
// runtime) and returns the name of the substrate it registered. A refused
// plugin (wrong ABI version, missing symbol, NULL slot, struct too small,
// name taken) is a registration error naming the path and why; it is also
// listed in Info's failures, and the runtime carries on. python/sokr
// exposes it as sokr.load_plugin(path).
//
// Plugins must be C, C++ or Rust: a Go-built plugin would bring a second Go
// runtime into the process.
func LoadPlugin(rt int64, path string) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	s, err := cplugin.Register(r.Registry, path)
	if err != nil {
		return "", fail(err)
	}
	return s.Name(), nil
}
