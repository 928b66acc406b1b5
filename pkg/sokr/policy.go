package sokr

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Policy chooses which substrate runs a program, among the offers of the
// substrates that said yes (never empty, sorted by substrate name). It
// returns the index of the chosen offer.
type Policy interface {
	Choose(p Program, offers []Offer) (int, error)
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(p Program, offers []Offer) (int, error)

// Choose calls f.
func (f PolicyFunc) Choose(p Program, offers []Offer) (int, error) { return f(p, offers) }

// FirstCapable chooses the first capable substrate in name order, local ones
// (any kind but KindRemote) before remote ones. Auto refines it and is
// the default.
// Remote substrates come last because a run there pays a network round trip
// and depends on a cluster that may be gone: registering a Dask cluster must
// not send every small local circuit to it ("dask" sorts before
// "statevec"). A remote substrate is chosen when pinned, when no local one
// can run the program, or by a policy that prefers it (Cheapest, by
// estimate).
func FirstCapable() Policy { return firstCapable{} }

type firstCapable struct{}

func (firstCapable) Choose(_ Program, offers []Offer) (int, error) {
	for i, o := range offers {
		if o.Kind != KindRemote {
			return i, nil
		}
	}
	return 0, nil
}

// Auto is the default policy: the first capable local substrate in name
// order, as FirstCapable, unless that substrate estimates the run at
// AutoCompare or more: then the fastest of the local substrates that give
// an estimate. A large circuit that both statevec and a Vulkan device can
// run goes where it is estimated to finish first; a small one stays on the
// CPU, where a GPU's launch latency would dominate anyway. Below
// AutoCompare, and for a program whose first capable substrate gives no
// estimate, the substrates after the first yes are not even asked, so that
// nothing is loaded for them (opening a Vulkan device takes some 150 ms).
// Remote substrates are chosen only when no local one can run the program,
// as in FirstCapable.
//
//	rt := sokr.New(sokr.WithPolicy(sokr.Auto())) // what sokr.New does anyway
func Auto() Policy { return auto{} }

// AutoCompare is the estimated run time from which Auto compares
// substrates' estimates: below it, a faster device saves less than the
// time to start one (a Vulkan instance and device took 148 ms on an H100,
// and a runtime starts a device placeholder to compare it).
const AutoCompare = 20 * time.Millisecond

type auto struct{}

func (auto) Choose(p Program, offers []Offer) (int, error) {
	first, _ := firstCapable{}.Choose(p, offers)
	if offers[first].Kind == KindRemote || offers[first].Estimate.Time < AutoCompare {
		return first, nil
	}
	best := first
	for i, o := range offers {
		if o.Kind != KindRemote && o.Estimate.Time > 0 && o.Estimate.Time < offers[best].Estimate.Time {
			best = i
		}
	}
	return best, nil
}

// Cheapest chooses the offer with the smallest estimated time, then the
// smallest memory; unknown (zero) estimates count as the most expensive.
// Ties go to the first in name order.
func Cheapest() Policy { return cheapest{} }

type cheapest struct{}

func (cheapest) Choose(_ Program, offers []Offer) (int, error) {
	best := 0
	for i := 1; i < len(offers); i++ {
		if cheaper(offers[i].Estimate, offers[best].Estimate) {
			best = i
		}
	}
	return best, nil
}

func cheaper(a, b Estimate) bool {
	at, bt := a.Time, b.Time
	if at != bt {
		return at != 0 && (bt == 0 || at < bt)
	}
	am, bm := a.MemoryBytes, b.MemoryBytes
	return am != 0 && (bm == 0 || am < bm)
}

// Pinned chooses the substrate called name and no other. When that
// substrate refused, dispatch fails with its reason.
func Pinned(name string) Policy { return pinned(name) }

type pinned string

func (p pinned) Choose(_ Program, offers []Offer) (int, error) {
	for i, o := range offers {
		if o.Substrate == string(p) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("pinned substrate %q is not among the capable ones", string(p))
}

// RoundRobin rotates over the capable substrates, one dispatch each, so that
// equal substrates share the load.
func RoundRobin() Policy { return &roundRobin{} }

type roundRobin struct{ n atomic.Uint64 }

func (r *roundRobin) Choose(_ Program, offers []Offer) (int, error) {
	return int((r.n.Add(1) - 1) % uint64(len(offers))), nil
}
