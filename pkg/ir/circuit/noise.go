package circuit

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// ChannelKind names a noise channel.
type ChannelKind uint8

// The channels. Probabilities follow CUDA-Q's definitions
// (cudaq::depolarization_channel, bit_flip_channel, ...).
const (
	Depolarizing     ChannelKind = iota // 1 or 2 qubits: each non-identity Pauli with probability P/3 (P/15)
	BitFlip                             // X with probability P
	PhaseFlip                           // Z with probability P
	AmplitudeDamping                    // decay |1> -> |0> with probability P
	PhaseDamping                        // loss of phase with probability P
	Kraus                               // explicit Kraus operators on any number of qubits
)

var channelNames = [...]string{"depolarizing", "bit_flip", "phase_flip", "amplitude_damping", "phase_damping", "kraus"}

func (k ChannelKind) String() string {
	if int(k) < len(channelNames) {
		return channelNames[k]
	}
	return fmt.Sprintf("channel(%d)", k)
}

// ChannelNamed returns the channel kind with the given name
// ("depolarizing", "bit_flip", "phase_flip", "amplitude_damping",
// "phase_damping", "kraus").
func ChannelNamed(name string) (ChannelKind, bool) {
	i := slices.Index(channelNames[:], name)
	return ChannelKind(i), i >= 0
}

// Channel is a noise channel. P is the probability of the named channels;
// Ops are the Kraus operators of a Kraus channel, each a 2^k x 2^k
// row-major matrix (index bit j is the state of the channel's qubit j).
type Channel struct {
	Kind ChannelKind
	P    float64
	Ops  [][]complex128
}

// KrausTolerance bounds |sum K†K - I| for Kraus channels: operators given
// to about 1e-8 (the precision users print them with) pass.
const KrausTolerance = 1e-6

// Arity returns the number of qubits the channel acts on, or 0 when a
// depolarizing channel may act on 1 or 2 (it takes its op's count).
func (c Channel) Arity() int {
	switch c.Kind {
	case Depolarizing:
		return 0
	case Kraus:
		if len(c.Ops) == 0 {
			return -1
		}
		d := int(math.Round(math.Sqrt(float64(len(c.Ops[0])))))
		k := 0
		for 1<<k < d {
			k++
		}
		return k
	}
	return 1
}

// Validate checks the channel for use on n qubits: a probability in
// [0, 1], and Kraus operators of matching size that sum to the identity.
func (c Channel) Validate(n int) error {
	switch c.Kind {
	case Depolarizing:
		if n != 1 && n != 2 {
			return fmt.Errorf("depolarizing channel on %d qubits: 1 or 2 are supported", n)
		}
	case BitFlip, PhaseFlip, AmplitudeDamping, PhaseDamping:
		if n != 1 {
			return fmt.Errorf("%s channel acts on one qubit, not %d", c.Kind, n)
		}
	case Kraus:
		return validKraus(c.Ops, n)
	default:
		return fmt.Errorf("unknown noise channel %d", c.Kind)
	}
	if !(c.P >= 0 && c.P <= 1) {
		return fmt.Errorf("%s channel probability %v is not in [0, 1]", c.Kind, c.P)
	}
	return nil
}

func validKraus(ops [][]complex128, n int) error {
	if n < 1 || n > 4 {
		return fmt.Errorf("kraus channel on %d qubits: 1 to 4 are supported", n)
	}
	if len(ops) == 0 {
		return fmt.Errorf("kraus channel has no operators")
	}
	d := 1 << n
	sum := make([]complex128, d*d)
	for i, k := range ops {
		if len(k) != d*d {
			return fmt.Errorf("kraus operator %d has %d entries; on %d qubits it needs %d (%dx%d)", i, len(k), n, d*d, d, d)
		}
		for r := range d {
			for c := range d {
				var s complex128
				for m := range d {
					s += cmplx.Conj(k[m*d+r]) * k[m*d+c]
				}
				sum[r*d+c] += s
			}
		}
	}
	for r := range d {
		for c := range d {
			want := complex128(0)
			if r == c {
				want = 1
			}
			if cmplx.Abs(sum[r*d+c]-want) > KrausTolerance {
				return fmt.Errorf("kraus operators are not trace preserving: sum of K†K differs from the identity by %.3g at (%d,%d)", cmplx.Abs(sum[r*d+c]-want), r, c)
			}
		}
	}
	return nil
}

// KrausOps returns the channel's Kraus operators on n qubits.
func (c Channel) KrausOps(n int) [][]complex128 {
	p := c.P
	switch c.Kind {
	case Depolarizing:
		paulis := paulis1[:]
		if n == 2 {
			paulis = paulis2()
		}
		ops := make([][]complex128, len(paulis))
		w := complex(math.Sqrt(p/float64(len(paulis)-1)), 0)
		for i, m := range paulis {
			ops[i] = scale(m, w)
		}
		ops[0] = scale(paulis[0], complex(math.Sqrt(1-p), 0))
		return ops
	case BitFlip:
		return [][]complex128{scale(paulis1[0], complex(math.Sqrt(1-p), 0)), scale(paulis1[1], complex(math.Sqrt(p), 0))}
	case PhaseFlip:
		return [][]complex128{scale(paulis1[0], complex(math.Sqrt(1-p), 0)), scale(paulis1[3], complex(math.Sqrt(p), 0))}
	case AmplitudeDamping:
		return [][]complex128{{1, 0, 0, complex(math.Sqrt(1-p), 0)}, {0, complex(math.Sqrt(p), 0), 0, 0}}
	case PhaseDamping:
		return [][]complex128{{1, 0, 0, complex(math.Sqrt(1-p), 0)}, {0, 0, 0, complex(math.Sqrt(p), 0)}}
	}
	return c.Ops
}

// MixedUnitary reports whether the channel applies one of a set of unitary
// operators with fixed probabilities (Pauli channels), so that a
// trajectory can pick one without computing norms.
func (c Channel) MixedUnitary() bool {
	return c.Kind == Depolarizing || c.Kind == BitFlip || c.Kind == PhaseFlip
}

var paulis1 = [4][]complex128{{1, 0, 0, 1}, {0, 1, 1, 0}, {0, -1i, 1i, 0}, {1, 0, 0, -1}}

// paulis2 returns the 16 two-qubit Paulis hi ⊗ lo, identity first; lo acts
// on the channel's first qubit (index bit 0).
func paulis2() [][]complex128 {
	out := make([][]complex128, 0, 16)
	for _, hi := range paulis1 {
		for _, lo := range paulis1 {
			m := make([]complex128, 16)
			for r := range 4 {
				for c := range 4 {
					m[r*4+c] = hi[(r>>1)*2+c>>1] * lo[(r&1)*2+c&1]
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func scale(m []complex128, w complex128) []complex128 {
	out := make([]complex128, len(m))
	for i, v := range m {
		out[i] = v * w
	}
	return out
}

// NoiseRule attaches a channel after every gate named Gate ("x", "cx",
// "h", ...; "*" for every gate). With Qubits set, only gates on exactly
// those qubits (controls included, in order) match. A channel whose arity
// equals the gate's qubit count acts on all of them; a one-qubit channel
// on a multi-qubit gate acts on each of its qubits.
type NoiseRule struct {
	Gate    string
	Qubits  []int
	Channel Channel
}

// WithNoise returns a copy of p with each rule's channel inserted after the
// gates it matches, inside branches and loops too. A rule that can never
// apply to a matched gate is an error that names the rule and the gate.
func WithNoise(p *Program, rules []NoiseRule) (*Program, error) {
	for i, r := range rules {
		if r.Gate == "" {
			return nil, ruleError(i, "names no gate (use \"*\" for every gate)")
		}
		if a := r.Channel.Arity(); a > 0 {
			if err := r.Channel.Validate(a); err != nil {
				return nil, ruleError(i, err.Error())
			}
		} else if err := r.Channel.Validate(1); err != nil && r.Channel.Kind != Depolarizing {
			return nil, ruleError(i, err.Error())
		} else if !(r.Channel.P >= 0 && r.Channel.P <= 1) {
			return nil, ruleError(i, fmt.Sprintf("probability %v is not in [0, 1]", r.Channel.P))
		}
		for _, q := range r.Qubits {
			if q < 0 || q >= p.Qubits {
				return nil, ruleError(i, fmt.Sprintf("qubit %d out of range: the program has %d qubits", q, p.Qubits))
			}
		}
	}
	// Count before building: rules that match every gate multiply the
	// ops, and a program of a million gates with a thousand such rules
	// must fail here, not after taking its memory.
	n, err := noisyCount(p.Ops, rules)
	if err != nil {
		return nil, err
	}
	if n > MaxOps {
		return nil, &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("with the noise rules the program has more than %d operations", MaxOps)}
	}
	if int64(n) > MaxOpBytes/opSize {
		return nil, &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("with the noise rules the program has %d operations: more than fit in %d MiB", n, MaxOpBytes>>20)}
	}
	// One channel per rule, shared by every op it adds.
	chans := make([]*Channel, len(rules))
	for i := range rules {
		ch := rules[i].Channel
		chans[i] = &ch
	}
	out := &Program{Source: p.Source, Qubits: p.Qubits, Clbits: p.Clbits, QRegs: p.QRegs, CRegs: p.CRegs,
		Params: p.Params, Unsupported: p.Unsupported}
	out.Ops = addNoise(p.Ops, rules, chans)
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

// ruleError is the *sokr.ProgramError for noise rule i.
func ruleError(i int, msg string) error {
	return &sokr.ProgramError{Format: Format, Msg: fmt.Sprintf("noise rule %d %s", i, msg)}
}

// channelsAfter returns how many channel ops rule r adds after o (0 when
// it does not match), or an error when its channel cannot follow o.
func channelsAfter(o *Op, i int, r *NoiseRule) (int, error) {
	if o.Kind != OpGate || len(o.Qubits) == 0 {
		return 0, nil
	}
	if r.Gate != "*" && r.Gate != o.Name || r.Qubits != nil && !slices.Equal(r.Qubits, o.Qubits) {
		return 0, nil
	}
	switch a := r.Channel.Arity(); {
	case a == len(o.Qubits) || a == 0 && len(o.Qubits) <= 2:
		return 1, nil
	case a == 1 || a == 0:
		return len(o.Qubits), nil
	default:
		return 0, ruleError(i, fmt.Sprintf("has a %d-qubit channel, which cannot follow the %d-qubit gate %s at %s", a, len(o.Qubits), o.Name, o.Pos))
	}
}

// noisyCount counts the ops, branches included, of ops with the rules'
// channels added; it stops counting past MaxOps.
func noisyCount(ops []Op, rules []NoiseRule) (int, error) {
	n := 0
	for i := range ops {
		o := &ops[i]
		n++
		for k := range rules {
			c, err := channelsAfter(o, k, &rules[k])
			if err != nil {
				return 0, err
			}
			n += c
		}
		for _, branch := range [][]Op{o.Then, o.Else} {
			c, err := noisyCount(branch, rules)
			if err != nil {
				return 0, err
			}
			n += c
		}
		if n > MaxOps {
			return n, nil
		}
	}
	return n, nil
}

// addNoise copies ops with the channels after the gates they follow, in
// slices of the exact length (noisyCount has checked every rule). The
// channel ops share their rule's channel and their gate's qubits.
func addNoise(ops []Op, rules []NoiseRule, chans []*Channel) []Op {
	n := len(ops)
	for i := range ops {
		for k := range rules {
			c, _ := channelsAfter(&ops[i], k, &rules[k])
			n += c
		}
	}
	out := make([]Op, 0, n)
	for _, o := range ops {
		o.Then = addNoise(o.Then, rules, chans)
		o.Else = addNoise(o.Else, rules, chans)
		out = append(out, o)
		for k := range rules {
			c, _ := channelsAfter(&o, k, &rules[k])
			if c == 0 {
				continue
			}
			ch := chans[k]
			if c == 1 {
				out = append(out, Op{Kind: OpChannel, Name: ch.Kind.String(), Channel: ch, Qubits: o.Qubits, Pos: o.Pos})
				continue
			}
			for j := range o.Qubits {
				out = append(out, Op{Kind: OpChannel, Name: ch.Kind.String(), Channel: ch, Qubits: o.Qubits[j : j+1 : j+1], Pos: o.Pos})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
