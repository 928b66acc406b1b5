package hostmem_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/hostmem"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

const gib = 1 << 30

// fake is a machine in a temporary directory: files under proc/ and
// cgroup/, an environment and an address-space limit.
type fake struct {
	t      *testing.T
	root   string
	env    map[string]string
	rlimit uint64
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, root: t.TempDir(), env: map[string]string{}, rlimit: math.MaxUint64}
	// 20 GiB available unless a test says otherwise.
	f.write("proc/meminfo", "MemTotal:       24683784 kB\nMemFree:        20110608 kB\nMemAvailable:   20971520 kB\n")
	return f
}

func (f *fake) write(path, content string) {
	f.t.Helper()
	p := filepath.Join(f.root, path)
	require.NoError(f.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(f.t, os.WriteFile(p, []byte(content), 0o644))
}

func (f *fake) machine() hostmem.Machine {
	return hostmem.Machine{
		Proc:   filepath.Join(f.root, "proc"),
		Cgroup: filepath.Join(f.root, "cgroup"),
		Getenv: func(k string) string { return f.env[k] },
		Rlimit: func() (uint64, error) { return f.rlimit, nil },
		Page:   4096,
	}
}

func (f *fake) budget(setting, source string) hostmem.Budget {
	f.t.Helper()
	b, err := f.machine().Budget(setting, source)
	require.NoError(f.t, err)
	return b
}

func TestBudgetIsAShareOfMemAvailable(t *testing.T) {
	b := newFake(t).budget("", "")
	assert.Equal(t, int64(15*gib), b.Bytes, "3/4 of 20 GiB")
	assert.Equal(t, hostmem.SourceAvailable, b.Source)
	assert.Equal(t, "15.0 GiB (MemAvailable: 3/4 of 20.0 GiB)", b.String())
	require.Len(t, b.Limits, 1)
}

func TestBudgetFallsBackWithoutProc(t *testing.T) {
	f := newFake(t)
	require.NoError(t, os.Remove(filepath.Join(f.root, "proc/meminfo")))
	b := f.budget("", "")
	assert.Equal(t, int64(hostmem.Fallback), b.Bytes)
	assert.Equal(t, hostmem.SourceFallback, b.Source)
}

func TestBudgetSettingReplacesTheAvailableShare(t *testing.T) {
	f := newFake(t)
	f.env["SOKR_MEMORY"] = "1.5GiB"
	b := f.budget("", "")
	assert.Equal(t, int64(1.5*gib), b.Bytes)
	assert.Equal(t, "SOKR_MEMORY", b.Source)
	assert.Empty(t, b.Detail)
	assert.Equal(t, "1.5 GiB (SOKR_MEMORY)", b.String())

	// More than the cautious default is the user's call...
	f.env["SOKR_MEMORY"] = "18G"
	assert.Equal(t, int64(18*gib), f.budget("", "").Bytes)

	// ...and an explicit setting wins over the variable.
	b = f.budget("2000000000", "Runtime(memory=...)")
	assert.Equal(t, int64(2e9), b.Bytes)
	assert.Equal(t, "Runtime(memory=...)", b.Source)
}

func TestBudgetSettingNeverLiftsHardLimits(t *testing.T) {
	f := newFake(t)
	f.env["SOKR_MEMORY"] = "100GiB"
	f.rlimit = 5000000 * 1024 // ulimit -v 5000000
	f.write("proc/self/statm", "300000 1000 500 1 0 2000 0\n")
	b := f.budget("", "")
	assert.Equal(t, hostmem.SourceRlimit, b.Source)
	assert.Equal(t, int64(5000000*1024-300000*4096-hostmem.Headroom), b.Bytes)
}

func TestBudgetMalformedSettingIsAnError(t *testing.T) {
	f := newFake(t)
	f.env["SOKR_MEMORY"] = "4 lots"
	_, err := f.machine().Budget("", "")
	require.ErrorIs(t, err, hostmem.ErrSize)
	assert.Contains(t, err.Error(), `SOKR_MEMORY="4 lots": not a memory size: unknown unit "lots"`)

	_, err = f.machine().Budget("-1", "Runtime(memory=...)")
	require.ErrorIs(t, err, hostmem.ErrSize)
	assert.Contains(t, err.Error(), `Runtime(memory=...)="-1"`)
}

func TestBudgetRlimitLessWhatIsMapped(t *testing.T) {
	f := newFake(t)
	f.rlimit = 6 * gib
	f.write("proc/self/statm", "262144 1000 500 1 0 2000 0\n") // 1 GiB mapped
	b := f.budget("", "")
	assert.Equal(t, int64(5*gib-hostmem.Headroom), b.Bytes)
	assert.Equal(t, hostmem.SourceRlimit, b.Source)
	assert.Equal(t, "RLIMIT_AS: 6.0 GiB less 1.0 GiB mapped, less 512.0 MiB headroom", b.From())
	require.Len(t, b.Limits, 2, "MemAvailable and RLIMIT_AS")
}

func TestBudgetUnlimitedRlimitIsNoLimit(t *testing.T) {
	f := newFake(t)
	f.write("proc/self/statm", "262144 1000 500 1 0 2000 0\n")
	b := f.budget("", "")
	assert.Equal(t, hostmem.SourceAvailable, b.Source)
	require.Len(t, b.Limits, 1)
}

func TestBudgetIsAtLeastOneByte(t *testing.T) {
	f := newFake(t)
	f.rlimit = 1 * gib
	f.write("proc/self/statm", "524288 1000 500 1 0 2000 0\n") // 2 GiB mapped, more than allowed
	b := f.budget("", "")
	assert.Equal(t, int64(1), b.Bytes)
	assert.Equal(t, hostmem.SourceRlimit, b.Source)
}

func TestBudgetCgroupV2WalksUpAndCountsTheWorkingSet(t *testing.T) {
	f := newFake(t)
	f.write("proc/self/cgroup", "0::/user.slice/job\n")
	f.write("cgroup/cgroup.controllers", "cpu memory\n")
	f.write("cgroup/user.slice/memory.max", "8589934592\n")                                 // 8 GiB
	f.write("cgroup/user.slice/memory.current", "3221225472\n")                             // 3 GiB
	f.write("cgroup/user.slice/memory.stat", "anon 1073741824\ninactive_file 1073741824\n") // 1 GiB reclaimable
	f.write("cgroup/user.slice/job/memory.max", "max\n")                                    // no limit of its own
	f.write("cgroup/user.slice/job/memory.current", "1073741824\n")
	b := f.budget("", "")
	assert.Equal(t, int64(6*gib), b.Bytes, "8 GiB less 3 GiB used plus 1 GiB of reclaimable cache")
	assert.Equal(t, hostmem.SourceCgroupV2, b.Source)
	assert.Contains(t, b.Detail, "8.0 GiB less 2.0 GiB in use")
	assert.Contains(t, b.Detail, filepath.Join("cgroup", "user.slice"))

	// The tighter of two levels wins.
	f.write("cgroup/user.slice/job/memory.max", "2147483648\n")
	b = f.budget("", "")
	assert.Equal(t, int64(1*gib), b.Bytes)
	assert.Contains(t, b.Detail, filepath.Join("user.slice", "job"))
}

func TestBudgetCgroupV2HybridMount(t *testing.T) {
	f := newFake(t)
	f.write("proc/self/cgroup", "4:memory:/\n0::/\n")
	f.write("cgroup/unified/cgroup.controllers", "memory\n")
	f.write("cgroup/unified/memory.max", "4294967296\n")
	f.write("cgroup/unified/memory.current", "0\n")
	b := f.budget("", "")
	assert.Equal(t, int64(4*gib), b.Bytes)
	assert.Equal(t, hostmem.SourceCgroupV2, b.Source)
}

func TestBudgetCgroupV1(t *testing.T) {
	f := newFake(t)
	f.write("proc/self/cgroup", "9:name=systemd:/\n4:memory:/process_api/x\n3:cpuset:/\n")
	f.write("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n") // unlimited
	f.write("cgroup/memory/process_api/x/memory.limit_in_bytes", "4294967296\n")
	f.write("cgroup/memory/process_api/x/memory.usage_in_bytes", "1610612736\n")
	f.write("cgroup/memory/process_api/x/memory.stat", "cache 1\ninactive_file 5\ntotal_inactive_file 536870912\n")
	b := f.budget("", "")
	assert.Equal(t, int64(3*gib), b.Bytes, "4 GiB less 1.5 GiB used plus 0.5 GiB reclaimable")
	assert.Equal(t, hostmem.SourceCgroupV1, b.Source)
}

func TestBudgetCgroupV1PathOutsideTheMount(t *testing.T) {
	// A container without a cgroup namespace sees the host's path, while
	// its mount is its own group.
	f := newFake(t)
	f.write("proc/self/cgroup", "4:cpu,memory:/docker/abc\n")
	f.write("cgroup/memory/memory.limit_in_bytes", "2147483648\n")
	f.write("cgroup/memory/memory.usage_in_bytes", "0\n")
	b := f.budget("", "")
	assert.Equal(t, int64(2*gib), b.Bytes)
	assert.Equal(t, hostmem.SourceCgroupV1, b.Source)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"4000000000": 4e9,
		"4GiB":       4 * gib,
		"4G":         4 * gib,
		"4g":         4 * gib,
		"4 GiB":      4 * gib,
		" 4gi ":      4 * gib,
		"4GB":        4e9,
		"1.5GiB":     1.5 * gib,
		"512MiB":     512 << 20,
		"512M":       512 << 20,
		"64KiB":      64 << 10,
		"2kb":        2000,
		"1T":         1 << 40,
		"1TB":        1e12,
		"100B":       100,
		".5G":        gib / 2,
	} {
		got, err := hostmem.ParseSize(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for in, msg := range map[string]string{
		"":                     "no number at the start",
		"GiB":                  "no number at the start",
		"-1":                   "no number at the start",
		"4 lots":               `unknown unit "lots"`,
		"4e9":                  `unknown unit "e9"`,
		"inf":                  "no number at the start",
		"0":                    "not a positive size",
		"0.1B":                 "not a positive size",
		"1.2.3G":               `"1.2.3" is not a number`,
		"9223372036854775808":  "is more than 9223372036854775807 bytes",
		"8589934592G":          "is more than 9223372036854775807 bytes",
		"9000000000000000000T": "is more than 9223372036854775807 bytes",
		"1e30.0G":              `unknown unit "e30.0G"`,
		"99999999999.5T":       "is more than 9223372036854775807 bytes",
	} {
		_, err := hostmem.ParseSize(in)
		if assert.Error(t, err, in) {
			assert.True(t, errors.Is(err, hostmem.ErrSize), in)
			assert.Contains(t, err.Error(), msg, in)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	assert.Equal(t, "100 B", sokr.FormatBytes(100))
	assert.Equal(t, "1.5 GiB", sokr.FormatBytes(1.5*gib))
	assert.Equal(t, "512.0 MiB", sokr.FormatBytes(512<<20))
}

func TestDefaultBudgetReadsThisMachine(t *testing.T) {
	b := hostmem.DefaultBudget()
	assert.Positive(t, b)
	assert.Equal(t, b, hostmem.DefaultBudget(), "worked out once")
	m, err := hostmem.Machine{Getenv: func(string) string { return "" }}.Budget("", "")
	require.NoError(t, err)
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		assert.Equal(t, int64(hostmem.Fallback), m.Bytes)
		return
	}
	assert.NotEqual(t, hostmem.SourceFallback, m.Source, "read from /proc")
}
