"""Result objects of sokr.quantum: SampleResult, ObserveResult and State."""

from __future__ import annotations

import heapq
import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._html import ROWS, more
from .spin import SpinOperator

Order = Literal["qasm", "cudaq"]


@dataclass(frozen=True)
class Register:
    """A classical register: ``size`` bits from classical bit ``start``."""

    name: str
    start: int
    size: int


class SampleResult(Mapping[str, int]):
    """Measurement counts, as CUDA-Q's ``cudaq.SampleResult``: a mapping from bitstrings to
    how often they were seen, with the methods CUDA-Q users rely on.

    **Bit order.** Keys follow OpenQASM and Qiskit: classical bit 0 is the *rightmost*
    character (``"01"`` means bit 0 = 1, bit 1 = 0). A program that measures nothing is
    measured whole, qubit i into bit i. ``result.in_order("cudaq")`` gives the same counts
    with CUDA-Q's order, bit 0 leftmost; every method follows the result's own order.

    >>> r = SampleResult({"00": 480, "11": 520}, [Register("c", 0, 2)])
    >>> r.most_probable(), r["11"], r.probability("00"), r.expectation()
    ('11', 520, 0.48, 1.0)
    >>> r.get_marginal([0])
    SampleResult({ 0:480 1:520 })
    """

    def __init__(
        self,
        counts: Mapping[str, int],
        registers: Sequence[Register] = (),
        *,
        order: Order = "qasm",
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
        seed: int | None = None,
    ) -> None:
        if order not in ("qasm", "cudaq"):
            raise ValueError(f"order is 'qasm' or 'cudaq', not {order!r}")
        # The order of get_sequential_data: drawn now when not given, so that in_order's
        # result gives the same sequence.
        self._seed = seed if seed is not None else int(np.random.default_rng().integers(1 << 63))
        self._sequence: list[str] | None = None
        # Sorted by bit value (bit 0 least significant) so that dumps and plots read the same.
        width = len(next(iter(counts), ""))
        self._counts = dict(sorted(counts.items(), key=lambda kv: _value(kv[0], order)))
        self._width = width
        self.registers = list(registers)
        self.order: Order = order
        self.meta = dict(meta or {})
        self.substrate = substrate
        self.shots = sum(self._counts.values())

    # -- the mapping -----------------------------------------------------------------------

    def __getitem__(self, bits: str) -> int:
        return self._counts[bits]

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def count(self, bits: str) -> int:
        """How often ``bits`` was seen (0 if never)."""
        return self._counts.get(bits, 0)

    def probability(self, bits: str) -> float:
        """The fraction of shots that gave ``bits``."""
        return self.count(bits) / self.shots if self.shots else 0.0

    def most_probable(self, register: str | None = None) -> str:
        """The bitstring seen most often (of ``register`` when given); ties go to the
        smaller value."""
        r = self if register is None else self.get_register_counts(register)
        if not r._counts:
            raise ValueError("no shots")
        return max(r._counts, key=lambda k: (r._counts[k], -_value(k, r.order)))

    def expectation(self, register: str | None = None) -> float:
        """The expectation of Z⊗Z⊗...⊗Z over the measured bits: the mean of (-1)^(number of
        ones), as CUDA-Q's ``expectation()``."""
        r = self if register is None else self.get_register_counts(register)
        if not r.shots:
            raise ValueError("no shots")
        return float(sum((-1) ** k.count("1") * c for k, c in r._counts.items()) / r.shots)

    expectation_z = expectation

    def get_sequential_data(self, register_name: str = "__global__") -> list[str]:
        """The shots one by one, as CUDA-Q's ``get_sequential_data``: one bitstring per shot
        (of ``register_name``, or of every bit for ``"__global__"``), in this result's order.

        Shots are independent, so the substrates draw them together as counts; the sequence is
        those counts in a uniformly random order, which is distributed exactly as a sequence of
        independent shots. The same ``seed`` gives the same sequence; one result always gives
        the same one."""
        if self._sequence is None:
            keys = np.repeat(np.array(list(self._counts), dtype=object), list(self._counts.values()))
            rng = np.random.default_rng(self._seed)
            self._sequence = [str(k) for k in keys[rng.permutation(len(keys))]]
        if register_name == "__global__":
            return list(self._sequence)
        for r in self.registers:
            if r.name == register_name:
                idx = range(r.start, r.start + r.size)
                if self.order == "cudaq":
                    return ["".join(k[i] for i in idx) for k in self._sequence]
                return ["".join(k[-1 - i] for i in reversed(idx)) for k in self._sequence]
        raise KeyError(f"no register {register_name!r}; the registers are {self.register_names}")

    def get_total_shots(self) -> int:
        """The number of shots, as CUDA-Q's ``get_total_shots()``."""
        return self.shots

    # -- views -----------------------------------------------------------------------------

    def get_marginal(self, bits: Sequence[int]) -> SampleResult:
        """Counts over the classical bits ``bits`` only: bit j of the result is bit
        ``bits[j]`` of this one."""
        idx = [int(b) for b in bits]
        for b in idx:
            if not 0 <= b < self._width:
                raise IndexError(f"bit {b} out of range: the result has {self._width} bits")
        out: dict[str, int] = {}
        for k, c in self._counts.items():
            vals = [_bit(k, b, self.order) for b in idx]
            key = "".join(vals if self.order == "cudaq" else reversed(vals))
            out[key] = out.get(key, 0) + c
        return SampleResult(out, [], order=self.order, meta=self.meta, substrate=self.substrate)

    get_marginal_counts = get_marginal

    @property
    def register_names(self) -> list[str]:
        """The names of the classical registers."""
        return [r.name for r in self.registers]

    def get_register_counts(self, name: str) -> SampleResult:
        """Counts of one classical register."""
        for r in self.registers:
            if r.name == name:
                res = self.get_marginal(range(r.start, r.start + r.size))
                res.registers = [Register(name, 0, r.size)]
                return res
        raise KeyError(f"no register {name!r}; the registers are {self.register_names}")

    def in_order(self, order: Order) -> SampleResult:
        """The same counts with keys in ``order``: "qasm" (bit 0 rightmost) or "cudaq"
        (bit 0 leftmost)."""
        if order not in ("qasm", "cudaq"):
            raise ValueError(f"order is 'qasm' or 'cudaq', not {order!r}")
        counts = self._counts if order == self.order else {k[::-1]: c for k, c in self._counts.items()}
        # The same seed: the keys keep their order (sorted by value), so the sequence of shots
        # is the same one, read in the other order.
        return SampleResult(
            counts, self.registers, order=order, meta=self.meta, substrate=self.substrate, seed=self._seed
        )

    # -- display ---------------------------------------------------------------------------

    def __str__(self) -> str:
        return "{ " + " ".join(f"{k}:{c}" for k, c in self._counts.items()) + " }"

    def __repr__(self) -> str:
        return f"SampleResult({self})"

    def dump(self) -> None:
        """Print the counts, as CUDA-Q's ``dump()``."""
        print(self)

    def _repr_html_(self) -> str:
        # The most frequent ROWS outcomes, in bit order, as plot() shows them.
        keys = self._top(ROWS)
        rows = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td><td>{self._counts[k]}</td>"
            f"<td>{self._counts[k] / self.shots:.4f}</td></tr>"
            for k in keys
        )
        where = f" on {html.escape(self.substrate)}" if self.substrate else ""
        left = self.shots - sum(self._counts[k] for k in keys)
        return (
            f"<div><b>SampleResult</b>: {self.shots} shots{where}, {len(self)} outcomes "
            f"(bit 0 {'rightmost' if self.order == 'qasm' else 'leftmost'})"
            f"<table><tr><th>bits</th><th>count</th><th>probability</th></tr>{rows}</table>"
            f"{more(len(keys), len(self), f'outcomes ({left} shots), less frequent')}</div>"
        )

    def _top(self, n: int | None) -> list[str]:
        """The ``n`` most frequent outcomes (ties to the smaller value), in bit order."""
        if n is None or len(self._counts) <= n:
            return list(self._counts)
        keep = set(heapq.nsmallest(n, self._counts, key=lambda k: (-self._counts[k], _value(k, self.order))))
        return [k for k in self._counts if k in keep]

    def plot(self, ax: Any = None, top: int | None = 32) -> Any:
        """A histogram of the probabilities (matplotlib), the ``top`` most frequent outcomes
        in bit order. Returns the axes."""
        import matplotlib.pyplot as plt

        keys = self._top(top)
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(keys) + 1.5), 3))
        ax.bar(keys, [self._counts[k] / self.shots for k in keys], color="#4c72b0")
        ax.set_ylabel("probability")
        ax.set_xlabel(f"bits (bit 0 {'rightmost' if self.order == 'qasm' else 'leftmost'})")
        ax.tick_params(axis="x", rotation=90 if len(keys) > 8 else 0)
        ax.set_title(f"{self.shots} shots")
        return ax


def _bit(key: str, i: int, order: Order) -> str:
    return key[i] if order == "cudaq" else key[-1 - i]


def _value(key: str, order: Order) -> int:
    return int(key[::-1] if order == "cudaq" else key, 2) if key else 0


class ObserveResult:
    """The expectation of a spin operator, as CUDA-Q's ``cudaq.ObserveResult``.

    ``expectation()`` is the whole operator's value; ``expectation(term)`` one term's, without
    its coefficient; ``terms()`` every term with its coefficient and value."""

    def __init__(
        self,
        operator: SpinOperator,
        values: Sequence[float],
        *,
        shots: int | None = None,
        meta: Mapping[str, str] | None = None,
        substrate: str | None = None,
        counts: Sequence[SampleResult] | None = None,
    ) -> None:
        self.spin_operator = operator
        self._counts = None if counts is None else list(counts)
        self._terms = [(c, w, float(v)) for (c, w), v in zip(operator.terms(), values, strict=True)]
        self.shots = shots
        self.meta = dict(meta or {})
        self.substrate = substrate

    def expectation(self, term: SpinOperator | None = None) -> float:
        """The operator's expectation, or one term's (without its coefficient)."""
        if term is None:
            return float(sum((c * v).real for c, _, v in self._terms))
        if not isinstance(term, SpinOperator) or term.term_count != 1:
            raise ValueError("expectation(term) takes a single-term spin operator")
        ((_, word),) = term.terms()
        for _, w, v in self._terms:
            if w.rstrip("I") == word.rstrip("I"):
                return v
        raise KeyError(f"{term} is not a term of {self.spin_operator}")

    def counts(self, sub_term: Any = None) -> SampleResult:
        """The measurement counts behind a sampled expectation (``shots_count`` given), as
        CUDA-Q's ``counts(sub_term)``: the shots of the term's qubits measured in its basis,
        bit j the term's j-th qubit that is not I (the expectation is their parity's mean).
        ``sub_term`` is a sokr or a CUDA-Q single-term spin operator; without it, the
        operator must have one term. Exact results have no counts."""
        if self._counts is None:
            raise ValueError(
                "no counts: the expectation was computed exactly, or the kernel measures "
                "mid-circuit (pass shots_count= to a kernel without mid-circuit measurement)"
            )
        if sub_term is None:
            if len(self._terms) != 1:
                raise ValueError("counts() of an operator of several terms takes the term: counts(term)")
            return self._counts[0]
        return self._counts[self._index(sub_term)]

    def _index(self, term: Any) -> int:
        from . import _cudaq

        if _cudaq.is_spin_operator(term):
            term = _cudaq.spin_operator(term)
        if not isinstance(term, SpinOperator) or term.term_count != 1:
            raise ValueError("takes a single-term spin operator")
        ((_, word),) = term.terms()
        for i, (_, w, _) in enumerate(self._terms):
            if w.rstrip("I") == word.rstrip("I"):
                return i
        raise KeyError(f"{term} is not a term of {self.spin_operator}")

    def terms(self) -> list[tuple[complex, str, float]]:
        """(coefficient, Pauli string, expectation) per term; character k of the string acts
        on qubit k."""
        return list(self._terms)

    def __repr__(self) -> str:
        return f"ObserveResult(expectation={self.expectation():.10g}, terms={len(self._terms)})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(w)}</code></td><td>{c:.6g}</td><td>{v:.6g}</td></tr>"
            for c, w, v in self._terms[:ROWS]
        )
        how = f"{self.shots} shots" if self.shots else "exact"
        return (
            f"<div><b>ObserveResult</b>: ⟨H⟩ = {self.expectation():.10g} ({how})"
            f"<table><tr><th>term</th><th>coefficient</th><th>⟨term⟩</th></tr>{rows}</table>"
            f"{more(min(ROWS, len(self._terms)), len(self._terms), 'terms')}</div>"
        )


class State:
    """A state vector, as CUDA-Q's ``cudaq.State``: amplitude i belongs to the basis state
    whose qubit q is bit q of i (qubit 0 least significant). ``np.asarray(state)`` gives the
    amplitudes."""

    def __init__(self, amplitudes: np.ndarray[Any, Any], substrate: str | None = None) -> None:
        self._amps = amplitudes
        self.substrate = substrate
        self.num_qubits = int(amplitudes.size).bit_length() - 1

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        return self._amps if dtype is None else self._amps.astype(dtype)

    def __len__(self) -> int:
        return int(self._amps.size)

    def __getitem__(self, i: int) -> complex:
        return complex(self._amps[i])

    def amplitude(self, bits: str | Sequence[int], order: Order = "qasm") -> complex:
        """The amplitude of a basis state given as qubit values, in the order of
        :class:`SampleResult` keys: qubit 0 *rightmost* by default, so that
        ``state.amplitude(counts.most_probable())`` reads the state sampled most often
        (``state.amplitude("10")`` is qubit 1 = 1, qubit 0 = 0). ``order="cudaq"`` reads
        qubit 0 first, as ``cudaq.State.amplitude`` and ``in_order("cudaq")`` keys do."""
        if order not in ("qasm", "cudaq"):
            raise ValueError(f"order is 'qasm' or 'cudaq', not {order!r}")
        vals = [int(b) for b in bits]
        if len(vals) != self.num_qubits or any(v not in (0, 1) for v in vals):
            raise ValueError(f"amplitude takes {self.num_qubits} bits of 0 and 1, not {bits!r}")
        if order == "qasm":
            vals.reverse()
        return complex(self._amps[sum(v << q for q, v in enumerate(vals))])

    def probabilities(self) -> np.ndarray[Any, Any]:
        """|amplitude|² for every basis state."""
        return np.asarray(np.abs(self._amps) ** 2)

    def overlap(self, other: Any) -> complex:
        """⟨self|other⟩."""
        return complex(np.vdot(self._amps, np.asarray(other)))

    def dump(self) -> None:
        """Print the amplitudes."""
        print(self)

    def __str__(self) -> str:
        return "\n".join(f"{a.real:.6g} {a.imag:+.6g}j" for a in self._amps.tolist())

    def __repr__(self) -> str:
        return f"State({self.num_qubits} qubits, {self._amps.dtype})"

    def _repr_html_(self) -> str:
        n = self.num_qubits
        rows = "".join(
            f"<tr><td><code>|{format(i, f'0{n}b') if n else ''}⟩</code></td><td>{a:.6g}</td></tr>"
            for i, a in enumerate(self._amps[:ROWS].tolist())
            if abs(a) > 1e-12
        )
        left = "" if self._amps.size <= ROWS else f"<p>(first {ROWS} of {self._amps.size} amplitudes)</p>"
        return f"<div><b>State</b>: {n} qubits<table>{rows}</table>{left}</div>"
