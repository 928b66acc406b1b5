//go:build race

package statevec

// raceEnabled keeps large states out of the -race runs, where the Go loops
// run an order of magnitude slower.
const raceEnabled = true
