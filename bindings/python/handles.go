package facade

import (
	"fmt"
	"sync"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// handles is a table of live objects by ticket.
type handles[T any] struct {
	mu   sync.RWMutex
	next int64
	m    map[int64]T
}

func (h *handles[T]) put(v T) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[int64]T{}
	}
	h.next++
	h.m[h.next] = v
	return h.next
}

func (h *handles[T]) get(id int64) (T, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	v, ok := h.m[id]
	return v, ok
}

func (h *handles[T]) drop(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[id]
	delete(h.m, id)
	return ok
}

var (
	runtimes = handles[*sokr.Runtime]{}
	programs = handles[sokr.Program]{}
	tickets  = handles[*dispatch]{}

	defaultOnce sync.Once
	defaultRT   int64
	defaultErr  error
)

// dispatch is one in-flight or completed dispatch.
type dispatch struct {
	fut  *sokr.Future
	prog sokr.Program // for its declared outputs (see Read)
}

// programFor returns the program with handle prog, or a ProgramError
// saying there is none.
func programFor(prog int64) (sokr.Program, error) {
	p, ok := programs.get(prog)
	if !ok {
		return nil, &sokr.ProgramError{Msg: fmt.Sprintf("no program with handle %d (freed?)", prog)}
	}
	return p, nil
}

// runtimeFor returns the runtime with handle id; 0 is the default runtime,
// created on first use with every built-in IR and substrate.
func runtimeFor(id int64) (*sokr.Runtime, error) {
	if id == 0 {
		defaultOnce.Do(func() {
			rt, err := defaults.New()
			if err != nil {
				defaultErr = err
				return
			}
			defaultRT = runtimes.put(rt)
		})
		if defaultErr != nil {
			return nil, defaultErr
		}
		id = defaultRT
	}
	rt, ok := runtimes.get(id)
	if !ok {
		return nil, fmt.Errorf("sokr: no runtime with handle %d (closed?)", id)
	}
	return rt, nil
}
