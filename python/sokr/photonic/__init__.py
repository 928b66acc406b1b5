"""Linear optics on any substrate that runs it: photons through beam splitters, phase shifters,
unitaries and loss, counted by photon-number-resolving or threshold detectors.

A program is a :class:`Builder`, ``sokr.photonic/1`` text (the IR is documented in
pkg/ir/photonic), a :class:`sokr.Program` made from either, or a Perceval ``Circuit``,
``Processor`` or ``Experiment`` (converted by :func:`from_perceval`; a bare circuit takes
``input_state=``). Two questions can be asked of it::

    from sokr import photonic

    hom = photonic.Builder(2, input_state=(1, 1)).bs(0, 1)     # Hong-Ou-Mandel
    photonic.sample(hom, shots=1000, seed=7)          # Counts({|0,2>: ~500, |2,0>: ~500})
    photonic.probabilities(hom)                       # the exact distribution (SLOS)
    photonic.probabilities(hom, outputs=[(1, 1)])     # chosen outcomes only (permanents)
    await photonic.sample_async(hom)                  # in a notebook

Results are mappings from output Fock states, tuples of photon numbers (mode 0 first), to
counts (:class:`Counts`) or probabilities (:class:`Probabilities`), with an HTML view and a
``plot()``. Every function takes ``seed=`` (sampling: same seed, same counts on any number of
workers), ``input_state=`` (replaces the program's), ``substrate=``, ``runtime=`` and
``timeout=``. :mod:`sokr.photonic.orca` takes the arguments of ``cudaq.orca.sample``.

>>> from sokr import photonic
>>> hom = photonic.Builder(2, input_state=(1, 1)).bs(0, 1)
>>> p = photonic.probabilities(hom)
>>> {k: round(v, 12) for k, v in p.items()}
{(2, 0): 0.5, (1, 1): 0.0, (0, 2): 0.5}
>>> c = photonic.sample(hom, shots=100, seed=1)
>>> c.shots, sorted(c), c.seed
(100, [(0, 2), (2, 0)], 1)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import _future, _launch, errors
from .._future import Future, Result
from .._launch import AsyncResult, Derived
from .._runtime import Program, Runtime, default_runtime
from ._builder import DETECTORS, FORMAT, Builder
from ._perceval import UnsupportedComponentError, from_perceval, is_perceval
from ._results import Counts, FockState, Probabilities, fock, fock_string

__all__ = [
    "DETECTORS",
    "FORMAT",
    "Builder",
    "Counts",
    "FockState",
    "Probabilities",
    "UnsupportedComponentError",
    "fock",
    "fock_string",
    "from_perceval",
    "orca",
    "probabilities",
    "probabilities_async",
    "sample",
    "sample_async",
]

# The canonical text's input statement (pkg/ir/photonic prints exactly one, third line).
_INPUT_LINE = re.compile(r"^input [^\n]*$", re.MULTILINE)


def _needs_parse(program: Any) -> bool:
    """Whether running ``program`` starts with a parse (an _async call then parses on a
    worker; see sokr._launch): anything but a Program."""
    return not isinstance(program, Program)


def _program(program: Any, runtime: Runtime, input_state: Any) -> Program:
    """The photonic Program for ``program``, with ``input_state`` when given."""
    if is_perceval(program):
        program = from_perceval(program, input_state)
        input_state = None
    p = runtime.program(program)
    if p.format != FORMAT:
        raise errors.UnknownFormatError(
            f"sokr.photonic: expected a photonic program ({FORMAT} text, a sokr.photonic.Builder or "
            f"a Perceval circuit), got a {p.format} program"
        )
    if input_state is not None:
        modes = p.quantities.get("modes", 0)
        try:
            s = fock(input_state)
        except (TypeError, ValueError) as e:
            raise errors.InvalidInputError(f"input_state: {e}", name="input_state") from None
        if len(s) != modes:
            raise errors.InvalidInputError(
                f"input_state {fock_string(s)} has {len(s)} modes; the program has {modes}",
                name="input_state",
            )
        text, found = _INPUT_LINE.subn(f"input {fock_string(s)}", p.text, count=1)
        if not found:  # the IR prints an input statement in every program
            raise errors.InvalidProgramError(f"sokr.photonic: no input statement in {p.text!r}")
        p = runtime.program(text, ir=FORMAT)
    return p


def _dispatch(
    program: Any,
    mode: str,
    input_state: Any,
    runtime: Runtime | None,
    substrate: str | None,
    options: dict[str, Any],
) -> Future:
    rt = runtime or default_runtime()
    p = _program(program, rt, input_state)
    opts = {k: v for k, v in options.items() if v is not None}
    return rt.dispatch(p, substrate=substrate, mode=mode, **opts)


def _sample(
    program: Any,
    *,
    shots: int = 1000,
    seed: int | None = None,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> tuple[Future, Callable[[Result], Counts]]:
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1:
        raise errors.InvalidInputError(f"shots must be a positive integer, not {shots!r}", name="shots")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise errors.InvalidInputError(f"seed must be a non-negative integer, not {seed!r}", name="seed")
    fut = _dispatch(
        program,
        "sample",
        input_state,
        runtime,
        substrate,
        {"shots": int(shots), "seed": None if seed is None else int(seed), **options},
    )

    def convert(res: Result) -> Counts:
        return Counts(res.domain_values["counts"], meta=res.meta, substrate=res.substrate)

    return fut, convert


def sample_async(
    program: Any,
    *,
    shots: int = 1000,
    seed: int | None = None,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> AsyncResult[Counts]:
    """Start drawing ``shots`` samples of ``program``'s output (Clifford & Clifford's exact
    algorithm on the photonic substrate); returns a future (``await`` it, or ``.result()``)
    of :class:`Counts`.

    It returns at once: a program that must be parsed or converted first is, on a worker,
    within ``timeout`` (an option), and cancelling the future cancels it. Every failure
    comes through the future."""
    return _launch.launch(
        _needs_parse(program),
        _launch.timeout_of(options),
        lambda: Derived(
            *_sample(
                program,
                shots=shots,
                seed=seed,
                input_state=input_state,
                substrate=substrate,
                runtime=runtime,
                **options,
            )
        ),
    )


def sample(
    program: Any,
    *,
    shots: int = 1000,
    seed: int | None = None,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> Counts:
    """Sample ``program`` and wait: :func:`sample_async`'s result. Ctrl-C while it waits
    cancels the run."""
    return _future.wait(
        sample_async(
            program,
            shots=shots,
            seed=seed,
            input_state=input_state,
            substrate=substrate,
            runtime=runtime,
            **options,
        )
    )


def _outputs(outputs: Iterable[Any]) -> list[list[int]]:
    if isinstance(outputs, (str, bytes)) or not isinstance(outputs, Iterable):
        raise errors.InvalidInputError(
            f"outputs must be a list of Fock states, not {type(outputs).__name__}", name="outputs"
        )
    out = []
    for i, s in enumerate(outputs):
        try:
            out.append(list(fock(s)))
        except (TypeError, ValueError) as e:
            raise errors.InvalidInputError(f"outputs[{i}]: {e}", index=i, name="outputs") from None
    if not out:
        raise errors.InvalidInputError("outputs is empty (leave it out for every outcome)", name="outputs")
    return out


def _probabilities(
    program: Any,
    outputs: Iterable[Any] | None = None,
    *,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> tuple[Future, Callable[[Result], Probabilities]]:
    outs = None if outputs is None else _outputs(outputs)
    fut = _dispatch(program, "probabilities", input_state, runtime, substrate, {"outputs": outs, **options})

    def convert(res: Result) -> Probabilities:
        return Probabilities(res.domain_values["probabilities"], meta=res.meta, substrate=res.substrate)

    return fut, convert


def probabilities_async(
    program: Any,
    outputs: Iterable[Any] | None = None,
    *,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> AsyncResult[Probabilities]:
    """Start computing exact output probabilities; returns a future of
    :class:`Probabilities`. Without ``outputs`` it is the whole distribution (a SLOS-style
    dynamic programme over output states; outcomes of probability exactly zero are left
    out); with ``outputs`` (Fock states: tuples, lists or ``"|1,0,1>"``) the probability of
    each of those, by one permanent each, whatever the number of modes. Like
    :func:`sample_async`, it returns at once."""
    return _launch.launch(
        _needs_parse(program),
        _launch.timeout_of(options),
        lambda: Derived(
            *_probabilities(
                program,
                outputs,
                input_state=input_state,
                substrate=substrate,
                runtime=runtime,
                **options,
            )
        ),
    )


def probabilities(
    program: Any,
    outputs: Iterable[Any] | None = None,
    *,
    input_state: Any = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    **options: Any,
) -> Probabilities:
    """Compute exact output probabilities and wait: :func:`probabilities_async`'s result.
    Ctrl-C while it waits cancels the run."""
    return _future.wait(
        probabilities_async(
            program, outputs, input_state=input_state, substrate=substrate, runtime=runtime, **options
        )
    )


from . import orca  # noqa: E402  (orca uses _sample above)
