package cplugin

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// EnvPath is the environment variable listing plugins to load into the
// default runtime: colon-separated .so files or directories (whose *.so
// files load in name order).
const EnvPath = "SOKR_PLUGIN_PATH"

// Register loads the plugin at path and registers it in reg. A plugin that
// fails to load, or whose name is taken, is recorded in reg.Failures()
// under "cplugin:" + path and returned as an error matching
// sokr.ErrRegistration (and the *LoadError's kind); the registry and its
// other substrates carry on.
//
//	s, err := cplugin.Register(rt.Registry, "/opt/acme/libacme_sokr.so")
//	if err != nil { log.Print(err) } // e.g. "... ABI version mismatch ..."
func Register(reg *sokr.Registry, path string) (*Substrate, error) {
	if abs, err := absPath(path); err == nil {
		path = abs // the failure is recorded under the path that was loaded
	}
	var s *Substrate
	err := reg.StartSubstrate(failureKey(path), func() (sokr.Substrate, error) {
		var err error
		if s, err = Load(path); err != nil {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		if c, ok := any(s).(sokr.Closer); ok && s != nil {
			_ = c.Close() // loaded but not registered (its name was taken)
		}
		return nil, err
	}
	return s, nil
}

// RegisterPath registers every plugin named by list, a colon-separated
// list of .so files and directories (a directory contributes its *.so
// files in name order; empty entries are skipped). It returns the
// substrates that registered and the failures joined; each failure is also
// in reg.Failures().
func RegisterPath(reg *sokr.Registry, list string) ([]*Substrate, error) {
	var subs []*Substrate
	var errs []error
	for _, entry := range filepath.SplitList(list) {
		if entry == "" {
			continue
		}
		paths := []string{entry}
		if fi, err := os.Stat(entry); err == nil && fi.IsDir() {
			paths, _ = filepath.Glob(filepath.Join(entry, "*.so"))
			slices.Sort(paths)
		}
		for _, p := range paths {
			s, err := Register(reg, p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			subs = append(subs, s)
		}
	}
	return subs, errors.Join(errs...)
}

// RegisterEnv registers the plugins listed in $SOKR_PLUGIN_PATH (see
// RegisterPath). pkg/defaults calls it, so every default runtime picks
// them up.
func RegisterEnv(reg *sokr.Registry) ([]*Substrate, error) {
	return RegisterPath(reg, os.Getenv(EnvPath))
}

// absPath makes path absolute, relative to the working directory. dlopen
// searches the system library path (LD_LIBRARY_PATH, the ld.so cache,
// /lib, /usr/lib) for a name without a slash, so "libfoo.so" or an entry
// of a "." directory could load a system library of the same name instead
// of the file the user meant; an absolute path is only ever that file.
func absPath(path string) (string, error) {
	if path == "" {
		return "", errors.New("the path is empty")
	}
	return filepath.Abs(path)
}

// failureKey names a plugin's entry in reg.Failures(): registry names
// have no white space.
func failureKey(path string) string {
	return "cplugin:" + strings.Join(strings.Fields(path), "_")
}
