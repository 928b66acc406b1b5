package facade

import (
	"encoding/json"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// memorySource names Python's setting in the runtime's refusals ("needs
// 2.0 GiB, the runtime's memory budget is 1.5 GiB (Runtime(memory=...))").
const memorySource = "Runtime(memory=...)"

// ParseMemory reads a memory size as Runtime(memory=...) and SOKR_MEMORY
// take it ("4GiB", "4G", "4000000000"), for Python to raise ValueError with
// the reason before it makes a runtime.
func ParseMemory(s string) (int64, error) {
	return defaults.ParseMemory(s)
}

// memoryInfo is a runtime's memory budget and its use, as Python sees it.
type memoryInfo struct {
	Budget   int64  `json:"budget"`
	Source   string `json:"source"`
	Reserved int64  `json:"reserved"`
	Waiting  int    `json:"waiting"`
}

func memoryOf(r *sokr.Runtime) memoryInfo {
	m := r.Memory()
	return memoryInfo{Budget: m.Budget, Source: m.Source, Reserved: m.Reserved, Waiting: m.Waiting}
}

// Memory describes a runtime's memory budget as JSON: the bytes runs may
// reserve together, where that number came from, the bytes reserved now and
// the runs waiting for memory.
func Memory(rt int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	b, _ := json.Marshal(memoryOf(r))
	return string(b), nil
}
