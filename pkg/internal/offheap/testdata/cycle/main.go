// Command cycle maps, touches and unmaps 1 GiB eight times, for
// TestUnmapReturnsTheAddressSpace, which runs it under `ulimit -v 3000000`:
// each Unmap must give the range back or a later Map is refused. It is
// built apart from the test binary, whose race detector reserves more
// address space than any limit allows.
package main

import (
	"fmt"
	"os"

	"github.com/sokr-rs/sokr/pkg/internal/offheap"
)

func main() {
	for i := range 8 {
		b, err := offheap.Map(1 << 30)
		if err != nil {
			fmt.Printf("map %d: %v\n", i, err)
			os.Exit(1)
		}
		b[0], b[len(b)-1] = 1, 1
		offheap.Unmap(b)
	}
	fmt.Println("OK")
}
