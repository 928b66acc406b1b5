// Package qasm reads OpenQASM 2.0 and OpenQASM 3 programs into circuits
// (package circuit): gates inlined, loops unrolled, registers broadcast.
//
// # Overview
//
// Parse detects the version from the header (OPENQASM 2.0; or OPENQASM
// 3; / 3.0;; a program without one is OpenQASM 3, as that specification
// says) and returns a validated *circuit.Program whose Source is
// "openqasm/2" or "openqasm/3". NewIR2 and NewIR3 are the sokr.IR plugins
// of the two formats; both are also sokr.Detectors.
//
// Lowering happens in two steps: a recursive-descent parser builds a
// syntax tree of the whole program, then the lowering walks it with every
// classical value that is known before the run computed on the spot:
// constants, loop variables, integer variables assigned outside branches
// on measurements. What is left for the run time is quantum operations,
// runtime parameters (OpenQASM 3 inputs) and conditions on measured bits.
//
// The standard libraries are built in: include "qelib1.inc" (OpenQASM 2)
// and include "stdgates.inc" (OpenQASM 3); no file is ever read. Library
// gates map straight to the circuit gate table with controls (cx is X with
// one control, ccx X with two, cu1 and cp P with one, cu3 U3 with one,
// c3x and c4x X with three and four, ...), keeping the source name in
// Op.Name for noise rules; the rest (rccx, rc3x, c3sqrtx) are inlined
// from their definitions. stdgates.inc's maps equal its definitions
// exactly, global phase included (u2 and u3 carry the gphase that
// stdgates.inc gives them; cu(θ, φ, λ, γ) is a phase γ on its control and
// a controlled U3). qelib1.inc's equal its definitions up to a global
// phase: OpenQASM 2's U is read as U3, whose phase differs from the
// paper's Rz(φ) Ry(θ) Rz(λ) by e^{i(φ+λ)/2}; no OpenQASM 2 program can
// observe a gate's global phase.
//
// # Supported subset
//
// OpenQASM 2.0 in full: qreg, creg, gate, opaque (declaring one is fine;
// applying it is an unsupported feature), U, CX, barrier, reset, measure,
// if(creg == n), broadcasting over registers, and expressions with pi,
// sin, cos, tan, exp, ln, sqrt and ^.
//
// OpenQASM 3:
//   - qubit, qubit[n], bit, bit[n], the old qreg and creg, physical
//     qubits $n (a register "$" sized by the highest one used);
//   - input float / input angle as runtime parameters (Program.Params, in
//     declaration order); const, int, uint, float, angle and bool
//     variables whose values are known before the run;
//   - gate definitions; the modifiers ctrl @, ctrl(n) @, negctrl @,
//     inv @ and pow(k) @ (an integer k repeats the gate, a negative one
//     inverts it; a real k is exact, on the principal branch, for gates
//     that act on one qubit besides common controls and have constant
//     parameters); gphase, also controlled;
//   - measure q -> c, c = measure q, c[0] = measure q[0], reset, barrier;
//     measure q; without a target writes a one-bit register "_discarded";
//   - if/else and while on measured bits (c == 3, c[0], !c[0], c != 0,
//     int[4](c) < n, c[0] == 1 && c[1] == 0) become circuit conditions;
//     conditions known before the run pick their branch;
//   - for loops over [a:b], [a:step:b] (inclusive ends) and {1, 3, 5},
//     unrolled, with break and continue;
//   - constant expressions with pi/π, tau/τ, euler/ℯ, + - * / % **,
//     bitwise and logical operators, sin, cos, tan, arcsin, arccos,
//     arctan, exp, ln, log, sqrt, ceiling, floor, mod, pow, popcount and
//     casts; indexing with q[i], q[-1], q[a:b], q[{0, 2}]; let aliases
//     and ++;
//   - subroutines (def) with qubit, bit and classical arguments, inlined
//     at each call; one may return a measurement or a local bit register;
//   - comments, #pragma and annotations (@...), which are ignored.
//
// Two choices go beyond the specification's letter: a division of two
// integers gives an integer when it is exact and a real otherwise (so 1/2
// is 0.5 in an angle), and an OpenQASM 3 program may include qelib1.inc.
//
// Constructs that parse but have no circuit meaning are listed in
// Program.Unsupported, with their position, so that a substrate refuses
// the program naming the first: defcal, cal, defcalgrammar, delay, box,
// durations and stretch, extern functions, arrays, complex numbers,
// switch, end, opaque gates, outputs other than bits, classical
// variables changed by measurements at run time, non-integer powers of
// multi-qubit gates, and recursive subroutines. Once a loop body
// records one, the loop stops unrolling: the program is refused anyway.
//
// # Errors
//
// Everything else that is wrong is an error: a *sokr.ProgramError
// (matching sokr.ErrInvalidProgram) with Format "openqasm/2" or
// "openqasm/3" and the 1-based line and column, counted in characters, of
// the fault:
//
//	sokr: invalid program (openqasm/3) at 4:1: unknown gate "hh" (did you mean "h"?)
//
// Syntax errors, unknown gates and identifiers (with a suggestion when one
// is near), wrong numbers of parameters or qubits, indices out of range,
// a qubit used twice in one gate, type errors and violated limits are all
// errors. Limits keep hostile input cheap: at most circuit.MaxQubits
// qubits, circuit.MaxClbits bits, and circuit.MaxOps operations after
// unrolling that take at most 512 MiB while they are built (about a
// million gates); let aliases holding at most circuit.MaxOps qubits and
// bits in all; nesting at most 200 levels deep; and 2^23 steps of
// unrolling (statements run and loop iterations, empty ones included).
// A gate call's operations are counted before it is unrolled, so gates
// that double at every level of nesting fail at the call, at once.
//
// # Cancellation
//
// The IR plugins' Parse looks at its context every 1024 statements,
// steps and operations: a cancelled or expired one ends the parse with an
// error matching sokr.ErrCancelled or sokr.ErrDeadlineExceeded.
package qasm
