package neuron

import (
	"fmt"
	"sync"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Sessions are a substrate's live sessions (the "session" option), by id:
// S is what one carries. The zero value is ready to use.
//
//	var live neuron.Sessions[state]
//	st, err := live.Open("run-1", 64, "")
type Sessions[S any] struct {
	mu sync.Mutex
	m  map[string]*S
}

// Open returns the session called id, making it when it is not live and
// fewer than limit are. Past the limit it is an *sokr.InputError naming
// the option; hint ends its message (how to raise the limit, or "").
func (r *Sessions[S]) Open(id string, limit int, hint string) (*S, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ss, ok := r.m[id]; ok {
		return ss, nil
	}
	if len(r.m) >= limit {
		return nil, &sokr.InputError{Index: -1, Name: "session", Msg: fmt.Sprintf(
			"option \"session\": %d sessions are live, the most this substrate keeps; end one with EndSession%s", len(r.m), hint)}
	}
	if r.m == nil {
		r.m = map[string]*S{}
	}
	ss := new(S)
	r.m[id] = ss
	return ss, nil
}

// End forgets the session called id. It reports whether it was live.
func (r *Sessions[S]) End(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.m[id]
	delete(r.m, id)
	return ok
}

// Len returns the number of live sessions.
func (r *Sessions[S]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
