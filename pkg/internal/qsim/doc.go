// Package qsim is the device-neutral circuit planner shared by the
// statevec substrate (CPU) and the vulkan substrate's circuit runner (GPU):
// one plan, one fusion, one option reader, one sampler, so that both
// simulate the same passes and draw the same counts from the same seed.
//
// It evaluates a circuit.Program's gates for the runtime parameters, fuses
// them into passes of at most MaxTargets qubits (Passes, Fuse), each a
// dense, diagonal or permutation matrix with its index layout (Pass), and
// splits the program into a prefix simulated once and per-shot steps
// (Compile). A substrate turns passes into its own kernel descriptors:
// Compile is generic in the pass type.
//
//	pl, err := qsim.Compile(prog, params, false, func(gs []qsim.Gate) []*qsim.Pass {
//		return qsim.Passes(gs, qsim.DefaultFusion)
//	})
//	if err != nil {
//		return err
//	}
//	for _, p := range pl.Prefix {
//		for b := range 1 << (prog.Qubits - len(p.Pos)) {
//			base := p.Index(b) // row r of this base is amplitude base+p.Off[r]
//			_ = base
//		}
//	}
//	if pl.Static {
//		idx, count := qsim.SampleProbs(probs, shots, rng) // probs: |amplitude|^2
//		counts := qsim.Counts(idx, count, pl.Measures, prog.Clbits)
//		_ = counts
//	}
package qsim
