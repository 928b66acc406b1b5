// Package photonic is SOKR's IR for linear-optics programs, format
// "sokr.photonic/1": photons in a Fock state enter a number of modes, pass
// beam splitters, phase shifters, arbitrary unitaries and loss channels,
// and are counted by photon-number-resolving or threshold detectors.
//
// # Overview
//
// A Program holds the number of modes, the input state (a FockState), the
// components (Ops) in the order light meets them, and one Detector per
// mode. Programs come from text (Parse, or the IR plugin NewIR for a
// sokr.Registry) or from Go (NewBuilder); both verify the program, and a
// verified Program is immutable and safe for concurrent use. Substrates
// such as pkg/substrate/photonic type-assert a sokr.Program to *Program to
// run it; Transfer gives its transfer matrix.
//
// The results of photonic substrates are typed here, so that every
// photonic substrate returns the same: Counts (sampled output states) and
// Probabilities (exact ones), both keyed by FockState.String, "|1,0,1>".
//
// # Conventions
//
// Matrices are written [out][in]: a photon entering mode j of a component
// (or of the whole circuit) leaves in mode i with amplitude U[i][j], so a
// creation operator transforms as a†_j → Σ_i U[i][j] a†_i, and the
// circuit's transfer matrix is the product of its components' matrices,
// the first component rightmost. These are Perceval's conventions, and the
// components are Perceval's (perceval/components/unitary_components.py):
//
//   - bs is BS(theta, phi_tl, phi_bl, phi_tr, phi_br) in the Rx
//     convention, on modes (top, bottom), with the matrix below;
//   - ps is PS(phi): e^{iφ} on one mode;
//   - unitary is Unitary(U) on the modes listed, in the order of U's rows
//     and columns.
//
// The beam splitter's matrix, tl and bl being its top and bottom inputs,
// tr and br its outputs, is
//
//	[ cos(θ/2)·e^{i(φtl+φtr)}    i·sin(θ/2)·e^{i(φtr+φbl)} ]
//	[ i·sin(θ/2)·e^{i(φtl+φbr)}  cos(θ/2)·e^{i(φbl+φbr)}   ]
//
// θ defaults to π/2 and the phases to 0, as in Perceval's BS(): the
// balanced beam splitter (1/√2)·[[1, i], [i, 1]].
//
// A loss channel of transmissivity η keeps each photon of its modes with
// probability η, independently, and loses it otherwise: it is a beam
// splitter of reflectivity η onto a fresh vacuum mode that is never
// measured, so on amplitudes it multiplies its modes by √η. Lost photons
// are missing from the outcome: a lossy program's output states have fewer
// photons than its input.
//
// A threshold detector reports 1 when one or more photons reach its mode,
// 0 otherwise; a PNR detector reports the number.
//
// # Text format
//
// A program reads like this:
//
//	sokr.photonic/1
//	modes 4
//	input |1,1,0,0>              # one photon in each of modes 0 and 1
//	bs 0, 1                      # Perceval's BS(): balanced
//	bs 2, 3, theta=pi/3, phi_tl=0.5
//	ps 1, phi=0.25
//	unitary 1, 2 = [[0.6, 0.8i],
//	  [0.8i, 0.6]]
//	loss eta=0.9                 # every mode keeps 90% of its photons
//	loss 3, eta=0.5              # mode 3 loses half
//	detect threshold 2, 3        # click detectors on modes 2 and 3
//
// The first line that is neither blank nor a comment is the header
// "sokr.photonic/1". Each later line holds one statement:
//
//	modes N                        the number of modes (first, once)
//	input |n0,n1,...>              the input state, one occupation per mode (once, before the components)
//	bs A, B[, KEY=ANGLE]...        a beam splitter on modes A (top) and B (bottom); keys theta, phi_tl, phi_bl, phi_tr, phi_br
//	ps A, phi=ANGLE                a phase shifter
//	unitary A, B, ... = MATRIX     a k×k unitary on k modes: [[u00, u01], [u10, u11]]
//	loss [A, B, ...,] eta=NUMBER   a loss channel on the modes listed, or on every mode
//	detect pnr|threshold [A, ...]  the detectors of the modes listed, or of every mode
//
// Modes are numbered from 0. An angle is a decimal number or a multiple of
// pi written [-][X*]pi[/Y] ("pi/2", "-3*pi/4"). Matrix entries are complex
// numbers in Go's syntax ("0.6", "0.8i", "0.5-0.5i", "1e-3+2i"); a line
// ending inside brackets continues on the next. A unitary must be unitary
// within UnitaryTolerance. Each mode is named by at most one detect
// statement; modes no detect statement names have PNR detectors.
//
// Spaces and tabs between tokens, blank lines and comments ("#" to the end
// of the line) are ignored.
//
// Print (and String) writes the canonical form: the statements above in
// that order, with single spaces, default parameters (θ = π/2, zero
// phases, PNR detectors) left out, a loss on every mode written without
// modes, each unitary row after the first on a line of its own, and
// numbers in the shortest form that reads back exactly. Printing is a
// fixpoint: parsing printed text and printing again gives the same text.
//
// # Errors
//
// Every error from Parse, Verify and Builder.Build is a *sokr.ProgramError
// (matching sokr.ErrInvalidProgram). Parse errors carry the 1-based line
// and column (counted in bytes) of the offending token:
//
//	sokr: invalid program (sokr.photonic/1) at 4:7: mode 2 is out of range: the program has modes 0 to 1
//
// Verification errors carry the position of the component's statement;
// for a program built in Go the message names the component by index.
//
// # Requirements
//
// A Program states the features it uses ("photonic:bs", "photonic:ps",
// "photonic:unitary", "photonic:loss", "photonic:pnr",
// "photonic:threshold") and the quantities modes, photons, components,
// fock_states (C(m+n−1, n), the size of a lossless output distribution)
// and memory_bytes (its transfer matrix), so that a substrate can refuse
// what it cannot run with a reason.
package photonic
