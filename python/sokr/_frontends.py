"""Lowering objects to programs: a runtime's IR plugins, then the built-in front-ends.

The built-in front-ends live in the domain packages (``sokr.quantum._frontends`` for Qiskit
circuits and CUDA-Q kernels, ``sokr.neuro._frontend`` for ``nir.NIRGraph``,
``sokr.photonic._frontend`` for Perceval objects). They are named here, by the package an
object's type comes from, and imported the first time such an object is seen, as entry points
are: the core never imports a domain package (import-linter checks it, see pyproject.toml),
and ``sokr.program(some_circuit)`` still works without ``import sokr.quantum`` first.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import TYPE_CHECKING, Any

from . import errors
from ._program import Program

if TYPE_CHECKING:
    from ._runtime import Runtime

#: The built-in front-end for objects whose type comes from each top-level package, as
#: "module:class".
BUILTIN: dict[str, str] = {
    "qiskit": "sokr.quantum._frontends:QiskitFrontend",
    "cudaq": "sokr.quantum._frontends:CudaqFrontend",
    "nir": "sokr.neuro._frontend:NIRFrontend",
    "perceval": "sokr.photonic._frontend:PercevalFrontend",
}

_loaded: dict[str, Any] = {}
_loaded_lock = threading.Lock()


def name_of(plugin: Any) -> str:
    """A plugin's ``name`` attribute, else its class name."""
    n = getattr(plugin, "name", None)
    if isinstance(n, str) and n:
        return n
    return type(plugin).__name__


def builtin_for(obj: Any) -> Any:
    """The built-in front-end for ``obj``'s package (imported and made once), or None."""
    root = (type(obj).__module__ or "").partition(".")[0]
    where = BUILTIN.get(root)
    if where is None:
        return None
    with _loaded_lock:
        fe = _loaded.get(root)
        if fe is None:
            module, _, cls = where.partition(":")
            fe = _loaded[root] = getattr(importlib.import_module(module), cls)()
    return fe


def lower(rt: Runtime, plugins: list[Any], obj: Any) -> Program | None:
    """The program the first of ``plugins`` (then the built-in front-end, for an object that
    is not text, bytes or a path) that accepts ``obj`` makes of it, or None."""
    candidates = plugins
    if not isinstance(obj, (str, bytes, bytearray, memoryview, os.PathLike)):
        fe = builtin_for(obj)
        if fe is not None:
            candidates = [*plugins, fe]
    for p in candidates:
        name = name_of(p)
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
