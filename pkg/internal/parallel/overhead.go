package parallel

// Overhead bounds the Go heap that one Run or For over workers
// goroutines allocates besides the work itself: the closures, the wait
// group, and a goroutine descriptor per extra goroutine when the runtime
// has none free to reuse (a g is about 450 bytes in go1.26; measured by
// TestOverhead, -race included). Memory estimates add it per parallel
// loop.
func Overhead(workers int) int64 { return 512 + 1024*int64(max(workers, 1)) }
