"""The one module that imports the gopy-generated extension.

Everything here is private: it turns the facade's simple-typed functions (see
bindings/python, whose facade.go lists its files) into Python values and SokrError exceptions.
What is not a raw buffer crosses as JSON; results leave Go only through ``read`` (see _future).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from . import errors

# With Python's collector off while the extension loads: gopy's hook (removed below) would
# otherwise run a full Go collection after each Python collection the import triggers.
_gc_was_on = gc.isenabled()
gc.disable()
try:
    from ._gopy import facade as _f
except ImportError as e:  # pragma: no cover - only on a broken install
    raise ImportError(
        "sokr's extension module is missing: build it with `pip install .` (needs Go and a C "
        "compiler) or install a wheel"
    ) from e
finally:
    if _gc_was_on:
        gc.enable()

# gopy registers a gc.callbacks hook that runs a full, blocking Go GC after every Python GC
# cycle, with the GIL held; with a live Go heap that makes allocation-heavy Python code orders
# of magnitude slower. Go's own collector needs no help.
gc.callbacks[:] = [cb for cb in gc.callbacks if getattr(cb, "__name__", "") != "_gopy_gc_cb"]


def _checked_version() -> str:
    """The extension's version, refused when the installed package's metadata says another.

    The version is written once (bindings/python/version.go) and read into both at build
    time, so they differ only when the extension and the Python files come from different
    builds: a stale _sokr in a source tree, or a copy from another release.
    """
    ext = str(_f.Version())
    meta = installed_version()
    if meta is None:  # run from a source tree, not installed
        return ext
    if meta != ext:
        raise ImportError(
            f"sokr's extension module is version {ext} but the installed sokr package is {meta}: "
            "they come from different builds; reinstall sokr (`pip install --force-reinstall sokr`, "
            "or `make dev` in a source tree)"
        )
    return ext


def installed_version() -> str | None:
    """The version in the METADATA of the first sokr distribution on sys.path (the one
    importlib.metadata.version("sokr") finds), None when there is none. Read directly:
    importlib.metadata costs ~20 ms to import (email, zipfile, csv) on sokr's first use."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a folder (a zip file) or gone
            continue
        for name in names:
            if not name.endswith(".dist-info") or name.partition("-")[0].lower() != "sokr":
                continue
            try:
                with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():  # the headers end at the first blank line
                            break
            except OSError:
                continue
    return None


VERSION = _checked_version()

T = TypeVar("T")


def call(fn: Callable[..., T], *args: Any) -> T:
    """Call a facade function, turning its error into the matching SokrError."""
    try:
        return fn(*args)
    except RuntimeError as e:
        msg = str(e)
        if msg.startswith("{"):
            raise errors._from_json(msg) from None
        raise errors.SokrError(msg) from None


def loads(text: str) -> Any:
    return json.loads(text)


def version() -> str:
    """SOKR's version: the extension's, checked against the package metadata at import."""
    return VERSION


free_program: Callable[[int], None] = _f.FreeProgram
program_text: Callable[[int], str] = _f.ProgramText
program_info: Callable[[int], str] = _f.ProgramInfo
completed: Callable[[float], str] = _f.Completed
wait: Callable[[int, float], bool] = _f.Wait
cancel: Callable[[int], bool] = _f.Cancel
# The one read path for results (bindings/python/results.go): tickets as a JSON list, the
# address and record size of the buffer it fills, the substrate names already known.
read: Callable[[str, int, int, int], str] = _f.Read
RECORD_HEADER: int = _f.RecordHeader
RECORD_ALIGN: int = _f.RecordAlign
pending: Callable[[], int] = _f.Pending


def error_kinds() -> list[str]:
    """Every error kind the facade reports (pkg/sokr's one table, sokr.ErrorKinds), "error"
    last."""
    return loads(_f.ErrorKinds())  # type: ignore[no-any-return]


def info(rt: int) -> dict[str, Any]:
    return loads(call(_f.Info, rt))  # type: ignore[no-any-return]


def validation_messages(rt: int) -> dict[str, list[str]]:
    return loads(call(_f.ValidationMessages, rt))  # type: ignore[no-any-return]


def new_runtime(substrates: list[str] | None, policy: str, memory: str = "") -> int:
    """A runtime over the built-in substrates named (every one when None, none when empty)."""
    names = "" if substrates is None else json.dumps(substrates)
    return int(call(_f.NewRuntime, names, policy, memory))


def parse_memory(text: str) -> int:
    """Bytes of a memory size ("4GiB", "4G", "4000000000"); ValueError saying what is wrong."""
    try:
        return int(_f.ParseMemory(text))
    except RuntimeError as e:
        raise ValueError(f"memory={text!r}: {e}") from None


def memory(rt: int) -> dict[str, Any]:
    return loads(call(_f.Memory, rt))  # type: ignore[no-any-return]


def close_runtime(rt: int, timeout: float) -> None:
    call(_f.CloseRuntime, rt, timeout)


def parse(rt: int, fmt: str, addr: int, n: int) -> int:
    return int(call(_f.Parse, rt, fmt, addr, n))


def new_parse(timeout: float) -> int:
    return int(_f.NewParse(timeout))


def parse_in(token: int, rt: int, fmt: str, addr: int, n: int) -> int:
    return int(call(_f.ParseIn, token, rt, fmt, addr, n))


def cancel_parse(token: int) -> bool:
    return bool(_f.CancelParse(token))


def end_parse(token: int) -> None:
    _f.EndParse(token)


def start_deferred(rt: int) -> None:
    call(_f.StartDeferred, rt)


def capability(rt: int, prog: int) -> list[dict[str, Any]]:
    return loads(call(_f.Capability, rt, prog))  # type: ignore[no-any-return]


def dispatch(rt: int, prog: int, spec: str, substrate: str, policy: str, options: str) -> int:
    return int(call(_f.Dispatch, rt, prog, spec, substrate, policy, options))


def dispatch_many(rt: int, prog: int, specs: str, substrate: str, policy: str, options: str) -> int:
    return int(call(_f.DispatchMany, rt, prog, specs, substrate, policy, options))


def with_noise(prog: int, rules: str) -> int:
    return int(call(_f.WithNoise, prog, rules))


def circuit_ops(prog: int, values: str) -> list[dict[str, Any]]:
    return json.loads(call(_f.CircuitOps, prog, values))  # type: ignore[no-any-return]


def measured_in_basis(prog: int, paulis: str) -> int:
    return int(call(_f.MeasuredInBasis, prog, paulis))


def nir_dict(prog: int) -> dict[str, Any]:
    return json.loads(call(_f.NIRDict, prog))  # type: ignore[no-any-return]


def end_session(rt: int, substrate: str, session: str) -> bool:
    return bool(call(_f.EndSession, rt, substrate, session))


def load_plugin(rt: int, path: str) -> str:
    return str(call(_f.LoadPlugin, rt, path))


# -- Python plugins (bindings/python/pyir.go, pysubstrate.go, pyjobs.go) ----------------------


def register_py_ir(rt: int, fmt: str) -> None:
    call(_f.RegisterPyIR, rt, fmt)


def unregister_py_ir(rt: int, fmt: str) -> bool:
    return bool(_f.UnregisterPyIR(rt, fmt))


def program_source_len(prog: int) -> int:
    return int(_f.ProgramSourceLen(prog))


def copy_program_source(prog: int, addr: int, n: int) -> None:
    call(_f.CopyProgramSource, prog, addr, n)


def register_py_substrate(rt: int, key: str, name: str, kind: str, props: str) -> None:
    call(_f.RegisterPySubstrate, rt, key, name, kind, props)


def unregister_py_substrate(rt: int, name: str) -> bool:
    return bool(_f.UnregisterPySubstrate(rt, name))


def py_requests(timeout: float) -> str:
    return str(_f.PyRequests(timeout))


def answer_capability(req: int, ok: bool, reason: str, seconds: float, memory_bytes: int) -> None:
    _f.AnswerCapability(req, ok, reason, seconds, memory_bytes)


def copy_job_input(job: int, index: int, addr: int, n: int) -> None:
    call(_f.CopyJobInput, job, index, addr, n)


def complete_job(job: int, spec: str, names: str, meta: str, values: str) -> None:
    call(_f.CompleteJob, job, spec, names, meta, values)


def program_source_format(prog: int) -> str:
    return str(_f.ProgramSourceFormat(prog))


def fail_job(job: int, kind: str, msg: str, traceback: str, index: int = -1, name: str = "") -> None:
    call(_f.FailJob, job, kind, msg, traceback, index, name)
