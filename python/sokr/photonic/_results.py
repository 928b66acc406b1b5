"""Result objects of sokr.photonic: Counts (sampled outcomes) and Probabilities (exact ones).

Both are mappings from output Fock states, as tuples of photon numbers (mode 0 first), to a
count or a probability. The photonic substrate keys its results by Perceval's notation,
``"|1,0,1>"``; :func:`fock` reads that notation (and tuples, lists and numpy arrays) and
:func:`fock_string` writes it.
"""

from __future__ import annotations

import base64
import html
import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, Literal, TypeVar

import numpy as np

#: An output state: the photons found in each mode, mode 0 first.
FockState = tuple[int, ...]

#: How :meth:`Counts.strings` writes a state: Perceval's ``"|1,0,1>"`` or CUDA-Q's digits
#: ``"101"`` (as ``cudaq.orca.sample`` and the photonic kernels of CUDA-Q key their counts).
Style = Literal["perceval", "cudaq"]

V = TypeVar("V", int, float)
M = TypeVar("M", bound="_FockMapping[Any]")

# The rows an HTML view shows, the most likely outcomes first; the rest are summed up.
HTML_ROWS = 16
# The entries a repr shows, in state order; the rest are counted.
REPR_ITEMS = 24


def fock(state: Any) -> FockState:
    """A Fock state from Perceval's notation ``"|1,0,1>"`` (spaces allowed), a tuple, a list,
    a numpy array or anything iterable of non-negative integers.

    >>> fock("|1, 0,2>"), fock([0, 1]), fock(np.array([3]))
    ((1, 0, 2), (0, 1), (3,))
    >>> fock("1,0")
    Traceback (most recent call last):
    ...
    ValueError: a Fock state is written |n0,n1,...>, not '1,0'
    """
    items = state
    if isinstance(state, str):
        s = state.strip()
        if not (s.startswith("|") and s.endswith(">")):
            raise ValueError(f"a Fock state is written |n0,n1,...>, not {state!r}")
        body = s[1:-1].strip()
        try:
            items = [int(x) for x in body.split(",")] if body else []
        except ValueError:
            raise ValueError(f"a Fock state holds non-negative integers: {state!r}") from None
    elif isinstance(state, (bytes, bytearray, Mapping)) or not isinstance(state, Iterable):
        raise TypeError(f"a Fock state is a string |n0,n1,...> or a sequence of integers, not {state!r}")
    out = []
    for x in items:
        if isinstance(x, (bool, np.bool_)):
            raise TypeError(f"photon numbers are integers, not bool: {state!r}")
        try:
            n = operator.index(x)
        except TypeError:
            raise TypeError(f"photon numbers are integers: {state!r}") from None
        if n < 0:
            raise ValueError(f"photon numbers are non-negative: {state!r}")
        out.append(n)
    return tuple(out)


def fock_string(state: Iterable[int], style: Style = "perceval") -> str:
    """A state in Perceval's notation (``"|1,0,1>"``) or CUDA-Q's digits (``"101"``).

    >>> fock_string((1, 0, 2)), fock_string((1, 0, 2), "cudaq")
    ('|1,0,2>', '102')
    """
    if style == "perceval":
        return "|" + ",".join(str(int(n)) for n in state) + ">"
    if style == "cudaq":
        return "".join(str(int(n)) for n in state)
    raise ValueError(f"style is 'perceval' or 'cudaq', not {style!r}")


def from_table(table: Mapping[str, Any]) -> Counts | Probabilities:
    """The Counts or Probabilities that bindings/python/photonic.go sends as a table: states as
    uint8 or little-endian uint16 occupations, values as int64 counts or float64 probabilities, rows in
    state order (see _FockMapping). A full distribution can have a million rows: a JSON
    object keyed by strings took seconds to cross, these arrays take milliseconds, and the
    mapping indexes them on its first lookup."""
    rows, modes = int(table["rows"]), int(table["modes"])
    width = "<u2" if int(table.get("width", 2)) == 2 else "u1"
    states = np.frombuffer(base64.b64decode(table["states"]), dtype=width).reshape(rows, modes)
    raw = base64.b64decode(table["values"])
    if table["fock_table"] == "counts":
        return Counts._of_arrays(states, np.frombuffer(raw, dtype="<i8"), modes)
    return Probabilities._of_arrays(states, np.frombuffer(raw, dtype="<f8"), modes)


class _FockMapping(Mapping[FockState, V], Generic[V]):
    """What Counts and Probabilities share: the mapping, in state order, and the views.

    The state order is the IR's (pkg/ir/photonic's States) and Perceval's: mode 0's
    occupation first, larger first, then mode 1's: |2,0> before |1,1> before |0,2>.

    A result from the substrate arrives as two arrays (states and values, see from_table);
    the dict that lookups need is built from them on first use, so that a million-outcome
    distribution costs a dict only when it is looked into."""

    _what = "outcomes"

    def __init__(
        self,
        values: Mapping[Any, V],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        self._dict: dict[FockState, V] | None
        self._states: np.ndarray[Any, Any] | None = None  # [rows, modes], in state order
        self._array: np.ndarray[Any, Any] | None = None  # [rows]
        if isinstance(values, _FockMapping):  # in order already
            self._dict, self._states, self._array = values._dict, values._states, values._array
            self.modes: int = values.modes
        else:
            self._dict = dict(sorted(((fock(k), v) for k, v in values.items()), reverse=True))
            self.modes = len(next(iter(self._dict), ()))
        self.meta = dict(meta or {})
        self.substrate = substrate

    @classmethod
    def _of_arrays(cls: type[M], states: np.ndarray[Any, Any], array: np.ndarray[Any, Any], modes: int) -> M:
        obj = cls({})
        obj._dict, obj._states, obj._array, obj.modes = None, states, array, modes
        obj._arrived()
        return obj

    def _arrived(self) -> None:
        """Set what derives from the values (Counts: shots)."""

    @property
    def _values(self) -> dict[FockState, V]:
        if self._dict is None:
            assert self._states is not None and self._array is not None
            self._dict = dict(zip(map(tuple, self._states.tolist()), self._array.tolist(), strict=True))
        return self._dict

    def __getitem__(self, state: Any) -> V:
        try:
            return self._values[state if type(state) is tuple else fock(state)]
        except (TypeError, ValueError):
            raise KeyError(state) from None

    def __iter__(self) -> Iterator[FockState]:
        if self._dict is None and self._states is not None:
            return map(tuple, self._states.tolist())
        return iter(self._values)

    def __len__(self) -> int:
        if self._dict is None and self._array is not None:
            return len(self._array)
        return len(self._values)

    def _raw(self) -> np.ndarray[Any, Any]:
        """The values (counts or probabilities), in state order."""
        if self._dict is None and self._array is not None:
            return self._array
        return np.array(list(self._values.values()))

    def _weights(self) -> np.ndarray[Any, Any]:
        """The probability (Counts: the fraction of samples) of each state, in state order."""
        raise NotImplementedError

    def _keys(self, rows: np.ndarray[Any, Any]) -> list[FockState]:
        """The states of the rows given (indices in state order)."""
        if self._dict is None and self._states is not None:
            return [tuple(r) for r in self._states[rows].tolist()]
        keys = list(self._values)
        return [keys[i] for i in rows.tolist()]

    def _top(self, n: int) -> np.ndarray[Any, Any]:
        """The rows of the n most likely states, most likely first, ties in state order."""
        w = self._weights()
        if n < len(w):
            part = np.argpartition(-w, n - 1)[:n]
            cut = w[part].min()
            rows = np.flatnonzero(w >= cut)  # every row tied at the cut, in state order
        else:
            rows = np.arange(len(w))
        return rows[np.argsort(-w[rows], kind="stable")][:n]

    def most_probable(self, n: int | None = None) -> Any:
        """The most likely outcome, or with ``n`` the ``n`` most likely, most likely first (ties
        in state order)."""
        if n is not None:
            return self._keys(self._top(n)) if n > 0 else []
        if not len(self):
            raise ValueError(f"no {self._what}")
        return self._keys(self._top(1))[0]

    def photon_numbers(self) -> dict[int, float]:
        """How likely each total photon number is (with loss, outcomes have fewer photons than
        the input)."""
        if self._dict is None and self._states is not None:
            totals = self._states.sum(axis=1, dtype=np.int64)
        else:
            totals = np.array([sum(k) for k in self._values], dtype=np.int64)
        if not len(totals):
            return {}
        by_n = np.bincount(totals, weights=self._weights())
        return {int(n): float(by_n[n]) for n in np.unique(totals)}

    def _body(self, fmt: Any) -> str:
        """The first REPR_ITEMS entries in state order, for repr, and how many more there are."""
        rows = np.arange(min(len(self), REPR_ITEMS))
        items = [
            f"{fock_string(k)}: {fmt(v)}"
            for k, v in zip(self._keys(rows), self._raw()[rows].tolist(), strict=True)
        ]
        if len(self) > REPR_ITEMS:
            items.append(f"... ({len(self) - REPR_ITEMS} more)")
        return ", ".join(items)

    def strings(self, style: Style = "perceval") -> dict[str, V]:
        """The same mapping keyed by strings: Perceval's ``"|1,0,1>"`` or CUDA-Q's ``"101"``."""
        return {fock_string(k, style): v for k, v in self._values.items()}

    def _html(self, title: str, head: str, cell: Any) -> str:
        rows_top = self._top(HTML_ROWS)
        top = self._keys(rows_top)
        w = self._weights()
        rows = "".join(
            f"<tr><td><code>{html.escape(fock_string(k))}</code></td>{cell(k, r)}</tr>"
            for k, r in zip(top, rows_top.tolist(), strict=True)
        )
        rest = len(self) - len(top)
        left = float(w.sum() - w[rows_top].sum())
        more = f"<p>and {rest} more {self._what} (probability {left:.4g} in all)</p>" if rest > 0 else ""
        where = f" on {html.escape(self.substrate)}" if self.substrate else ""
        return (
            f"<div><b>{title}</b>{where}, {self.modes} modes, {len(self)} {self._what}"
            f"<table><tr><th>state</th>{head}</tr>{rows}</table>{more}</div>"
        )

    def plot(self, ax: Any = None, top: int | None = 32) -> Any:
        """A bar chart of the probabilities (matplotlib) of the ``top`` most likely outcomes, in
        state order. Returns the axes."""
        import matplotlib.pyplot as plt

        w = self._weights()
        rows = np.arange(len(w)) if top is None or len(w) <= top else np.sort(self._top(top))
        keys = self._keys(rows)
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(keys) + 1.5), 3))
        ax.bar([fock_string(k) for k in keys], w[rows], color="#4c72b0")
        ax.set_ylabel("probability")
        ax.set_xlabel("output state")
        ax.tick_params(axis="x", rotation=90 if len(keys) > 6 else 0)
        return ax


class Counts(_FockMapping[int]):
    """Sampled outcomes: a mapping from output Fock states (tuples of photon numbers, mode 0
    first; 0 or 1 on modes with threshold detectors) to how often each was seen. States are in
    Perceval's order (|2,0> before |1,1> before |0,2>); :meth:`most_probable` ranks them.

    >>> r = Counts({"|2,0>": 48, "|0,2>": 52})
    >>> r[(2, 0)], r["|0,2>"], r.shots, r.probability((1, 1)), r.most_probable()
    (48, 52, 100, 0.0, (0, 2))
    >>> list(r), r.strings("cudaq")
    ([(2, 0), (0, 2)], {'20': 48, '02': 52})
    """

    def __init__(
        self,
        counts: Mapping[Any, int],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        own = counts if isinstance(counts, Counts) else {k: int(v) for k, v in counts.items()}
        super().__init__(own, meta=meta, substrate=substrate)
        self._arrived()

    def _arrived(self) -> None:
        #: The number of samples.
        self.shots = int(self._raw().sum())

    def _weights(self) -> np.ndarray[Any, Any]:
        a = np.asarray(self._raw(), dtype=np.float64)
        return a / self.shots if self.shots else a

    def count(self, state: Any) -> int:
        """How often ``state`` was seen (0 if never)."""
        try:
            return self[state]
        except KeyError:
            return 0

    def probability(self, state: Any) -> float:
        """The fraction of samples that gave ``state``."""
        return self.count(state) / self.shots if self.shots else 0.0

    @property
    def seed(self) -> int | None:
        """The seed the samples were drawn with (a random one when none was given)."""
        s = self.meta.get("seed")
        return int(s) if s is not None else None

    def __repr__(self) -> str:
        return f"Counts({{{self._body(str)}}})"

    def _repr_html_(self) -> str:
        w, counts = self._weights(), self._raw()
        return self._html(
            f"Counts: {self.shots} samples",
            "<th>count</th><th>probability</th>",
            lambda k, r: f"<td>{counts[r]}</td><td>{w[r]:.4f}</td>",
        )


class Probabilities(_FockMapping[float]):
    """Exact output probabilities: a mapping from output Fock states (tuples of photon
    numbers, mode 0 first) to probabilities. A full distribution leaves out outcomes of
    probability exactly zero; one of chosen ``outputs`` has exactly those.

    >>> p = Probabilities({"|2,0>": 0.5, "|0,2>": 0.5})
    >>> p[(2, 0)], p.get((1, 1), 0.0), p.total()
    (0.5, 0.0, 1.0)
    """

    def __init__(
        self,
        probabilities: Mapping[Any, float],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        own = (
            probabilities
            if isinstance(probabilities, Probabilities)
            else {k: float(v) for k, v in probabilities.items()}
        )
        super().__init__(own, meta=meta, substrate=substrate)

    def _weights(self) -> np.ndarray[Any, Any]:
        return np.asarray(self._raw(), dtype=np.float64)

    def total(self) -> float:
        """The sum of the probabilities (1 for a full distribution, up to rounding)."""
        return float(self._weights().sum())

    def __repr__(self) -> str:
        return f"Probabilities({{{self._body(lambda v: f'{v:.6g}')}}})"

    def _repr_html_(self) -> str:
        return self._html(
            "Probabilities",
            "<th>probability</th>",
            lambda k, r: f"<td>{self._weights()[r]:.6g}</td>",
        )
