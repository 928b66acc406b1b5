"""sokr.Future: a concurrent.futures.Future that is also awaitable on any running asyncio
loop, resolved by one pump thread that drains completions from Go in batches."""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import html
import itertools
import json
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures._base import CANCELLED as _CANCELLED
from concurrent.futures._base import CANCELLED_AND_NOTIFIED as _CANCELLED_AND_NOTIFIED
from concurrent.futures._base import FINISHED as _FINISHED
from concurrent.futures._base import PENDING as _PENDING
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np

from . import _native, errors
from ._arrays import NUMPY, TensorSpec
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


_new = object.__new__


def _timings(queued: float, started: float, finished: float) -> Timings:
    """Timings(queued, started, finished) without the frozen dataclass's __init__, which sets
    each field through object.__setattr__: twice as fast, and every result makes one."""
    t = _new(Timings)
    d = t.__dict__
    d["queued"], d["started"], d["finished"] = queued, started, finished
    return t


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


# Outputs up to this size (in all) get room in the read buffer before it is known whether the
# run succeeded, so that one call reads them; larger ones are read once success is known.
FAST_OUTPUT_BYTES = 1 << 20
# One read's buffer is at most this large; a larger batch is read in parts.
READ_BUFFER_BYTES = 64 * FAST_OUTPUT_BYTES

# The ticket and settle bookkeeping, all of it (Go keeps only the tickets themselves):
# every dispatched future the pump may resolve, by ticket; holding the future holds its inputs.
_pending: dict[int, Future] = {}
# The inputs of resolved dispatches whose substrate still works on them (a cancelled or timed-out
# run finishing its current kernel), by ticket, until Go says it has let go of them.
_held: dict[int, Any] = {}
# Tickets Go reported settled before the read that released them had put their inputs in _held.
_settled_early: set[int] = set()
# The facade's substrate names, a prefix of its append-only table (see bindings/python Read).
_names: list[str] = []
_DONE_STATES = frozenset((_CANCELLED, _CANCELLED_AND_NOTIFIED, _FINISHED))
_CANCELLED_STATES = frozenset((_CANCELLED, _CANCELLED_AND_NOTIFIED))
_lock = threading.Lock()
_cond_lock = threading.Lock()
_MISSING = object()


class Future(concurrent.futures.Future):  # type: ignore[type-arg]
    """The completion of one dispatch.

    It is a ``concurrent.futures.Future`` (``result(timeout)``, ``done()``, ``cancel()``,
    ``add_done_callback``) and can be awaited on any running asyncio loop, Jupyter's
    included. ``result()`` waits with the GIL released. ``cancel()`` reaches the substrate.
    """

    # What concurrent.futures.Future.__init__ sets, as class defaults where they are only ever
    # replaced (never changed in place), so that a future costs few assignments: most are read
    # at once (small programs run during dispatch), and a dispatch's budget is microseconds.
    _state = _PENDING
    _result: Result | None = None
    _exception: BaseException | None = None
    _resolving = False
    # The asyncio awaiters to wake, replaced (never appended to) under _lock.
    _loop_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []  # noqa: RUF012
    substrate: str | None = None
    timings: Timings | None = None
    _cancelled_because = "sokr: cancelled"  # the core's message, once it says

    def __init__(self, ticket: int, keep: Any, program: Program | None) -> None:
        # concurrent.futures.Future.__init__ is not called: its Condition is made on first use
        # (see _condition), and the rest are class defaults above.
        self._ticket = ticket
        self._keep = keep  # the input arrays, alive until completion
        self._program = program
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []

    @property
    def _condition(self) -> threading.Condition:  # type: ignore[override]
        """concurrent.futures.Future's condition, made on first use: a future read at dispatch
        is never waited on, and making one costs about as much as the rest of the future."""
        c: threading.Condition | None = self.__dict__.get("_cond")
        if c is None:
            with _cond_lock:
                c = self.__dict__.get("_cond")
                if c is None:
                    c = self.__dict__["_cond"] = threading.Condition()
        return c

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        on = f" on {self.substrate}" if self.substrate else ""
        return f"<sokr.Future {state}{on}>"

    def done(self) -> bool:
        # Without concurrent.futures' lock (reading one attribute is atomic): a future read
        # during dispatch never needs its Condition, and done() is on every await's path.
        return self._state in _DONE_STATES

    def cancelled(self) -> bool:
        return self._state in _CANCELLED_STATES

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
            if self._resolving:  # another thread reads it (its ticket may be gone already)
                with self._condition:
                    if not self.done():
                        self._condition.wait(step)
            elif _native.wait(self._ticket, step):
                _notify(self._resolve())

    def result(self, timeout: float | None = None) -> Result:
        # Fast path for a completed success (most small runs are, by the time they are read);
        # _state and _result are concurrent.futures.Future's own, stable since Python 3.2.
        if timeout is not None and not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
        if self._state == _FINISHED and self._exception is None:
            return self._result  # type: ignore[return-value]  # set with _FINISHED
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
            _notify(self._resolve())
            if threading.current_thread() is not _pump:
                # Another thread (the pump) may have claimed it first and be settling it:
                # cancel returns once it is cancelled. (Not on the pump itself, whose own
                # callbacks may cancel a future of the batch it is settling.)
                self._wait(None)
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
                    self._loop_waiters = [*self._loop_waiters, (loop, waiter)]
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

    def _resolve(self) -> list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]:
        """Claim the future and read its outcome from Go (it has completed); returns the asyncio
        waiters to wake. Whoever claims a future first reads it: its ticket is gone after."""
        with _lock:
            if self._resolving:
                return []
            self._resolving = True
            _pending.pop(self._ticket, None)
        return _read_claimed([self])

    def _settle(
        self,
        outcome: Result | BaseException,
        substrate: str | None,
        timings: Timings | None,
        fresh: bool = False,
    ) -> list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]:
        """Set the outcome read from Go (exactly once). Returns the asyncio waiters to wake.
        A fresh future (read during dispatch, not yet seen by anyone) has nobody to notify."""
        self.substrate, self.timings = substrate, timings
        self._keep = None
        if fresh and isinstance(outcome, Result) and not self._done_callbacks:
            self._result, self._state = outcome, _FINISHED
            return []
        if isinstance(outcome, errors.CancelledError):
            self._cancelled_because = outcome.message
            super().cancel()
        elif isinstance(outcome, BaseException):
            self.set_exception(outcome)
        else:
            self.set_result(outcome)
        if not self._loop_waiters:
            return []
        with _lock:
            waiters, self._loop_waiters = self._loop_waiters, []
        return waiters


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
        if not self._inner.cancel():
            return False
        # Cancelled at once, not when the thread that settles the inner future gets to
        # _settle (which then finds it cancelled already).
        concurrent.futures.Future.cancel(self)
        return True

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


# -- the read path: bindings/python Read, the one way results leave Go -------------------------

_HEADER = int(_native.RECORD_HEADER)
_ALIGN = int(_native.RECORD_ALIGN)
_Layout = tuple[int, list[tuple[int, TensorSpec, tuple[int, ...]]]]
_HEADER_ONLY: _Layout = (_HEADER, [])


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _layout(p: Program | None) -> _Layout:
    """The record Read fills for a run of p that succeeded with its declared outputs: its size,
    and each output's offset, spec and strides (C order). Header only for a program without a
    signature or with large outputs: those are read once their outcome is known."""
    if p is None:
        return _HEADER_ONLY
    lay: _Layout | None = p._layout
    if lay is None:
        lay = _HEADER_ONLY
        if p._outputs is not None and p._output_bytes <= FAST_OUTPUT_BYTES:
            off, places = _HEADER, []
            for s in p._outputs:
                off = _aligned(off)
                size = s.numpy_dtype.itemsize
                strides = []
                for d in reversed(s.shape):
                    strides.append(size)
                    size *= d
                places.append((off, s, tuple(reversed(strides))))
                off += size
            lay = (_aligned(off), places)
        p._layout = lay
    return lay


Waiters = list[tuple["asyncio.AbstractEventLoop", "asyncio.Future[None]"]]


def _read_claimed(futs: list[Future], fresh: bool = False) -> Waiters:
    """Read and settle claimed futures (``_resolving`` set by the caller, so that no other
    thread reads their tickets, which the read releases). Those still running are unclaimed
    and handed back to the pump. Returns the asyncio waiters to wake."""
    running: list[Future] = []
    try:
        if len(futs) == 1:
            waiters = _read_one(futs[0], running, fresh)
        else:
            waiters = []
            for part in _parts(futs):
                waiters += _read(part, running, fresh)
    except BaseException as e:
        # A future left claimed would never complete. Those not settled fail with what went
        # wrong (a bug here); on Ctrl-C (or another BaseException) they are unclaimed and
        # tracked again, which reads those done at once (a ticket the read released then
        # reads as an error, never a hang) and leaves no ticket behind.
        unsettled = [f for f in futs if not f.done()]
        if not isinstance(e, Exception):
            for f in unsettled:
                f._resolving = False
            with contextlib.suppress(Exception):  # the interrupt is what goes on
                track_all(unsettled)
            raise
        waiters = []
        for f in unsettled:
            waiters += f._settle(e, None, None)
    if running:
        with _lock:
            for f in running:
                f._resolving = False
        track_all(running)
    return waiters


def _parts(futs: list[Future]) -> Iterator[list[Future]]:
    """futs in runs whose read buffer stays under READ_BUFFER_BYTES."""
    p = futs[0]._program
    if all(f._program is p for f in futs):  # a dispatch_many batch
        step = max(1, READ_BUFFER_BYTES // _layout(p)[0])
        for i in range(0, len(futs), step):
            yield futs[i : i + step]
        return
    part: list[Future] = []
    size = 0
    for f in futs:
        stride = _layout(f._program)[0]
        if part and (size + stride > READ_BUFFER_BYTES or stride != _layout(part[0]._program)[0]):
            yield part
            part, size = [], 0
        part.append(f)
        size += stride
    if part:
        yield part


# Each thread reads single futures into its own buffer (made once, its address known), and
# copies the record out: cheaper than a new buffer per read, whose address costs a microsecond.
SCRATCH_BYTES = 4096
_tls = threading.local()


def _scratch() -> tuple[np.ndarray[Any, Any], int]:
    sc: tuple[np.ndarray[Any, Any], int] | None = getattr(_tls, "scratch", None)
    if sc is None:
        buf = np.empty(SCRATCH_BYTES // 8, np.float64)
        sc = _tls.scratch = (buf, buf.ctypes.data)
    return sc


def _read_one(f: Future, running: list[Future], fresh: bool) -> Waiters:
    """_read for one future: the path of every small dispatch."""
    p = f._program
    stride, places = _HEADER_ONLY if p is None else (p._layout or _layout(p))
    if stride <= SCRATCH_BYTES:
        buf, addr = _scratch()
    else:
        buf = np.empty(stride // 8, np.float64)
        addr = buf.ctypes.data
    known = len(_names)
    text = _native.read(f"[{f._ticket}]", addr, stride, known)
    state, queued, started, finished = buf[:4].tolist()
    if state == 0:
        running.append(f)
        return []
    rec = buf[: stride // 8].copy() if places or state < 0 else buf
    reply = _reply(text, known) if text else _NO_REPLY
    timings = _timings(queued, started, finished)
    if state > 0:
        sub = _names[int(state) - 1]
        outputs = {s.name: np.ndarray(s.shape, s.numpy_dtype, rec, off, st) for off, s, st in places}
        outcome: Result | BaseException = Result(outputs, {}, sub, timings, {})
        return f._settle(outcome, sub, timings, fresh)
    o = reply["outcomes"][str(f._ticket)]
    return f._settle(_described(f, o, rec, 0), o.get("substrate") or None, timings, fresh)


_NO_REPLY: dict[str, Any] = {}


def _read(futs: list[Future], running: list[Future], fresh: bool) -> Waiters:
    """One Read of futs, which share a record size; those not done go to running."""
    n = len(futs)
    first = futs[0]
    stride, places = _layout(first._program)
    buf = np.empty(n * stride, np.uint8)
    known = len(_names)
    tickets = f"[{first._ticket}]" if n == 1 else "[" + ",".join([str(f._ticket) for f in futs]) + "]"
    reply = _reply(_native.read(tickets, buf.ctypes.data, stride, known), known)
    heads = np.ndarray((n, 4), np.float64, buf, 0, (stride, 8)).tolist()
    same = n > 1 and all(f._program is first._program for f in futs)
    # Outputs of a batch of one program are rows of one strided array per output.
    columns = (
        [np.ndarray((n, *s.shape), s.numpy_dtype, buf, off, (stride, *st)) for off, s, st in places]
        if same
        else None
    )
    waiters: Waiters = []
    again: list[tuple[Future, dict[str, Any], Timings]] = []
    for i, f in enumerate(futs):
        state, queued, started, finished = heads[i]
        timings = _timings(queued, started, finished)
        sub: str | None
        if state > 0:
            sub = _names[int(state) - 1]
            if columns is not None:
                outputs = {s.name: c[i] for (_, s, _), c in zip(places, columns, strict=True)}
            else:
                base = i * stride
                outputs = {
                    s.name: np.ndarray(s.shape, s.numpy_dtype, buf, base + off, strides)
                    for off, s, strides in places
                }
            outcome: Result | BaseException = Result(outputs, {}, sub, timings, {})
        elif state < 0:
            o = reply["outcomes"][str(f._ticket)]
            if not o["released"]:
                again.append((f, o, timings))  # read again below, together
                continue
            outcome = _described(f, o, buf, i * stride)
            sub = o.get("substrate") or None
        else:
            running.append(f)
            continue
        waiters += f._settle(outcome, sub, timings, fresh)
    if again:
        for f, o, timings, buf2, base in _read_again(again):
            waiters += f._settle(_described(f, o, buf2, base), o.get("substrate") or None, timings, fresh)
    return waiters


def _read_again(
    items: list[tuple[Future, dict[str, Any], Timings]],
) -> list[tuple[Future, dict[str, Any], Timings, np.ndarray[Any, Any], int]]:
    """Read again, in one call, runs whose tensors did not fit their first record (outputs the
    program does not declare, or large ones), each with a record as large as it said."""
    n = len(items)
    stride = _aligned(max(int(o["record"]) for _, o, _ in items))
    buf = np.empty(n * stride, np.uint8)
    known = len(_names)
    tickets = "[" + ",".join([str(f._ticket) for f, _, _ in items]) + "]"
    reply = _reply(_native.read(tickets, buf.ctypes.data, stride, known), known)
    described = reply.get("outcomes", {})
    done = {"released": True, "settled": True}  # a fast record: released, settled
    return [
        (f, {**o, **described.get(str(f._ticket), done)}, timings, buf, i * stride)
        for i, (f, o, timings) in enumerate(items)
    ]


def _reply(text: str, known: int) -> dict[str, Any]:
    """Read's JSON (or {} for ""), with the substrate names it added kept in _names."""
    if not text:
        return {}
    reply: dict[str, Any] = json.loads(text)
    if "error" in reply:  # a malformed request: a bug here, not the run's failure
        raise errors._from_json(reply["error"])
    names = reply.get("names")
    if names:
        with _lock:  # idempotent: a concurrent read may have added the same names
            _names[known : known + len(names)] = names
    return reply


def _described(f: Future, o: dict[str, Any], buf: np.ndarray[Any, Any], base: int) -> Result | BaseException:
    """The outcome of a run Read described: an error, domain values, meta, or outputs that did
    not fit the record, which are read again into a record of their size."""
    if not o["released"]:  # its tensors did not fit: read it again with room for them
        ((f, o, _, buf, base),) = _read_again([(f, o, Timings(0, 0, 0))])
    if not o.get("settled", True):
        _hold(f._ticket, f._keep)
    if o.get("error"):
        return errors._from_json(o["error"])
    outputs: dict[str, np.ndarray[Any, Any]] = {}
    values: dict[str, Any] = {}
    off = _HEADER
    try:
        for out in o.get("outputs") or []:
            off = _aligned(off)
            if out.get("value") is not None:
                v = out["value"]
                if isinstance(v, dict) and "fock_table" in v:  # a photonic result, as arrays
                    from .photonic._results import from_table

                    v = from_table(v)
                values[out["name"]] = v
                if not out.get("nbytes"):
                    continue
            shape = tuple(out["shape"] or ())  # a 0-d shape is null in JSON
            dtype = NUMPY[out["dtype"]]
            nbytes = int(out["nbytes"])
            arr = np.ndarray(shape, dtype, buf, base + off) if nbytes else np.empty(shape, dtype)
            off += nbytes
            outputs[out["name"]] = arr
    except BaseException as e:  # a failure reading the result is the dispatch's failure
        return e
    return Result(
        outputs,
        values,
        o.get("substrate", ""),
        Timings(*o.get("timings", (0, 0, 0))),
        o.get("meta") or {},
    )


def _hold(ticket: int, keep: Any) -> None:
    """Keep a released run's inputs alive until Go says its substrate let go of them."""
    with _lock:
        if ticket in _settled_early:
            _settled_early.discard(ticket)
        else:
            _held[ticket] = keep


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
            text = _native.completed(0.05)
            if not text:
                continue
            futs = _claim(json.loads(text))
            if futs:
                try:
                    _notify(_read_claimed(futs))
                except Exception:  # the pump must go on: every other future depends on it
                    traceback.print_exc()
            del futs  # drop the last references promptly: a future holds its runtime


def _claim(batch: dict[str, list[int]]) -> list[Future]:
    """Take a completion batch's settled tickets off the books and claim its done futures
    (before the read that releases their tickets). A function of its own, so that no loop
    variable of the pump's outlives the batch and keeps a dropped runtime alive."""
    futs: list[Future] = []
    with _lock:
        for t in batch.get("settled", ()):  # a substrate let go of a released run's inputs
            if _held.pop(t, _MISSING) is _MISSING:
                _settled_early.add(t)
        for t in batch.get("done", ()):
            f = _pending.pop(t, None)
            if f is not None and not f._resolving:
                f._resolving = True  # claimed before the read releases its ticket
                futs.append(f)
    return futs


_pump: _Pump | None = None
_pump_lock = threading.Lock()


def _start_pump() -> None:
    global _pump
    if _pump is None:
        with _pump_lock:
            if _pump is None:
                _pump = _Pump()
                _pump.start()


def track_all(futs: list[Future]) -> None:
    """Register futures (unclaimed, their runs going on) with the pump, then read those whose
    runs have completed meanwhile. The order matters: the facade queues no notification for a
    run that completed during Dispatch, and for one completing later the notification comes
    after completion, so the check after registering catches what the pump would miss."""
    _start_pump()
    with _lock:
        for f in futs:
            # One claimed meanwhile (by result(), cancel() or the pump) is resolved by
            # its claimer: registered now, it would stay in _pending for good, and keep
            # its runtime alive.
            if not f._resolving:
                _pending[f._ticket] = f
    done = [f for f in futs if _native.wait(f._ticket, 0)]
    claimed = []
    with _lock:
        for f in done:
            if not f._resolving:
                f._resolving = True
                _pending.pop(f._ticket, None)
                claimed.append(f)
    if claimed:
        _notify(_read_claimed(claimed))


def track_completed(fut: Future) -> Future:
    """Read a just-dispatched future at once (small programs run during Dispatch), else hand it
    to the pump. Nobody else can see it yet, so it is claimed without the lock."""
    fut._resolving = True
    _read_claimed([fut], fresh=True)
    return fut


def track_batch(futs: list[Future]) -> list[Future]:
    """track_completed for a dispatch_many batch, read in one call."""
    for f in futs:
        f._resolving = True
    _read_claimed(futs, fresh=True)
    return futs


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
