package facade

import (
	"encoding/json"

	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// NIRDict returns NIR program prog in NIR's dict form as JSON (arrays as
// nested lists), the graph as SOKR read it: {"version": v, "node": dict}.
// python/sokr/neuro turns it into a nir.NIRGraph (to_nir).
func NIRDict(prog int64) (string, error) {
	p, err := programFor(prog)
	if err != nil {
		return "", fail(err)
	}
	n, ok := p.(*nir.Program)
	if !ok {
		return "", fail(&sokr.ProgramError{Format: p.Format(), Msg: "not a NIR graph: a " + p.Format() + " program"})
	}
	b, err := json.Marshal(map[string]any{"version": n.Version, "node": n.Dict()})
	if err != nil {
		return "", fail(&sokr.ProgramError{Format: nir.Format, Msg: "cannot write the graph as JSON: " + err.Error()})
	}
	return string(b), nil
}

// EndSession forgets session id of substrate in runtime rt (0: the
// default runtime) and reports whether it was live.
func EndSession(rt int64, substrate, id string) (bool, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return false, fail(err)
	}
	s, ok := r.Substrate(substrate)
	if !ok {
		return false, fail(&sokr.RegistrationError{Name: substrate, Msg: "no substrate of this name (have: " + substrateNames(r) + ")"})
	}
	e, ok := s.(sokr.SessionEnder)
	if !ok {
		return false, fail(&sokr.RegistrationError{Name: substrate, Msg: "this substrate has no sessions"})
	}
	return e.EndSession(id), nil
}
