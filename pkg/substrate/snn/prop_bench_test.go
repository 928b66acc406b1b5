package snn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
)

// BenchmarkPropagation compares event-driven and dense (BLAS) synaptic
// propagation for Linear(4096, 4096) over 1024 rows (64 steps of batch
// 16) at several input densities, one worker: it sets eventMaxDensity.
func BenchmarkPropagation(b *testing.B) {
	const rows, n = 1024, 4096
	lib, _ := blas.Load()
	rng := rand.New(rand.NewPCG(1, 1))
	w := make([]float64, n*n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	uc := &unitCode[float32]{w: convert[float32](w), wp: packWeight[float32](w, n, n)}
	y := make([]float32, rows*n)
	for _, density := range []float64{0.01, 0.1, 0.2, 0.3, 0.5, 1} {
		x := make([]float32, rows*n)
		for i := range x {
			if rng.Float64() < density {
				x[i] = 1
			}
		}
		b.Run(fmt.Sprintf("density=%g/event", density), func(b *testing.B) {
			var sc spmmScratch[float32]
			for b.Loop() {
				spmm(rows, n, n, x, uc.wp, nil, y, &sc)
			}
		})
		b.Run(fmt.Sprintf("density=%g/dense", density), func(b *testing.B) {
			var ws kernels.Workspace
			for b.Loop() {
				if err := gemm(lib, &ws, 1, rows, n, n, x, uc, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
