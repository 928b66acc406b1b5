"""sokr.Program: a parsed, verified program, held by its Go handle.

Below the runtime in the package's layers (see the import-linter contracts in
pyproject.toml): the service thread of Python substrates and the IR plugins make programs
without importing the runtime."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _native
from ._arrays import TensorSpec

if TYPE_CHECKING:
    from ._runtime import Runtime


class Program:
    """A parsed, verified program, ready to dispatch. Make one with :func:`sokr.program`."""

    __slots__ = (
        "__weakref__",
        "_handle",
        "_info",
        "_inputs",
        "_layout",
        "_output_bytes",
        "_outputs",
        "_runtime",
    )

    def __init__(self, handle: int, runtime: Runtime, info: dict[str, Any] | None = None) -> None:
        self._handle = handle
        self._runtime = runtime
        self._layout: Any = None  # its results' record layout, set by _future on first read
        # info: ProgramInfo's JSON when the caller has it already (a Python substrate's request)
        self._info: dict[str, Any] = info if info is not None else json.loads(_native.program_info(handle))
        sig = self._info.get("has_signature")
        self._inputs = (
            [TensorSpec(p["name"], p["dtype"], tuple(p["shape"])) for p in self._info["inputs"]]
            if sig
            else None
        )
        self._outputs = (
            [TensorSpec(p["name"], p["dtype"], tuple(p["shape"])) for p in self._info["outputs"]]
            if sig
            else None
        )
        self._output_bytes = sum(
            int(np.prod(s.shape, dtype=np.int64)) * s.numpy_dtype.itemsize for s in self._outputs or []
        )

    def __del__(self) -> None:
        try:
            _native.free_program(self._handle)
        except Exception:  # interpreter shutdown
            pass

    @property
    def format(self) -> str:
        """The IR format, e.g. ``"sokr.native/1"``."""
        return str(self._info["format"])

    @property
    def inputs(self) -> list[TensorSpec] | None:
        """The declared inputs, when the IR declares them."""
        return list(self._inputs) if self._inputs is not None else None

    @property
    def outputs(self) -> list[TensorSpec] | None:
        """The declared outputs, when the IR declares them."""
        return list(self._outputs) if self._outputs is not None else None

    @property
    def features(self) -> list[str]:
        """What the program needs of a substrate ("op:matmul", "dtype:f64", ...)."""
        return list(self._info.get("features") or [])

    @property
    def quantities(self) -> dict[str, int]:
        """How much it needs ("memory_bytes", "flops", "qubits", ...)."""
        return dict(self._info.get("quantities") or {})

    @property
    def spirv(self) -> dict[str, Any] | None:
        """For a SPIR-V module, its reflection: ``version``, ``capabilities``, ``entry_points``
        (name, model, workgroup_size, ...), ``bindings`` (set, binding, kind, name, block_size,
        runtime_stride, read_only, write_only: the arrays a dispatch takes, in order),
        ``push_constant_bytes``, ``shared_memory_bytes`` and ``spec_constants``; else None."""
        info = self._info.get("spirv")
        return dict(info) if info else None

    @property
    def source(self) -> bytes | None:
        """The bytes the program was parsed from (for a Python IR plugin's format, the bytes
        its substrate reads; see :mod:`sokr.plugins`), or None for a program built in Go."""
        n = _native.program_source_len(self._handle)
        if n < 0:
            return None
        import ctypes

        buf = ctypes.create_string_buffer(n)
        if n:
            _native.copy_program_source(self._handle, ctypes.addressof(buf), n)
        return buf.raw[:n]

    @property
    def source_format(self) -> str | None:
        """The IR format of :attr:`source` (``"openqasm/2"`` for a program whose own format is
        ``"sokr.circuit/1"``), or None."""
        return _native.program_source_format(self._handle) or None

    @property
    def text(self) -> str:
        """The program's canonical text, for IRs that print one."""
        return _native.program_text(self._handle)

    def __str__(self) -> str:
        return self.text or repr(self)

    def __repr__(self) -> str:
        sig = ""
        if self.inputs is not None:
            sig = (
                "("
                + ", ".join(map(str, self.inputs))
                + ") -> ("
                + ", ".join(map(str, self.outputs or []))
                + ")"
            )
        return f"<sokr.Program {self.format} {sig}>" if sig else f"<sokr.Program {self.format}>"

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text or repr(self))}</pre>"
