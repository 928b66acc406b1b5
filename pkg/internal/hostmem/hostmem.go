// Package hostmem tells the substrates how much memory they may plan for
// by default.
//
//	budget := hostmem.DefaultBudget() // 18 GiB on a 24 GiB machine
package hostmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Fallback is the budget where /proc/meminfo cannot be read.
const Fallback = 4 << 30

// DefaultBudget is three quarters of MemTotal from /proc/meminfo, or
// Fallback where that cannot be read. The file is read once per process.
var DefaultBudget = sync.OnceValue(func() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return Fallback
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb * 1024 / 4 * 3
			}
		}
	}
	return Fallback
})
