package blas_test

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
)

// Multiply a 2×3 by a 3×2 matrix, both row-major, with the system BLAS when
// there is one and with a plain loop otherwise.
func ExampleLib_Sgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}    // 2×3
	b := []float32{7, 8, 9, 10, 11, 12} // 3×2
	c := make([]float32, 4)             // 2×2

	if lib, err := blas.Load(); err == nil {
		// C = 1·A·B + 0·C; leading dimensions are the row lengths.
		if err := lib.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2); err != nil {
			fmt.Println(err)
			return
		}
	} else {
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				for p := 0; p < 3; p++ {
					c[i*2+j] += a[i*3+p] * b[p*2+j]
				}
			}
		}
	}
	fmt.Println(c)
	// Output: [58 64 139 154]
}
