"""Spin (Pauli) operators: ``spin.x(0) * spin.z(1) + 0.5 * spin.y(2)``."""

from __future__ import annotations

import html
import itertools
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._html import ROWS

#: A Pauli word: (qubit, letter) pairs sorted by qubit, letters X, Y or Z; () is the identity.
Word = tuple[tuple[int, str], ...]

# The product of two single-qubit Paulis: a ⋅ b = phase ⋅ c.
_PRODUCT: dict[tuple[str, str], tuple[complex, str]] = {
    ("X", "Y"): (1j, "Z"),
    ("Y", "Z"): (1j, "X"),
    ("Z", "X"): (1j, "Y"),
    ("Y", "X"): (-1j, "Z"),
    ("Z", "Y"): (-1j, "X"),
    ("X", "Z"): (-1j, "Y"),
}

_MATRICES = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def _multiply(a: Word, b: Word) -> tuple[complex, Word]:
    phase: complex = 1
    out = dict(a)
    for q, p in b:
        if q not in out:
            out[q] = p
        elif out[q] == p:
            del out[q]
        else:
            f, out[q] = _PRODUCT[(out[q], p)]
            phase *= f
    return phase, tuple(sorted(out.items()))


class SpinOperator:
    """A sum of Pauli words with complex coefficients, as CUDA-Q's ``cudaq.SpinOperator``.

    Build them from :func:`x`, :func:`y`, :func:`z` and :func:`i` with ``+``, ``-``, ``*``
    and numbers:

    >>> from sokr.quantum import spin
    >>> h = 5.907 - 2.1433 * spin.x(0) * spin.x(1) + 0.21829 * spin.z(0) - 6.125 * spin.z(1)
    >>> h.term_count
    4
    >>> h.qubit_count
    2
    >>> print(spin.x(0) * spin.y(0))
    1j*Z0
    """

    __slots__ = ("_terms",)

    def __init__(self, terms: dict[Word, complex] | None = None) -> None:
        self._terms: dict[Word, complex] = {w: c for w, c in (terms or {}).items() if c != 0}

    @staticmethod
    def from_word(word: str) -> SpinOperator:
        """The operator of a Pauli string, character k acting on qubit k: ``"XIZ"``."""
        if not isinstance(word, str) or any(ch not in "IXYZ" for ch in word.upper()):
            raise ValueError(f"a Pauli word uses only the letters I, X, Y and Z, not {word!r}")
        return SpinOperator({tuple((k, ch) for k, ch in enumerate(word.upper()) if ch != "I"): 1})

    # -- algebra ---------------------------------------------------------------------------

    @staticmethod
    def _lift(other: Any) -> SpinOperator | None:
        if isinstance(other, SpinOperator):
            return other
        if isinstance(other, numbers.Complex) and not isinstance(other, bool):
            return SpinOperator({(): complex(other)})
        return None

    def __add__(self, other: Any) -> SpinOperator:
        o = self._lift(other)
        if o is None:
            return NotImplemented
        terms = dict(self._terms)
        for w, c in o._terms.items():
            terms[w] = terms.get(w, 0) + c
        return SpinOperator(terms)

    __radd__ = __add__

    def __neg__(self) -> SpinOperator:
        return SpinOperator({w: -c for w, c in self._terms.items()})

    def __sub__(self, other: Any) -> SpinOperator:
        o = self._lift(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: Any) -> SpinOperator:
        o = self._lift(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, other: Any) -> SpinOperator:
        o = self._lift(other)
        if o is None:
            return NotImplemented
        terms: dict[Word, complex] = {}
        for wa, ca in self._terms.items():
            for wb, cb in o._terms.items():
                phase, w = _multiply(wa, wb)
                terms[w] = terms.get(w, 0) + ca * cb * phase
        return SpinOperator(terms)

    def __rmul__(self, other: Any) -> SpinOperator:
        o = self._lift(other)
        return NotImplemented if o is None else o * self

    def __truediv__(self, other: Any) -> SpinOperator:
        if isinstance(other, numbers.Complex) and not isinstance(other, bool):
            return self * (1 / complex(other))
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        o = self._lift(other)
        if o is None:
            return NotImplemented
        keys = self._terms.keys() | o._terms.keys()
        return all(abs(self._terms.get(k, 0) - o._terms.get(k, 0)) < 1e-12 for k in keys)

    __hash__ = None  # type: ignore[assignment]

    # -- inspection ------------------------------------------------------------------------

    @property
    def term_count(self) -> int:
        """The number of Pauli words (the identity included)."""
        return len(self._terms)

    def get_term_count(self) -> int:
        """CUDA-Q's name for :attr:`term_count`."""
        return self.term_count

    @property
    def qubit_count(self) -> int:
        """One more than the highest qubit acted on (0 for a multiple of the identity)."""
        return max((q + 1 for w in self._terms for q, _ in w), default=0)

    def get_qubit_count(self) -> int:
        """CUDA-Q's name for :attr:`qubit_count`."""
        return self.qubit_count

    def terms(self, n_qubits: int | None = None) -> list[tuple[complex, str]]:
        """The terms as (coefficient, Pauli string) pairs; character k of the string acts on
        qubit k and the strings have ``n_qubits`` characters (default :attr:`qubit_count`)."""
        n = self.qubit_count if n_qubits is None else n_qubits
        if n < self.qubit_count:
            raise ValueError(f"the operator acts on {self.qubit_count} qubits, more than {n}")
        out = []
        for w, c in self._terms.items():
            s = ["I"] * n
            for q, p in w:
                s[q] = p
            out.append((c, "".join(s)))
        return out

    def __iter__(self) -> Iterator[SpinOperator]:
        """Each term as a single-term operator."""
        return (SpinOperator({w: c}) for w, c in self._terms.items())

    def get_coefficient(self) -> complex:
        """The coefficient of a single-term operator."""
        if len(self._terms) != 1:
            raise ValueError(f"get_coefficient needs a single term; this operator has {len(self._terms)}")
        return next(iter(self._terms.values()))

    def is_identity(self) -> bool:
        """Whether this is a multiple of the identity."""
        return all(w == () for w in self._terms)

    def to_matrix(self, n_qubits: int | None = None) -> np.ndarray[Any, Any]:
        """The dense 2^n x 2^n matrix (qubit 0 the least significant bit of an index), for
        checking small cases; the simulators never build it."""
        n = self.qubit_count if n_qubits is None else n_qubits
        if n > 12:
            raise ValueError(f"a dense matrix on {n} qubits is too large; at most 12")
        m = np.zeros((1 << n, 1 << n), dtype=complex)
        for c, s in self.terms(n):
            t = np.ones((1, 1), dtype=complex)
            for ch in s:  # qubit k ends up as bit k: later (higher) qubits are the outer factor
                t = np.kron(_MATRICES[ch], t)
            m += c * t
        return m

    def __str__(self) -> str:
        return self._text(None)

    def _text(self, limit: int | None) -> str:
        """The sum as text, its first ``limit`` terms when given."""
        if not self._terms:
            return "0"
        parts = []
        for w, c in itertools.islice(self._terms.items(), limit):
            coef = _fmt(c)
            word = "".join(f"{p}{q}" for q, p in w) or "I"
            parts.append(word if coef == "1" else f"{coef}*{word}")
        return " + ".join(parts)

    def __repr__(self) -> str:
        return f"SpinOperator({self})"

    def _repr_html_(self) -> str:
        shown = min(ROWS, len(self._terms))
        rest = f" + … ({len(self._terms) - shown} more terms)" if len(self._terms) > shown else ""
        return f"<code>{html.escape(self._text(ROWS))}{rest}</code>"


def _fmt(c: complex) -> str:
    if c.imag == 0:
        return f"{c.real:g}"
    if c.real == 0:
        return f"{c.imag:g}j"
    return f"({c.real:g}{c.imag:+g}j)"


def _single(letter: str, qubit: int) -> SpinOperator:
    if not isinstance(qubit, (int, np.integer)) or isinstance(qubit, bool) or qubit < 0:
        raise TypeError(f"spin.{letter.lower()} takes a non-negative qubit index, not {qubit!r}")
    return SpinOperator({((int(qubit), letter),): 1})


def x(qubit: int) -> SpinOperator:
    """Pauli X on ``qubit``."""
    return _single("X", qubit)


def y(qubit: int) -> SpinOperator:
    """Pauli Y on ``qubit``."""
    return _single("Y", qubit)


def z(qubit: int) -> SpinOperator:
    """Pauli Z on ``qubit``."""
    return _single("Z", qubit)


def i(qubit: int) -> SpinOperator:
    """The identity (on ``qubit``, which only checks the index)."""
    _single("X", qubit)
    return SpinOperator({(): 1})
