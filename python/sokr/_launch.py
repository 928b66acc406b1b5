"""_async calls that return at once, even when their program must be parsed first.

Parsing a hostile program can take long (an OpenQASM ``while (true)`` unrolls until a limit),
so a domain API's ``*_async`` call does not parse on the caller's thread: it returns a
:class:`Launching` future at once, and a worker thread parses, checks and dispatches. The
parse runs in Go under a context made when the call began (see bindings/python/parse.go):
the dispatch's ``timeout`` bounds it, and cancelling the future (``fut.cancel()``, or
``asyncio.wait_for`` giving up on it) cancels it. Whatever time is left goes to the
dispatch as its timeout (see time_left).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, Generic, Protocol, TypeVar

from . import _future, _native, errors
from ._future import Future, Result

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class AsyncResult(Protocol[R_co]):
    """What a domain API's ``_async`` call returns (``sokr.quantum.sample_async``,
    ``sokr.neuro.run_async``, ...): a ``concurrent.futures.Future`` of the result that can
    also be awaited, and read with ``get()`` as CUDA-Q's futures are. Cancelling it, or giving
    up on an await, cancels the run."""

    def result(self, timeout: float | None = None) -> R_co: ...

    def get(self, timeout: float | None = None) -> R_co: ...

    def exception(self, timeout: float | None = None) -> BaseException | None: ...

    def cancel(self) -> bool: ...

    def cancelled(self) -> bool: ...

    def done(self) -> bool: ...

    def add_done_callback(self, fn: Callable[[Any], object]) -> None: ...

    def __await__(self) -> Generator[Any, None, R_co]: ...


class Gets(Generic[R]):
    """``get()``, CUDA-Q's name for waiting on a future (``cudaq.sample_async(k).get()``)."""

    def get(self, timeout: float | None = None) -> R:
        """The result, waited for (``timeout`` seconds at most): the same as ``result()``."""
        res: R = self.result(timeout)  # type: ignore[attr-defined]
        return res


class Derived(Gets[R], _future.Derived[R]):
    """The future of one dispatch's result converted to a domain result (a SampleResult, a
    RunResult...): :class:`sokr._future.Derived` with ``get()``."""

    def __init__(self, inner: Future, convert: Callable[[Result], R]) -> None:
        super().__init__(inner, convert)


_local = threading.local()


def parse_token() -> int:
    """The parse context of the call this thread works for (0: none; see bounded)."""
    token: int = getattr(_local, "token", 0)
    return token


def time_left() -> float | None:
    """Seconds left of the timeout of the call this thread works for (None: no bound). The
    dispatch it starts gets them as its timeout; none left is DeadlineExceededError."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return None
    rest = deadline - time.monotonic()
    if rest <= 0:
        raise errors.DeadlineExceededError(
            "sokr: deadline exceeded: the timeout passed while the program was parsed"
        )
    return rest


@contextlib.contextmanager
def bounded(timeout: float | None, token: int = 0, started: float | None = None) -> Iterator[None]:
    """Within it, ``Runtime.program`` on this thread parses under the context ``token`` (one
    made here when 0, ending ``timeout`` seconds from now), and a dispatch's timeout option
    becomes what is left of ``timeout`` counted from ``started`` (now by default)."""
    own = token == 0
    if own:
        token = _native.new_parse(timeout or 0.0)
    prev = parse_token(), getattr(_local, "deadline", None)
    _local.token = token
    _local.deadline = None if timeout is None else (started or time.monotonic()) + timeout
    try:
        yield
    finally:
        _local.token, _local.deadline = prev
        if own:
            _native.end_parse(token)


_UNBOUNDED = contextlib.nullcontext()


def bounded_if(
    needs_parse: bool | Callable[[], bool], timeout: float | None
) -> contextlib.AbstractContextManager[None]:
    """``bounded(timeout)`` for a call that parses on its own thread (the synchronous ones),
    when it has a timeout and parses (``needs_parse``, or its answer when it is a function,
    asked only when there is a timeout); nothing otherwise. The common call, with no timeout,
    costs one comparison: it is on every synchronous sample's path."""
    if timeout is None or parse_token():
        return _UNBOUNDED
    if not (needs_parse() if callable(needs_parse) else needs_parse):
        return _UNBOUNDED
    return bounded(timeout)


def timeout_of(options: dict[str, Any]) -> float | None:
    """The dispatch's timeout option, when it is one a deadline can be made of (a bad value is
    left for the dispatch to refuse)."""
    t = options.get("timeout")
    if isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0:
        return float(t)
    return None


def launch(needs_parse: bool, timeout: float | None, start: Callable[[], AsyncResult[R]]) -> AsyncResult[R]:
    """Run ``start()``, which parses, checks and dispatches, returning the dispatch's future:
    on this thread when nothing needs parsing (its errors then come through the future too),
    else on a worker, under ``timeout``, behind a :class:`Launching` future."""
    if needs_parse:
        return Launching(timeout, start)
    try:
        return start()
    except errors.SokrError as e:
        return Launching(None, None, failed=e)


class Launching(Gets[R], concurrent.futures.Future):  # type: ignore[type-arg]
    """The future of an ``*_async`` call whose program is being parsed on a worker thread;
    once it is dispatched, the dispatch's future completes this one. It waits, awaits and
    cancels like a dispatch's future: cancelling it during the parse cancels the parse."""

    def __init__(
        self,
        timeout: float | None,
        start: Callable[[], AsyncResult[R]] | None,
        *,
        failed: BaseException | None = None,
    ) -> None:
        super().__init__()
        self._timeout = timeout
        self._started = time.monotonic()
        self._inner: AsyncResult[R] | None = None
        self._lock = threading.Lock()
        self._launched = threading.Event()  # set once dispatched, failed or cancelled
        if start is None:  # failed before it could start
            self._token = 0
            self.set_exception(failed or errors.SokrError("sokr: nothing to launch"))
            self._launched.set()
            return
        self._token = _native.new_parse(timeout or 0.0)
        threading.Thread(target=self._run, args=(start,), name="sokr-launch", daemon=True).start()

    def _run(self, start: Callable[[], AsyncResult[R]]) -> None:
        try:
            with bounded(self._timeout, self._token, self._started):
                inner = start()
        except BaseException as e:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                self.set_exception(e)
            self._launched.set()
            return
        finally:
            _native.end_parse(self._token)
        with self._lock:
            cancelled = self.cancelled()
            self._inner = inner
        self._launched.set()
        if cancelled:
            inner.cancel()
            return
        inner.add_done_callback(self._settle)

    def _settle(self, inner: AsyncResult[R]) -> None:
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            if inner.cancelled():
                concurrent.futures.Future.cancel(self)
            elif (exc := inner.exception(0)) is not None:
                self.set_exception(exc)
            else:
                self.set_result(inner.result(0))

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        stage = " (parsing)" if self._inner is None and not self.done() else ""
        return f"<sokr.Launching {state}{stage}>"

    @property
    def substrate(self) -> str | None:
        """The substrate that ran it, once done."""
        return getattr(self._inner, "substrate", None)

    def cancel(self) -> bool:
        with self._lock:
            inner = self._inner
            if inner is None:
                if not concurrent.futures.Future.cancel(self):
                    return False
                _native.cancel_parse(self._token)
                self._launched.set()
                return True
        return inner.cancel()

    def _wait(self, timeout: float | None) -> None:
        """Wait for the launch, then for the dispatch (in Go, with the GIL released); raise
        TimeoutError when ``timeout`` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        # In 0.1 s slices, so that Ctrl-C is seen (an interrupt that is not a real signal,
        # such as _thread.interrupt_main's, does not wake an Event's wait).
        while not self._launched.wait(0.1 if deadline is None else min(0.1, deadline - time.monotonic())):
            if deadline is not None and time.monotonic() >= deadline:
                raise concurrent.futures.TimeoutError()
        inner = self._inner
        if inner is not None and not self.done():
            rest = None if deadline is None else max(0.0, deadline - time.monotonic())
            inner.exception(rest)

    def _check_cancelled(self) -> None:
        """A cancelled launch raises sokr.CancelledError (the dispatch's, with the core's
        message, once dispatched), where concurrent.futures would raise its own bare one."""
        if self.cancelled():
            inner = self._inner
            if inner is not None and inner.cancelled():
                inner.result(0)  # raises the dispatch's sokr.CancelledError
            raise errors.CancelledError("sokr: cancelled while the program was parsed")

    def result(self, timeout: float | None = None) -> R:
        self._wait(timeout)
        self._check_cancelled()
        res: R = super().result()  # settled, or about to be
        return res

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait(timeout)
        self._check_cancelled()
        return super().exception()

    def __await__(self) -> Generator[Any, None, R]:
        import asyncio

        # wrap_future chains cancellation: an awaiter giving up (asyncio.wait_for) cancels this.
        # Anything else thrown in (a KeyboardInterrupt) cancels it here, and goes on.
        try:
            res: R = yield from asyncio.wrap_future(self).__await__()
        except GeneratorExit:
            raise  # the coroutine was closed unfinished (a loop closed): others may wait on it
        except BaseException:
            self.cancel()
            raise
        return res
