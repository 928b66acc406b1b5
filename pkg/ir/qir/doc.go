// Package qir reads QIR, the LLVM IR that CUDA-Q, Q# and other quantum
// compilers emit, in LLVM's text form (.ll), and lowers it to the circuit
// IR (package circuit). Its format is "qir/1".
//
// # What it reads
//
// The QIR Alliance's base profile and the forward-branching part of its
// adaptive profile (https://github.com/qir-alliance/qir-spec, specification
// v0.1, "Base Profile" and "Adaptive Profile"): one entry-point function
// (attribute "entry_point", or the only function defined) whose body calls
// __quantum__qis__* gates on static qubits and results, and
// __quantum__rt__* runtime functions. Both pointer forms are read: typed
// pointers (%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*)) and LLVM 15+
// opaque pointers (ptr null, ptr inttoptr (i64 1 to ptr)).
//
//   - Gates: h, x, y, z, s, s__adj, t, t__adj, rx, ry, rz (double angle
//     first), r1 (phase), u3, cnot/cx, cy, cz, swap, ccx, rxx, ryy, rzz;
//     and CUDA-Q's generalizedInvokeWithRotationsControlsTargets, which
//     nvq++ emits for any gate with controls (@gate__ctl, @gate__ctladj).
//   - mz (measure qubit into result), reset, mresetz (measure then reset).
//   - __quantum__rt__initialize and the output recording calls
//     (result/array/tuple/bool/int/double_record_output) are accepted;
//     result_record_output's result must exist.
//   - Adaptive: %v = call i1 __quantum__qis__read_result__body(result) or
//     __quantum__rt__read_result, optionally negated by xor i1 %v, true or
//     icmp eq/ne i1 %v, false/true; integers made of result bits (zext i1
//     to iN, shl by a constant, or/add of values whose bits do not overlap)
//     compared unsigned with a constant (icmp eq/ne/ult/ule/ugt/uge), which
//     become a circuit condition on those bits read as a register; and br
//     i1 on such a value; an i1 phi that a block only branches on (what
//     nvq++ emits for `if a and b`) is threaded into its predecessors'
//     branches. Branches
//     must go forward (to a later block): the control-flow graph is then
//     acyclic and lowers to nested circuit if/else ops, each branch joining
//     at its immediate post-dominator.
//
// # Qubits, results and classical bits
//
// Qubit pointer N is circuit qubit N; result pointer N is classical bit N
// (bit 0 the rightmost character of a sampled bitstring, as in every
// circuit). The counts come from the entry point's attributes
// (required_num_qubits / required_num_results of the spec, the older
// num_required_qubits / num_required_results, and CUDA-Q's requiredQubits /
// requiredResults), or, without them, from the highest index used. Output
// records do not reorder bits: a sample reports every result.
//
// # Errors and refusals
//
// Malformed text (an unbalanced parenthesis, an unknown label, a qubit
// beyond the declared count) is a *sokr.ProgramError with the line and
// column. Well-formed LLVM that has no circuit meaning here (integer or
// floating-point arithmetic feeding gates, loops, calls to other
// functions, dynamic qubit allocation, unknown __quantum__ functions) is
// recorded in the Program's Unsupported list with its position, so that
// every substrate refuses the program at capability time naming it.
package qir
