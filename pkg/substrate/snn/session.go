package snn

import (
	"fmt"
	"sync"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// session is the state a sequence of dispatches with the same "session"
// option carries. Its mutex serialises the dispatches of one session.
type session struct {
	mu    sync.Mutex
	prog  sokr.Program
	sem   semantics
	batch int
	state any // *state[float32] or *state[float64]
}

// sessionState returns the state a run starts from and a function to call
// when the run ends. Without a session the state is fresh and private.
// With one, the session's state is locked for the run; a new session is
// opened (or reset) as needed, within the cap on live sessions.
func sessionState[F float](s *Substrate, p sokr.Program, c *compiled[F], sem semantics, batch int) (*state[F], func(), error) {
	if sem.session == "" {
		return newState(c, batch), func() {}, nil
	}
	ss, err := s.sessions.Open(sem.session, s.maxSessions, " (or use WithMaxSessions)")
	if err != nil {
		return nil, nil, err
	}
	ss.mu.Lock()
	st, ok := ss.state.(*state[F])
	if ss.state != nil && !sem.sessionReset {
		if ss.prog != p || !ok || ss.batch != batch || !ss.sem.same(sem) {
			ss.mu.Unlock()
			return nil, nil, &sokr.InputError{Index: -1, Name: OptSession, Msg: fmt.Sprintf(
				"option \"session\": session %q was started with another graph, batch size or semantics (%s); pass \"session_reset\": true to start it afresh",
				sem.session, describeSession(ss))}
		}
		return st, ss.mu.Unlock, nil
	}
	st = newState(c, batch)
	ss.prog, ss.sem, ss.batch, ss.state = p, sem, batch, st
	return st, ss.mu.Unlock, nil
}

func describeSession(ss *session) string {
	return fmt.Sprintf("batch %d, dt %g s, solver %s, reset %s, precision %v", ss.batch, ss.sem.dt, ss.sem.solver, ss.sem.reset, ss.sem.precision)
}

// EndSession forgets the session called id and its state. It reports
// whether such a session was live.
func (s *Substrate) EndSession(id string) bool { return s.sessions.End(id) }

// Sessions returns the number of live sessions.
func (s *Substrate) Sessions() int { return s.sessions.Len() }
