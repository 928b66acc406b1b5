package facade

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/sokr-rs/sokr/pkg/defaults"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// NewRuntime makes a runtime over the built-in substrates named in
// substrates, a JSON array of names ([] keeps none of them: a runtime for
// Python substrates only; "" or null keeps them all), choosing with policy
// ("first", "cheapest", "round_robin"), with a memory budget: memory is the
// user's setting ("4GiB", a number of bytes, see ParseMemory), or "" for
// SOKR_MEMORY or the machine's (see defaults.New). It returns its handle.
func NewRuntime(substrates, policy, memory string) (int64, error) {
	var names []string
	if substrates != "" {
		if err := json.Unmarshal([]byte(substrates), &names); err != nil {
			return 0, fail(&sokr.RegistrationError{Name: substrates, Msg: "substrates must be a JSON array of names: " + err.Error()})
		}
	}
	return newRuntime(names, policy, memory)
}

// newRuntime makes a runtime keeping the built-in substrates named (all of
// them when names is nil, none when it is empty).
func newRuntime(names []string, policy, memory string) (int64, error) {
	p, err := policyNamed(policy)
	if err != nil {
		return 0, fail(err)
	}
	rt, err := defaults.NewWithMemory(memory, memorySource, sokr.WithPolicy(p))
	if err != nil {
		return 0, fail(err)
	}
	if names != nil {
		keep := map[string]bool{}
		for _, name := range names {
			name = strings.TrimSpace(name)
			if _, ok := rt.Substrate(name); !ok {
				return 0, fail(&sokr.RegistrationError{Name: name, Msg: "no built-in substrate of this name (have: " + substrateNames(rt) + ")"})
			}
			keep[name] = true
		}
		for _, s := range rt.Substrates() {
			if !keep[s.Name()] {
				rt.UnregisterSubstrate(s.Name())
				if c, ok := s.(sokr.Closer); ok {
					_ = c.Close() // e.g. a Vulkan device: the runtime no longer closes it
				}
			}
		}
	}
	return runtimes.put(rt), nil
}

// CloseRuntime shuts a runtime down, cancelling what is still in flight
// after timeout seconds. The default runtime (0) is not closed.
func CloseRuntime(rt int64, timeout float64) error {
	if rt == 0 {
		return nil
	}
	r, ok := runtimes.get(rt)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), seconds(timeout))
	defer cancel()
	err := r.Close(ctx)
	runtimes.drop(rt)
	if err != nil {
		return fail(err)
	}
	return nil
}

func policyNamed(name string) (sokr.Policy, error) {
	switch name {
	case "", "auto":
		return sokr.Auto(), nil
	case "first":
		return sokr.FirstCapable(), nil
	case "cheapest":
		return sokr.Cheapest(), nil
	case "round_robin":
		return sokr.RoundRobin(), nil
	}
	return nil, &sokr.RegistrationError{Name: name, Msg: `unknown policy; use "auto", "first", "cheapest", "round_robin", a substrate name or a Python function`}
}

func substrateNames(rt *sokr.Runtime) string {
	var n []string
	for _, s := range rt.Substrates() {
		n = append(n, s.Name())
	}
	return strings.Join(n, ", ")
}

type substrateInfo struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Properties map[string]string `json:"properties"`
}

type info struct {
	Version    string            `json:"version"`
	Substrates []substrateInfo   `json:"substrates"`
	IRs        []string          `json:"irs"`
	Failures   map[string]string `json:"failures"`
}

// Info describes a runtime's substrates, IRs and failed plugins as JSON.
func Info(rt int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	in := info{Version: version, Failures: map[string]string{}, Substrates: []substrateInfo{}, IRs: []string{}}
	for _, s := range r.Substrates() {
		in.Substrates = append(in.Substrates, substrateInfo{Name: s.Name(), Kind: string(s.Kind()), Properties: s.Describe()})
	}
	for _, ir := range r.IRs() {
		in.IRs = append(in.IRs, ir.Format())
	}
	for name, err := range r.Failures() {
		in.Failures[name] = err.Error()
	}
	b, _ := json.Marshal(in)
	return string(b), nil
}

// ValidationMessages returns, as JSON {substrate: [message, ...]}, what the
// Vulkan validation layer reported to the runtime's vulkan substrates since
// the last call (it is on when $SOKR_VULKAN_VALIDATION=1), and clears it.
func ValidationMessages(rt int64) (string, error) {
	r, err := runtimeFor(rt)
	if err != nil {
		return "", fail(err)
	}
	out := map[string][]string{}
	for _, s := range r.Substrates() {
		if v, ok := s.(sokr.Diagnoser); ok {
			if msgs := v.ValidationMessages(); len(msgs) > 0 {
				out[s.Name()] = msgs
			}
		}
	}
	b, _ := json.Marshal(out)
	return string(b), nil
}
