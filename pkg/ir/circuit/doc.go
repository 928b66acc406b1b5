// Package circuit is SOKR's gate-level quantum circuit IR, format
// "sokr.circuit/1": qubits, classical bits in registers, gates with
// parameters and (negative) controls, measurement, reset, barriers,
// classical conditions and loops, global phase and noise channels.
//
// # Overview
//
// A Program is a list of Ops over Qubits qubits and Clbits classical bits.
// Front-ends (pkg/ir/qasm) build Programs; substrates (statevec) run them.
// A Program is immutable once built and safe for concurrent use; WithNoise
// returns a new Program.
//
// Gates come from a fixed table (Gate): the usual one- and two-qubit gates
// and a zero-qubit global phase. Any gate may carry controls: the CNOT is
// X with one control, the Toffoli X with two, a controlled global phase is
// a phase on its controls. User-defined gates are inlined by the front-end.
//
// Gate parameters are Exprs, so one program can be run many times with
// different runtime parameters (OpenQASM 3 "input float theta;"): Params
// names them in input order, and Expr.Eval takes their values.
//
// # Bit order
//
// Qubit 0 is the least significant bit of a state-vector index: amplitude
// i belongs to the basis state whose qubit q is (i>>q)&1. The same holds
// for gate matrices: for a gate on targets (t0, t1), row and column index
// bit k is the state of t_k. Classical bit 0 is the least significant bit of
// a register value and the rightmost character of a bitstring (OpenQASM
// and Qiskit order).
//
// # Errors
//
// Validate and WithNoise return *sokr.ProgramError values that name the op
// (its source line:col when the front-end recorded one) and what is wrong.
//
// # Limits
//
// MaxQubits, MaxClbits, MaxOps and MaxOpBytes keep a hostile or careless
// program from exhausting memory. Validate checks the first three;
// WithNoise counts the channels its rules would add against MaxOps and
// MaxOpBytes before it builds any; front-ends count what they unroll.
package circuit
