package kernels_test

import (
	"fmt"

	"github.com/sokr-rs/sokr/pkg/internal/kernels"
)

func ExampleMatmulF32() {
	// A is 2×3, B is 3×2, both row-major; C = A·B is 2×2.
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		7, 8,
		9, 10,
		11, 12,
	}
	c := make([]float32, 2*2)
	kernels.MatmulF32(c, a, b, 2, 3, 2)
	fmt.Println(c)
	// Output: [58 64 139 154]
}

func ExampleMatmulI32() {
	// Integer products wrap around like Go arithmetic.
	a := []int32{1 << 30, 1} // 1×2
	b := []int32{4, 5}       // 2×1
	c := make([]int32, 1)    // 1×1: 2³²+5 wraps to 5
	kernels.MatmulI32(c, a, b, 1, 2, 1)
	fmt.Println(c)
	// Output: [5]
}
