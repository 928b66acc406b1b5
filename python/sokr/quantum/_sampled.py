"""Sampled expectations with their counts, as CUDA-Q's ObserveResult.counts reports them: the
kernel measured in one basis per group of qubit-wise commuting terms, sampled, and each term's
expectation read from its counts."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any

from .. import _native, errors
from .._future import Future, Result
from .._runtime import Program
from ._results import ObserveResult, Register, SampleResult
from .spin import SpinOperator


class _All(concurrent.futures.Future):  # type: ignore[type-arg]
    """A future of the results of several dispatches, for sokr.Derived: done when all are,
    failed when one fails, cancelled with them."""

    def __init__(self, inner: Sequence[Future]) -> None:
        super().__init__()
        self._inner = list(inner)
        self._left = len(self._inner)
        self._lock = threading.Lock()
        for f in self._inner:
            f.add_done_callback(self._one_done)

    def _one_done(self, f: concurrent.futures.Future[Any]) -> None:
        if self.done():
            return
        if f.cancelled():
            concurrent.futures.Future.cancel(self)
            return
        exc = f.exception(0)
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if self.done():
            return
        if exc is not None:
            self.set_exception(exc)
        elif last:
            self.set_result([g.result(0) for g in self._inner])

    @property
    def substrate(self) -> str | None:
        return self._inner[0].substrate

    def exception(self, timeout: float | None = None) -> BaseException | None:
        for f in self._inner:  # each waits in Go with the GIL released
            if f.exception(timeout) is not None:
                break
        return super().exception(0 if self.done() else timeout)

    def cancel(self) -> bool:
        return all([f.cancel() for f in self._inner])

    def __await__(self) -> Generator[Any, None, Any]:
        for f in self._inner:
            yield from f.__await__()
        return self.result(0)


def _groups(words: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Qubit-wise commuting groups, first fit: (basis, indices of the terms measured in it).
    Identity terms belong to no group."""
    groups: list[tuple[list[str], list[int]]] = []
    for i, w in enumerate(words):
        if set(w) <= {"I"}:
            continue
        for basis, members in groups:
            if all(a == "I" or b == "I" or a == b for a, b in zip(basis, w, strict=True)):
                for q, a in enumerate(w):
                    if a != "I":
                        basis[q] = a
                members.append(i)
                break
        else:
            groups.append((list(w), [i]))
    return [("".join(b), m) for b, m in groups]


def observe(
    prog: Program,
    operator: SpinOperator,
    n: int,
    shots: int,
    seed: int | None,
    run: Callable[[Program, dict[str, Any]], Future],
) -> tuple[Future, Callable[[Any], ObserveResult]] | None:
    """Start a sampled observe of ``prog`` (parameters bound by ``run``); None when the kernel
    cannot be measured in another basis (it measures mid-circuit or branches) or every term is
    the identity: the substrate's own sampled observe then runs, without counts."""
    terms = operator.terms(n)
    words = [w for _, w in terms]
    groups = _groups(words)
    if not groups:
        return None
    progs: list[Program] = []
    try:
        for basis, _ in groups:
            progs.append(Program(_native.measured_in_basis(prog._handle, basis), prog._runtime))
    except errors.InvalidInputError:
        return None
    futures = [
        run(p, {"shots": shots, "seed": None if seed is None else seed + i}) for i, p in enumerate(progs)
    ]
    op = SpinOperator(dict(operator._terms))

    def convert(results: list[Result]) -> ObserveResult:
        counts: list[SampleResult] = [SampleResult({"": shots})] * len(words)
        for (basis, members), res in zip(groups, results, strict=True):
            measured = [q for q, a in enumerate(basis) if a != "I"]
            whole = SampleResult(res.domain_values["counts"], [Register("b", 0, len(measured))])
            for i in members:
                bits = [measured.index(q) for q, a in enumerate(words[i]) if a != "I"]
                counts[i] = whole.get_marginal(bits)
        values = [c.expectation() for c in counts]
        return ObserveResult(
            op, values, shots=shots, meta=results[0].meta, substrate=results[0].substrate, counts=counts
        )

    return _All(futures), convert  # type: ignore[return-value]


__all__ = ["observe"]
