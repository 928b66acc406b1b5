//go:build cgo

package cplugin

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Memory. A plugin's offer estimates the plugin's own memory; the host adds
// what it allocates for a run: the copy of every output into Go memory
// (results must outlive the plugin's buffers), the job's C block (tensor
// descriptors, shapes, parameters, small inputs) and its bookkeeping. The
// outputs the plugin hands over are its own memory, counted by its
// estimate, so the plugin's estimate bounds the host's copies too. A plugin
// that estimates nothing (0, unknown) keeps its offer's 0: the host cannot
// size the copies of outputs it knows nothing about.

// callOverhead bounds what the host allocates for a job whatever its size:
// the call, its C block's fixed part, the result and its output records
// for a few outputs, the completion's crossing into Go
// (TestEstimateCoversTheRun measures about 2 KiB).
const callOverhead = 16 << 10

// hostEstimate is the offer's memory estimate for a plugin that estimates
// plugin bytes of its own: those, the host's copies of the outputs (at
// most the plugin's bytes) and the host's bookkeeping.
func hostEstimate(plugin int64) int64 {
	if plugin <= 0 {
		return 0
	}
	return footprint.Add(plugin, plugin, callOverhead)
}

// AllocatedOutsideHeap returns the bytes of the C blocks the host has
// allocated for jobs since the plugin was loaded, never decreasing
// (sokrtest.CheckEstimate adds them to the Go heap's growth). What the
// plugin allocates itself is its own, not counted here.
func (s *Substrate) AllocatedOutsideHeap() int64 { return s.outside.Load() }

// EstimateRun adds to the offer's estimate what the host allocates for
// these inputs and options: the job's C block (the parameters' text, in Go
// and in C, and inputs small enough to be copied).
func (s *Substrate) EstimateRun(p sokr.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	pr := s.program(p)
	if pr.owned {
		pr.release()
	}
	if !pr.offer.OK {
		return sokr.Estimate{}, &sokr.NoCapableError{Format: p.Format(), Offers: []sokr.Offer{pr.offer}}
	}
	est := pr.offer.Estimate
	if est.MemoryBytes == 0 {
		return est, nil
	}
	block := int64(unsafe.Sizeof(C.sokr_plugin_job_v1{})) +
		int64(len(inputs))*int64(unsafe.Sizeof(C.sokr_tensor{})) +
		int64(len(opts.Params))*int64(unsafe.Sizeof(C.sokr_property{}))
	in := int64(0)
	for _, t := range inputs {
		block += 8 * int64(len(t.Shape))
		in += int64(len(t.Data))
	}
	if in <= copyLimit {
		block += in
	}
	var text int64
	for k, v := range opts.Params {
		text += int64(len(k) + len(fmt.Sprint(v)))
	}
	// The parameters' text: fmt.Sprint takes several times the text it
	// returns (its buffer's doublings, and an interface boxed per element
	// of a slice: for a []float32 of 2^20, 16.9 MB for 2.1 MB of text, 8
	// times; 29.5 MB, 14 times, under the race detector), then the text's
	// C copy; a few KiB per value whatever its length (a map's sorted
	// keys), and the sorted keys and pairs.
	n := int64(len(opts.Params))
	est.MemoryBytes = footprint.Add(est.MemoryBytes, block, footprint.Mul(16, text), footprint.Mul(n, 8<<10), footprint.Object(48*n))
	return est, nil
}
