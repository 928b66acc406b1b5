//go:build race

package qasm_test

// raceEnabled reports a -race build, where the largest files are skipped:
// parsing is single-threaded, and the race detector slows it tenfold.
const raceEnabled = true
