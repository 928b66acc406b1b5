"""numpy arrays across the boundary: one address and a length each, no element-by-element
conversion. The caller keeps the arrays alive until the dispatch completes."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInputError

#: numpy dtype -> SOKR dtype name
DTYPES: dict[np.dtype[Any], str] = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "bool",
    np.dtype(np.complex64): "c64",
    np.dtype(np.complex128): "c128",
}
#: SOKR dtype name -> numpy dtype
NUMPY: dict[str, np.dtype[Any]] = {v: k for k, v in DTYPES.items()}


@dataclass(frozen=True)
class TensorSpec:
    """The declared type of a program's input or output."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        return NUMPY[self.dtype]

    def __str__(self) -> str:
        return f"{self.name}: {self.dtype}[{','.join(map(str, self.shape))}]"


def as_input(x: Any, index: int, want: TensorSpec | None) -> np.ndarray[Any, Any]:
    """Check (numpy arrays) or convert (Python numbers and lists) one input."""
    name = want.name if want else None
    where = f"input {index}" + (f" ({name})" if name else "")
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if isinstance(x, (str, bytes)) or x is None:
            raise InvalidInputError(
                f"{where}: expected a numpy array or numbers, got {type(x).__name__}", index=index, name=name
            )
        try:
            arr = np.asarray(x, dtype=want.numpy_dtype if want else None)
        except (TypeError, ValueError) as e:
            raise InvalidInputError(
                f"{where}: cannot make an array of it: {e}", index=index, name=name
            ) from None
        if arr.dtype == np.dtype(object):
            raise InvalidInputError(
                f"{where}: expected numbers, got {type(x).__name__}", index=index, name=name
            )
        if arr.dtype not in DTYPES and arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        elif arr.dtype not in DTYPES and arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
    if not arr.dtype.isnative:
        raise InvalidInputError(
            f"{where}: byte order is not native; use arr.astype(arr.dtype.newbyteorder('='))",
            index=index,
            name=name,
        )
    if arr.dtype not in DTYPES:
        raise InvalidInputError(
            f"{where}: dtype {arr.dtype} is not supported; use one of " + ", ".join(str(d) for d in DTYPES),
            index=index,
            name=name,
        )
    if not arr.flags.c_contiguous:
        raise InvalidInputError(
            f"{where}: the array is not C-contiguous; pass np.ascontiguousarray(x)", index=index, name=name
        )
    return arr


_char = ctypes.c_char
_addressof = ctypes.addressof


def address(a: np.ndarray[Any, Any]) -> int:
    """The address of a C-contiguous array's data (0 for an empty one). Through ctypes'
    buffer protocol for a writable array: a third of the cost of ``a.ctypes.data``, which
    builds a helper object, and a dispatch pays it for every input."""
    try:
        return _addressof(_char.from_buffer(a))  # type: ignore[arg-type]  # numpy arrays are buffers
    except (TypeError, ValueError):  # read-only, or empty
        return a.ctypes.data if a.nbytes else 0


def _one(a: np.ndarray[Any, Any], addr: int) -> str:
    return f'["{DTYPES[a.dtype]}",[{",".join(map(str, a.shape))}],{addr},{a.nbytes}]'


def spec(arrays: Sequence[np.ndarray[Any, Any]]) -> str:
    """The facade's input spec (bindings/python/spec.go), JSON: [DTYPE, SHAPE, ADDR, NBYTES]
    per input. Written here by hand: json.dumps costs ten times as much, on every dispatch."""
    return "[" + ",".join([_one(a, address(a)) for a in arrays]) + "]"


def specs(sets: Sequence[Sequence[np.ndarray[Any, Any]]]) -> str:
    """The facade's specs of a batch, a JSON array of specs, each array's address found once
    (a sweep often passes the same array in many sets)."""
    seen: dict[int, int] = {}
    lines = []
    for arrays in sets:
        parts = []
        for a in arrays:
            addr = seen.get(id(a))  # the arrays live through the call: ids are not reused
            if addr is None:
                addr = seen[id(a)] = address(a)
            parts.append(_one(a, addr))
        lines.append("[" + ",".join(parts) + "]")
    return "[" + ",".join(lines) + "]"
