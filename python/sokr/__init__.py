"""SOKR: one program, whichever substrate is there.

Hand SOKR a computation in some IR; it asks every substrate "can you fulfil this?"
(:func:`capability`), runs it on one (:func:`dispatch`) and signals when done (a
:class:`Future` you can ``await``, wait on, poll or cancel)::

    import numpy as np, sokr

    prog = sokr.program('''sokr.native/1
    param x: f32[3]
    param y: f32[3]
    a: f32[] = const 2
    ax: f32[3] = mul a, x
    out: f32[3] = add ax, y
    return out
    ''')
    fut = sokr.dispatch(prog, np.array([1, 2, 3], np.float32), np.ones(3, np.float32))
    fut.result()["out"]          # or: (await fut)["out"] in a notebook

>>> import numpy as np, sokr
>>> p = sokr.program("sokr.native/1\\nparam x: f32[3]\\ny: f32[3] = neg x\\nreturn y\\n")
>>> sokr.dispatch(p, np.array([1, 2, 3], np.float32)).result()["y"]
array([-1., -2., -3.], dtype=float32)
"""

from __future__ import annotations

import os

# `import sokr` loads nothing but this file: the extension (whose load starts the Go runtime
# and checks the package version), the runtime and futures, and their imports (json,
# concurrent.futures, dataclasses, importlib.metadata...) load on first use, through
# __getattr__ below (PEP 562). A script that imports sokr and numpy and never uses sokr, or
# uses it late, pays nothing up front; test_imports.py checks what `import sokr` loads. Not
# even typing (5-10 ms alone, when numpy has not loaded it): type checkers read this constant
# as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._arrays import TensorSpec
    from ._future import Future, Result, Timings
    from ._runtime import Policy, Program, Runtime, Substrate, as_completed, gather
    from .errors import (
        AlreadyDoneError,
        CancelledError,
        ClosedError,
        DeadlineExceededError,
        InvalidInputError,
        InvalidProgramError,
        NoCapableSubstrateError,
        Offer,
        RegistrationError,
        SokrError,
        SubstrateFaultError,
        UnknownFormatError,
    )
    from .plugins import register_ir, register_substrate, unregister_ir, unregister_substrate

    __version__: str

# The names loaded on first use, by the module that defines them.
_FROM = {
    "_arrays": ("TensorSpec",),
    "_future": ("Future", "Result", "Timings"),
    "_runtime": ("Policy", "Program", "Runtime", "Substrate", "as_completed", "gather"),
    "errors": (
        "AlreadyDoneError",
        "CancelledError",
        "ClosedError",
        "DeadlineExceededError",
        "InvalidInputError",
        "InvalidProgramError",
        "NoCapableSubstrateError",
        "Offer",
        "RegistrationError",
        "SokrError",
        "SubstrateFaultError",
        "UnknownFormatError",
    ),
    "plugins": ("register_ir", "register_substrate", "unregister_ir", "unregister_substrate"),
}
_LAZY = {name: module for module, names in _FROM.items() for name in names}

__all__ = [
    "AlreadyDoneError",
    "CancelledError",
    "ClosedError",
    "DeadlineExceededError",
    "Future",
    "InvalidInputError",
    "InvalidProgramError",
    "NoCapableSubstrateError",
    "Offer",
    "Policy",
    "Program",
    "RegistrationError",
    "Result",
    "Runtime",
    "SokrError",
    "Substrate",
    "SubstrateFaultError",
    "TensorSpec",
    "Timings",
    "UnknownFormatError",
    "__version__",
    "as_completed",
    "capability",
    "dispatch",
    "dispatch_many",
    "gather",
    "info",
    "irs",
    "load_plugin",
    "program",
    "register_ir",
    "register_substrate",
    "run",
    "substrates",
    "unregister_ir",
    "unregister_substrate",
]


def _first_default_runtime() -> Runtime:
    """The runtime the module-level functions use: every built-in substrate, first capable.

    The first call loads the runtime and puts ``sokr._runtime.default_runtime`` in
    ``default_runtime``'s place, so the functions below call it directly from then on."""
    global default_runtime
    from . import _runtime

    default_runtime = _runtime.default_runtime
    return default_runtime()


default_runtime: Callable[[], Runtime] = _first_default_runtime


def substrates() -> list[Substrate]:
    """The substrates of the default runtime, sorted by name."""
    return default_runtime().substrates()


def load_plugin(path: str | os.PathLike[str], runtime: Runtime | None = None) -> Substrate:
    """Load a substrate plugin written in C, C++ or Rust (a shared object exporting
    ``sokr_plugin_query_v1``; see docs/ABI.md) into the default runtime, or ``runtime``,
    and return the substrate it registered. A refused plugin (wrong ABI version, missing
    symbol, NULL slot, struct too small, name taken) raises :class:`RegistrationError`
    saying why; the runtime carries on without it.

    Plugins listed in ``$SOKR_PLUGIN_PATH`` (colon-separated) load when a runtime starts."""
    rt = runtime or default_runtime()
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"sokr.load_plugin: no file at {p!r}")
    from . import _native

    name = _native.load_plugin(rt._handle, os.path.abspath(p))
    for s in rt.substrates():
        if s.name == name:
            return s
    from .errors import RegistrationError

    raise RegistrationError(f"plugin {p} registered {name!r}, which the runtime no longer lists")


def info(runtime: Runtime | None = None) -> None:
    """Print what `sokr info` prints for the default runtime (or ``runtime``): substrates,
    Python ones included, with their properties, IR formats, and plugins that failed."""
    from .cli import info_text

    print(info_text((runtime or default_runtime()).info()))


def irs() -> list[str]:
    """The IR formats SOKR reads, sorted."""
    return default_runtime().irs()


def program(obj: Any, ir: str | None = None) -> Program:
    """Make a program from source text or bytes, a file path, or a builder object; the IR is
    detected unless ``ir`` names it. See :meth:`Runtime.program`."""
    return default_runtime().program(obj, ir)


def capability(prog: Any) -> list[Offer]:
    """Every substrate's offer for ``prog``. See :meth:`Runtime.capability`."""
    return default_runtime().capability(prog)


def dispatch(
    prog: Any,
    *inputs: Any,
    substrate: str | None = None,
    policy: Policy | None = None,
    copy: bool = False,
    **options: Any,
) -> Future:
    """Run ``prog`` on ``inputs``; returns a :class:`Future` at once. The inputs are read in
    place while the run goes on (``copy=True`` copies them first). See :meth:`Runtime.dispatch`."""
    return default_runtime().dispatch(prog, *inputs, substrate=substrate, policy=policy, copy=copy, **options)


def run(prog: Any, *inputs: Any, timeout: float | None = None, **kw: Any) -> Result:
    """Dispatch and wait: ``sokr.run(prog, x).value``."""
    return default_runtime().run(prog, *inputs, timeout=timeout, **kw)


def dispatch_many(prog: Any, inputs: Any, **kw: Any) -> list[Future]:
    """Dispatch ``prog`` once per input set. See :meth:`Runtime.dispatch_many`."""
    return default_runtime().dispatch_many(prog, inputs, **kw)


# Submodules found as attributes of sokr without an import of their own: the domain packages,
# and the modules `import sokr` loaded before it loaded them lazily.
_SUBMODULES = frozenset(
    (
        "quantum",
        "native",
        "neuro",
        "photonic",
        "errors",
        "plugins",
        "_native",
        "_arrays",
        "_html",
        "_future",
        "_program",
        "_frontends",
        "_launch",
        "_service",
        "_runtime",
    )
)


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif name == "__version__":
        value = importlib.import_module(f"{__name__}._native").version()
    elif name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'sokr' has no attribute {name!r}")
    globals()[name] = value  # found in the module's dict from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
