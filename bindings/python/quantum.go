package facade

import (
	"encoding/json"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// noiseRule is one rule of a noise model as Python sends it.
type noiseRule struct {
	Gate    string  `json:"gate"`
	Qubits  []int   `json:"qubits"`
	Channel string  `json:"channel"`
	P       float64 `json:"p"`
	// Kraus operators, each flattened row-major as re and im parts.
	Ops []struct {
		Re []float64 `json:"re"`
		Im []float64 `json:"im"`
	} `json:"ops"`
}

// WithNoise returns a new program handle: circuit prog with the noise model
// rules (a JSON list of {gate, qubits, channel, p, ops}) applied.
func WithNoise(prog int64, rules string) (int64, error) {
	p, err := programFor(prog)
	if err != nil {
		return 0, fail(err)
	}
	c, ok := p.(*circuit.Program)
	if !ok {
		return 0, fail(&sokr.ProgramError{Format: p.Format(), Msg: "a noise model applies to quantum circuits only, not " + p.Format()})
	}
	var in []noiseRule
	if err := json.Unmarshal([]byte(rules), &in); err != nil {
		return 0, fail(&sokr.InputError{Index: -1, Name: "noise_model", Msg: "noise model is not valid JSON: " + err.Error()})
	}
	out := make([]circuit.NoiseRule, len(in))
	for i, r := range in {
		kind, ok := circuit.ChannelNamed(r.Channel)
		if !ok {
			return 0, fail(&sokr.InputError{Index: -1, Name: "noise_model", Msg: fmt.Sprintf("noise rule %d: unknown channel %q", i, r.Channel)})
		}
		ch := circuit.Channel{Kind: kind, P: r.P}
		for j, op := range r.Ops {
			if len(op.Re) != len(op.Im) {
				return 0, fail(&sokr.InputError{Index: -1, Name: "noise_model", Msg: fmt.Sprintf("noise rule %d: kraus operator %d has %d real and %d imaginary parts", i, j, len(op.Re), len(op.Im))})
			}
			m := make([]complex128, len(op.Re))
			for k := range m {
				m[k] = complex(op.Re[k], op.Im[k])
			}
			ch.Ops = append(ch.Ops, m)
		}
		out[i] = circuit.NoiseRule{Gate: r.Gate, Qubits: r.Qubits, Channel: ch}
	}
	n, err := circuit.WithNoise(c, out)
	if err != nil {
		return 0, fail(err)
	}
	return programs.put(n), nil
}
