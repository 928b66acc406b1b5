"""What a spiking-network run returns, and its plots."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .._html import ROWS, more

# The semantics the snn substrate reports with every result (see sokr.neuro.run).
SEMANTICS = (
    "dt",
    "solver",
    "reset",
    "spike_timing",
    "synaptic_delay",
    "recurrent_delay",
    "spike_amplitude",
    "precision",
    "initial_state",
)

# Probe fields: "NODE.v" is observable "v" of node NODE in NIRData; "NODE" and "NODE.out" are
# its "output".
_FIELDS = ("v", "i", "spikes", "out")


def _number(s: str) -> Any:
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


class RunResult(Mapping[str, "np.ndarray[Any, Any]"]):
    """The outputs of a run, by Output node name, each ``[T, B, *shape]``; the probes it
    recorded (``result.probes["lif.v"]``); the state it ended in (``result.final_state``);
    and the semantics it ran with (``result.semantics``: dt, solver, reset, spike timing,
    delays, spike amplitude, precision, initial state, and ``"warnings"`` when the run
    likely is not what was meant, such as forward Euler with dt > 2τ), so that a result
    always says how it was produced. :meth:`to_nir_data` gives it as NIRData."""

    __slots__ = ("final_state", "meta", "outputs", "probes", "semantics", "substrate")

    def __init__(
        self,
        outputs: dict[str, np.ndarray[Any, Any]],
        probes: dict[str, np.ndarray[Any, Any]],
        meta: dict[str, str],
        substrate: str,
        final_state: dict[str, dict[str, np.ndarray[Any, Any]]] | None = None,
    ) -> None:
        self.outputs = outputs
        self.probes = probes
        self.meta = meta
        self.substrate = substrate
        #: The state after the last step, node -> {"v": [B, *shape], "i": ..., "delay_line":
        #: [D, B, *shape], "recurrent": ...}: pass it as ``initial_state`` to a later run or
        #: Session to continue from here as one uninterrupted run would.
        self.final_state: dict[str, dict[str, np.ndarray[Any, Any]]] = final_state or {}
        self.semantics: dict[str, Any] = {k: _number(meta[k]) for k in SEMANTICS if k in meta}
        if meta.get("warnings"):
            self.semantics["warnings"] = meta["warnings"].split("\n")

    def __getitem__(self, name: str) -> np.ndarray[Any, Any]:
        if name in self.outputs:
            return self.outputs[name]
        if name in self.probes:
            return self.probes[name]
        raise KeyError(f"{name!r}: outputs are {list(self.outputs)}, probes {list(self.probes)}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    @property
    def value(self) -> np.ndarray[Any, Any]:
        """The output of a graph with one Output node."""
        if len(self.outputs) != 1:
            raise ValueError(f"the graph has {len(self.outputs)} outputs; index the result by name")
        return next(iter(self.outputs.values()))

    @property
    def dt(self) -> float:
        """The time step, in seconds."""
        return float(self.semantics["dt"])

    @property
    def steps(self) -> int:
        return int(self.meta.get("steps", 0))

    @property
    def spike_count(self) -> int:
        """Spikes emitted by every spiking node of the graph during the run."""
        return int(self.meta.get("spikes", 0))

    def to_nir_data(self) -> Any:
        """The outputs and probes as a ``nir.NIRGraphData`` (needs the ``nir`` package), for
        other simulators and hardware tools: each Output node's data as its ``"output"``
        observable, each probe ``NODE.v``/``NODE.i``/``NODE.spikes`` as observable ``v``/``i``/
        ``spikes`` of NODE, and ``NODE``/``NODE.out`` as NODE's ``"output"``; a node of a
        subgraph (``"G.lif"``) sits in a nested ``NIRGraphData`` ``G``. Every observable is
        ``TimeGriddedData`` of shape ``[B, T, neurons]`` (NIR's order, the node's shape
        flattened) at the run's dt. ``neuro.run`` reads it back as input."""
        try:
            import nir
        except ImportError:  # pragma: no cover - exercised only without nir
            raise ImportError("RunResult.to_nir_data needs the nir package: pip install nir") from None
        root: dict[str, Any] = {}

        def put(path: str, field: str, x: np.ndarray[Any, Any]) -> None:
            parts = path.split(".")
            d = root
            for p in parts[:-1]:
                d = d.setdefault(p, {})
                if not isinstance(d, dict):
                    raise ValueError(f"{path}: {p} is both a node and a subgraph")
            obs = d.setdefault(parts[-1], {"__node__": True})
            a = np.asarray(x)
            data = np.ascontiguousarray(a.reshape(a.shape[0], a.shape[1], -1).swapaxes(0, 1))
            obs["output" if field == "out" else field] = nir.TimeGriddedData(data, self.dt)

        for name, x in self.outputs.items():
            put(name, "out", x)
        for name, x in self.probes.items():
            node, _, field = name.rpartition(".")
            if node and field in _FIELDS:
                put(node, field, x)
            else:
                put(name, "out", x)

        def build(d: dict[str, Any]) -> Any:
            nodes: dict[str, Any] = {}
            for k, v in d.items():
                if v.pop("__node__", False):
                    nodes[k] = nir.NIRNodeData(v)
                else:
                    nodes[k] = build(v)
            return nir.NIRGraphData(nodes)

        return build(root)

    def __repr__(self) -> str:
        outs = ", ".join(f"{k}: {list(v.shape)}" for k, v in {**self.outputs, **self.probes}.items())
        sem = ", ".join(f"{k}={v}" for k, v in self.semantics.items())
        return f"<sokr.neuro.RunResult on {self.substrate}: {outs}; {sem}>"

    def _repr_html_(self) -> str:
        series = [
            (kind, k, v)
            for kind, d in (("output", self.outputs), ("probe", self.probes))
            for k, v in d.items()
        ]
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{kind}</td><td>{list(v.shape)}</td>"
            f"<td>{int(np.count_nonzero(v))}</td></tr>"
            for kind, k, v in series[:ROWS]
        )
        sem = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.semantics.items()
        )
        return (
            f"<p>Ran on <b>{html.escape(self.substrate)}</b>: {self.steps} steps, "
            f"{self.spike_count} spikes</p>"
            f"<table><tr><th>name</th><th></th><th>shape [T, B, ...]</th><th>nonzero</th></tr>{rows}</table>"
            f"{more(min(ROWS, len(series)), len(series), 'outputs and probes')}"
            f"<table><tr><th>semantics</th><th></th></tr>{sem}</table>"
        )

    def _series(self, name: str | None, want: str) -> tuple[str, np.ndarray[Any, Any]]:
        if name is None:
            pool = {**self.outputs, **self.probes} if want == "spikes" else self.probes
            names = [k for k in pool if k.endswith("." + want) or (want == "spikes" and k in self.outputs)]
            if not names:
                raise ValueError(
                    f"no {want} recorded: pass record=[...] to run (probes: {list(self.probes)})"
                )
            name = names[0]
        return name, self[name]

    def raster(self, name: str | None = None, batch: int = 0, ax: Any = None) -> Any:
        """A spike raster (matplotlib) of an output or a ``NODE.spikes`` probe, for one batch
        element: a dot at (time, neuron) for every nonzero value."""
        import matplotlib.pyplot as plt

        name, x = self._series(name, "spikes")
        x = np.asarray(x[:, batch]).reshape(x.shape[0], -1)
        t, n = np.nonzero(x)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        ax.scatter(t * self.dt * 1e3, n, s=4, marker="|", color="k")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("neuron")
        ax.set_xlim(0, x.shape[0] * self.dt * 1e3)
        ax.set_ylim(-0.5, max(x.shape[1], 1) - 0.5)
        ax.set_title(f"{name} (batch {batch})")
        return ax

    def plot_voltage(
        self, name: str | None = None, batch: int = 0, neurons: Any = None, ax: Any = None
    ) -> Any:
        """Membrane voltages (matplotlib) from a ``NODE.v`` probe over time, for one batch
        element and the chosen neurons (default: up to the first 8)."""
        import matplotlib.pyplot as plt

        name, v = self._series(name, "v")
        v = np.asarray(v[:, batch]).reshape(v.shape[0], -1)
        idx = list(range(min(8, v.shape[1]))) if neurons is None else list(np.atleast_1d(neurons))
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        t = np.arange(v.shape[0]) * self.dt * 1e3
        for i in idx:
            ax.plot(t, v[:, i], lw=1, label=f"neuron {i}")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("v")
        ax.set_title(f"{name} (batch {batch})")
        if len(idx) > 1:
            ax.legend(fontsize="small")
        return ax
