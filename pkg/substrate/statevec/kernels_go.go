//go:build !cgo

package statevec

// haveNative reports that this build has no C kernels (kernels_cgo.go).
const haveNative = false

// Instruction-set variants of the C kernels, for the tests: none here.
const (
	isaBaseline = 1
	isaAVX2     = 2
	isaV4       = 3
)

func bestISA() int { return 0 }

// isaName names the kernels in use.
func isaName() string { return "go" }

// runPass applies p to the bases [lo, hi) of a with the Go kernels.
func runPass[T amp](p *pass, a []T, lo, hi int) { runPassGo(p, a, lo, hi) }

// runLanesISA reports false: there are no C kernels in this build.
func runLanesISA[T amp](*pass, []T, int, int, int) bool { return false }

// gatherChunk copies a chunk of st from a (base: its first amplitude) into
// buf, or back with scatter.
func gatherChunk[T amp](st *stage, a, buf []T, base int, scatter bool) {
	gatherChunkGo(st, a, buf, base, scatter)
}

// runPassISA reports false: there are no C kernels in this build.
func runPassISA[T amp](*pass, []T, int, int, int) bool { return false }

// scaleC multiplies x by s in place (a Go loop in builds without cgo).
func scaleC(x []float64, s float64) {
	for i := range x {
		x[i] *= s
	}
}
