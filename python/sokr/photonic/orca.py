"""ORCA's time-bin interferometer with the arguments of ``cudaq.orca.sample``.

``cudaq.orca.sample(input_state, loop_lengths, bs_angles, ps_angles, n_samples)`` runs a
time-bin boson-sampling experiment on ORCA's PT-Series: the photons of ``input_state`` (one
time bin, i.e. one mode, per entry, the first entering first) pass a loop of each length in
``loop_lengths`` in turn; at every loop, each time bin meets the one ``length`` bins later
on a beam splitter of angle ``bs_angles[k]`` followed by a phase shifter ``ps_angles[k]``
on the earlier bin. ``n_modes`` bins and loops of lengths ``L`` make
``len(L) * n_modes - sum(L)`` beam splitters. This is the unrolled interferometer of
CUDA-Q's photonic example (``TBI`` in docs/sphinx/targets/python/photonics_tbi*.py)::

    for j in loop_lengths:
        for i in range(n_modes - j):
            beam_splitter(q[i], q[i + j], bs_angles[k]); phase_shift(q[i], ps_angles[k]); k += 1

with CUDA-Q's gates: ``phase_shift(q, φ)`` is Perceval's ``PS(φ)``, and
``beam_splitter(q, r, θ)`` is, as the ``orca-photonics`` simulator computes it, the real
rotation ``[[cos θ, sin θ], [-sin θ, cos θ]]`` (``U[out][in]``, modes q, r): Perceval's
``BS(2θ, phi_tl=π/2, phi_tr=-π/2)``. The tests check both against that simulator.

>>> from sokr.photonic import orca
>>> c = orca.sample([1, 0, 1, 0], [1], [0.3, 0.6, 0.9], [0.1, 0.2, 0.3], 200, seed=5)
>>> c.shots, all(sum(k) == 2 for k in c)
(200, True)
>>> print(orca.program([1, 1], [1], [0.25]).text(), end="")
sokr.photonic/1
modes 2
input |1,1>
bs 0, 1, theta=0.5, phi_tl=1.5707963267948966, phi_tr=-1.5707963267948966
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _future, _launch, errors
from .._future import Future, Result
from .._launch import AsyncResult, Derived
from .._runtime import Runtime
from . import _sample
from ._builder import Builder
from ._results import Counts

__all__ = ["beam_splitters", "program", "sample", "sample_async"]

# cudaq.orca.sample's default number of samples.
DEFAULT_SAMPLES = 10000


def _ints(v: Any, what: str, low: int) -> list[int]:
    if isinstance(v, (str, bytes)) or not isinstance(v, (Sequence, np.ndarray)):
        raise errors.InvalidInputError(
            f"{what} must be a list of integers, not {type(v).__name__}", name=what
        )
    out = []
    for i, x in enumerate(v):
        try:
            if isinstance(x, (bool, np.bool_)):
                raise TypeError
            n = operator.index(x)
        except TypeError:
            raise errors.InvalidInputError(
                f"{what}[{i}] must be an integer, not {x!r}", index=i, name=what
            ) from None
        if n < low:
            raise errors.InvalidInputError(f"{what}[{i}] must be at least {low}, not {n}", index=i, name=what)
        out.append(n)
    return out


def _angles(v: Any, what: str, n: int) -> list[float]:
    if isinstance(v, (str, bytes)) or not isinstance(v, (Sequence, np.ndarray)):
        raise errors.InvalidInputError(f"{what} must be a list of angles, not {type(v).__name__}", name=what)
    out = []
    for i, x in enumerate(v):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
            raise errors.InvalidInputError(
                f"{what}[{i}] must be a real number, not {x!r}", index=i, name=what
            )
        if not math.isfinite(float(x)):
            raise errors.InvalidInputError(f"{what}[{i}] must be finite, not {x}", index=i, name=what)
        out.append(float(x))
    if len(out) != n:
        raise errors.InvalidInputError(
            f"{what} has {len(out)} angles; the interferometer has {n} beam splitters "
            "(len(loop_lengths) * len(input_state) - sum(loop_lengths))",
            name=what,
        )
    return out


def beam_splitters(n_modes: int, loop_lengths: Sequence[int]) -> int:
    """The number of beam splitters (and of phase shifters) of the interferometer: one per
    pair of time bins ``length`` apart, for each loop.

    >>> beam_splitters(8, [1, 1])
    14
    """
    return sum(max(0, n_modes - j) for j in loop_lengths)


def program(
    input_state: Sequence[int],
    loop_lengths: Sequence[int],
    bs_angles: Sequence[float],
    ps_angles: Sequence[float] | None = None,
) -> Builder:
    """The time-bin interferometer as a :class:`sokr.photonic.Builder`: ``len(input_state)``
    modes, photon-number-resolving detectors."""
    state = _ints(input_state, "input_state", 0)
    if not state:
        raise errors.InvalidInputError("input_state is empty: one entry per time bin", name="input_state")
    n = len(state)
    loops = _ints(loop_lengths, "loop_lengths", 1)
    for i, j in enumerate(loops):
        if j >= n:
            raise errors.InvalidInputError(
                f"loop_lengths[{i}] is {j}: a loop is shorter than the {n} time bins",
                index=i,
                name="loop_lengths",
            )
    k = beam_splitters(n, loops)
    bs = _angles(bs_angles, "bs_angles", k)
    ps = None if ps_angles is None else _angles(ps_angles, "ps_angles", k)
    b = Builder(n, state)
    c = 0
    for j in loops:
        for i in range(n - j):
            b.bs(i, i + j, 2 * bs[c], phi_tl=math.pi / 2, phi_tr=-math.pi / 2)
            if ps is not None and ps[c] != 0:
                b.ps(i, ps[c])
            c += 1
    return b


def _split(ps_angles: Any, n_samples: Any) -> tuple[Any, Any]:
    """cudaq.orca.sample's two forms: (…, bs_angles, ps_angles, n_samples) and
    (…, bs_angles, n_samples)."""
    if ps_angles is not None and not isinstance(ps_angles, (Sequence, np.ndarray)):
        return None, ps_angles
    return ps_angles, n_samples


def _start(
    input_state: Sequence[int],
    loop_lengths: Sequence[int],
    bs_angles: Sequence[float],
    ps_angles: Any,
    n_samples: Any,
    options: dict[str, Any],
) -> tuple[Future, Callable[[Result], Counts]]:
    ps, shots = _split(ps_angles, n_samples)
    return _sample(program(input_state, loop_lengths, bs_angles, ps), shots=shots, **options)


def sample_async(
    input_state: Sequence[int],
    loop_lengths: Sequence[int],
    bs_angles: Sequence[float],
    ps_angles: Sequence[float] | int | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    *,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> AsyncResult[Counts]:
    """Start ``n_samples`` samples of the time-bin interferometer; returns a future of
    :class:`sokr.photonic.Counts` (keys are tuples; ``counts.strings("cudaq")`` gives
    CUDA-Q's ``"1010"`` keys). ``ps_angles`` may be left out, as in ``cudaq.orca.sample``
    (``sample_async(state, loops, bs, 1000)``)."""
    opts = {"seed": seed, "substrate": substrate, "runtime": runtime, **options}
    return _launch.launch(
        True,
        _launch.timeout_of(options),
        lambda: Derived(*_start(input_state, loop_lengths, bs_angles, ps_angles, n_samples, opts)),
    )


def sample(
    input_state: Sequence[int],
    loop_lengths: Sequence[int],
    bs_angles: Sequence[float],
    ps_angles: Sequence[float] | int | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    *,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> Counts:
    """Sample the time-bin interferometer and wait: :func:`sample_async`'s result. Ctrl-C
    while it waits cancels the run."""
    return _future.wait(
        sample_async(
            input_state,
            loop_lengths,
            bs_angles,
            ps_angles,
            n_samples,
            seed=seed,
            substrate=substrate,
            runtime=runtime,
            **options,
        )
    )
