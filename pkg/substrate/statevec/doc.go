// Package statevec is SOKR's state-vector quantum simulator, a substrate of
// kind qpu that runs circuit programs (sokr.circuit/1, built by
// pkg/ir/qasm from OpenQASM 2 and 3 or by hand).
//
// # Overview
//
//	rt := sokr.New()
//	rt.RegisterSubstrate(statevec.New(statevec.Config{}))
//	res, err := rt.Run(ctx, prog, nil, sokr.Seed(7), sokr.Param("shots", 1000))
//	counts := res.Outputs[0].Value.(map[string]int64) // {"00": 503, "11": 497}
//
// The state of n qubits is 2^n amplitudes held in one buffer and updated in
// place, amplitude i belonging to the basis state whose qubit q is
// (i>>q)&1 (the bit order of package circuit). Runs are independent; any
// number may be in flight at once.
//
// A run compiles the program for its parameter values with the planner
// it shares with the vulkan substrate (pkg/internal/qsim, which also reads
// the options and samples): gates are fused
// into passes over the state, and the program is split into a static
// prefix, simulated once, and a dynamic remainder. A program that is a
// unitary circuit followed by measurements (they may be interleaved with
// gates on other qubits) is simulated once and its shots drawn from the
// final probabilities: Meta "method" is "sampled". Mid-circuit
// measurement, reset, classical if and while, and noise make each shot a
// trajectory of its own ("trajectories"): the prefix up to the first such
// op is simulated once, and each shot continues from a copy of it. A
// measurement collapses the state and renormalises it; a reset is a
// measurement followed by X on |1> (a reset of a qubit nothing has touched
// yet is dropped); a while loop that runs 100000 iterations in one shot
// fails the job with a *sokr.FaultError rather than hang. A global phase
// multiplies the state.
//
// Unless the density matrix is chosen (see Density matrix), noise
// channels are applied by quantum trajectories: a mixed-unitary
// channel (depolarizing, bit flip, phase flip) applies one of its Paulis,
// chosen with its probability; a general channel (amplitude and phase
// damping, Kraus operators on up to 4 qubits) applies Kraus operator K_i
// with probability ||K_i psi||^2, computed from the reduced density matrix
// of its qubits in one pass, and renormalises. Sampled statistics converge
// to those of the density matrix as the shots grow.
//
// # Density matrix
//
// Noise can instead be simulated exactly, on the density matrix rho
// (option "method": "density_matrix"), held as a state of 2n qubits whose
// amplitude a | b<<n is rho[a][b]: 4^n entries, 4 GiB for 14 qubits in
// complex128. A gate U becomes U rho U† (U on the qubits, conj(U) on their
// copies n higher), a channel with Kraus operators K_i becomes
// sum_i K_i rho K_i† (the superoperator sum_i K_i ⊗ conj(K_i), a pass on
// twice its qubits), a reset the channel {|0><0|, |0><1|}; all are fused
// like gates. rho is computed once: sample draws its shots from diag(rho),
// and observe gives Tr(rho P) for each Pauli term P in one pass over 2^n
// elements of rho (P|j> = c(j)|j xor x>, so Tr(rho P) = sum_j c(j)
// rho[j][j xor x]), exact with noise and with no matrix of the observable.
// An unrecorded measurement (observe) is exact too: it dephases the qubit.
//
// A density matrix does not keep a shot's outcomes, so this mode refuses
// (an InputError naming the op) circuits that branch on measured bits (if,
// while) and, in sample mode, circuits that act on a qubit after measuring
// it; it also refuses channels on more than 2 qubits, state mode, and
// observe with "shots". Trajectories run all of these.
//
// The method is chosen by the rule: "auto" (the default) takes the density
// matrix for a circuit with a noise channel and at most 14 qubits (the
// limit of CUDA-Q's density-matrix-cpu target) that this mode can run,
// unless observe was given "shots" or the density matrix does not fit in
// the memory budget; every other circuit runs as before, sampled or by
// trajectories. "statevector" and "trajectories" (synonyms) never take the
// density matrix; "density_matrix" always does, or fails saying why.
//
// # Options
//
// Dispatch options (sokr.Param; numbers may be Go integers or the float64
// values JSON gives):
//
//   - "mode": "sample" (default), "observe" or "state".
//   - "shots": samples to draw, an integer >= 1 (default 1000).
//   - "precision": "complex128" (default) or "complex64", whose arithmetic
//     is done in float32 and whose state takes half the memory.
//   - "observable" (observe mode): a list of terms, each a PauliTerm or a
//     map {"coef": [re, im], "paulis": "XZIY"} whose string has one
//     letter per qubit, character k acting on qubit k (index 0 is qubit
//     0; note that this is the reverse of the bitstring order of counts).
//   - "fusion": the largest number of qubits fused into one pass, 0 to 5;
//     0 or 1 applies each gate as it comes. The default is 5 from 10
//     qubits up, 0 below.
//   - "trajectories": trajectories averaged by observe on a noisy or
//     dynamic circuit (default 1000).
//   - "method": "auto" (default), "density_matrix", "statevector" or
//     "trajectories"; see Density matrix.
//
// The seed (sokr.Seed) makes every random choice reproducible: the same
// seed gives the same counts, on any number of workers. Without one, each
// run draws a fresh seed. An unknown option or a bad value is a
// *sokr.InputError naming the option, as is an input that is not one
// scalar f64 or f32 per runtime parameter of the program (Program.Params).
//
// # Outputs
//
// sample: one output "counts" whose Value is a map[string]int64 from
// bitstrings to counts. A key has one character per classical bit of the
// program, classical bit 0 the rightmost (OpenQASM and Qiskit order). A
// program that measures nothing measures every qubit, qubit i into bit i.
//
// observe: one output "expectations", an f64 tensor with the real
// expectation <psi|P|psi> of each Pauli term in the given order, without
// its coefficient (the caller multiplies). Terminal measurements are
// dropped first. The values are exact: the diagonal terms (only I and Z)
// are evaluated together in one pass over the probabilities; the others are
// grouped into qubit-wise commuting sets, and each set's basis rotation (H
// for X, H·S† for Y) is applied once to a copy of the state, after which
// all its terms are evaluated in one pass. No matrix of the observable is
// ever formed. With "shots", each group is instead estimated from shots
// samples of its rotated state. With the density matrix (chosen by
// default for noisy circuits of up to 14 qubits) the values are exact
// too. On other noisy or dynamic circuits the result is the average over
// "trajectories" trajectories of their exact values (or, with "shots", of
// one sample per group per trajectory, shots trajectories).
//
// state: one output "state", the final state vector as a c128[2^n] tensor
// (c64 with precision complex64). Terminal measurements are ignored; a
// circuit that measures mid-way, resets, branches, loops or has noise is
// refused with a *sokr.InputError, since get_state needs a unitary circuit.
//
// Result.Meta records "mode", "method" ("sampled", "trajectories",
// "exact" or "density_matrix"), "precision", "shots", "gates" (gate ops compiled),
// "fused_gates" (the passes they became), "sweeps" (the passes over the
// whole state: a cache-blocked stage is one), "fusion", "kernels" (the
// instruction set of the kernels), "seed" when given, "registers" for
// sample (a JSON list of {"name", "start", "size"}: the classical
// registers, or {"name": "m", "start": 0, "size": n} when nothing is
// measured), and "groups", "terms" and "trajectories" for observe.
//
// # Capability
//
// Capability refuses programs of other formats, programs with an
// Unsupported construct (naming it and its line:col), noise channels it
// cannot apply, and circuits whose state does not fit in the memory budget
// (Config.MemoryBudget; the runtime's in the default runtime, the
// machine's otherwise: see defaults.New), saying how many qubits fit:
//
//	needs 34 qubits (256 GiB as complex128, 128 GiB as complex64); this
//	substrate holds at most 30 qubits in 24 GiB (31 as complex64)
//
// A circuit that fits only as complex64 is accepted; a complex128 run of it
// fails with an InputError that suggests complex64. Per-shot simulation
// keeps two copies of the state (one per worker on small states), observe
// with X or Y terms a copy too.
//
// A run's memory is worked out before anything is allocated: the state
// vectors, the compiled passes (a fused pass on five qubits holds several
// 1024-element matrices), sampling (a uniform per shot, the counts map),
// per-shot keys, expectations and scratch. Capability's Estimate is that
// of a run with the default options; EstimateRun gives a dispatch's own,
// shots and observable included, and Dispatch refuses a run over the
// budget with an InputError that lists the parts.
//
// # Performance
//
// Gate fusion (pkg/internal/qsim): consecutive gates are grouped greedily, in dependency order,
// into blocks of up to "fusion" qubits (controls count as qubits of the
// block), and each block is multiplied into one dense matrix and applied in
// one pass. A block or gate whose matrix is diagonal, or a permutation
// with phases (X, CX, Toffoli, Swap), takes a kernel that touches only
// the amplitudes that change, with no multiply-adds for the rest.
//
// Cache blocking: on states of at least four 512 KiB chunks (Config.
// BlockBytes), the gates are instead grouped, greedily in the same way, into
// stages that act on at most 16 qubits (complex64; 15 for complex128)
// counting controls. A stage splits the state into chunks of 512 KiB, one
// per value of the qubits it leaves alone; each chunk is gathered into a
// buffer that stays in the core's L2 cache, all of the stage's gates are
// applied to it there (fused into blocks of up to 3 qubits, which cost
// fewer multiply-adds than 5-qubit ones once memory is not the limit), and
// it is written back. A random circuit of 24 qubits and depth 20 then
// makes 6 passes over memory instead of 41. The lowest 3 qubits of a chunk
// (2 for complex128) are ones the stage's gates leave alone, so that every
// pass in it works on 64-byte vectors of amplitudes that it treats alike,
// qsim's layout: two fused multiply-adds per matrix element and vector,
// every lane busy, whatever the targets. Unblocked passes whose qubits
// are all above those take the same kernels.
//
// Passes split their index space over the workers (GOMAXPROCS by default),
// in pieces taken as workers free up; states under 2^14 amplitudes run on
// one goroutine, and their trajectories run in parallel instead, one per
// worker. Sampling sums the probabilities of fixed chunks in parallel, then
// walks sorted uniforms along the cumulative distribution, skipping chunks
// no uniform falls in: O(2^n + shots log shots); states of up to 2^12
// amplitudes binary-search their cumulative distribution instead,
// O(2^n + shots n). Results do not depend on the number of workers.
//
// With cgo (the default) the kernels are C compiled three times (x86-64
// baseline, AVX2 with FMA, AVX-512) and the best copy for the CPU runs;
// the dense kernel keeps the fused matrix in L1, is vectorized over its
// rows (GCC vector extensions), serves two bases per load of a matrix
// column, and prefetches the up to 32 streams a pass on high qubits reads. Without cgo the same passes run as Go loops. docs/benchmarks.md
// ("statevec") has the measured numbers against Qiskit Aer and qsimcirq.
package statevec
