"""Extending SOKR in Python: IR plugins, substrates, and the built-in front-ends.

An **IR plugin** turns objects (or text) into programs. It has ``accepts(obj)`` and
``lower(obj)``, and optionally ``format`` (a new format name, for programs only a Python
substrate runs) and ``name``::

    @sokr.register_ir
    class Polynomial:
        format = "poly/1"
        def accepts(self, obj): return isinstance(obj, str) and obj.startswith("poly:")
        def lower(self, obj): return obj.encode()        # raw bytes: a poly/1 program

``lower`` returns a :class:`sokr.Program`, source text in a registered IR (detected), a
``(format, source)`` pair, or raw bytes of the plugin's own ``format``. Registered plugins
take part in :func:`sokr.program` (and so in dispatch), in registration order, before the
built-in detection; their formats appear in :func:`sokr.irs`. Their errors name the plugin.

A **substrate** in Python has ``capability(program)`` and ``dispatch(program, inputs)``::

    @sokr.register_substrate
    class Evaluator:
        name = "poly-eval"
        def capability(self, program):
            return program.format == "poly/1" or (False, "runs poly/1 only")
        def dispatch(self, program, inputs):
            coeffs = [float(c) for c in program.source.decode()[5:].split(",")]
            return {"y": np.polyval(coeffs, inputs[0])}

``capability`` returns True, False, or ``(False, reason)`` (also ``(True, seconds)`` with
an estimate). ``dispatch`` gets the :class:`sokr.Program` (``program.source`` holds the
bytes of a Python-IR program) and the inputs as numpy arrays, and may accept an ``options``
keyword (the dispatch options, ``seed`` included) and a ``cancelled`` keyword (a
``threading.Event`` set when the run is cancelled, or the interpreter exits: a long run
should watch it). It returns the outputs (a dict of arrays,
one array, or a list) synchronously, as a ``concurrent.futures.Future``, or as a coroutine.
An exception inside it becomes a :class:`sokr.SubstrateFaultError` whose ``stack`` holds the
Python traceback. Each substrate runs on its own daemon worker threads (at most
``min(32, cpus + 4)`` at once), so a substrate whose runs block holds up only itself, and
never the interpreter's exit. The substrate joins the runtime's registry: every policy can route to it,
and ``sokr info`` lists it.

Plugins that should load in every process (``sokr info`` included) declare an entry point in
the ``sokr.plugins`` group: a function that registers them, called when the default runtime
starts.

The **built-in front-ends** are plugins too, active when their package is in use: a Qiskit
``QuantumCircuit`` (through ``qiskit.qasm2.dumps``), a CUDA-Q kernel (through
``cudaq.translate(kernel, format="openqasm2")``), and a ``nir.NIRGraph``.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import inspect
import itertools
import json
import os
import queue
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _native, errors
from ._arrays import DTYPES, NUMPY, spec

if TYPE_CHECKING:
    import asyncio  # imported when a substrate first returns a coroutine: it costs `import sokr` ~15 ms

    from ._runtime import Program, Runtime

__all__ = ["register_ir", "register_substrate", "unregister_ir", "unregister_substrate"]


def _name(plugin: Any) -> str:
    n = getattr(plugin, "name", None)
    if isinstance(n, str) and n:
        return n
    return type(plugin).__name__


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj


# -- IR plugins ---------------------------------------------------------------------------------


class _IRs:
    """The IR plugins of every runtime, by runtime handle, in registration order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_runtime: dict[int, list[Any]] = {}


_irs = _IRs()


def register_ir(plugin: Any = None, *, runtime: Any = None) -> Any:
    """Register an IR plugin (an instance, or a class, which is instantiated) with the
    default runtime or ``runtime``; usable as a decorator. Returns its argument."""
    if plugin is None:
        return lambda p: register_ir(p, runtime=runtime)
    from ._runtime import default_runtime

    rt = runtime or default_runtime()
    p = _instance(plugin)
    for attr in ("accepts", "lower"):
        if not callable(getattr(p, attr, None)):
            raise TypeError(f"IR plugin {_name(p)!r} has no {attr}() method")
    fmt = getattr(p, "format", None)
    if fmt is not None:
        if not isinstance(fmt, str) or "/" not in fmt:
            raise errors.RegistrationError(
                f"IR plugin {_name(p)!r}: format must be a name like 'myir/1', not {fmt!r}"
            )
        _native.register_py_ir(rt._handle, fmt)
    with _irs.lock:
        _irs.by_runtime.setdefault(rt._handle, []).append(p)
    return plugin


def unregister_ir(plugin: Any, *, runtime: Any = None) -> bool:
    """Remove an IR plugin (the instance, its class, or its name); True if it was there."""
    from ._runtime import default_runtime

    rt = runtime or default_runtime()
    with _irs.lock:
        plugins = _irs.by_runtime.get(rt._handle, [])
        for p in plugins:
            if p is plugin or type(p) is plugin or _name(p) == plugin:
                plugins.remove(p)
                break
        else:
            return False
    fmt = getattr(p, "format", None)
    if isinstance(fmt, str):
        _native.unregister_py_ir(rt._handle, fmt)
    return True


def _lower(rt: Runtime, obj: Any) -> Program | None:
    """The program a registered plugin makes of obj, or None when none accepts it."""
    with _irs.lock:
        plugins = list(_irs.by_runtime.get(rt._handle, ()))
    builtin = not isinstance(obj, (str, bytes, bytearray, memoryview, os.PathLike))
    for p in plugins + (_FRONTENDS if builtin else []):
        name = _name(p)
        try:
            ok = p.accepts(obj)
        except Exception as e:
            raise errors.UnknownFormatError(
                f"IR plugin {name!r}: accepts() raised {type(e).__name__}: {e}"
            ) from e
        if not ok:
            continue
        try:
            out = p.lower(obj)
        except errors.SokrError:
            raise
        except Exception as e:
            raise errors.InvalidProgramError(
                f"IR plugin {name!r} could not lower the {type(obj).__name__}: {type(e).__name__}: {e}"
            ) from e
        return _program_of(rt, p, name, out)
    return None


def _program_of(rt: Runtime, p: Any, name: str, out: Any) -> Program:
    from ._runtime import Program

    try:
        if isinstance(out, Program):
            return out
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], str):
            return rt.program(out[1], ir=out[0])
        if isinstance(out, (bytes, bytearray, memoryview)):
            fmt = getattr(p, "format", None)
            if not isinstance(fmt, str):
                raise errors.InvalidProgramError(
                    f"IR plugin {name!r} returned raw bytes but declares no format of its own"
                )
            return rt.program(bytes(out), ir=fmt)
        if isinstance(out, str) or hasattr(out, "__sokr_program__"):
            return rt.program(out)
    except errors.InvalidProgramError as e:
        if str(e).startswith(f"IR plugin {name!r}"):
            raise
        raise errors.InvalidProgramError(f"IR plugin {name!r} lowered to an invalid program: {e}") from e
    raise errors.InvalidProgramError(
        f"IR plugin {name!r}: lower() returned a {type(out).__name__}; return a sokr.Program, source "
        f"text, a (format, source) pair, or bytes of the plugin's format"
    )


# -- built-in front-ends ------------------------------------------------------------------------


def _module_of(obj: Any) -> str:
    return type(obj).__module__ or ""


class QiskitFrontend:
    """Qiskit ``QuantumCircuit`` objects, through Qiskit's OpenQASM 2 exporter."""

    name = "qiskit"

    def accepts(self, obj: Any) -> bool:
        if not _module_of(obj).startswith("qiskit"):
            return False
        from qiskit import QuantumCircuit

        return isinstance(obj, QuantumCircuit)

    def lower(self, obj: Any) -> tuple[str, str]:
        import qiskit.qasm2

        return ("openqasm/2", qiskit.qasm2.dumps(obj))


class CudaqFrontend:
    """CUDA-Q kernels without arguments, through CUDA-Q's OpenQASM 2 translator
    (sokr.quantum's, which also inlines the kernels it calls; sokr.quantum.sample and observe
    take the arguments of kernels that have some)."""

    name = "cudaq"

    def accepts(self, obj: Any) -> bool:
        return _module_of(obj).startswith("cudaq") and callable(obj)

    def lower(self, obj: Any) -> tuple[str, str]:
        from .quantum import _cudaq

        if not _cudaq.is_kernel(obj):  # a cudaq.make_kernel builder, say
            import cudaq

            return ("openqasm/2", cudaq.translate(obj, format="openqasm2"))
        return ("openqasm/2", _cudaq.to_openqasm(obj, ()))


class NIRFrontend:
    """``nir.NIRGraph`` objects, through their dict form."""

    name = "nir"

    def accepts(self, obj: Any) -> bool:
        return _module_of(obj).startswith("nir") and type(obj).__name__ == "NIRGraph"

    def lower(self, obj: Any) -> tuple[str, bytes]:
        from .neuro import _json_default

        return ("nir/1", json.dumps(obj.to_dict(), default=_json_default).encode())


class PercevalFrontend:
    """Perceval ``Processor`` and ``Experiment`` objects (and circuits, which lack an input
    state: pass those to sokr.photonic.from_perceval), through sokr.photonic."""

    name = "perceval"

    def accepts(self, obj: Any) -> bool:
        return _module_of(obj).startswith("perceval") and hasattr(obj, "m")

    def lower(self, obj: Any) -> Any:
        from .photonic import from_perceval

        return from_perceval(obj)


_FRONTENDS: list[Any] = [QiskitFrontend(), CudaqFrontend(), NIRFrontend(), PercevalFrontend()]


# -- substrates -----------------------------------------------------------------------------


# Worker threads per substrate for its dispatches: concurrent.futures' default, per substrate.
_RUN_WORKERS = min(32, (os.cpu_count() or 1) + 4)
# Worker threads per substrate for its capability answers.
_CAPABILITY_WORKERS = 4


_Call = tuple[Callable[..., None], tuple[Any, ...]]


class _Workers:
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
            self.idle.release()


class _Registered:
    def __init__(self, obj: Any, name: str, runtime: Any) -> None:
        self.obj = obj
        self.name = name
        self.runtime = runtime
        self.runs = _Workers(f"sokr-py-dispatch-{name}", _RUN_WORKERS)
        self.caps = _Workers(f"sokr-py-capability-{name}", _CAPABILITY_WORKERS)
        d = obj.dispatch
        try:
            params = inspect.signature(d).parameters
            self.takes_options = "options" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
            self.takes_cancelled = "cancelled" in params
        except (TypeError, ValueError):
            self.takes_options = False
            self.takes_cancelled = False


_substrates: dict[str, _Registered] = {}  # by registration key
_keys = itertools.count(1)
_substrates_lock = threading.Lock()


def register_substrate(
    obj: Any = None,
    *,
    name: str | None = None,
    kind: str | None = None,
    properties: Mapping[str, str] | None = None,
    runtime: Any = None,
) -> Any:
    """Register a substrate written in Python (an instance, or a class, which is
    instantiated) with the default runtime or ``runtime``; usable as a decorator. ``kind``
    is one of cpu, gpu, qpu, neuromorphic, photonic, remote. ``name``, ``kind`` and
    ``properties`` default to the substrate's attributes of those names, then to its class
    name, ``"cpu"`` and none. Returns its argument."""
    if obj is None:
        return lambda o: register_substrate(o, name=name, kind=kind, properties=properties, runtime=runtime)
    from ._runtime import default_runtime

    rt = runtime or default_runtime()
    s = _instance(obj)
    for attr in ("capability", "dispatch"):
        if not callable(getattr(s, attr, None)):
            raise TypeError(f"substrate {_name(s)!r} has no {attr}() method")
    n = name or _name(s)
    sub_kind = kind if kind is not None else getattr(s, "kind", None) or "cpu"
    if not isinstance(sub_kind, str) or not sub_kind:
        raise TypeError(f"substrate {n!r}: kind must be a name such as 'cpu' or 'qpu', not {sub_kind!r}")
    props = {str(k): str(v) for k, v in (properties or getattr(s, "properties", None) or {}).items()}
    with _substrates_lock:
        key = f"{rt._handle}:{n}:{next(_keys)}"
        _native.register_py_substrate(rt._handle, key, n, sub_kind, json.dumps(props))
        _substrates[key] = _Registered(s, n, rt)
    _service.start()
    return obj


def unregister_substrate(name: str, *, runtime: Any = None) -> bool:
    """Remove a Python substrate by name; True if it was there."""
    from ._runtime import default_runtime

    rt = runtime or default_runtime()
    with _substrates_lock:
        prefix = f"{rt._handle}:{name}:"
        for k in [k for k in _substrates if k.startswith(prefix)]:
            r = _substrates.pop(k)
            r.runs.close()
            r.caps.close()
        return bool(_native.unregister_py_substrate(rt._handle, name))


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
            for req in json.loads(batch):
                op = req["op"]
                if op == "cancel":
                    self._cancel(req["id"])
                    continue
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
                        _native.fail_job(
                            req["id"], "fault", "the Python substrate is no longer registered", ""
                        )
                    else:
                        r.runs.submit(self._dispatch, req, r)

    def _lookup(self, req: dict[str, Any]) -> _Registered | None:
        with _substrates_lock:
            return _substrates.get(req["key"])

    def _capability(self, req: dict[str, Any], r: _Registered) -> None:
        from ._runtime import Program

        prog = Program(req["program"], r.runtime)
        try:
            ans = r.obj.capability(prog)
            ok, reason, seconds = _offer(ans)
        except Exception as e:
            ok, reason, seconds = False, f"capability() raised {type(e).__name__}: {e}", 0.0
        _native.answer_capability(req["id"], ok, reason, seconds, 0)

    def _dispatch(self, req: dict[str, Any], r: _Registered) -> None:
        from ._runtime import Program

        jid = req["id"]
        try:
            prog = Program(req["program"], r.runtime)
            inputs = []
            for i, d in enumerate(req.get("inputs") or []):
                a = np.empty(d["shape"] or (), dtype=NUMPY[d["dtype"]])
                if a.nbytes:
                    _native.copy_job_input(jid, i, a.ctypes.data, a.nbytes)
                inputs.append(a)
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


_service = _Service()
atexit.register(_service.stop)


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
    from ._future import Result

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
        _native.complete_job(jid, text, ",".join(names), meta, sent)
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
        if not k or "," in k:
            raise ValueError(f"output name {k!r} must be non-empty and have no comma")
        a = np.asarray(v, order="C")  # not ascontiguousarray, which makes a 0-d array 1-d
        if a.dtype not in DTYPES:
            raise TypeError(f"output {k!r} has dtype {a.dtype}, which SOKR does not carry")
        names.append(k)
        arrays.append(a)
    return names, arrays


def _load_entry_points() -> None:
    """Call every ``sokr.plugins`` entry point once (they register plugins)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="sokr.plugins"):
        try:
            ep.load()()
        except Exception as e:  # a broken third-party plugin must not break sokr
            import warnings

            warnings.warn(
                f"sokr: plugin entry point {ep.name!r} failed: {type(e).__name__}: {e}", stacklevel=2
            )
