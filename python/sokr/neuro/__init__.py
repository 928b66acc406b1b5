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
  or ``"dense"``.

``record`` names probes: ``"NODE.v"``, ``"NODE.i"`` (synaptic current) and
``"NODE.spikes"``, where NODE is a node's path in the flattened graph (``"G.lif"`` for node
``lif`` of subgraph ``G``; :attr:`Graph.nodes` lists them).

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

from .. import _launch, _native, errors
from .._future import Derived, Result
from .._html import ROWS, more
from .._launch import Launching
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
    return nir.NIRGraph.from_dict(_arrays(d["node"]))


def _inputs(g: Graph, inputs: Any) -> list[np.ndarray[Any, Any]]:
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
        a = np.asarray(x)
        if a.dtype not in (np.float32, np.float64):
            if a.dtype.kind not in "biuf":
                raise errors.InvalidInputError(
                    f"input {port.name}: expected numbers, got {a.dtype}", index=i, name=port.name
                )
            a = a.astype(np.float32)
        want = len(port.shape) + 2
        if a.ndim != want:
            raise errors.InvalidInputError(
                f"input {port.name}: expected an array [T, B, {', '.join(map(str, port.shape))}] "
                f"({want} dimensions: time, batch, then the input's shape), got shape {list(a.shape)}",
                index=i,
                name=port.name,
            )
        out.append(np.ascontiguousarray(a))
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
    outputs = {k: v for k, v in res.outputs.items() if not k.startswith("probe:")}
    probes = {k[len("probe:") :]: v for k, v in res.outputs.items() if k.startswith("probe:")}
    return RunResult(outputs, probes, res.meta, res.substrate)


def run_async(
    graph: Any,
    inputs: Any,
    *,
    record: Sequence[str] | str | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **semantics: Any,
) -> Derived[RunResult] | Launching[RunResult]:
    """Start running ``graph`` on ``inputs`` and return a future (``await`` it, or
    ``.result()``) of a :class:`RunResult`.

    ``inputs`` is one array ``[T, B, *shape]`` for a graph with one Input node, else a list
    in the order of :attr:`Graph.inputs` or a dict by Input node name. Keyword arguments
    are the semantics listed in the module's documentation; ``record`` names probes.

    It returns at once, even when the graph must be read first: reading then runs in the
    background, within ``timeout``, and cancelling the future cancels it. Every failure, a
    graph that does not read included, comes through the future."""
    opts = _options(record, semantics)
    if timeout is not None:
        opts["timeout"] = timeout

    def start() -> Derived[RunResult]:
        rt = runtime or default_runtime()
        g = load(graph, runtime=rt)
        arrays = _inputs(g, inputs)
        fut = rt.dispatch(g.program, *arrays, substrate=substrate, **opts)
        return Derived(fut, _convert)

    return _launch.launch(not isinstance(graph, (Graph, Program)), _launch.timeout_of(opts), start)


def run(graph: Any, inputs: Any, **kw: Any) -> RunResult:
    """Run and wait; see :func:`run_async` for the arguments."""
    return run_async(graph, inputs, **kw).result()


class Session:
    """A stateful run fed in chunks: voltages, currents, delay lines and recurrent edges carry
    over from one :meth:`run` to the next, as if the chunks were one long input. The graph,
    batch size and semantics are fixed when the session starts::

        with neuro.Session(g, dt=1e-4, record=["lif.v"]) as s:
            a = s.run(x[:100])
            b = s.run(x[100:])      # continues where a stopped

    Feed chunks one after another: wait for (or ``await``) each result before feeding the
    next; feeding one while the previous is still running raises ``RuntimeError``, since the
    order of the chunks is the order of time. ``close()`` (or leaving the ``with`` block)
    frees the session's state on the substrate."""

    def __init__(
        self,
        graph: Any,
        *,
        record: Sequence[str] | str | None = None,
        substrate: str = "snn",
        runtime: Runtime | None = None,
        **semantics: Any,
    ) -> None:
        self._rt = runtime or default_runtime()
        self.graph = load(graph, runtime=self._rt)
        self._opts = _options(record, semantics)
        self._substrate = substrate
        self.id = f"py-{uuid.uuid4().hex}"
        self._lock = threading.Lock()
        self._fresh = True
        self._closed = False
        self._last: Derived[RunResult] | None = None
        self.steps = 0

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
            arrays = _inputs(self.graph, inputs)
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
        return self.run_async(inputs).result()

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
        try:
            _native.end_session(self._rt._handle, self._substrate, self.id)
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
        return f"<sokr.neuro.Session {self.id} on {self._substrate}: {state}>"
