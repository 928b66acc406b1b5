package photonic

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
)

// FockState is a photon-number state: s[i] photons in mode i. Its text
// form is Perceval's BasicState notation, "|1,0,1>".
type FockState []int

// String returns the state in the text form "|1,0,1>" (no spaces), the
// keys of Counts and Probabilities.
func (s FockState) String() string {
	b := make([]byte, 0, 2*len(s)+2)
	return string(s.Append(b))
}

// Append appends the text form of s to b.
func (s FockState) Append(b []byte) []byte {
	b = append(b, '|')
	for i, k := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if k >= 0 && k <= 9 {
			// Most occupations: one digit, without strconv's call (half
			// the time of counting 100,000 sampled outcomes).
			b = append(b, byte('0'+k))
			continue
		}
		b = strconv.AppendInt(b, int64(k), 10)
	}
	return append(b, '>')
}

// Photons is the total number of photons.
func (s FockState) Photons() int {
	n := 0
	for _, k := range s {
		n += k
	}
	return n
}

// ParseFockState reads the text form "|1,0,1>"; spaces around the numbers
// are allowed. Occupations are non-negative decimal integers below
// MaxPhotons.
func ParseFockState(text string) (FockState, error) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "|") || !strings.HasSuffix(t, ">") || len(t) < 2 {
		return nil, fmt.Errorf("photonic: Fock state %s: want the form |n0,n1,...>, e.g. |1,0,1>", irparse.Quote(text))
	}
	body := t[1 : len(t)-1]
	if strings.TrimSpace(body) == "" {
		return nil, fmt.Errorf("photonic: Fock state %s has no modes", irparse.Quote(text))
	}
	parts := strings.Split(body, ",")
	if len(parts) > MaxModes {
		return nil, fmt.Errorf("photonic: Fock state %s has %d modes, more than %d", irparse.Quote(text), len(parts), MaxModes)
	}
	s := make(FockState, len(parts))
	for i, p := range parts {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 0 || k > MaxPhotons {
			return nil, fmt.Errorf("photonic: Fock state %s: occupation %d is %s, want an integer from 0 to %d", irparse.Quote(text), i, irparse.Quote(strings.TrimSpace(p)), MaxPhotons)
		}
		s[i] = k
	}
	return s, nil
}

// compareStates orders states by occupation of mode 0, then mode 1, ...,
// larger first: |2,0> before |1,1> before |0,2>.
func compareStates(a, b FockState) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return b[i] - a[i]
		}
	}
	return len(a) - len(b)
}

// sortedStates parses and sorts map keys; keys that are not Fock states
// (none, in maps that substrates make) are left out.
func sortedStates(keys iter.Seq[string]) []FockState {
	var out []FockState
	for k := range keys {
		if s, err := ParseFockState(k); err == nil {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, compareStates)
	return out
}

// Counts are sampled outcomes: how many samples gave each output state.
// Keys are FockState.String forms ("|1,0,1>"); a threshold detector's mode
// reads 0 or 1. It is the "counts" output of photonic substrates.
type Counts map[string]int64

// Get returns the count of state s (0 when it never occurred).
func (c Counts) Get(s FockState) int64 { return c[s.String()] }

// Shots returns the number of samples.
func (c Counts) Shots() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// States returns the states that occurred, |2,0> before |1,1> before |0,2>.
func (c Counts) States() []FockState {
	return sortedStates(maps.Keys(c))
}

// Probabilities are exact output probabilities, keyed like Counts. It is
// the "probabilities" output of photonic substrates.
type Probabilities map[string]float64

// Get returns the probability of state s (0 when it is absent).
func (p Probabilities) Get(s FockState) float64 { return p[s.String()] }

// Total returns the sum of the probabilities: 1 up to rounding for a full
// distribution.
func (p Probabilities) Total() float64 {
	var t float64
	for _, v := range p {
		t += v
	}
	return t
}

// States returns the states present, |2,0> before |1,1> before |0,2>.
func (p Probabilities) States() []FockState {
	return sortedStates(maps.Keys(p))
}
