//go:build !cgo

package cpu

import "github.com/sokr-rs/sokr/pkg/sokr"

// haveNative reports that this build has no C evaluator (fused_cgo.go).
const haveNative = false

// nativeGroup is empty: without cgo, groups run on the Go evaluator.
type nativeGroup struct{}

// runGroup evaluates g over [lo, hi) with the Go evaluator.
func runGroup(g *group, vals []sokr.Tensor, out []byte, lo, hi int, sc *scratch) {
	g.run(vals, out, lo, hi, sc)
}

// runNative reports false: there is no C evaluator in this build.
func runNative(*group, []sokr.Tensor, []byte, int, int) bool { return false }

// Instruction-set variants of the C evaluator, for the tests: none here.
const (
	isaBaseline = 1
	isaAVX2     = 2
	isaV4       = 3
)

func bestISA() int { return 0 }

func runNativeISA(*group, []sokr.Tensor, []byte, int, int, int) bool { return false }
