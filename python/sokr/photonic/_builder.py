"""Build ``sokr.photonic/1`` programs from Python: modes, an input state, components, detectors.

The builder writes the IR's text (pkg/ir/photonic documents it); the Go verifier has the last
word when the text is parsed. What Python can check as a component is added (mode numbers,
parameter types, matrix shapes) it checks at once, naming the component.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ._results import fock, fock_string

if TYPE_CHECKING:
    from .._runtime import Program, Runtime

#: The IR format the builder writes.
FORMAT = "sokr.photonic/1"

#: The detector kinds: photon-number resolving, and threshold ("click") detectors.
DETECTORS = ("pnr", "threshold")


def _number(v: Any, what: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a real number, not {type(v).__name__}")
    x = float(v)
    if not math.isfinite(x):
        raise errors.InvalidProgramError(f"{what} must be finite, not {x}")
    return x


def _real(x: float) -> str:
    """x in the shortest form that reads back exactly (Python's repr; Go reads it too)."""
    return repr(x + 0.0)  # -0.0 reads as 0


def _complex(z: complex) -> str:
    """z in Go's complex syntax: "0.6", "0.8i", "0.5-0.5i"."""
    re, im = z.real + 0.0, z.imag + 0.0
    if im == 0:
        return _real(re)
    if re == 0:
        return _real(im) + "i"
    return _real(re) + ("" if im < 0 else "+") + _real(im) + "i"


class Builder:
    """A linear-optics program under construction: ``modes`` modes, an input Fock state, the
    components in the order light meets them, and the detectors. Methods add to it and
    return the builder, so calls chain; :meth:`text` writes the program and :meth:`build`
    parses it. :func:`sokr.program`, :func:`sokr.dispatch` and the functions of
    :mod:`sokr.photonic` take a builder as is.

    The components are Perceval's (the IR states the conventions): ``bs`` is
    ``BS(theta, phi_tl, phi_bl, phi_tr, phi_br)`` in the Rx convention, balanced by default;
    ``ps`` is ``PS(phi)``; ``unitary`` applies a matrix ``U[out][in]`` to the modes listed.

    >>> from sokr import photonic
    >>> b = photonic.Builder(2).input((1, 1)).bs(0, 1)
    >>> print(b.text(), end="")
    sokr.photonic/1
    modes 2
    input |1,1>
    bs 0, 1
    >>> photonic.probabilities(b)[(1, 1)] < 1e-12
    True
    >>> photonic.Builder(2).bs(0, 2)
    Traceback (most recent call last):
    ...
    sokr.errors.InvalidProgramError: bs 0, 2: mode 2 is out of range: the program has modes 0 to 1
    """

    def __init__(self, modes: int, input_state: Any = None) -> None:
        if isinstance(modes, bool):
            raise TypeError("modes must be an integer, not bool")
        try:
            m = operator.index(modes)
        except TypeError:
            raise TypeError(f"modes must be an integer, not {type(modes).__name__}") from None
        if m < 1:
            raise errors.InvalidProgramError(f"a program has at least one mode, not {m}")
        self.modes = m
        self._input: tuple[int, ...] = (0,) * m
        self._ops: list[str] = []
        self._detectors: dict[int, str] = {}
        if input_state is not None:
            self.input(input_state)

    def __repr__(self) -> str:
        return (
            f"<sokr.photonic.Builder {self.modes} modes, input {fock_string(self._input)}, "
            f"{len(self._ops)} components>"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.text())}</pre>"

    def copy(self) -> Builder:
        """A builder with the same program, to extend or change apart from this one."""
        b = Builder(self.modes, self._input)
        b._ops, b._detectors = list(self._ops), dict(self._detectors)
        return b

    # -- the program -----------------------------------------------------------------------

    @property
    def input_state(self) -> tuple[int, ...]:
        """The input Fock state, mode 0 first."""
        return self._input

    @property
    def photons(self) -> int:
        """The number of photons of the input state."""
        return sum(self._input)

    def input(self, state: Any) -> Builder:
        """Set the input Fock state: ``(1, 0, 1)``, ``[1, 0, 1]`` or ``"|1,0,1>"``."""
        try:
            s = fock(state)
        except ValueError as e:
            raise errors.InvalidProgramError(f"input: {e}") from None
        if len(s) != self.modes:
            raise errors.InvalidProgramError(
                f"input {fock_string(s)}: the state has {len(s)} modes; the program has {self.modes}"
            )
        self._input = s
        return self

    def _mode(self, m: Any, where: str) -> int:
        if isinstance(m, (bool, np.bool_)):
            raise TypeError(f"{where}: modes are integers, not bool")
        try:
            k = operator.index(m)
        except TypeError:
            raise TypeError(f"{where}: modes are integers, not {type(m).__name__}") from None
        if not 0 <= k < self.modes:
            raise errors.InvalidProgramError(
                f"{where}: mode {k} is out of range: the program has modes 0 to {self.modes - 1}"
            )
        return k

    def _modes(self, modes: Iterable[Any], where: str) -> list[int]:
        if isinstance(modes, (str, bytes)) or not isinstance(modes, Iterable):
            raise TypeError(f"{where}: modes are a sequence of integers, not {type(modes).__name__}")
        ks = [self._mode(m, where) for m in modes]
        if len(set(ks)) != len(ks):
            raise errors.InvalidProgramError(f"{where}: a mode is listed twice: {ks}")
        return ks

    def bs(
        self,
        top: int,
        bottom: int,
        theta: float | None = None,
        *,
        phi_tl: float = 0.0,
        phi_bl: float = 0.0,
        phi_tr: float = 0.0,
        phi_br: float = 0.0,
    ) -> Builder:
        """A beam splitter on modes ``top`` and ``bottom``: Perceval's
        ``BS(theta, phi_tl, phi_bl, phi_tr, phi_br)`` (Rx convention). ``theta`` defaults to
        π/2, the balanced beam splitter; its reflectivity is cos²(θ/2)."""
        where = f"bs {top}, {bottom}"
        a, b = self._modes((top, bottom), where)
        parts = [f"bs {a}, {b}"]
        angles = (
            ("theta", theta),
            ("phi_tl", phi_tl),
            ("phi_bl", phi_bl),
            ("phi_tr", phi_tr),
            ("phi_br", phi_br),
        )
        for key, v in angles:
            if v is not None:
                x = _number(v, f"{where}: {key}")
                if key == "theta" or x != 0:  # zero phases are the default
                    parts.append(f"{key}={_real(x)}")
        self._ops.append(", ".join(parts))
        return self

    def ps(self, mode: int, phi: float) -> Builder:
        """A phase shifter on ``mode``: Perceval's ``PS(phi)``, a factor e^{iφ} per photon."""
        where = f"ps {mode}"
        k = self._mode(mode, where)
        self._ops.append(f"ps {k}, phi={_real(_number(phi, f'{where}: phi'))}")
        return self

    def unitary(self, modes: Sequence[int], matrix: Any) -> Builder:
        """A kxk unitary on the k ``modes`` listed, in the order of the matrix's rows and
        columns: a photon entering ``modes[j]`` leaves in ``modes[i]`` with amplitude
        ``matrix[i][j]`` (Perceval's ``Unitary``). The Go verifier checks that it is unitary
        (within ``1e-8``)."""
        where = f"unitary {', '.join(str(m) for m in modes) if isinstance(modes, Sequence) else modes}"
        ks = self._modes(modes, where)
        try:
            u = np.asarray(matrix, dtype=np.complex128)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: the matrix must be numbers, a kxk array") from None
        if u.shape != (len(ks), len(ks)):
            raise errors.InvalidProgramError(
                f"{where}: the matrix is {'x'.join(map(str, u.shape)) or 'a scalar'}; "
                f"{len(ks)} modes take a {len(ks)}x{len(ks)} matrix"
            )
        if not np.all(np.isfinite(u)):
            raise errors.InvalidProgramError(f"{where}: the matrix has entries that are not finite")
        rows = ",\n  ".join("[" + ", ".join(_complex(complex(z)) for z in row) + "]" for row in u.tolist())
        self._ops.append(f"unitary {', '.join(map(str, ks))} = [{rows}]")
        return self

    def loss(self, eta: float, modes: Sequence[int] | None = None) -> Builder:
        """A loss channel of transmissivity ``eta`` (each photon kept with probability η) on
        the ``modes`` listed, or on every mode."""
        e = _number(eta, "loss: eta")
        if not 0 <= e <= 1:
            raise errors.InvalidProgramError(f"loss: eta is a transmissivity in [0, 1], not {e}")
        if modes is None:
            self._ops.append(f"loss eta={_real(e)}")
        else:
            ks = self._modes(modes, "loss")
            if not ks:
                raise errors.InvalidProgramError("loss: no modes listed (leave modes out for every mode)")
            self._ops.append(f"loss {', '.join(map(str, ks))}, eta={_real(e)}")
        return self

    def detect(self, kind: str, modes: Sequence[int] | None = None) -> Builder:
        """Detectors of ``kind`` (``"pnr"`` or ``"threshold"``) on the ``modes`` listed, or on
        every mode. Modes left out have PNR detectors; a threshold detector reports 1 for one
        or more photons."""
        if kind not in DETECTORS:
            raise errors.InvalidProgramError(f"detect: kind is 'pnr' or 'threshold', not {kind!r}")
        ks = list(range(self.modes)) if modes is None else self._modes(modes, f"detect {kind}")
        for k in ks:
            self._detectors[k] = kind
        return self

    # -- output ----------------------------------------------------------------------------

    def text(self) -> str:
        """The program's text, ``sokr.photonic/1``."""
        lines = [FORMAT, f"modes {self.modes}", f"input {fock_string(self._input)}", *self._ops]
        threshold = sorted(k for k, v in self._detectors.items() if v == "threshold")
        if threshold:
            every = len(threshold) == self.modes
            lines.append("detect threshold" + ("" if every else " " + ", ".join(map(str, threshold))))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.text()

    def __sokr_program__(self) -> tuple[str, str]:
        return FORMAT, self.text()

    def build(self, runtime: Runtime | None = None) -> Program:
        """Parse and verify the program: a :class:`sokr.Program`."""
        from .._runtime import default_runtime

        return (runtime or default_runtime()).program(self)
