"""sokr.Future: a concurrent.futures.Future that is also awaitable on any running asyncio
loop, resolved by one pump thread that drains completions from Go in batches."""

from __future__ import annotations

import atexit
import concurrent.futures
import html
import itertools
import json
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures._base import FINISHED as _FINISHED
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np

from . import _native, errors
from ._arrays import NUMPY, spec
from ._html import ROWS, more

if TYPE_CHECKING:
    import asyncio

    from ._runtime import Program


R = TypeVar("R")


@dataclass(frozen=True)
class Timings:
    """When a dispatch was queued, started and finished (seconds since the epoch)."""

    queued: float
    started: float
    finished: float

    @property
    def elapsed(self) -> float:
        """Seconds from dispatch to completion."""
        return self.finished - self.queued


class Result(Mapping[str, "np.ndarray[Any, Any]"]):
    """A completed dispatch's outputs, by name and in the program's order, with the substrate
    that ran it, the timings, and how the result was produced (``meta``).

    Domain results that are not arrays (counts, spike trains) are in ``domain_values``."""

    __slots__ = ("domain_values", "meta", "outputs", "substrate", "timings")

    def __init__(
        self,
        outputs: dict[str, np.ndarray[Any, Any]],
        domain_values: dict[str, Any],
        substrate: str,
        timings: Timings,
        meta: dict[str, str],
    ) -> None:
        self.outputs = outputs
        self.domain_values = domain_values
        self.substrate = substrate
        self.timings = timings
        self.meta = meta

    def __getitem__(self, name: str) -> np.ndarray[Any, Any]:
        return self.outputs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    @property
    def value(self) -> np.ndarray[Any, Any]:
        """The output of a single-output program."""
        if len(self.outputs) != 1:
            raise ValueError(f"the program has {len(self.outputs)} outputs; index the result by name")
        return next(iter(self.outputs.values()))

    def __repr__(self) -> str:
        outs = ", ".join(f"{k}: {v.dtype}{list(v.shape)}" for k, v in self.outputs.items())
        return f"<sokr.Result on {self.substrate} in {self.timings.elapsed * 1e6:.0f} µs: {outs}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v.dtype}</td><td>{list(v.shape)}</td>"
            f"<td><pre>{html.escape(np.array2string(v, threshold=20, edgeitems=3))}</pre></td></tr>"
            for k, v in itertools.islice(self.outputs.items(), ROWS)
        )
        return (
            f"<p>Ran on <b>{html.escape(self.substrate)}</b> in {self.timings.elapsed * 1e6:.0f} µs</p>"
            f"<table><tr><th>output</th><th>dtype</th><th>shape</th><th>value</th></tr>{rows}</table>"
            f"{more(min(ROWS, len(self.outputs)), len(self.outputs), 'outputs')}"
        )


# Outputs up to this size (in all) are preallocated before knowing whether the run succeeded,
# to read them in one call; larger ones are allocated once success is known.
FAST_OUTPUT_BYTES = 1 << 20
# Results up to this size come back inline from Finish (bindings/python/finish.go inlineLimit).
INLINE_OUTPUT_BYTES = 4096

# Every dispatched, unresolved future by ticket. Holding the future holds its inputs.
_pending: dict[int, Future] = {}
# The inputs of resolved dispatches whose substrate still works on them (a cancelled or timed-out
# run finishing its current kernel), by ticket, until Go says it has let go of them.
_held: dict[int, Any] = {}
_lock = threading.Lock()


class Future(concurrent.futures.Future):  # type: ignore[type-arg]
    """The completion of one dispatch.

    It is a ``concurrent.futures.Future`` (``result(timeout)``, ``done()``, ``cancel()``,
    ``add_done_callback``) and can be awaited on any running asyncio loop, Jupyter's
    included. ``result()`` waits with the GIL released. ``cancel()`` reaches the substrate.
    """

    def __init__(self, ticket: int, keep: Any, program: Program | None) -> None:
        super().__init__()
        self._ticket = ticket
        self._keep = keep  # the input arrays, alive until completion
        self._program = program
        self._resolving = False
        self._loop_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.substrate: str | None = None
        self.timings: Timings | None = None
        self._cancelled_because = "sokr: cancelled"  # the core's message, once it says

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        on = f" on {self.substrate}" if self.substrate else ""
        return f"<sokr.Future {state}{on}>"

    def _check_cancelled(self) -> None:
        """A cancelled future raises sokr.CancelledError (a concurrent.futures.CancelledError),
        with the core's message, where concurrent.futures would raise its own bare one."""
        if self.cancelled():
            raise errors.CancelledError(self._cancelled_because)

    # -- waiting -----------------------------------------------------------------------------

    def _wait(self, timeout: float | None) -> None:
        """Wait in Go (GIL released) in short slices, so that Ctrl-C still works."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            step = 0.1
            if deadline is not None:
                step = min(step, deadline - time.monotonic())
                if step <= 0:
                    return
            if _native.wait(self._ticket, step):
                _notify(self._resolve(None))

    def result(self, timeout: float | None = None) -> Result:
        # Fast path for a completed success (most small runs are, by the time they are read);
        # _state and _result are concurrent.futures.Future's own, stable since Python 3.2.
        if timeout is not None and not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
        if self._state == _FINISHED and self._exception is None:
            return self._result  # type: ignore[return-value]
        self._wait(timeout)  # spends the whole timeout if need be: the check below must not wait
        self._check_cancelled()
        return super().result(0)  # type: ignore[no-any-return]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait(timeout)
        self._check_cancelled()
        return super().exception(0)

    def cancel(self) -> bool:
        """Cancel the dispatch; False when it had already completed."""
        if self.done():
            return self.cancelled()
        if _native.cancel(self._ticket):
            _notify(self._resolve(None))
            return True
        return False

    def __await__(self) -> Generator[Any, None, Result]:
        if not self.done():
            import asyncio  # imported on first use: it is slow to import and many users never await

            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            with _lock:
                registered = not self._resolving
                if registered:
                    self._loop_waiters.append((loop, waiter))
            if registered:
                try:
                    yield from waiter
                except GeneratorExit:
                    raise  # closed unfinished (its loop closed): others may still wait on it
                except BaseException:
                    # The awaiter gave up (task.cancel(), asyncio.wait_for's timeout, a
                    # KeyboardInterrupt thrown in): the run is cancelled with it, and what was
                    # thrown in goes on, so that asyncio sees its own CancelledError.
                    self.cancel()
                    raise
            self._wait(None)  # resolution may still be finishing on the pump thread
        if self.cancelled():
            import asyncio

            raise asyncio.CancelledError()  # what awaiting a cancelled future raises in asyncio
        return self.result()

    # -- resolution --------------------------------------------------------------------------

    def _resolve(
        self, out: dict[str, Any] | None
    ) -> list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]:
        """Set the outcome from Go (exactly once). Returns the asyncio waiters to wake. An
        ``out`` from TakeOutcome has its ticket released already (``out["released"]``)."""
        with _lock:
            if self._resolving:
                return []
            self._resolving = True
            _pending.pop(self._ticket, None)
        outcome: Result | BaseException | None = None
        if out is None:
            outcome = self._finish()
            if outcome is None:
                out = json.loads(_native.outcome(self._ticket))
        if outcome is None:
            assert out is not None
            try:
                outcome = _outcome(self._ticket, out)
            except BaseException as e:  # a failure reading the result is the dispatch's failure
                outcome = e
            if not out.get("released"):
                # Hold the inputs before releasing: Go may announce the settle (-ticket) to the
                # pump before release() even returns.
                with _lock:
                    _held[self._ticket] = self._keep
                if _native.release(self._ticket):
                    with _lock:
                        _held.pop(self._ticket, None)
            self.substrate = out.get("substrate") or None
            self.timings = Timings(*(out.get("timings") or (0.0, 0.0, 0.0)))
        self._keep = None
        if isinstance(outcome, errors.CancelledError):
            self._cancelled_because = outcome.message
            super().cancel()
        elif isinstance(outcome, BaseException):
            self.set_exception(outcome)
        else:
            self.set_result(outcome)
        with _lock:
            waiters, self._loop_waiters = self._loop_waiters, []
        return waiters

    def _finish(self) -> Result | None:
        """The fast path: outputs preallocated from the program's signature, copied and the
        ticket released in one call. None when it does not apply (an error, domain values)."""
        specs = self._program._outputs if self._program is not None else None
        if not specs or self._program is None or self._program._output_bytes > FAST_OUTPUT_BYTES:
            # Large outputs take the slow path, which allocates only after a success.
            return None
        if self._program._output_bytes <= INLINE_OUTPUT_BYTES:
            # Small results come back inline (hex), sparing the allocation and addresses.
            status = _native.finish(self._ticket, "")
            if not status:
                return None
            _, substrate, q, st, fin, *data = status.split("\t")
            arrays = [
                np.frombuffer(bytearray.fromhex(h), s.numpy_dtype).reshape(s.shape)
                for s, h in zip(specs, data, strict=True)
            ]
        else:
            arrays = [np.empty(s.shape, s.numpy_dtype) for s in specs]
            status = _native.finish(self._ticket, spec(arrays))
            if not status:
                return None
            _, substrate, q, st, fin = status.split("\t")
        self.substrate = substrate
        self.timings = Timings(float(q), float(st), float(fin))
        return Result(
            {s.name: a for s, a in zip(specs, arrays, strict=True)}, {}, substrate, self.timings, {}
        )


class Derived(concurrent.futures.Future, Generic[R]):  # type: ignore[type-arg]
    """A future for ``convert(result)`` of a dispatch's :class:`Future`: what domain APIs
    return (``sokr.quantum.sample_async`` gives a future of a SampleResult). It waits,
    awaits and cancels like the dispatch's future; a failing ``convert`` fails it."""

    def __init__(self, inner: Future, convert: Callable[[Result], R]) -> None:
        super().__init__()
        self._inner = inner
        self._convert = convert
        inner.add_done_callback(self._settle)

    def _settle(self, inner: concurrent.futures.Future[Any]) -> None:
        if inner.cancelled():
            concurrent.futures.Future.cancel(self)
            return
        exc = inner.exception(0)
        if exc is not None:
            self.set_exception(exc)
            return
        try:
            self.set_result(self._convert(inner.result(0)))
        except BaseException as e:
            self.set_exception(e)

    def __repr__(self) -> str:
        return repr(self._inner).replace("sokr.Future", "sokr.Derived", 1)

    @property
    def substrate(self) -> str | None:
        """The substrate that ran it, once done."""
        return self._inner.substrate

    def result(self, timeout: float | None = None) -> R:
        # Waits in Go with the GIL released; raises TimeoutError or CancelledError as the
        # dispatch's future does. Once it is done, _settle sets this one at once (on the thread
        # that resolved it), so the wait below is short.
        self._inner.exception(timeout)
        return super().result()  # type: ignore[no-any-return]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._inner.exception(timeout)
        return super().exception()

    def cancel(self) -> bool:
        return self._inner.cancel()

    def __await__(self) -> Generator[Any, None, R]:
        # Whatever the dispatch's await raises goes on unchanged: asyncio's CancelledError when
        # the awaiter gave up (the run is cancelled then), the run's error when it failed. This
        # future is settled by then too (cancelling the inner one settles it), but raising its
        # concurrent.futures.CancelledError instead would break asyncio.wait_for and
        # task.cancelled().
        yield from self._inner.__await__()
        return self.result()


T = TypeVar("T", covariant=True)


class Waitable(Protocol[T]):
    """A future as the synchronous calls wait on it (a Future, Derived or Launching)."""

    def result(self, timeout: float | None = None) -> T: ...

    def cancel(self) -> bool: ...


def wait(fut: Waitable[T], timeout: float | None = None) -> T:
    """``fut.result(timeout)`` for a synchronous call (``sokr.run``, ``quantum.sample``,
    ``neuro.run``): Ctrl-C while it waits cancels the run, as the CLI does, and goes on, so
    that no run is left busy with nothing to reach it by."""
    try:
        return fut.result(timeout)
    except KeyboardInterrupt:
        fut.cancel()
        raise


def wait_all(futs: Sequence[Waitable[T]]) -> list[T]:
    """Every future's result, in order; Ctrl-C while it waits cancels them all (see wait)."""
    try:
        return [f.result() for f in futs]
    except KeyboardInterrupt:
        for f in futs:
            f.cancel()
        raise


def _outcome(ticket: int, out: dict[str, Any]) -> Result | BaseException:
    if out.get("error"):
        return errors._from_json(out["error"])
    outputs: dict[str, np.ndarray[Any, Any]] = {}
    values: dict[str, Any] = {}
    for i, o in enumerate(out.get("outputs") or []):
        if o.get("value") is not None:
            v = o["value"]
            if isinstance(v, dict) and "fock_table" in v:  # a photonic result, as arrays
                from .photonic._results import from_table

                v = from_table(v)
            values[o["name"]] = v
            if not o.get("nbytes"):
                continue
        arr = np.empty(o["shape"] or (), dtype=NUMPY[o["dtype"]])  # a 0-d shape is null in JSON
        if arr.nbytes:
            _native.copy_output(ticket, i, arr.ctypes.data, arr.nbytes)
        outputs[o["name"]] = arr
    return Result(
        outputs,
        values,
        out.get("substrate", ""),
        Timings(*out.get("timings", (0, 0, 0))),
        out.get("meta") or {},
    )


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for w in waiters:
        if not w.done():
            w.set_result(None)


def _notify(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    """Wake asyncio waiters: one call_soon_threadsafe per loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for loop, w in waiters:
        by_loop.setdefault(loop, []).append(w)
    for loop, ws in by_loop.items():
        try:
            loop.call_soon_threadsafe(_wake, ws)
        except RuntimeError:
            pass  # the loop was closed: nobody is waiting any more


# -- the pump ---------------------------------------------------------------------------------


class _Pump(threading.Thread):
    """Drains completed tickets from Go in batches and resolves their futures."""

    def __init__(self) -> None:
        super().__init__(name="sokr-completions", daemon=True)
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            batch = _native.completed(0.05)
            if not batch:
                continue
            futs: list[Future] = []
            with _lock:
                for t in map(int, batch.split(",")):
                    if t < 0:  # a substrate let go of a released run's inputs
                        _held.pop(-t, None)
                        continue
                    f = _pending.get(t)
                    if f is not None and not f._resolving:
                        futs.append(f)
            resolve_batch(futs)
            del futs  # drop the last references promptly


_pump: _Pump | None = None
_pump_lock = threading.Lock()


def track(fut: Future) -> Future:
    """Register a dispatched future with the pump (starting it on first use)."""
    global _pump
    with _lock:
        _pending[fut._ticket] = fut
    if _pump is None:
        with _pump_lock:
            if _pump is None:
                _pump = _Pump()
                _pump.start()
    return fut


def resolve_batch(futs: list[Future]) -> None:
    """Resolve futures whose runs completed, reading all their outcomes in one call, and wake
    their asyncio waiters."""
    if not futs:
        return
    outs = json.loads(_native.outcomes(",".join(str(f._ticket) for f in futs)))
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
    for f, o in zip(futs, outs, strict=True):
        waiters += f._resolve(o)
    _notify(waiters)


def track_all(futs: list[Future]) -> None:
    """Register just-dispatched futures with the pump, then resolve those whose runs have
    already completed (see track_completed for why in this order)."""
    for f in futs:
        track(f)
    resolve_batch([f for f in futs if _native.wait(f._ticket, 0) and not f._resolving])


def resolved(fut: Future, result: Result) -> Future:
    """Complete a future nobody else can see yet (before track) with a result read at once."""
    fut._resolving = True
    fut._keep = None
    fut.set_result(result)
    return fut


def track_completed(fut: Future) -> Future:
    """Resolve a just-dispatched future at once if Go already completed it (small programs run
    inline), else register it with the pump.

    Order matters: the fast path runs before the future is visible to the pump (nobody else
    can resolve it). The facade queues no notification for a run that completed during
    Dispatch, and for one completing later the notification comes after completion, so the
    wait(0) after registering catches a completion the pump drained too early."""
    result = fut._finish()
    if result is not None:
        return resolved(fut, result)
    if fut._program is not None and fut._program._outputs is None and _take(fut):
        return fut
    track_all([fut])
    return fut


def _take(fut: Future) -> bool:
    """The fast path for a run that completed inline with domain values (counts) or an
    error: its outcome read and its ticket released in one call. False if still running."""
    t = fut._ticket
    with _lock:  # held first: Go may announce the settle (-ticket) as it releases
        _held[t] = fut._keep
    s = _native.take_outcome(t)
    if not s:
        with _lock:
            _held.pop(t, None)
        return False
    out = json.loads(s)
    if not out.get("released") or out.get("settled"):
        with _lock:
            _held.pop(t, None)
    _notify(fut._resolve(out))
    return True


@atexit.register
def _shutdown() -> None:
    """At interpreter exit: stop the pump, cancel what is in flight, and keep the inputs of
    dispatches still running alive for good, so that no substrate reads freed memory."""
    import ctypes

    if _pump is not None:
        _pump.stopping = True
    with _lock:
        left = list(_pending.values())
        held = list(_held.values())
    for f in left:
        _native.cancel(f._ticket)
        if f._keep is not None:
            held.append(f._keep)
    for keep in held:
        for a in keep:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(a))
