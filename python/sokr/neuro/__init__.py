"""Spiking networks in NIR, run with semantics you choose and can see.

Load a ``.nir`` file, NIR's dict form, or a ``nir.NIRGraph``; run it on inputs shaped
``[T, B, *input shape]``; read the outputs, the recorded probes and the semantics the run
used::

    from sokr import neuro

    g = neuro.load("lif_norse.nir")
    r = neuro.run(g, x, dt=1e-4, reset="zero", record=["1.v"])
    r.value            # the Output node's spikes, [T, B, 1]
    r.probes["1.v"]    # the LIF node's voltage
    r.semantics        # {'dt': 0.0001, 'solver': 'euler', 'reset': 'zero', ...}
    r.raster(); r.plot_voltage()

    r = await neuro.run_async(g, x)          # in a notebook
    with neuro.Session(g) as s:              # stateful, fed in chunks
        for chunk in chunks:
            s.run(chunk)

The semantics (keyword arguments of :func:`run`):

- ``dt``: the time step in seconds (default 1e-4).
- ``solver``: ``"euler"`` (default), ``"exact"`` (exact for input held over a step) or
  ``"impulse"`` (exact decay, input as an impulse).
- ``reset``: ``"to_v_reset"`` (default, NIR), ``"zero"`` or ``"subtract"``.
- ``spike_timing``: ``"after_update"`` (default) or ``"before_update"``.
- ``synaptic_delay`` (default 0) and ``recurrent_delay`` (default 1), in steps.
- ``spike_amplitude``: the value of a spike (default 1).
- ``precision``: ``"f32"`` (default) or ``"f64"``; ``propagation``: ``"auto"``, ``"event"``
  or ``"dense"``: event-driven propagation reads only the weights of inputs that spiked. On
  ``snn`` "auto" goes event-driven at up to 25% input density; on a GPU (``substrate="vulkan:0"``)
  it runs a layer's per-step products of up to 16 rows event-driven (a recurrent layer at a
  batch of up to 16) and leaves the all-steps GEMMs dense. ``r.meta["propagation"]`` says which
  ran.

- ``initial_state``: ``"zero"`` (default), ``"v_leak"`` (Norse's start) or arrays per node
  and variable, such as a previous result's ``final_state`` (see :func:`run_async`).

``record`` names probes: ``"NODE.v"``, ``"NODE.i"`` (synaptic current), ``"NODE.spikes"``,
and ``"NODE"`` (or ``"NODE.out"``), the output of any node (Affine, Conv2d, a pooling,
Flatten...), where NODE is a node's path in the flattened graph (``"G.lif"`` for node ``lif``
of subgraph ``G``; :attr:`Graph.nodes` lists them).

Conventions worth knowing (notebook 03 shows each):

- NIR's IF adds ``dt·r·x`` per step. Sinabs and Norse add ``x``: their exports (the NIR
  paper's ``cnn_sinabs.nir``, IF nodes with ``r = 1``) give no spikes at the default
  ``dt=1e-4`` and reproduce those frameworks with ``dt=1``.
- Inputs are time first, ``[T, B, ...]``; pass ``time_axis=1`` for batch-first arrays
  (snnTorch's order), which would otherwise be read wrongly without an error.
- Forward Euler diverges when ``dt > 2τ``: ``r.semantics["warnings"]`` says so.
- Inputs of any real dtype are accepted, here and by :func:`sokr.dispatch`, and computed in
  the ``precision`` option's dtype.
- NIRData (``nir.NIRGraphData`` and friends) goes in as inputs and comes out with
  :meth:`RunResult.to_nir_data`.

>>> from sokr import neuro
>>> g = neuro.load({"nodes": {"in": {"type": "Input", "shape": [1]},
...     "lif": {"type": "LIF", "tau": [1e-3], "r": [1.0], "v_leak": [0.0], "v_threshold": [1.0]},
...     "out": {"type": "Output", "shape": [1]}},
...     "edges": [["in", "lif"], ["lif", "out"]]})
>>> import numpy as np
>>> r = neuro.run(g, np.full((30, 1, 1), 2.0), dt=1e-4)  # spikes every 7 steps
>>> int(r.value.sum()), r.semantics["solver"]
(4, 'euler')
"""

from __future__ import annotations

import json
import os
import pathlib
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _future, _launch, _native, errors
from .._future import Result
from .._html import ROWS, more
from .._launch import AsyncResult, Derived
from .._runtime import Program, Runtime, default_runtime
from ._results import SEMANTICS, RunResult

__all__ = [
    "Graph",
    "Node",
    "Port",
    "RunResult",
    "Session",
    "from_nir",
    "load",
    "run",
    "run_async",
    "to_nir",
]

FORMAT = "nir/1"


@dataclass(frozen=True)
class Port:
    """A graph input or output: its Input/Output node's name and the data's shape (no time
    or batch dimension)."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Node:
    """A node of the flattened graph: its path, NIR type and output shape."""

    name: str
    type: str
    shape: tuple[int, ...]


class Graph:
    """A NIR graph that SOKR has read and verified, ready to run. Make one with :func:`load`."""

    __slots__ = ("inputs", "nodes", "outputs", "program", "recurrent_edges", "version")

    def __init__(self, program: Program) -> None:
        info = program._info.get("nir")
        if info is None:
            raise errors.UnknownFormatError(
                f"sokr.neuro: expected a NIR graph, got a {program.format} program"
            )
        self.program = program
        self.version: str = info["version"]
        self.inputs = [Port(p["name"], tuple(p["shape"])) for p in info["inputs"]]
        self.outputs = [Port(p["name"], tuple(p["shape"])) for p in info["outputs"]]
        self.nodes = [Node(n["name"], n["type"], tuple(n["shape"])) for n in info["nodes"]]
        self.recurrent_edges: int = info["recurrent"]

    @property
    def neurons(self) -> int:
        """The number of neurons (state variables' owners) in the graph."""
        return int(self.program.quantities.get("neurons", 0))

    def to_nir(self) -> Any:
        """The graph as a ``nir.NIRGraph`` (needs the ``nir`` package). See :func:`to_nir`."""
        return to_nir(self)

    def __repr__(self) -> str:
        ins = ", ".join(f"{p.name}{list(p.shape)}" for p in self.inputs)
        outs = ", ".join(f"{p.name}{list(p.shape)}" for p in self.outputs)
        return f"<sokr.neuro.Graph {len(self.nodes)} nodes, {self.neurons} neurons: {ins} -> {outs}>"

    def _repr_html_(self) -> str:
        import html

        nodes = self.nodes
        rows = "".join(
            f"<tr><td>{html.escape(n.name)}</td><td>{n.type}</td><td>{list(n.shape)}</td></tr>"
            for n in nodes[:ROWS]
        )
        return (
            f"<p>NIR graph (version {html.escape(self.version or '?')}): {len(nodes)} nodes, "
            f"{self.neurons} neurons, {self.recurrent_edges} recurrent edges</p>"
            f"<table><tr><th>node</th><th>type</th><th>output shape</th></tr>{rows}</table>"
            f"{more(min(ROWS, len(nodes)), len(nodes), 'nodes')}"
        )


def _json_default(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (set, frozenset)):
        return sorted(x)
    raise TypeError(f"cannot write a {type(x).__name__} in a NIR graph")


def _is_nir_graph(obj: Any) -> bool:
    return type(obj).__name__ == "NIRGraph" and hasattr(obj, "to_dict") and hasattr(obj, "edges")


def load(obj: Any, *, runtime: Runtime | None = None) -> Graph:
    """Read and verify a NIR graph: a path to a ``.nir`` file (HDF5, read in Go: no h5py
    needed), its bytes, NIR's dict form (``NIRGraph.to_dict()``, arrays or lists), a
    ``nir.NIRGraph``, or a :class:`Graph`. A malformed graph raises
    :class:`sokr.InvalidProgramError` naming the node or edge at fault."""
    if isinstance(obj, Graph):
        return obj
    rt = runtime or default_runtime()
    if isinstance(obj, Program):
        return Graph(obj)
    if _is_nir_graph(obj):
        obj = obj.to_dict()
    if isinstance(obj, Mapping):
        try:
            src: Any = json.dumps(obj, default=_json_default).encode()
        except (TypeError, ValueError) as e:
            raise errors.InvalidProgramError(
                f"sokr.neuro: the graph cannot be read: {e}", format=FORMAT
            ) from None
    elif isinstance(obj, (str, os.PathLike, bytes, bytearray, memoryview)):
        if isinstance(obj, (str, os.PathLike)) and not os.path.isfile(obj):
            raise FileNotFoundError(f"sokr.neuro: no NIR file at {os.fspath(obj)!r}")
        src = pathlib.Path(obj) if isinstance(obj, str) else obj  # a str here is a path
    else:
        raise errors.UnknownFormatError(
            f"sokr.neuro: cannot load a {type(obj).__name__}: pass a .nir path, its bytes, NIR's "
            f"dict form or a nir.NIRGraph"
        )
    return Graph(rt.program(src, ir=FORMAT))


def from_nir(graph: Any, *, runtime: Runtime | None = None) -> Graph:
    """A ``nir.NIRGraph`` as a :class:`Graph` (the same as :func:`load`)."""
    if not _is_nir_graph(graph):
        raise TypeError(f"from_nir takes a nir.NIRGraph, not {type(graph).__name__}")
    return load(graph, runtime=runtime)


# Integer fields of NIR nodes; every other list or number of a node is a float parameter.
_INT_FIELDS = {"shape", "input_type", "input_shape", "stride", "padding", "dilation", "kernel_size"}
_SCALARS = {"groups", "start_dim", "end_dim", "type", "metadata"}


def _arrays(d: Any, key: str = "") -> Any:
    """NIR's dict form as SOKR writes it (JSON lists) with nir's types back, as nir.read
    gives them: float64 arrays for parameters, integer arrays for shapes and sizes, tuples
    for edges."""
    if key == "metadata" or key in _SCALARS or d is None or isinstance(d, str):
        return d
    if isinstance(d, dict):
        return {k: _arrays(v, k) for k, v in d.items()}
    if key == "edges":
        return [tuple(e) for e in d]
    if key in _INT_FIELDS:
        return np.asarray(d, dtype=np.int64)
    return np.asarray(d, dtype=np.float64)


def to_nir(graph: Graph | Any) -> Any:
    """The graph as a ``nir.NIRGraph``, built from the graph as SOKR read and verified it
    (nir's defaults, such as ``v_reset``, written out). Needs the ``nir`` package."""
    try:
        import nir
    except ImportError:  # pragma: no cover - exercised only without nir
        raise ImportError("sokr.neuro.to_nir needs the nir package: pip install nir") from None
    g = load(graph)
    d = _native.nir_dict(g.program._handle)
    _output_shapes(d["node"], {n.name: n.shape for n in g.nodes}, "")
    return nir.NIRGraph.from_dict(_arrays(d["node"]))


def _output_shapes(d: dict[str, Any], shapes: dict[str, tuple[int, ...]], prefix: str) -> None:
    """Write each Output node with the shape of what flows into it. SOKR accepts an Output
    whose declared shape differs from its source's when the sizes agree (Rockpool writes
    unit dimensions: an Output (1, 1, 1) after a LIF (1,)), a reshape; nir's type checker
    refuses that, so the graph nir gets has the source's shape."""
    nodes = d.get("nodes", {})
    for src, dst in d.get("edges", []):
        node = nodes.get(dst)
        if node is None or node.get("type") != "Output":
            continue
        have = shapes.get(prefix + src)
        shape = tuple(node.get("shape", ()))
        if have is not None and have != shape and int(np.prod(have)) == int(np.prod(shape)):
            node["shape"] = list(have)
    for name, node in nodes.items():
        if isinstance(node, dict) and node.get("type") == "NIRGraph":
            _output_shapes(node, shapes, f"{prefix}{name}.")


def _nir_data_kind(obj: Any) -> str | None:
    name = type(obj).__name__
    if name in ("NIRGraphData", "NIRNodeData", "TimeGriddedData", "EventData", "ValuedEventData") and (
        type(obj).__module__.startswith("nir")
    ):
        return name
    return None


def _observable(data: Any, port: Port) -> Any:
    """The observable of a NIRNodeData that feeds an Input node: its "output", or its only one."""
    obs = data.observables
    if "output" in obs:
        return obs["output"]
    if len(obs) == 1:
        return next(iter(obs.values()))
    raise errors.InvalidInputError(
        f"input {port.name}: its NIRNodeData has observables {sorted(obs)}; name the one to feed 'output'",
        name=port.name,
    )


def _steps(t_max: float, dt: float) -> int:
    return max(0, int(np.ceil(t_max / dt - 1e-6)))


def _from_nir_data(obj: Any, port: Port, dt: float) -> np.ndarray[Any, Any]:
    """One Input node's NIRData as an array [T, B, *shape] on the run's step grid (see
    :func:`run_async` for the binning rule)."""
    kind = _nir_data_kind(obj)
    if kind == "NIRNodeData":
        obj, kind = _observable(obj, port), _nir_data_kind(_observable(obj, port))
    size = int(np.prod(port.shape, dtype=np.int64))
    if kind == "TimeGriddedData":
        if not np.isclose(obj.dt, dt, rtol=1e-9, atol=0):
            raise errors.InvalidInputError(
                f"input {port.name}: its TimeGriddedData has dt = {obj.dt} s, the run dt = {dt} s; "
                f"run with dt={obj.dt} (or leave dt out: it then comes from the data)",
                name=port.name,
            )
        data = np.asarray(obj.data)
        if data.shape[2] != size:
            raise errors.InvalidInputError(
                f"input {port.name}: {data.shape[2]} neurons in the data, the input has {size} "
                f"(shape {list(port.shape)})",
                name=port.name,
            )
        b, t = data.shape[0], data.shape[1]
        return np.ascontiguousarray(data.transpose(1, 0, 2).reshape(t, b, *port.shape))
    if kind in ("EventData", "ValuedEventData"):
        if int(obj.n_neurons) != size:
            raise errors.InvalidInputError(
                f"input {port.name}: {obj.n_neurons} neurons in the event data, the input has {size} "
                f"(shape {list(port.shape)})",
                name=port.name,
            )
        steps = _steps(float(obj.t_max), dt)
        idx, time = np.asarray(obj.idx), np.asarray(obj.time, dtype=np.float64)
        value = np.asarray(obj.value, np.float64) if kind == "ValuedEventData" else np.ones(idx.shape)
        out = np.zeros((idx.shape[0], steps, size), np.float64)
        for b in range(idx.shape[0]):
            ok = (idx[b] >= 0) & np.isfinite(time[b])
            k = np.floor(time[b][ok] / dt + 1e-6).astype(np.int64)
            n = idx[b][ok].astype(np.int64)
            bad = (k < 0) | (k >= steps) | (n >= size)
            if bad.any():
                j = int(np.argmax(bad))
                raise errors.InvalidInputError(
                    f"input {port.name}: sample {b} has an event of neuron {int(n[j])} at "
                    f"{float(time[b][ok][j])} s, outside [0, t_max = {obj.t_max} s) or the input's "
                    f"{size} neurons",
                    name=port.name,
                )
            np.add.at(out[b], (k, n), value[b][ok])
        return np.ascontiguousarray(out.transpose(1, 0, 2).reshape(steps, idx.shape[0], *port.shape))
    raise errors.InvalidInputError(
        f"input {port.name}: cannot feed a {type(obj).__name__}: pass an array, a NIRNodeData, "
        f"TimeGriddedData, EventData or ValuedEventData",
        name=port.name,
    )


def _data_dt(inputs: Any) -> float | None:
    """The dt of time-gridded NIRData inputs, if any: the run's dt when none is given. It looks
    only where inputs can be NIRData (the argument, a dict's values, a list's items), never
    into arrays or nested lists of numbers."""
    found: list[float] = []

    def walk(x: Any) -> None:
        kind = _nir_data_kind(x)
        if kind == "NIRGraphData":
            for v in x.nodes.values():
                walk(v)
        elif kind == "NIRNodeData":
            for v in x.observables.values():
                walk(v)
        elif kind == "TimeGriddedData":
            found.append(float(x.dt))

    walk(inputs)
    if isinstance(inputs, Mapping):
        for v in inputs.values():
            walk(v)
    elif isinstance(inputs, (list, tuple)):
        for v in inputs:
            walk(v)
    return found[0] if found else None


def _inputs(g: Graph, inputs: Any, *, dt: float = 1e-4, time_axis: int = 0) -> list[np.ndarray[Any, Any]]:
    if time_axis not in (0, 1):
        raise ValueError(
            f"time_axis must be 0 ([T, B, ...], the default) or 1 ([B, T, ...]), not {time_axis!r}"
        )
    if _nir_data_kind(inputs) == "NIRGraphData":
        inputs = dict(inputs.nodes)
    if isinstance(inputs, Mapping):
        missing = [p.name for p in g.inputs if p.name not in inputs]
        extra = [k for k in inputs if k not in {p.name for p in g.inputs}]
        if missing or extra:
            raise errors.InvalidInputError(
                f"inputs by name: the graph's inputs are {[p.name for p in g.inputs]}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unknown {extra}" if extra else "")
            )
        arrays = [inputs[p.name] for p in g.inputs]
    elif len(g.inputs) == 1 and not (
        isinstance(inputs, (list, tuple)) and len(inputs) == 1 and np.ndim(inputs[0]) >= 2
    ):
        arrays = [inputs]
    elif isinstance(inputs, Sequence):
        arrays = list(inputs)
    else:
        arrays = [inputs]
    if len(arrays) != len(g.inputs):
        raise errors.InvalidInputError(
            f"the graph has {len(g.inputs)} inputs ({', '.join(p.name for p in g.inputs)}), got {len(arrays)}"
        )
    out = []
    for i, (x, port) in enumerate(zip(arrays, g.inputs, strict=True)):
        if _nir_data_kind(x) is not None:
            out.append(_from_nir_data(x, port, dt))  # always [T, B, ...]: time_axis is for arrays
            continue
        a = np.asarray(x)
        if a.dtype not in _CARRIED:
            if a.dtype.kind not in "biuf":
                raise errors.InvalidInputError(
                    f"input {port.name}: expected numbers, got {a.dtype}", index=i, name=port.name
                )
            a = a.astype(np.float32)
        want = len(port.shape) + 2
        if a.ndim != want:
            order = "T, B" if time_axis == 0 else "B, T"
            raise errors.InvalidInputError(
                f"input {port.name}: expected an array [{order}, {', '.join(map(str, port.shape))}] "
                f"({want} dimensions: {'time, batch' if time_axis == 0 else 'batch, time'}, then the "
                f"input's shape), got shape {list(a.shape)}",
                index=i,
                name=port.name,
            )
        if time_axis == 1:
            a = a.swapaxes(0, 1)
        out.append(np.ascontiguousarray(a))
    return out


# The dtypes SOKR carries that the snn substrate reads as real numbers: sent as they are and
# converted to the run's precision there, as sokr.dispatch does. Other real dtypes (float16,
# int8, uint8, ...) are converted to float32 here first.
_CARRIED = tuple(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64, np.bool_))


def _initial(initial_state: Any) -> Any:
    """The initial_state option as the snn substrate reads it: a name, or per node and
    variable a flat list of values (one per neuron, or batch times neurons)."""
    if initial_state is None or isinstance(initial_state, str):
        return initial_state
    if not isinstance(initial_state, Mapping):
        raise TypeError(
            "initial_state must be 'zero', 'v_leak' or a dict node -> {variable: array} "
            f"(such as result.final_state), not {type(initial_state).__name__}"
        )
    out: dict[str, dict[str, list[float]]] = {}
    for node, variables in initial_state.items():
        if not isinstance(variables, Mapping):
            raise TypeError(f"initial_state[{node!r}] must be a dict variable -> array, such as {{'v': ...}}")
        out[str(node)] = {
            str(k): np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in variables.items()
        }
    return out


_ALLOWED = {*SEMANTICS, "propagation"}


def _options(record: Sequence[str] | str | None, kw: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in kw if k not in _ALLOWED]
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}: neuro.run takes {sorted(_ALLOWED)} and record")
    opts = {k: v for k, v in kw.items() if v is not None}
    if record is not None:
        if isinstance(record, str):
            record = [record]
        if not all(isinstance(r, str) for r in record):
            raise TypeError("record must be a list of probe names such as 'lif.v'")
        if record:
            opts["record"] = list(record)
    return opts


def _convert(res: Result) -> RunResult:
    outputs = {k: v for k, v in res.outputs.items() if not k.startswith(("probe:", "state:"))}
    probes = {k[len("probe:") :]: v for k, v in res.outputs.items() if k.startswith("probe:")}
    final: dict[str, dict[str, np.ndarray[Any, Any]]] = {}
    for k, v in res.outputs.items():
        if k.startswith("state:"):
            node, _, var = k[len("state:") :].rpartition(".")
            final.setdefault(node, {})[var] = v
    return RunResult(outputs, probes, res.meta, res.substrate, final_state=final)


def run_async(
    graph: Any,
    inputs: Any,
    *,
    record: Sequence[str] | str | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    initial_state: Any = None,
    time_axis: int = 0,
    **semantics: Any,
) -> AsyncResult[RunResult]:
    """Start running ``graph`` on ``inputs`` and return a future (``await`` it, or
    ``.result()``) of a :class:`RunResult`.

    ``inputs`` is one array ``[T, B, *shape]`` for a graph with one Input node, else a list
    in the order of :attr:`Graph.inputs` or a dict by Input node name. Keyword arguments
    are the semantics listed in the module's documentation; ``record`` names probes.

    - Arrays are read time first, ``[T, B, *shape]``, as NIR's own simulators and Norse do;
      a ``[B, T, *shape]`` array (snnTorch's and many PyTorch datasets' batch-first order) is
      read the same way and silently gives a wrong run when T and B differ only in meaning,
      so pass ``time_axis=1`` for batch-first arrays (results stay ``[T, B, ...]``).
    - Any real dtype is accepted, as by :func:`sokr.dispatch`: f32, f64, int32, int64 and
      bool arrays go as they are, other real dtypes are converted to f32 here, and the
      substrate converts to the ``precision`` option (default f32); the input's dtype never
      chooses the precision.
    - NIRData (the ``nir`` package's data IR): a ``nir.NIRGraphData`` whose nodes are the
      Input node names, or per input a ``NIRNodeData`` (its ``"output"`` observable, or its
      only one), ``TimeGriddedData``, ``EventData`` or ``ValuedEventData``. Their data are
      ``[samples, time, neurons]``: samples become the batch, neurons are reshaped to the
      input's shape. Time-gridded data must have the run's dt; without a ``dt`` argument
      the run takes the data's. Events are binned onto the step grid: an event at time t
      falls in step ``floor(t / dt + 1e-6)`` (the tolerance puts an event at k·dt, rounded
      in floating point, in step k), the run has ``ceil(t_max / dt - 1e-6)`` steps, events
      in one step and neuron add up (1 each, or their values), and an event outside
      ``[0, t_max)`` is an error.
    - ``initial_state``: ``"zero"`` (default: every voltage and current 0), ``"v_leak"``
      (voltages at v_leak, as Norse starts; IF and I at 0) or a dict node ->
      ``{"v": array, "i": array}`` with ``[B, *shape]`` or ``[*shape]`` arrays (nodes and
      variables left out start at 0), such as a previous result's
      :attr:`RunResult.final_state` to continue from it exactly: that also holds what is in
      flight, each Delay node's ``"delay_line"`` (its last D inputs, ``[D, B, *shape]``,
      oldest first; ``"NODE.synapse"`` for a synaptic delay) and ``"recurrent"`` for a node
      that a recurrent edge reads (its last ``recurrent_delay`` outputs).
      ``semantics["initial_state"]`` says which was used.

    It returns at once, even when the graph must be read first: reading then runs in the
    background, within ``timeout``, and cancelling the future cancels it. Every failure, a
    graph that does not read included, comes through the future."""
    opts = _options(record, semantics)
    if timeout is not None:
        opts["timeout"] = timeout
    if initial_state is not None:
        opts["initial_state"] = _initial(initial_state)
    opts["final_state"] = True
    if "dt" not in opts and (data_dt := _data_dt(inputs)) is not None:
        opts["dt"] = data_dt

    def start() -> Derived[RunResult]:
        rt = runtime or default_runtime()
        g = load(graph, runtime=rt)
        arrays = _inputs(g, inputs, dt=float(opts.get("dt", 1e-4)), time_axis=time_axis)
        fut = rt.dispatch(g.program, *arrays, substrate=substrate, **opts)
        return Derived(fut, _convert)

    return _launch.launch(not isinstance(graph, (Graph, Program)), _launch.timeout_of(opts), start)


def run(
    graph: Any,
    inputs: Any,
    *,
    record: Sequence[str] | str | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    initial_state: Any = None,
    time_axis: int = 0,
    **semantics: Any,
) -> RunResult:
    """Run and wait: :func:`run_async`'s result. Ctrl-C while it waits cancels the run."""
    return _future.wait(
        run_async(
            graph,
            inputs,
            record=record,
            substrate=substrate,
            runtime=runtime,
            timeout=timeout,
            initial_state=initial_state,
            time_axis=time_axis,
            **semantics,
        )
    )


class Session:
    """A stateful run fed in chunks: voltages, currents, delay lines and recurrent edges carry
    over from one :meth:`run` to the next, as if the chunks were one long input. The graph,
    batch size and semantics are fixed when the session starts; ``initial_state`` (as for
    :func:`run`, e.g. a previous result's ``final_state``) sets where it starts, and again
    after :meth:`reset`::

        with neuro.Session(g, dt=1e-4, record=["lif.v"]) as s:
            a = s.run(x[:100])
            b = s.run(x[100:])      # continues where a stopped

    Feed chunks one after another: wait for (or ``await``) each result before feeding the
    next; feeding one while the previous is still running raises ``RuntimeError``, since the
    order of the chunks is the order of time. ``close()`` (or leaving the ``with`` block)
    frees the session's state on the substrate.

    The first chunk goes where the runtime's policy sends it (or to ``substrate``, when
    given); the state lives there, so the chunks after it go to the same substrate
    (:attr:`substrate` names it once the first chunk has run)."""

    def __init__(
        self,
        graph: Any,
        *,
        record: Sequence[str] | str | None = None,
        substrate: str | None = None,
        runtime: Runtime | None = None,
        initial_state: Any = None,
        time_axis: int = 0,
        **semantics: Any,
    ) -> None:
        self._rt = runtime or default_runtime()
        self.graph = load(graph, runtime=self._rt)
        self._opts = _options(record, semantics)
        self._opts["final_state"] = True
        if initial_state is not None:
            self._opts["initial_state"] = _initial(initial_state)
        self._time_axis = time_axis
        self._substrate = substrate
        self.id = f"py-{uuid.uuid4().hex}"
        self._lock = threading.Lock()
        self._fresh = True
        self._closed = False
        self._last: Derived[RunResult] | None = None
        self.steps = 0

    @property
    def substrate(self) -> str | None:
        """The substrate that holds the session's state: the one given, else the one the
        first chunk ran on (None before it has)."""
        if self._substrate is None and self._last is not None and self._last.done():
            return self._last.substrate
        return self._substrate

    def run_async(self, inputs: Any) -> Derived[RunResult]:
        """Feed the next chunk ``[T, B, *shape]``; returns a future of its :class:`RunResult`."""
        with self._lock:
            if self._closed:
                raise errors.ClosedError("sokr.neuro: session closed")
            if self._last is not None and not self._last.done():
                raise RuntimeError(
                    "sokr.neuro: the session's previous chunk is still running; wait for its result "
                    "before feeding the next (chunks are consecutive in time)"
                )
            if self._substrate is None and self._last is not None:
                # The state is where the first chunk ran (None when it never reached one: the
                # next chunk is the first again).
                self._substrate = self._last.substrate
                if self._substrate is None:
                    self._fresh = True
            arrays = _inputs(
                self.graph, inputs, dt=float(self._opts.get("dt", 1e-4)), time_axis=self._time_axis
            )
            opts = dict(self._opts, session=self.id)
            if self._fresh:
                opts["session_reset"] = True
                self._fresh = False
            self.steps += arrays[0].shape[0]
            fut = self._rt.dispatch(self.graph.program, *arrays, substrate=self._substrate, **opts)
            self._last = Derived(fut, _convert)
            return self._last

    def run(self, inputs: Any) -> RunResult:
        """Feed the next chunk and wait for its result."""
        return _future.wait(self.run_async(inputs))

    def reset(self) -> None:
        """Start again from the initial state at the next chunk."""
        with self._lock:
            self._fresh = True
            self.steps = 0

    def close(self) -> None:
        """Free the session's state on the substrate. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            last = self._last
            where = self._substrate or (last.substrate if last is not None else None)
        if where is None:
            return  # no chunk ran: no state anywhere
        try:
            _native.end_session(self._rt._handle, where, self.id)
        except errors.SokrError:
            pass  # the runtime is already closed: its substrates are gone with it

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.steps} steps fed"
        return f"<sokr.neuro.Session {self.id} on {self.substrate or '(not yet chosen)'}: {state}>"
