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
``cudaq.translate(kernel, format="openqasm2")``), a ``nir.NIRGraph`` and a Perceval
processor. They live in :mod:`sokr.quantum`, :mod:`sokr.neuro` and :mod:`sokr.photonic`, and
load when such an object is first made a program.

What is registered belongs to the runtime it is registered with: a runtime that is closed,
or dropped, takes its plugins and substrates with it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

from . import _native, errors
from ._frontends import name_of
from ._runtime import Runtime, default_runtime
from ._service import PySubstrate, service

__all__ = ["register_ir", "register_substrate", "unregister_ir", "unregister_substrate"]

_keys = itertools.count(1)


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj


def register_ir(plugin: Any = None, *, runtime: Runtime | None = None) -> Any:
    """Register an IR plugin (an instance, or a class, which is instantiated) with the
    default runtime or ``runtime``; usable as a decorator. Returns its argument."""
    if plugin is None:
        return lambda p: register_ir(p, runtime=runtime)
    rt = runtime or default_runtime()
    rt._check_open()
    p = _instance(plugin)
    for attr in ("accepts", "lower"):
        if not callable(getattr(p, attr, None)):
            raise TypeError(f"IR plugin {name_of(p)!r} has no {attr}() method")
    fmt = getattr(p, "format", None)
    if fmt is not None:
        if not isinstance(fmt, str) or "/" not in fmt:
            raise errors.RegistrationError(
                f"IR plugin {name_of(p)!r}: format must be a name like 'myir/1', not {fmt!r}"
            )
        _native.register_py_ir(rt._handle, fmt)
    with rt._lock:
        rt._irs.append(p)
    return plugin


def unregister_ir(plugin: Any, *, runtime: Runtime | None = None) -> bool:
    """Remove an IR plugin (the instance, its class, or its name); True if it was there."""
    rt = runtime or default_runtime()
    with rt._lock:
        for p in rt._irs:
            if p is plugin or type(p) is plugin or name_of(p) == plugin:
                rt._irs.remove(p)
                break
        else:
            return False
    fmt = getattr(p, "format", None)
    if isinstance(fmt, str) and not rt._closed:
        _native.unregister_py_ir(rt._handle, fmt)
    return True


def register_substrate(
    obj: Any = None,
    *,
    name: str | None = None,
    kind: str | None = None,
    properties: Mapping[str, str] | None = None,
    runtime: Runtime | None = None,
) -> Any:
    """Register a substrate written in Python (an instance, or a class, which is
    instantiated) with the default runtime or ``runtime``; usable as a decorator. ``kind``
    is one of cpu, gpu, qpu, neuromorphic, photonic, remote. ``name``, ``kind`` and
    ``properties`` default to the substrate's attributes of those names, then to its class
    name, ``"cpu"`` and none. Returns its argument."""
    if obj is None:
        return lambda o: register_substrate(o, name=name, kind=kind, properties=properties, runtime=runtime)
    rt = runtime or default_runtime()
    rt._check_open()
    s = _instance(obj)
    for attr in ("capability", "dispatch"):
        if not callable(getattr(s, attr, None)):
            raise TypeError(f"substrate {name_of(s)!r} has no {attr}() method")
    n = name or name_of(s)
    sub_kind = kind if kind is not None else getattr(s, "kind", None) or "cpu"
    if not isinstance(sub_kind, str) or not sub_kind:
        raise TypeError(f"substrate {n!r}: kind must be a name such as 'cpu' or 'qpu', not {sub_kind!r}")
    props = {str(k): str(v) for k, v in (properties or getattr(s, "properties", None) or {}).items()}
    key = f"{rt._handle}:{n}:{next(_keys)}"
    sub = PySubstrate(s, n, key, rt)
    with rt._lock:
        _native.register_py_substrate(rt._handle, key, n, sub_kind, json.dumps(props))
        rt._py_substrates[key] = sub
        rt._workers += (sub.runs, sub.caps)
    service.add(sub)
    return obj


def unregister_substrate(name: str, *, runtime: Runtime | None = None) -> bool:
    """Remove a Python substrate by name; True if it was there."""
    rt = runtime or default_runtime()
    with rt._lock:
        gone = [s for s in rt._py_substrates.values() if s.name == name]
        for s in gone:
            del rt._py_substrates[s.key]
            rt._workers.remove(s.runs)
            rt._workers.remove(s.caps)
    for s in gone:
        service.remove(s)
    if rt._closed:
        return bool(gone)
    return bool(_native.unregister_py_substrate(rt._handle, name))
