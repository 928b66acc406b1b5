// Package photonic is a linear-optics simulator (kind sokr.KindPhotonic)
// for sokr.photonic/1 programs (pkg/ir/photonic): photons in a Fock state
// through beam splitters, phase shifters, unitaries and loss, counted by
// photon-number-resolving or threshold detectors.
//
// # Overview
//
// A dispatch either samples or computes exact probabilities, by the
// option "mode":
//
//   - "sample" (the default) draws "shots" samples (default 1000) by
//     Clifford & Clifford's exact algorithm B; the output "counts" is an
//     ir.Counts, a map from output Fock states ("|1,0,1>") to counts.
//     Every random choice comes from the dispatch seed (sokr.Seed): shot i
//     uses the stream (seed, i), so a seed gives the same counts on any
//     number of workers. Without a seed a random one is drawn and
//     recorded in the result's Meta["seed"].
//   - "probabilities" returns the output "probabilities", an
//     ir.Probabilities. Without the option "outputs" it is the full
//     distribution, by a SLOS-style dynamic programme (outcomes of
//     probability exactly zero are left out); with "outputs" (a list of
//     Fock states, "|1,0,1>" or lists of occupations) it is the
//     probability of each of those outcomes, by permanents.
//
// Results carry Meta: the method, the forecast cost, the photons and
// modes, how loss was simulated, and for samples the shots and the seed.
//
// # Methods and cost
//
// The two operations have opposite costs, so the substrate picks by the
// request: a chosen outcome of n photons costs one permanent of size n,
// O(n 2^n) by Glynn's formula in Gray-code order (in parallel for
// n >= 16), whatever the number of modes; the full distribution has
// C(m+n−1, n) outcomes, and SLOS computes all their amplitudes in about
// C(m+n−1, n)·n² steps instead of as many permanents. A sample costs
// about 2n·2^n multiplications, in the order of two to four permanents of
// size n.
//
// Capability accepts a program when one permanent of its size fits the
// time limit (Config.MaxTime, default an hour) and its transfer matrix
// fits the memory budget, and estimates a default sample run. Cost
// forecasts any run as "n photons in m modes: about X permanent
// evaluations of size n", with time and memory; EstimateRun gives it to
// the runtime's tools, and Dispatch refuses a run over the limits with
// that text (a *sokr.InputError), before starting it.
//
// # Loss and detectors
//
// Loss that every photon sees alike (loss channels of one transmissivity
// η on every mode) commutes with the interferometer: a sample first
// keeps each photon with probability η, then samples the survivors
// without loss. Other loss is simulated by a dilation: the k occupied
// input modes get k virtual environment modes whose rows complete the
// transfer matrix's columns to orthonormal ones, and photons found there
// are lost. Exact probabilities use the dilation in both cases and sum
// over the environment. A threshold detector's outcome is 1 for one or
// more photons; its probability sums those of the Fock outcomes it
// stands for.
//
// # Measured
//
// On the development machine (an AMD EPYC, 2 cores shared with other
// work), one element of one Gray-code step of a permanent costs about
// 1.2 ns of CPU time (a permanent of size 24 is 0.24 s of CPU), and a
// sample of 16 photons in 64 modes about 2.5 ms; the time model's
// constants (cost.go) come from these benchmarks, measured in CPU time.
package photonic
