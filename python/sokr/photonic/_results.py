"""Result objects of sokr.photonic: Counts (sampled outcomes) and Probabilities (exact ones).

Both are mappings from output Fock states, as tuples of photon numbers (mode 0 first), to a
count or a probability. The photonic substrate keys its results by Perceval's notation,
``"|1,0,1>"``; :func:`fock` reads that notation (and tuples, lists and numpy arrays) and
:func:`fock_string` writes it.
"""

from __future__ import annotations

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

# The rows an HTML view shows, the most likely outcomes first; the rest are summed up.
HTML_ROWS = 16


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


class _FockMapping(Mapping[FockState, V], Generic[V]):
    """What Counts and Probabilities share: the mapping, sorted by state, and the views."""

    _what = "outcomes"

    def __init__(
        self,
        values: Mapping[Any, V],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        self._values: dict[FockState, V] = dict(sorted((fock(k), v) for k, v in values.items()))
        self.meta = dict(meta or {})
        self.substrate = substrate
        self.modes = len(next(iter(self._values), ()))

    def __getitem__(self, state: Any) -> V:
        try:
            return self._values[state if type(state) is tuple else fock(state)]
        except (TypeError, ValueError):
            raise KeyError(state) from None

    def __iter__(self) -> Iterator[FockState]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def _weight(self, state: FockState) -> float:
        raise NotImplementedError

    def most_probable(self, n: int | None = None) -> Any:
        """The most likely outcome, or with ``n`` the ``n`` most likely, most likely first (ties
        go to the smaller state)."""
        ranked = sorted(self._values, key=lambda k: (-self._weight(k), k))
        if n is not None:
            return ranked[:n]
        if not ranked:
            raise ValueError(f"no {self._what}")
        return ranked[0]

    def photon_numbers(self) -> dict[int, float]:
        """How likely each total photon number is (with loss, outcomes have fewer photons than
        the input)."""
        out: dict[int, float] = {}
        for k in self._values:
            out[sum(k)] = out.get(sum(k), 0.0) + self._weight(k)
        return dict(sorted(out.items()))

    def strings(self, style: Style = "perceval") -> dict[str, V]:
        """The same mapping keyed by strings: Perceval's ``"|1,0,1>"`` or CUDA-Q's ``"101"``."""
        return {fock_string(k, style): v for k, v in self._values.items()}

    def _html(self, title: str, head: str, cell: Any) -> str:
        top = self.most_probable(HTML_ROWS)
        rows = "".join(f"<tr><td><code>{html.escape(fock_string(k))}</code></td>{cell(k)}</tr>" for k in top)
        rest = len(self) - len(top)
        left = sum(self._weight(k) for k in self._values) - sum(self._weight(k) for k in top)
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

        keys = list(self._values)
        if top is not None and len(keys) > top:
            keep = set(self.most_probable(top))
            keys = [k for k in keys if k in keep]
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(keys) + 1.5), 3))
        labels = [fock_string(k) for k in keys]
        ax.bar(labels, [self._weight(k) for k in keys], color="#4c72b0")
        ax.set_ylabel("probability")
        ax.set_xlabel("output state")
        ax.tick_params(axis="x", rotation=90 if len(keys) > 6 else 0)
        return ax


class Counts(_FockMapping[int]):
    """Sampled outcomes: a mapping from output Fock states (tuples of photon numbers, mode 0
    first; 0 or 1 on modes with threshold detectors) to how often each was seen. States are
    sorted; :meth:`most_probable` ranks them.

    >>> r = Counts({"|2,0>": 48, "|0,2>": 52})
    >>> r[(2, 0)], r["|0,2>"], r.shots, r.probability((1, 1)), r.most_probable()
    (48, 52, 100, 0.0, (0, 2))
    >>> list(r), r.strings("cudaq")
    ([(0, 2), (2, 0)], {'02': 52, '20': 48})
    """

    _what = "outcomes"

    def __init__(
        self,
        counts: Mapping[Any, int],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        super().__init__({k: int(v) for k, v in counts.items()}, meta=meta, substrate=substrate)
        self.shots = sum(self._values.values())

    def _weight(self, state: FockState) -> float:
        return self._values[state] / self.shots if self.shots else 0.0

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
        body = ", ".join(f"{fock_string(k)}: {v}" for k, v in self._values.items())
        return f"Counts({{{body}}})"

    def _repr_html_(self) -> str:
        return self._html(
            f"Counts: {self.shots} samples",
            "<th>count</th><th>probability</th>",
            lambda k: f"<td>{self._values[k]}</td><td>{self._weight(k):.4f}</td>",
        )


class Probabilities(_FockMapping[float]):
    """Exact output probabilities: a mapping from output Fock states (tuples of photon
    numbers, mode 0 first) to probabilities. A full distribution leaves out outcomes of
    probability exactly zero; one of chosen ``outputs`` has exactly those.

    >>> p = Probabilities({"|2,0>": 0.5, "|0,2>": 0.5})
    >>> p[(2, 0)], p.get((1, 1), 0.0), p.total()
    (0.5, 0.0, 1.0)
    """

    _what = "outcomes"

    def __init__(
        self,
        probabilities: Mapping[Any, float],
        *,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
    ) -> None:
        super().__init__({k: float(v) for k, v in probabilities.items()}, meta=meta, substrate=substrate)

    def _weight(self, state: FockState) -> float:
        return self._values[state]

    def total(self) -> float:
        """The sum of the probabilities (1 for a full distribution, up to rounding)."""
        return float(sum(self._values.values()))

    def __repr__(self) -> str:
        body = ", ".join(f"{fock_string(k)}: {v:.6g}" for k, v in self._values.items())
        return f"Probabilities({{{body}}})"

    def _repr_html_(self) -> str:
        return self._html(
            "Probabilities",
            "<th>probability</th>",
            lambda k: f"<td>{self._values[k]:.6g}</td>",
        )
