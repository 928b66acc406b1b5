// Package nir is the Neuromorphic Intermediate Representation, format
// "nir/1": spiking neural network graphs as the nir Python package
// (neuromorphs/NIR) defines them, read from .nir files (HDF5) and from
// NIR's dict form (JSON), verified, and laid out for simulators.
//
// # Overview
//
// A Program holds a root Graph of named Nodes and Edges. Each node's
// Primitive is one of NIR's 19: Input, Output, NIRGraph (a nested *Graph),
// Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten,
// Delay, Threshold, I, IF, LI, LIF, CubaLI and CubaLIF, with the
// parameters nir gives them (float64 arrays with shapes, Array; integers
// for strides and shapes). Parameters are in SI units, as the file holds
// them.
//
// Programs come from Parse (.nir bytes, recognised by the HDF5 signature,
// or JSON of nir's NIRGraph.to_dict() with arrays as nested lists), from
// FromDict (the same dict as Go values), from New (a Graph built in Go),
// or through the sokr plugin NewIR, which also detects both forms and
// lowers dicts and graphs. A verified Program is immutable and safe for
// concurrent use.
//
// # Edges, ports and cycles
//
// An edge names its ends as written. A name is a node of the same graph
// (names may contain dots: "lif1.lif" in a flattened export), or "G.port":
// the Input node port of subgraph G for a target, its Output node for a
// source. A bare subgraph name stands for its only Input or Output. Edges
// into one node add up. Cycles are allowed: verification marks as
// Recurrent each edge that a depth-first search from the inputs finds
// closing a cycle; a simulator breaks the cycle there.
//
// # Shapes
//
// Verification gives every node InShape and OutShape: from its
// parameters, or inferred along the edges for Conv1d/Conv2d without
// input_shape, SumPool2d, AvgPool2d and Flatten without input_type (by
// PyTorch's convolution formula, as nir does). The shapes at the two ends
// of an edge must agree up to dimensions of size 1 (Rockpool writes an
// Output of shape (1, 1, 1) for a LIF of shape (1,)). Shapes have no batch
// or time dimension.
//
// # For simulators
//
// Program.Flat splices nested graphs into one level, in topological order
// of the forward edges, with nested nodes named by dotted path and the
// nested Input/Output nodes joined through: a simulator steps Flat.Nodes
// in order, feeding each node the sum of its In edges (recurrent ones
// from the previous step). Requirements name the primitives used
// ("nir:LIF", ...), "nir:recurrent" for cycles, and the quantities
// "neurons", "synapses" and "memory_bytes".
//
// # Errors
//
// Every error is a *sokr.ProgramError (matching sokr.ErrInvalidProgram).
// Graph faults name the node or edge end by dotted path in Pos.Node:
//
//	sokr: invalid program (nir/1) at node lif1.lif: edge input -> lif in subgraph lif1:
//	no node named "lif" as its target (nodes in subgraph lif1: input, lif1, lin, output); did you mean lif1?
//
// A malformed HDF5 file gives the byte offset of the fault in Pos.Offset.
// Unknown node types and parameters are refused, naming the node. So are,
// naming the node, the parameter and the element, faults that no
// simulator could give a meaning to: a NaN or infinite parameter, a time
// constant (tau, tau_syn, tau_mem) that is not positive, a negative
// delay; and a graph without an Input node, or with a node that no edge
// feeds:
//
//	sokr: invalid program (nir/1) at node lif1: LIF: tau: element [3] is 0 s; a time constant must be positive
package nir
