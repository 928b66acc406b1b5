// Package hostmem decides how much memory a runtime may hand out to runs:
// its memory budget. The budget is the smallest of what the machine
// allows:
//
//   - a share of MemAvailable (AvailableShare), or the user's setting
//     (SOKR_MEMORY, or Runtime(memory=...) in Python) in its place;
//   - the cgroup's memory limit less what the cgroup already uses (v2
//     memory.max, v1 memory.limit_in_bytes, at every level up to the root);
//   - the address-space limit (RLIMIT_AS, `ulimit -v`) less what the
//     process has already mapped, less Headroom.
//
// The user's setting replaces the MemAvailable share, so that a user may
// give runs more than the cautious default, but never lifts the cgroup or
// address-space limits: past those the kernel kills the process or Go dies
// with a fatal "out of memory", which nothing can recover.
//
//	b, err := hostmem.Machine{}.Budget("", "") // reads SOKR_MEMORY
//	fmt.Println(b)                             // 17.2 GiB (MemAvailable: 3/4 of 22.9 GiB)
package hostmem

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Fallback is the budget where neither /proc/meminfo nor any limit can be
// read (not Linux).
const Fallback = 4 << 30

// AvailableShare is the part of MemAvailable the default budget takes:
// three quarters. MemAvailable is the kernel's estimate of what new
// allocations can get without swapping (it counts reclaimable page cache as
// available, see proc(5)); the quarter left covers what no estimate counts:
// the Go collector lets garbage grow up to the live heap before collecting
// (GOGC=100), the host (Python, numpy) allocates beside the runs, and other
// processes and the page cache need room too.
const AvailableShare = 0.75

// Headroom is kept free below the address-space limit: Go maps its heap in
// 64 MiB arenas and their metadata beside it, each new OS thread maps an
// 8 MiB stack (cgo threads use the ulimit -s default), and the program
// allocates outside any run's estimate. Measured on linux/amd64 with Go
// 1.26: a Go test binary maps 1.2 GiB of address space before its first
// allocation (mostly the page allocator's reserved index), and a 2 GiB
// allocation adds 2 GiB + 2 MiB; those are counted by reading
// /proc/self/statm, the headroom is for what comes after.
const Headroom = 512 << 20

// Variable is the environment variable that sets the budget.
const Variable = "SOKR_MEMORY"

// Names of the limits, as Limit.Source and Budget.Source give them.
const (
	SourceAvailable = "MemAvailable"
	SourceCgroupV2  = "cgroup memory.max"
	SourceCgroupV1  = "cgroup memory.limit_in_bytes"
	SourceRlimit    = "RLIMIT_AS"
	SourceFallback  = "fallback"
)

// Limit is one bound on the budget.
type Limit struct {
	Source string // what set it: one of the Source constants, or the user setting's name
	Bytes  int64  // what it leaves for runs
	Detail string // how Bytes was worked out, for `sokr info`; empty for the user's setting
}

// Budget is the memory a runtime may reserve for runs, and why.
type Budget struct {
	Bytes  int64   // the smallest of Limits, at least 1
	Source string  // the Source of the limit that set Bytes
	Detail string  // that limit's Detail
	Limits []Limit // every limit found
}

// From says where the budget came from: the limit that set it and how
// ("RLIMIT_AS: 4.8 GiB less 1.2 GiB mapped, less 512.0 MiB headroom"), or
// the user setting's name alone ("SOKR_MEMORY").
func (b Budget) From() string {
	if b.Detail == "" {
		return b.Source
	}
	return b.Source + ": " + b.Detail
}

// String renders the budget and where it came from: "3.0 GiB (RLIMIT_AS:
// 4.8 GiB less 1.2 GiB mapped, less 512.0 MiB headroom)".
func (b Budget) String() string { return sokr.FormatBytes(b.Bytes) + " (" + b.From() + ")" }

// Machine says where the limits are read. Its zero value reads this
// machine; tests point it at fake files.
type Machine struct {
	Proc   string                 // the proc filesystem, default "/proc"
	Cgroup string                 // the cgroup mount, default "/sys/fs/cgroup"
	Getenv func(string) string    // default os.Getenv
	Rlimit func() (uint64, error) // RLIMIT_AS's soft limit, default syscall.Getrlimit
	Page   int64                  // the page size /proc/self/statm counts in, default os.Getpagesize()
}

// DefaultBudget is Machine{}.Budget("", "")'s bytes, worked out once per
// process; a malformed SOKR_MEMORY is ignored here (the runtime that reads
// it reports it). Substrates made outside a runtime use it.
var DefaultBudget = sync.OnceValue(func() int64 {
	b, err := Machine{}.Budget("", "")
	if err != nil {
		b, _ = Machine{Getenv: func(string) string { return "" }}.Budget("", "")
	}
	return b.Bytes
})

// Budget works out the budget. setting is the user's size ("4GiB",
// "4000000000", see ParseSize) and source names where it came from (for
// messages, e.g. "Runtime(memory=...)"); when setting is empty, the
// SOKR_MEMORY variable is read instead. A malformed setting is an error
// that quotes it.
func (m Machine) Budget(setting, source string) (Budget, error) {
	m.defaults()
	if setting == "" {
		setting, source = strings.TrimSpace(m.Getenv(Variable)), Variable
	}
	var limits []Limit
	if setting != "" {
		n, err := ParseSize(setting)
		if err != nil {
			return Budget{}, fmt.Errorf("%s=%q: %w", source, setting, err)
		}
		limits = append(limits, Limit{Source: source, Bytes: n})
	} else if l, ok := m.available(); ok {
		limits = append(limits, l)
	}
	limits = append(limits, m.cgroup()...)
	if l, ok := m.rlimit(); ok {
		limits = append(limits, l)
	}
	if len(limits) == 0 {
		limits = append(limits, Limit{Source: SourceFallback, Bytes: Fallback, Detail: "no /proc/meminfo, no cgroup or address-space limit found"})
	}
	b := Budget{Bytes: math.MaxInt64, Limits: limits}
	for _, l := range limits {
		if l.Bytes < b.Bytes {
			b.Bytes, b.Source, b.Detail = l.Bytes, l.Source, l.Detail
		}
	}
	// At least a byte: a budget of 0 means "no budget" to the runtime, and
	// a machine with nothing left should refuse every run that states its
	// size, not admit them all.
	b.Bytes = max(b.Bytes, 1)
	return b, nil
}

func (m *Machine) defaults() {
	if m.Proc == "" {
		m.Proc = "/proc"
	}
	if m.Cgroup == "" {
		m.Cgroup = "/sys/fs/cgroup"
	}
	if m.Getenv == nil {
		m.Getenv = os.Getenv
	}
	if m.Rlimit == nil {
		m.Rlimit = func() (uint64, error) {
			var rl syscall.Rlimit
			err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl)
			return rl.Cur, err
		}
	}
	if m.Page <= 0 {
		m.Page = int64(os.Getpagesize())
	}
}

// available is AvailableShare of MemAvailable.
func (m Machine) available() (Limit, bool) {
	kb, ok := meminfo(filepath.Join(m.Proc, "meminfo"), "MemAvailable:")
	if !ok {
		return Limit{}, false
	}
	avail := kb * 1024
	return Limit{Source: SourceAvailable, Bytes: int64(float64(avail) * AvailableShare),
		Detail: fmt.Sprintf("3/4 of %s", sokr.FormatBytes(avail))}, true
}

// meminfo reads the kB value of key from a /proc/meminfo-style file.
func meminfo(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == key {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil && kb >= 0 && kb < math.MaxInt64/1024 {
				return kb, true
			}
		}
	}
	return 0, false
}

// rlimit is the address-space limit less what is mapped and Headroom.
func (m Machine) rlimit() (Limit, bool) {
	cur, err := m.Rlimit()
	if err != nil || cur == math.MaxUint64 || cur > math.MaxInt64 {
		return Limit{}, false // unlimited (RLIM_INFINITY) or unreadable
	}
	mapped := int64(0)
	if b, err := os.ReadFile(filepath.Join(m.Proc, "self", "statm")); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if pages, err := strconv.ParseInt(f[0], 10, 64); err == nil && pages > 0 && pages < math.MaxInt64/m.Page {
				mapped = pages * m.Page
			}
		}
	}
	return Limit{Source: SourceRlimit, Bytes: int64(cur) - mapped - Headroom,
		Detail: fmt.Sprintf("%s less %s mapped, less %s headroom", sokr.FormatBytes(int64(cur)), sokr.FormatBytes(mapped), sokr.FormatBytes(Headroom))}, true
}

// unlimitedV1 is where cgroup v1 starts meaning "no limit": the kernel
// writes PAGE_COUNTER_MAX pages (0x7ffffffffffff000 on 4 KiB pages).
const unlimitedV1 = 1 << 62

// cgroup reads the memory limits of the process's cgroup and each
// ancestor, v2 and v1 alike. Each limit leaves its size less the group's
// usage; usage leaves out inactive file cache, which the kernel reclaims
// before it runs out (the working set, as the kubelet counts it).
func (m Machine) cgroup() []Limit {
	f, err := os.Open(filepath.Join(m.Proc, "self", "cgroup"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []Limit
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path (cgroups(7))
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			for _, mount := range []string{m.Cgroup, filepath.Join(m.Cgroup, "unified")} {
				if exists(filepath.Join(mount, "cgroup.controllers")) {
					out = append(out, walk(mount, parts[2], SourceCgroupV2, "memory.max", "memory.current", "inactive_file")...)
					break
				}
			}
		case hasController(parts[1], "memory"):
			out = append(out, walk(filepath.Join(m.Cgroup, "memory"), parts[2], SourceCgroupV1, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")...)
		}
	}
	return out
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// walk reads limitFile in the group at path under mount and in each
// ancestor up to the mount. A path that is not under the mount (a
// container that sees the host's path without a cgroup namespace) reads
// the mount itself, which is then the container's group.
func walk(mount, path, source, limitFile, usageFile, inactiveKey string) []Limit {
	mount = filepath.Clean(mount)
	dir := filepath.Join(mount, filepath.Clean("/"+path))
	if !exists(dir) {
		dir = mount
	}
	var out []Limit
	for {
		if l, ok := groupLimit(dir, source, limitFile, usageFile, inactiveKey); ok {
			out = append(out, l)
		}
		if dir == mount || !strings.HasPrefix(dir, mount) {
			return out
		}
		dir = filepath.Dir(dir)
	}
}

func groupLimit(dir, source, limitFile, usageFile, inactiveKey string) (Limit, bool) {
	limit, ok := readInt(filepath.Join(dir, limitFile))
	if !ok || limit >= unlimitedV1 {
		return Limit{}, false // "max", absent, or v1's unlimited
	}
	usage, _ := readInt(filepath.Join(dir, usageFile))
	if inactive, ok := statValue(filepath.Join(dir, "memory.stat"), inactiveKey); ok && inactive <= usage {
		usage -= inactive
	}
	return Limit{Source: source, Bytes: limit - usage,
		Detail: fmt.Sprintf("%s less %s in use (%s)", sokr.FormatBytes(limit), sokr.FormatBytes(usage), dir)}, true
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n >= 0
}

func statValue(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ErrSize is matched by every error ParseSize returns.
var ErrSize = errors.New("not a memory size")

// units are ParseSize's suffixes. K, M, G, T mean powers of 1024, as in
// `docker run -m 4g`, `java -Xmx4g` and GOMEMLIMIT's KiB..TiB; KB, MB, GB,
// TB are the SI powers of 1000.
var units = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "ki": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mi": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gi": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "ti": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

const unitHelp = `write bytes ("4000000000") or a number and a unit: KiB, MiB, GiB, TiB (K, M, G, T mean the same) or KB, MB, GB, TB (powers of 1000)`

// ParseSize reads a positive memory size: a number of bytes, or a number
// (decimals allowed) and a unit, case-insensitive, with or without a space:
// "4GiB", "4G", "1.5 gib", "512MiB", "4GB", "4000000000". Errors match
// ErrSize and say what is wrong.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if num == "" {
		return 0, fmt.Errorf("%w: no number at the start; %s", ErrSize, unitHelp)
	}
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("%w: unknown unit %q; %s", ErrSize, strings.TrimSpace(s[i:]), unitHelp)
	}
	var n int64
	if !strings.Contains(num, ".") {
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v > math.MaxInt64/mult {
			return 0, fmt.Errorf("%w: %s is more than %d bytes", ErrSize, s, int64(math.MaxInt64))
		}
		n = v * mult
	} else {
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q is not a number", ErrSize, num)
		}
		f := v * float64(mult)
		if f >= math.MaxInt64 {
			return 0, fmt.Errorf("%w: %s is more than %d bytes", ErrSize, s, int64(math.MaxInt64))
		}
		n = int64(f)
	}
	if n <= 0 {
		return 0, fmt.Errorf("%w: %s is not a positive size", ErrSize, s)
	}
	return n, nil
}
