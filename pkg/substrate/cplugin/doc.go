// Package cplugin hosts substrates written in C, C++ or Rust: shared
// objects that speak the plugin side of SOKR's C ABI (bindings/c/sokr.h,
// explained in docs/ABI.md). A loaded plugin is a sokr.Substrate like any
// other, and passes the same conformance suite (sokrtest).
//
// # Loading
//
// Plugins load three ways:
//
//   - from $SOKR_PLUGIN_PATH, colon-separated .so files or directories,
//     which every default runtime reads (pkg/defaults calls RegisterEnv);
//
//   - from an explicit path, with Load (a substrate to register yourself)
//     or Register (loads and registers, recording a failure in the
//     registry);
//
//   - from Python, with sokr.load_plugin(path) (bindings/python's
//     LoadPlugin, which calls Register).
//
//     s, err := cplugin.Register(rt.Registry, "/opt/acme/libacme_sokr.so")
//
// Loading calls the plugin's one export, sokr_plugin_query_v1, with the
// host's ABI version (HostVersion, 1.0) and checks the vtable it answers
// before touching anything else in it: struct_size must cover
// abi_version, the major version must be the host's, struct_size must
// cover every required slot, the required slots (prepare, release_program,
// dispatch) must not be NULL, the name must be usable. Optional slots are
// called only when struct_size covers them.
//
// # Errors
//
// A refused plugin is a *LoadError that matches sokr.ErrRegistration and
// exactly one kind: ErrOpen (dlopen failed), ErrMissingSymbol, ErrVersion
// (the plugin refused the host's version or answered another major one),
// ErrStructTooSmall, ErrNullSlot, ErrInvalidPlugin. The message names the
// file and what is wrong:
//
//	cplugin: ABI version mismatch /opt/x.so: the plugin answered ABI version 2.0; this host speaks 1.0
//
// Register records the failure in reg.Failures() under "cplugin:" + path;
// the runtime and its other substrates carry on.
//
// A plugin's failed job arrives as the core's error of the same kind: a
// completion status of SOKR_ERR_INVALID_INPUT becomes a *sokr.InputError,
// SOKR_ERR_INVALID_PROGRAM a *sokr.ProgramError, and so on; an unknown
// status, or a malformed completion (a data length that does not match its
// dtype and shape, a shape whose byte length overflows, NULL data or a NULL
// name with a nonzero length, n_outputs > 0 with NULL outputs), becomes a
// *sokr.FaultError naming the plugin and its file.
//
// A relative plugin path, a bare file name included, is made absolute from
// the working directory before dlopen, which would otherwise search the
// system library path for it. A plugin runs in the host's process: one that
// crashes takes the host down.
//
// # Programs and jobs
//
// A plugin declares the program formats it runs. A program of another
// format is refused without asking the plugin. Otherwise the program
// travels as its format name and its bytes (Source: MarshalBinary,
// MarshalText or Print, in that order; native programs print their
// canonical text), and the plugin's prepare slot answers yes, with a
// handle to its prepared form, or no with a reason. Programs that memoize
// (native ones do) are prepared once per plugin and released when the
// program is garbage; others are prepared for each use.
//
// Dispatch describes the job in one C block (the job, the input tensors,
// shapes, parameters and, up to 4 KiB, the input bytes themselves; larger
// inputs are pinned in place) and calls the plugin's dispatch slot. The
// plugin completes the job exactly once, from any thread, through the
// host's complete function; the host copies the outputs, so the plugin
// frees its own buffers when complete returns. When the job's future is
// cancelled, times out or is shut down first, the host sets the job's
// cancel_requested flag and calls the plugin's cancel slot (if it has one);
// the plugin still completes the job, which hands its inputs back
// (sokr.Future.Settled).
//
// Runtime.Close closes the plugin under its context (CloseContext): it
// waits for the jobs the plugin still holds until the context's deadline,
// then returns an error saying how many remain. The plugin's close slot is
// called, once, when the last of them is handed back, from a goroutine of
// its own; nothing else waits for them.
//
// # Performance
//
// The ABI adds a few hundred nanoseconds to a dispatch round trip over an
// in-process Go substrate that does the same (nothing): BenchmarkRoundTrip,
// recorded in docs/benchmarks.md.
//
// # Limits
//
// A shared object is never unloaded (its threads and function pointers
// may outlive any safe point). A plugin built with Go cannot be loaded
// into a Go host (one Go runtime per process): Go substrates register
// in-process instead. Loading needs cgo; without it Load fails with
// ErrNoCgo.
package cplugin
