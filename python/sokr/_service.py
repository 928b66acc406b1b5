"""The service thread of Python substrates: it takes the Go side's requests (capability
questions, dispatches, cancels) in batches and hands each to its substrate's worker threads.

One per process, since the Go side has one request queue. It serves the substrates it is
given (:meth:`_Service.add`), reaching them weakly: each belongs to its runtime (see
``Runtime._py_substrates``). See :mod:`sokr.plugins` for what a Python substrate is.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import ctypes
import inspect
import json
import os
import queue
import threading
import traceback
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _native, errors
from ._arrays import DTYPES, NUMPY, spec
from ._future import Result
from ._program import Program

if TYPE_CHECKING:
    import asyncio  # imported when a substrate first returns a coroutine: it costs `import sokr` ~15 ms

    from ._runtime import Runtime


# Worker threads per substrate for its dispatches: concurrent.futures' default, per substrate.
_RUN_WORKERS = min(32, (os.cpu_count() or 1) + 4)
# Worker threads per substrate for its capability answers.
_CAPABILITY_WORKERS = 4


_Call = tuple[Callable[..., None], tuple[Any, ...]]


class Workers:
    """Daemon threads that run one substrate's calls, started as needed up to ``limit``.

    Not a ThreadPoolExecutor: its threads are joined at interpreter exit (a blocked run would
    keep the interpreter from exiting) and it refuses work once exit has begun; and one pool
    per substrate keeps a substrate whose runs block from starving the others."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self.idle = threading.Semaphore(0)  # one token per idle thread
        self.lock = threading.Lock()
        self.threads = 0

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self.queue.put((fn, args))
        if self.idle.acquire(blocking=False):
            return  # an idle thread takes it
        with self.lock:
            if self.threads >= self.limit:
                return  # it waits for a busy thread
            self.threads += 1
        threading.Thread(target=self._work, name=self.name, daemon=True).start()

    def close(self) -> None:
        """Let every thread end once the work queued before is done."""
        with self.lock:
            n = self.threads
        for _ in range(n):
            self.queue.put(None)

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            fn, args = item
            try:
                fn(*args)
            except Exception:  # the calls report their own failures; this is a last resort
                traceback.print_exc()
            # An idle thread holds nothing of its last call (the substrate, its runtime).
            del item, fn, args
            self.idle.release()


class PySubstrate:
    """A registered Python substrate: the object, its name and its worker threads. Its
    runtime owns it (``Runtime._py_substrates``); it refers back to the runtime weakly, and
    the service reaches it weakly, so that a dropped runtime is collected (and finalized)."""

    def __init__(self, obj: Any, name: str, key: str, runtime: Runtime) -> None:
        self.obj = obj
        self.name = name
        self.key = key
        self.runtime: Callable[[], Runtime | None] = weakref.ref(runtime)
        self.runs = Workers(f"sokr-py-dispatch-{name}", _RUN_WORKERS)
        self.caps = Workers(f"sokr-py-capability-{name}", _CAPABILITY_WORKERS)
        d = obj.dispatch
        try:
            params = inspect.signature(d).parameters
            self.takes_options = "options" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
            self.takes_cancelled = "cancelled" in params
        except (TypeError, ValueError):
            self.takes_options = False
            self.takes_cancelled = False


class _Service:
    """One thread takes the Go side's requests in batches and hands them to the substrate's
    workers: capability questions to one set, dispatches to another (so that a dispatch that
    itself dispatches cannot starve capability answers), coroutines to an event loop thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.running: dict[int, concurrent.futures.Future[Any]] = {}
        self.events: dict[int, threading.Event] = {}  # the cancelled events of synchronous runs
        self.cancelled: set[int] = set()
        # The substrates served, by registration key. Weak: the runtime owns them.
        self.routes: weakref.WeakValueDictionary[str, PySubstrate] = weakref.WeakValueDictionary()

    def add(self, s: PySubstrate) -> None:
        """Serve ``s``: the Go side's requests for its key go to it."""
        with self.lock:
            self.routes[s.key] = s
        self.start()

    def remove(self, s: PySubstrate) -> None:
        """Stop serving ``s`` and let its threads end once their work is done."""
        with self.lock:
            if self.routes.get(s.key) is s:
                del self.routes[s.key]
        s.runs.close()
        s.caps.close()

    def start(self) -> None:
        with self.lock:
            if self.thread is not None or self.stopping:
                return
            self.thread = threading.Thread(target=self._serve, name="sokr-py-substrates", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        """At interpreter exit: take no more requests, and tell the runs still going that they
        are cancelled (their threads are daemons: none holds up the exit)."""
        with self.lock:
            self.stopping = True
            events = list(self.events.values())
            running = list(self.running.values())
        for e in events:
            e.set()
        for f in running:
            f.cancel()

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        import asyncio

        with self.lock:
            if self.loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="sokr-py-asyncio", daemon=True).start()
                self.loop = loop
            return self.loop

    def _serve(self) -> None:
        while not self.stopping:
            batch = _native.py_requests(0.2)
            if not batch or self.stopping:
                continue
            # In a call of its own: while this thread waits for the next batch, it holds no
            # request (nor, through one, a substrate and its runtime, which could not be
            # collected then).
            self._take(batch)

    def _take(self, batch: str) -> None:
        for req in json.loads(batch):
            self._route(req)

    def _route(self, req: dict[str, Any]) -> None:
        op = req["op"]
        if op == "cancel":
            self._cancel(req["id"])
            return
        r = self._lookup(req)
        if op == "capability":
            if r is None:
                _native.answer_capability(
                    req["id"], False, "the Python substrate is no longer registered", 0.0, 0
                )
            else:
                r.caps.submit(self._capability, req, r)
        elif op == "dispatch":
            if r is None:
                _native.fail_job(req["id"], "fault", "the Python substrate is no longer registered", "")
            else:
                r.runs.submit(self._dispatch, req, r)

    def _lookup(self, req: dict[str, Any]) -> PySubstrate | None:
        with self.lock:
            return self.routes.get(req["key"])

    def _capability(self, req: dict[str, Any], r: PySubstrate) -> None:
        rt = r.runtime()
        if rt is None:
            _native.answer_capability(req["id"], False, "the runtime is gone", 0.0, 0)
            return
        prog = Program(req["program"], rt, req.get("program_info"))
        try:
            ans = r.obj.capability(prog)
            ok, reason, seconds = _offer(ans)
        except Exception as e:
            ok, reason, seconds = False, f"capability() raised {type(e).__name__}: {e}", 0.0
        _native.answer_capability(req["id"], ok, reason, seconds, 0)

    def _dispatch(self, req: dict[str, Any], r: PySubstrate) -> None:
        jid = req["id"]
        rt = r.runtime()
        if rt is None:
            _native.fail_job(jid, "fault", "the runtime is gone", "")
            return
        try:
            prog = Program(req["program"], rt, req.get("program_info"))
            inputs = [_job_input(jid, i, d) for i, d in enumerate(req.get("inputs") or [])]
            kw: dict[str, Any] = {}
            if r.takes_options:
                opts = dict(req.get("options") or {})
                if req.get("seed") is not None:
                    opts["seed"] = req["seed"]
                kw["options"] = opts
            if r.takes_cancelled:
                ev = threading.Event()
                with self.lock:
                    self.events[jid] = ev
                    if jid in self.cancelled or self.stopping:
                        ev.set()
                kw["cancelled"] = ev
            try:
                out = r.obj.dispatch(prog, inputs, **kw)
            finally:
                if r.takes_cancelled:
                    with self.lock:
                        self.events.pop(jid, None)
        except Exception as e:
            with self.lock:
                self.cancelled.discard(jid)
            _fail(jid, e)
            return
        if inspect.iscoroutine(out):
            import asyncio

            out = asyncio.run_coroutine_threadsafe(out, self._event_loop())
        if isinstance(out, concurrent.futures.Future):
            with self.lock:
                self.running[jid] = out
                if jid in self.cancelled:
                    out.cancel()
            out.add_done_callback(lambda f: self._settle(jid, f, prog))
            return
        with self.lock:
            self.cancelled.discard(jid)
        _complete(jid, out, prog)

    def _settle(self, jid: int, f: concurrent.futures.Future[Any], prog: Any) -> None:
        with self.lock:
            self.running.pop(jid, None)
            self.cancelled.discard(jid)
        if f.cancelled():
            _native.fail_job(jid, "cancelled", "the Python substrate's future was cancelled", "")
            return
        exc = f.exception()
        if exc is not None:
            _fail(jid, exc)
            return
        _complete(jid, f.result(), prog)

    def _cancel(self, jid: int) -> None:
        with self.lock:
            f = self.running.get(jid)
            ev = self.events.get(jid)
            if f is None:
                self.cancelled.add(jid)
        if ev is not None:
            ev.set()
        if f is not None:
            f.cancel()


service = _Service()
atexit.register(service.stop)


def _job_input(jid: int, index: int, d: dict[str, Any]) -> np.ndarray[Any, Any]:
    """A copy of a job's input. Read at the address the request gives (the bytes stay put
    while the job lives) through a ctypes view, which keeps the GIL: CopyJobInput, a call into
    Go, hands the GIL to the other busy threads and waits to get it back."""
    shape, dtype, n = tuple(d["shape"] or ()), NUMPY[d["dtype"]], int(d["nbytes"])
    if not n:
        return np.empty(shape, dtype)
    if d.get("addr"):
        view = (ctypes.c_char * n).from_address(d["addr"])
        copied: np.ndarray[Any, Any] = np.frombuffer(memoryview(view), dtype).reshape(shape).copy()
        return copied
    a = np.empty(shape, dtype)
    _native.copy_job_input(jid, index, a.ctypes.data, a.nbytes)
    return a


def _offer(ans: Any) -> tuple[bool, str, float]:
    if isinstance(ans, bool) or ans is None:
        return bool(ans), "" if ans else "the Python substrate declined", 0.0
    if isinstance(ans, tuple) and len(ans) == 2 and isinstance(ans[0], bool):
        ok, extra = ans
        if ok:
            return True, "", float(extra or 0.0)
        return False, str(extra), 0.0
    raise TypeError(f"capability() must return a bool or (bool, reason), not {type(ans).__name__}")


def _fail(jid: int, e: BaseException) -> None:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    if isinstance(e, errors.InvalidInputError):  # keeps which input: index and name
        index = e.index if isinstance(e.index, int) and e.index >= 0 else -1
        msg = e.message.removeprefix("sokr: ")
        _native.fail_job(jid, "input", msg, tb, index, e.name or "")
    elif isinstance(e, (errors.CancelledError, concurrent.futures.CancelledError)):
        _native.fail_job(jid, "cancelled", f"{type(e).__name__}: {e}" if str(e) else type(e).__name__, "")
    else:
        _native.fail_job(jid, "fault", f"{type(e).__name__}: {e}", tb)


def _plain(v: Any) -> Any:
    """JSON for domain values that are mappings but not dicts: sokr.photonic's Counts and
    Probabilities, by their "|1,0,1>" keys (as photonic substrates key them)."""
    if hasattr(v, "strings"):
        return v.strings()
    if isinstance(v, Mapping):
        return dict(v)
    raise TypeError(f"a domain value of type {type(v).__name__} cannot be sent")


def _complete(jid: int, out: Any, prog: Any) -> None:
    try:
        values: list[dict[str, Any]] = []
        meta = ""
        if isinstance(out, Result):  # e.g. a result computed elsewhere (sokr.distributed)
            values = [{"name": k, "value": v} for k, v in out.domain_values.items()]
            meta = json.dumps(out.meta) if out.meta else ""
            out = out.outputs
        names, arrays = _outputs(out)
        declared = prog._outputs
        if declared is not None:
            names, arrays = _as_declared(names, arrays, declared)
        text = spec(arrays)
        sent = json.dumps(values, default=_plain) if values else ""
        _native.complete_job(jid, text, json.dumps(names), meta, sent)
    except Exception as e:
        _fail(jid, e)


def _as_declared(names: list[str], arrays: list[Any], declared: Sequence[Any]) -> tuple[list[str], list[Any]]:
    """Outputs for a program that declares its outputs: as many, in order, with the declared
    names, shapes and dtypes (safe casts are made)."""
    if len(arrays) != len(declared):
        want = ", ".join(f"{s.name}: {s.dtype}{list(s.shape)}" for s in declared)
        raise ValueError(
            f"dispatch() returned {len(arrays)} outputs; the program declares {len(declared)} ({want})"
        )
    out = []
    for a, s in zip(arrays, declared, strict=True):
        if tuple(a.shape) != tuple(s.shape):
            raise ValueError(
                f"output {s.name!r} has shape {list(a.shape)}; the program declares {list(s.shape)}"
            )
        if a.dtype != s.numpy_dtype:
            if not np.can_cast(a.dtype, s.numpy_dtype, "same_kind"):
                raise TypeError(f"output {s.name!r} has dtype {a.dtype}; the program declares {s.dtype}")
            a = np.asarray(a, dtype=s.numpy_dtype, order="C")
        out.append(a)
    return [s.name for s in declared], out


def _outputs(out: Any) -> tuple[list[str], list[np.ndarray[Any, Any]]]:
    if isinstance(out, Mapping):
        items = list(out.items())
    elif isinstance(out, np.ndarray) or np.isscalar(out):
        items = [("out", out)]
    elif isinstance(out, Sequence) and not isinstance(out, (str, bytes)):
        items = [(f"out{i}", v) for i, v in enumerate(out)]
    else:
        raise TypeError(
            f"dispatch() returned a {type(out).__name__}; return a dict of arrays, an array or a list"
        )
    names, arrays = [], []
    for k, v in items:
        k = str(k)
        if not k:
            raise ValueError(f"output name {k!r} must be non-empty")
        a = np.asarray(v, order="C")  # not ascontiguousarray, which makes a 0-d array 1-d
        if a.dtype not in DTYPES:
            raise TypeError(f"output {k!r} has dtype {a.dtype}, which SOKR does not carry")
        names.append(k)
        arrays.append(a)
    return names, arrays
