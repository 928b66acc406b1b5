"""Runtimes and the three operations: capability, dispatch, completion.

A :class:`Runtime` owns what is registered with it besides its Go handle: its IR plugins
(``_irs``), its Python substrates (``_py_substrates``, served by :mod:`sokr._service`) and
the kernels the domain APIs parsed on it (``_kernels``). A runtime dropped without
``close()`` is closed by a finalizer."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import operator
import os
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _frontends, _launch, _native, errors
from ._arrays import as_input, spec, specs
from ._future import Future, track_batch, track_completed, wait
from ._program import Program
from ._service import PySubstrate, Workers
from .errors import Offer

__all__ = ["Policy", "Program", "Runtime", "Substrate", "as_completed", "default_runtime", "gather"]

#: A policy: the name of a built-in one ("auto", the default: the first capable substrate in
#: name order, unless it estimates the run at 20 ms or more, then the fastest of those that
#: give an estimate; "first",
#: "cheapest", "round_robin"), or a function
#: given the program and the capable offers, returning the chosen Offer, its substrate name
#: or its index.
Policy = str | Callable[["Program", list[Offer]], Offer | str | int]


@dataclass(frozen=True)
class Substrate:
    """A substrate a runtime can dispatch to."""

    name: str
    kind: str
    properties: dict[str, str] = field(default_factory=dict)


def _memory_setting(memory: int | str | None) -> str:
    """Runtime(memory=...) as the facade takes it ("" for the default), checked here so that
    a bad value raises TypeError or ValueError before anything starts."""
    if memory is None:
        return ""
    if isinstance(memory, str):
        _native.parse_memory(memory)
        return memory
    if isinstance(memory, bool):
        raise TypeError('memory must be a number of bytes or a size such as "4GiB", not bool')
    try:
        n = operator.index(memory)
    except TypeError:
        raise TypeError(
            f'memory must be a number of bytes or a size such as "4GiB", not {type(memory).__name__}'
        ) from None
    if n <= 0:
        raise ValueError(f"memory must be a positive number of bytes, not {n}")
    return str(n)


#: The file extensions of the built-in IRs' program files, by format. A one-line str ending
#: in one of them is a path for :meth:`Runtime.program`; any other str is source text.
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "sokr.native/1": (".sokr",),
    "sokr.photonic/1": (".sokr",),
    "openqasm/2": (".qasm",),
    "openqasm/3": (".qasm",),
    "spirv/1": (".spv",),
    "nir/1": (".nir",),
    "qir/1": (".ll",),
}


class Runtime:
    """A set of substrates, a policy and a memory budget. The module-level functions use a
    default runtime with every built-in substrate; make your own for a subset, another policy
    or another budget::

        rt = sokr.Runtime(substrates=["cpu"], policy="round_robin", memory="4GiB")
        fut = rt.dispatch(prog, x, y)

    ``substrates`` names the built-in substrates to keep: None keeps them all, ``[]`` none
    (a runtime for the Python substrates you register with it).
    ``memory`` is what runs may reserve together, in bytes or as a size (``"4GiB"``,
    ``"4G"``, ``"512MiB"``; ``"4GB"`` is 4e9). It replaces the default, three quarters of
    the memory available when the runtime starts (or the ``SOKR_MEMORY`` variable), but
    never exceeds the cgroup's limit or ``ulimit -v``. Each dispatch reserves what its
    substrate estimates before it starts; one that does not fit waits for runs before it to
    finish, and one that could never fit is refused with both numbers. See :meth:`memory`.
    """

    def __init__(
        self,
        substrates: Sequence[str] | None = None,
        policy: Policy = "auto",
        *,
        memory: int | str | None = None,
        _handle: int | None = None,
    ) -> None:
        if substrates is not None and (
            isinstance(substrates, str) or not all(isinstance(s, str) for s in substrates)
        ):
            raise TypeError("substrates must be a list of substrate names")
        self._policy: Callable[..., Any] | None = None
        go_policy = "auto"
        if callable(policy):
            self._policy = policy
        elif isinstance(policy, str):
            go_policy = policy
        else:
            raise TypeError(f"policy must be a name or a function, not {type(policy).__name__}")
        setting = _memory_setting(memory)
        if _handle is not None:
            self._handle = _handle
        else:
            names = None if substrates is None else list(substrates)  # [] keeps no built-in one
            self._handle = _native.new_runtime(names, go_policy, setting)
        self._closed = False
        self._lock = threading.Lock()
        # IR plugins, in registration order (see sokr.plugins).
        self._irs: list[Any] = []
        # Python substrates, by registration key (see sokr.plugins and sokr._service).
        self._py_substrates: dict[str, PySubstrate] = {}
        # Kernels the domain APIs parsed, by source text, most recently used last (a VQE loop
        # passes the same text many times; see sokr.quantum).
        self._kernels: OrderedDict[str, Program] = OrderedDict()
        # What closing needs, held apart from the runtime so that the finalizer does not keep
        # it alive: the worker threads of its Python substrates. The default runtime lives as
        # long as the process and has none.
        self._workers: list[Workers] = []
        self._finalizer = (
            weakref.finalize(self, _release, self._handle, self._workers, 0.0) if self._handle else None
        )

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float = 5.0) -> None:
        """Shut down: wait up to ``timeout`` seconds for dispatches in flight, then cancel
        them. Dispatching afterwards raises :class:`sokr.ClosedError`."""
        if self._handle != 0 and not self._closed:
            self._closed = True
            if self._finalizer is not None and self._finalizer.detach() is not None:
                _release(self._handle, self._workers, timeout)

    def __repr__(self) -> str:
        # What is registered now: a repr does not start the Vulkan devices.
        return f"<sokr.Runtime substrates={[s['name'] for s in _native.info(self._handle)['substrates']]}>"

    # -- introspection -----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Substrates, IRs and failed plugins, as a dict. The Vulkan devices are enumerated
        here if nothing has needed them yet (until then the runtime holds a "vulkan"
        placeholder and loads no driver)."""
        self._check_open()
        _native.start_deferred(self._handle)
        info = _native.info(self._handle)
        info["memory"] = _native.memory(self._handle)
        return info

    def memory(self) -> dict[str, Any]:
        """The memory budget: ``budget`` (the bytes runs may reserve together), ``source``
        (where that number came from: ``"Runtime(memory=...)"``, ``"SOKR_MEMORY"``, or the
        limit that set it, e.g. ``"RLIMIT_AS: 4.8 GiB less 1.2 GiB mapped, less 512.0 MiB
        headroom"``), ``reserved`` (bytes held by runs now) and ``waiting`` (runs queued for
        memory)."""
        self._check_open()
        return _native.memory(self._handle)

    def validation_messages(self) -> dict[str, list[str]]:
        """What the Vulkan validation layer reported since the last call, by substrate, and
        clear it. The layer is on when ``SOKR_VULKAN_VALIDATION=1`` was set before the runtime
        started (and Debian's ``vulkan-validationlayers`` or the Vulkan SDK is installed)."""
        self._check_open()
        return _native.validation_messages(self._handle)

    def substrates(self) -> list[Substrate]:
        """The substrates, sorted by name."""
        return [Substrate(s["name"], s["kind"], dict(s["properties"])) for s in self.info()["substrates"]]

    def irs(self) -> list[str]:
        """The registered IR formats, sorted."""
        self._check_open()
        return list(_native.info(self._handle)["irs"])

    # -- the three operations ----------------------------------------------------------------

    def program(self, obj: Any, ir: str | None = None) -> Program:
        """Make a program from ``obj``: source text or bytes, a path to a program file (an
        ``os.PathLike`` such as ``pathlib.Path``, or a ``str`` ending in an IR's file extension:
        ``.sokr``, ``.qasm``, ``.spv``, ``.nir``, ``.ll``), an object with ``__sokr_program__()`` (e.g. a
        :mod:`sokr.native` builder), or a Program. Any other ``str`` is source text. The IR is
        detected unless ``ir`` names it. An error about a file that is not a program names the
        file, never its contents."""
        self._check_open()
        if isinstance(obj, Program):
            return obj
        if ir is not None and not isinstance(ir, str):
            raise TypeError(f"ir must be a format name such as 'sokr.native/1', not {type(ir).__name__}")
        if hasattr(obj, "__sokr_program__"):
            fmt, src = obj.__sokr_program__()
            return self.program(src, ir=ir or fmt)
        if ir is None:
            with self._lock:
                plugins = list(self._irs)
            lowered = _frontends.lower(self, plugins, obj)
            if lowered is not None:
                return lowered
        path = self._program_path(obj)
        if path is not None:
            with open(path, "rb") as fh:
                src = fh.read()
        elif isinstance(obj, str):
            src = obj.encode()
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            src = bytes(obj)
        else:
            raise errors.UnknownFormatError(
                f"sokr: cannot make a program from a {type(obj).__name__}: pass source text, bytes, "
                f"a file path, or an object with __sokr_program__() (registered IRs: {', '.join(self.irs())})"
            )
        if path is None:
            return self._parse(src, ir or "", _launch.parse_token())
        try:
            return self._parse(src, ir or "", _launch.parse_token())
        except (errors.InvalidProgramError, errors.UnknownFormatError) as e:
            if ir is None or self._detect(src) is not None:
                raise  # a program (its format's header is there): the message may quote it
            cls = type(e)
        # Raised here, not in the except block, so that no __context__ keeps the message that
        # quotes the bytes of a file that is not a program.
        raise cls(
            f"sokr: {os.fspath(path)!r} is not a {ir} program: no registered IR recognises its contents",
            format=ir,
        )

    def _program_path(self, obj: Any) -> str | os.PathLike[Any] | None:
        """The file ``obj`` names, or None when it is source: an ``os.PathLike``, or a one-line
        ``str`` ending in a registered IR's file extension (``.qasm``, ``.sokr``, ...). Any
        other string is source text, so that a string that happens to name a file (say
        ``/proc/self/environ``) is never read."""
        if isinstance(obj, os.PathLike):
            return obj
        if not isinstance(obj, str) or "\n" in obj or len(obj) >= 4096:
            return None
        ext = os.path.splitext(obj)[1].lower()
        formats = {fmt for fmt, exts in _EXTENSIONS.items() if ext in exts}
        if not formats or not formats & set(_native.info(self._handle)["irs"]):
            return None  # a Python IR's program file is passed as a pathlib.Path
        if not os.path.isfile(obj):
            raise FileNotFoundError(f"sokr: no program file at {obj!r}")
        return obj

    def _parse(self, src: bytes, fmt: str, token: int) -> Program:
        import ctypes

        buf = ctypes.create_string_buffer(src, len(src)) if src else None
        addr = ctypes.addressof(buf) if buf is not None else 0
        if token:  # an _async call's parse, under its deadline (see _launch)
            handle = _native.parse_in(token, self._handle, fmt, addr, len(src))
        else:
            handle = _native.parse(self._handle, fmt, addr, len(src))
        return Program(handle, self)

    def _detect(self, src: bytes) -> str | None:
        """The format whose detector recognises ``src`` (parsed to find out: only on an error
        path), or None."""
        try:
            return self._parse(src, "", 0).format
        except errors.InvalidProgramError as e:
            return e.detail.get("format") or None
        except errors.SokrError:
            return None

    def capability(self, prog: Any) -> list[Offer]:
        """Every substrate's answer to "can you fulfil this program?", with estimates for the
        capable ones and reasons for the others."""
        p = self.program(prog)
        return [Offer._from(o) for o in _native.capability(self._handle, p._handle)]

    def dispatch(
        self,
        prog: Any,
        *inputs: Any,
        substrate: str | None = None,
        policy: Policy | None = None,
        copy: bool = False,
        **options: Any,
    ) -> Future:
        """Run ``prog`` on ``inputs`` (numpy arrays, or numbers and lists converted to the
        declared dtypes) and return a :class:`sokr.Future` at once.

        **Inputs are read in place.** A numpy array is not copied: the substrate reads it
        while the run goes on, so changing it before the future is done changes what the run
        sees. ``copy=True`` copies the inputs first (an array per input, made here), so the
        caller may reuse its arrays at once. The future keeps the arrays alive until the run
        has let go of them.

        ``substrate`` pins the run to one substrate; ``policy`` overrides the runtime's.
        Options: ``timeout`` (seconds), ``seed``, and substrate-specific ones (``shots``, ...).
        Failures (no capable substrate, wrong inputs, a substrate fault) arrive through the
        future, except inputs that cannot be made into arrays, which raise at once, and a
        program given as source that cannot be parsed. Its parse counts against ``timeout``
        (:class:`sokr.DeadlineExceededError` when it takes longer); the run gets what is left.
        """
        timeout = _launch.timeout_of(options) if not isinstance(prog, Program) else None
        if timeout is None or _launch.parse_token():
            return self._dispatch(self.program(prog), inputs, substrate, policy, options, copy)
        with _launch.bounded(timeout):
            return self._dispatch(self.program(prog), inputs, substrate, policy, options, copy)

    def _dispatch(
        self,
        p: Program,
        inputs: Sequence[Any],
        substrate: str | None,
        policy: Policy | None,
        options: dict[str, Any],
        copy: bool = False,
    ) -> Future:
        arrays = _arrays(p, inputs, copy)
        sub, pol, opts = self._route(p, substrate, policy, options)
        ticket = _native.dispatch(self._handle, p._handle, spec(arrays), sub, pol, opts)
        return track_completed(Future(ticket, arrays, p))

    def run(self, prog: Any, *inputs: Any, timeout: float | None = None, **kw: Any) -> Result:
        """Dispatch and wait for the result, ``timeout`` seconds at most (a program given as
        source is parsed within them: :class:`sokr.DeadlineExceededError` if it takes longer).
        Keywords are :meth:`dispatch`'s (``copy=True`` copies the inputs first)."""
        if timeout is not None and timeout > 0 and not isinstance(prog, Program):
            started = time.monotonic()
            with _launch.bounded_if(True, timeout):
                prog = self.program(prog)
            timeout = max(0.0, timeout - (time.monotonic() - started))
        return wait(self.dispatch(prog, *inputs, **kw), timeout)

    def dispatch_many(
        self,
        prog: Any,
        inputs: Iterable[Sequence[Any]],
        *,
        substrate: str | None = None,
        policy: Policy | None = None,
        progress: bool | str = False,
        copy: bool = False,
        **options: Any,
    ) -> list[Future]:
        """Dispatch ``prog`` once per input set, in one call into the runtime: the fast way to
        run a sweep. ``progress=True`` (or a description) shows a tqdm progress bar that
        advances as the runs complete. Inputs are read in place unless ``copy=True``, as in
        :meth:`dispatch`."""
        p = self.program(prog)
        sets = [_arrays(p, tuple(s), copy) for s in inputs]
        if not sets:
            return []
        bar = (
            _progress_bar(len(sets), progress if isinstance(progress, str) else f"sokr {p.format}")
            if progress
            else None
        )
        sub, pol, opts = self._route(p, substrate, policy, options)
        first = _native.dispatch_many(self._handle, p._handle, specs(sets), sub, pol, opts)
        futs = [Future(first + i, a, p) for i, a in enumerate(sets)]
        if bar is not None:
            _advance(bar, futs)
        return track_batch(futs)

    # -- helpers -----------------------------------------------------------------------------

    def _route(
        self, p: Program, substrate: str | None, policy: Policy | None, options: dict[str, Any]
    ) -> tuple[str, str, str]:
        self._check_open()
        if substrate is not None and not isinstance(substrate, str):
            raise TypeError(f"substrate must be a name, not {type(substrate).__name__}")
        fn = self._policy
        go_policy = ""
        if policy is not None:
            if callable(policy):
                fn = policy
            elif isinstance(policy, str):
                go_policy, fn = policy, None
            else:
                raise TypeError(f"policy must be a name or a function, not {type(policy).__name__}")
        if fn is not None and substrate is None:
            substrate = _choose(fn, p, self.capability(p))
        if "timeout" in options and (left := _launch.time_left()) is not None:
            options = {**options, "timeout": left}  # what the parse left of it
        try:
            opts = json.dumps({k: _option(v) for k, v in options.items()}) if options else ""
        except TypeError as e:
            raise TypeError(f"dispatch options must be JSON-serialisable: {e}") from None
        return substrate or "", go_policy, opts

    def _check_open(self) -> None:
        if self._closed:
            raise errors.ClosedError("sokr: runtime closed")


def _release(handle: int, workers: list[Workers], timeout: float) -> None:
    """Close a runtime: let its Python substrates' threads end, and close it in Go (waiting up
    to ``timeout`` for runs in flight, then cancelling them). Runs at ``close()``, or from the
    finalizer once the runtime is dropped (a dropped runtime has no future left that waits:
    each pending future holds its program, which holds the runtime)."""
    for w in workers:
        w.close()
    try:
        _native.close_runtime(handle, timeout)
    except errors.SokrError:
        pass  # closed already


def _option(v: Any) -> Any:
    """Bytes-like and numpy values travel as "base64:..." (e.g. Vulkan push constants)."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(v)).decode()
    if isinstance(v, (np.ndarray, np.generic)):
        return "base64:" + base64.b64encode(np.ascontiguousarray(v).tobytes()).decode()
    return v


def _arrays(p: Program, inputs: Sequence[Any], copy: bool = False) -> list[np.ndarray[Any, Any]]:
    sig = p._inputs
    arrays = [
        as_input(x, i, sig[i] if sig is not None and i < len(sig) else None) for i, x in enumerate(inputs)
    ]
    if copy:  # a list converted by as_input is a fresh array already
        arrays = [
            a.copy() if a is x or not a.flags.owndata else a for a, x in zip(arrays, inputs, strict=True)
        ]
    return arrays


def _choose(fn: Callable[..., Any], p: Program, offers: list[Offer]) -> str:
    """Apply a Python policy to the capable offers; return the chosen substrate's name."""
    capable = [o for o in offers if o.ok]
    if not capable:
        raise errors.NoCapableSubstrateError(
            "sokr: no capable substrate for "
            + p.format
            + ": "
            + "; ".join(f"{o.substrate}: {o.reason}" for o in offers),
            offers=[o.__dict__ for o in offers],
        )
    choice = fn(p, capable)
    if isinstance(choice, Offer):
        return choice.substrate
    if isinstance(choice, str) and any(o.substrate == choice for o in capable):
        return choice
    if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < len(capable):
        return capable[choice].substrate
    raise errors.NoCapableSubstrateError(
        f"sokr: the policy {getattr(fn, '__name__', fn)!r} chose {choice!r}, which is not one of the "
        f"capable substrates ({', '.join(o.substrate for o in capable)})",
        offers=[o.__dict__ for o in offers],
    )


def _progress_bar(total: int, desc: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as e:
        raise ImportError("progress bars need tqdm: pip install tqdm") from e
    return tqdm(total=total, desc=desc)


def _advance(bar: Any, futs: list[Future]) -> None:
    """Advance the bar as futures complete; close it after the last."""
    lock = threading.Lock()
    left = [len(futs)]

    def step(_: object) -> None:
        with lock:
            bar.update(1)
            left[0] -= 1
            if left[0] == 0:
                bar.close()

    for f in futs:
        f.add_done_callback(step)


from ._future import Result  # noqa: E402  (re-exported for typing of run())

_default: Runtime | None = None


def default_runtime() -> Runtime:
    """The runtime the module-level functions use: every built-in substrate, first capable."""
    global _default
    if _default is None:
        _default = Runtime(_handle=0)
        _load_entry_points()
    return _default


def _declares_plugins() -> bool:
    """Whether any distribution on sys.path declares a ``sokr.plugins`` entry point: its
    entry_points.txt read as text, so that a process with none (most) does not import
    importlib.metadata (~20 ms: email, zipfile, csv) on sokr's first use."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "entry_points.txt"), encoding="utf-8") as f:
                        if "[sokr.plugins]" in f.read():
                            return True
                except OSError:
                    continue
    return False


def _load_entry_points() -> None:
    """Call every ``sokr.plugins`` entry point once (they register plugins)."""
    if not _declares_plugins():
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group="sokr.plugins"):
        try:
            ep.load()()
        except Exception as e:  # a broken third-party plugin must not break sokr
            import warnings

            warnings.warn(
                f"sokr: plugin entry point {ep.name!r} failed: {type(e).__name__}: {e}", stacklevel=2
            )


def gather(
    *futures: concurrent.futures.Future[Any], return_exceptions: bool = False
) -> concurrent.futures.Future[list[Any]]:
    """Combine futures into one whose result is the list of their results, in order. It can be
    awaited or waited on: ``await sokr.gather(f, g)`` or ``sokr.gather(f, g).result()``.
    Cancelling it (``cancel()``, a cancelled awaiting task, ``asyncio.wait_for`` timing out)
    cancels the futures it gathers, as ``asyncio.gather`` does."""
    return Gathered(list(futures), return_exceptions)


# The longest a wait sleeps before it looks again for Ctrl-C (an interrupt that is not a real
# signal, such as _thread.interrupt_main's, does not wake a lock's wait).
_SLICE = 0.1


class Gathered(concurrent.futures.Future):  # type: ignore[type-arg]
    def __init__(self, futs: list[concurrent.futures.Future[Any]], return_exceptions: bool) -> None:
        super().__init__()
        for f in futs:
            if not isinstance(f, concurrent.futures.Future):
                raise TypeError(f"gather takes futures, not {type(f).__name__}")
        self._futs = futs
        self._return_exceptions = return_exceptions
        self._left = len(futs)
        self._lock = threading.Lock()
        if not futs:
            self.set_result([])
        for f in futs:
            f.add_done_callback(self._one)

    def _one(self, f: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if self.done():
            return
        if not self._return_exceptions and (f.cancelled() or f.exception() is not None):
            try:
                self.set_exception(
                    errors.CancelledError("sokr: a gathered future was cancelled")
                    if f.cancelled()
                    else f.exception()
                )
            except concurrent.futures.InvalidStateError:
                pass
            return
        if last:
            results: list[Any] = []
            for g in self._futs:
                if g.cancelled():
                    results.append(errors.CancelledError("sokr: cancelled"))
                else:
                    results.append(g.exception() or g.result())
            try:
                self.set_result(results)
            except concurrent.futures.InvalidStateError:
                pass

    def result(self, timeout: float | None = None) -> list[Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        for f in self._futs:  # wait on the sokr futures, which wait with the GIL released
            if isinstance(f, Future):
                f._wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        while True:  # in slices, so that Ctrl-C is seen (as sokr futures wait in Go)
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return super().result(_SLICE if left is None else min(_SLICE, left))  # type: ignore[no-any-return]
            except concurrent.futures.TimeoutError:
                if left is not None and left <= _SLICE:
                    raise

    def cancel(self) -> bool:
        """Cancel this and every future it gathers; False when it had already completed."""
        if not super().cancel():
            return False
        for f in self._futs:
            f.cancel()
        return True

    def __await__(self) -> Any:
        import asyncio

        # wrap_future cancels this when the awaiter is cancelled; anything else thrown in (a
        # KeyboardInterrupt) cancels it here.
        try:
            res = yield from asyncio.wrap_future(self).__await__()
        except GeneratorExit:
            raise  # the coroutine was closed unfinished (a loop closed): others may wait on it
        except BaseException:
            self.cancel()
            raise
        return res


class as_completed:
    """Iterate futures as they complete, synchronously (``for f in sokr.as_completed(fs)``)
    or asynchronously (``async for f in sokr.as_completed(fs)``)."""

    def __init__(
        self, futures: Iterable[concurrent.futures.Future[Any]], timeout: float | None = None
    ) -> None:
        self._futs = list(futures)
        for f in self._futs:
            if not isinstance(f, concurrent.futures.Future):
                raise TypeError(f"as_completed takes futures, not {type(f).__name__}")
        self._timeout = timeout

    def __iter__(self) -> Iterator[concurrent.futures.Future[Any]]:
        return concurrent.futures.as_completed(self._futs, timeout=self._timeout)

    def __aiter__(self) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[concurrent.futures.Future[Any]] = asyncio.Queue()

        def done(f: concurrent.futures.Future[Any]) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, f)
            except RuntimeError:
                pass

        for f in self._futs:
            f.add_done_callback(done)

        async def gen() -> Any:
            for _ in range(len(self._futs)):
                if self._timeout is None:
                    yield await queue.get()
                else:
                    yield await asyncio.wait_for(queue.get(), self._timeout)

        return gen().__aiter__()
