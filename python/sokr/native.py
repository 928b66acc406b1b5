"""Build ``sokr.native/1`` programs from Python, with operators on symbolic tensors.

A :class:`Builder` declares the inputs (:meth:`Builder.param`); arithmetic on them records
operations instead of running them; :meth:`Builder.build` names the outputs and returns a
:class:`sokr.Program` (the text goes through :func:`sokr.program`, so the Go verifier has
the last word)::

    import numpy as np, sokr, sokr.native as sn

    b = sn.Builder()
    x = b.param("x", "f32", (1024,))
    y = b.param("y", "f32", (1024,))
    prog = b.build(out=2 * x + y, s=(2 * x + y).sum())
    sokr.run(prog, np.ones(1024, np.float32), np.ones(1024, np.float32))["s"]   # 3072.0

>>> import numpy as np, sokr, sokr.native as sn
>>> b = sn.Builder()
>>> x = b.param("x", "f32", (3,))
>>> y = b.param("y", "f32", (3,))
>>> out = 2 * x + y
>>> out
<sokr.native.Tensor f32[3] = add>
>>> print(b.text(out=out, s=out.sum()), end="")
sokr.native/1
param x: f32[3]
param y: f32[3]
t0: f32[] = const 2
t1: f32[3] = mul t0, x
out: f32[3] = add t1, y
s: f32[] = reduce_sum out, axes=[0]
return out, s
>>> prog = b.build(out=out, s=out.sum())
>>> r = sokr.run(prog, np.array([1, 2, 3], np.float32), np.ones(3, np.float32))
>>> r["out"], r["s"]
(array([3., 5., 7.], dtype=float32), array(15., dtype=float32))

Comparisons give bool tensors, for :func:`where`; a matrix constant comes from numpy:

>>> with sn.Builder() as b:
...     v = sn.param("v", np.float64, (2, 2))
...     w = sn.constant(np.array([[1.0, 2.0], [3.0, 4.0]]))
...     h = sn.where(v > 0, sn.relu(v @ w), -v)
>>> sokr.run(b.build(h=h), np.array([[1.0, -1.0], [0.5, 2.0]])).value
array([[0. , 1. ],
       [6.5, 9. ]])

What the Python side can check, it checks when the operation is written, with the op and
the shapes or dtypes in the message. Only a rank-0 operand (a Python number, for instance)
broadcasts implicitly, as in the IR; anything else needs :func:`broadcast_to`:

>>> b = sn.Builder()
>>> m = b.param("m", "f32", (2, 3))
>>> m + b.param("row", "f32", (3,))
Traceback (most recent call last):
...
ValueError: add: operand shapes (2, 3) and (3,) differ; only a rank-0 operand broadcasts implicitly:
use sn.broadcast_to(row, (2, 3))

What there is:

- :class:`Builder`: ``param``, ``constant``, ``build`` (a :class:`sokr.Program`), ``text``,
  ``program`` (a :class:`Source`, which :func:`sokr.program` and :func:`sokr.dispatch` take
  as is), ``returns`` (after which the builder itself is such a program source). As a
  context manager it is the builder that :func:`param` adds to.
- :class:`Tensor` operators: ``+ - * / ** @``, unary ``-`` and ``abs()``, comparisons
  (``< <= > >= == !=``, giving bool), and ``& | ^ ~`` on bool tensors; methods ``astype``,
  ``reshape``, ``transpose`` / ``T``, ``sum``, ``max``, ``min``, ``mean`` (``axis``,
  ``keepdims``) and ``named``.
- Functions: :func:`exp`, :func:`log`, :func:`sqrt`, :func:`tanh`, :func:`sigmoid`,
  :func:`sin`, :func:`cos`, :func:`relu`, ``sn.abs``, :func:`maximum`, :func:`minimum`,
  :func:`div`, :func:`matmul`, :func:`where`, :func:`broadcast_to`, :func:`reshape`,
  :func:`transpose`, :func:`constant`, :func:`full`, :func:`param`.

Rules, in short:

- dtypes are ``"f32"``, ``"f64"``, ``"i32"``, ``"i64"`` and ``"bool"``; numpy dtypes and
  types (``np.float32``, ``float``) name them too.
- A Python number takes the dtype of the tensor it meets (``2 * x`` is an f32 constant for an
  f32 ``x``); a float does not meet an integer tensor, nor a number a bool one. numpy arrays
  and scalars become constants of their own dtype. Tensors of two dtypes never mix
  implicitly (``ValueError``; convert one with :meth:`Tensor.astype`).
- An op that does not take the operands' dtype (``sn.exp`` of an integer tensor, ``/`` of
  integers, a reduction of bools) raises ``TypeError``; shapes and axes that do not fit raise
  ``ValueError``. ``/`` is for floats; :func:`div` divides integers (truncating toward zero).
- Values get generated names ``t0, t1, ...`` that never clash with the params, the outputs or
  names given with :meth:`Tensor.named`. Outputs passed by keyword take the keyword as their
  name; positional ones keep their name if they have one, and are otherwise called ``out``
  (the only output) or ``out0, out1, ...`` (by position).
"""

from __future__ import annotations

import builtins
import contextvars
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

if TYPE_CHECKING:
    from ._program import Program

__all__ = [
    "DTYPES",
    "FORMAT",
    "Builder",
    "Source",
    "Tensor",
    "broadcast_to",
    "constant",
    "cos",
    "div",
    "exp",
    "full",
    "log",
    "matmul",
    "maximum",
    "minimum",
    "param",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
    "transpose",
    "where",
]

#: The IR format these programs are written in.
FORMAT = "sokr.native/1"
#: The dtypes of the IR.
DTYPES = ("f32", "f64", "i32", "i64", "bool")
#: The IR's limits on types (pkg/ir/native: MaxRank, MaxElements).
MAX_RANK = 64
MAX_ELEMENTS = 1 << 40

_FLOATS = ("f32", "f64")
_NUMERIC = ("f32", "f64", "i32", "i64")
_INT_RANGE = {"i32": (-(1 << 31), (1 << 31) - 1), "i64": (-(1 << 63), (1 << 63) - 1)}
_NP_TO_SOKR: dict[np.dtype[Any], str] = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "bool",
}
_SOKR_TO_NP = {v: k for k, v in _NP_TO_SOKR.items()}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")

#: Something naming a dtype: "f32", np.float32, np.dtype("float32"), float, ...
DTypeLike: TypeAlias = "str | type[Any] | np.dtype[Any]"
#: A shape: a tuple (or list) of positive ints, or one int for a vector.
ShapeLike: TypeAlias = "int | Sequence[int]"
#: What an operator takes: a tensor, a Python number (it takes the tensor's dtype), or a
#: numpy array or scalar (a constant of its own dtype).
Operand: TypeAlias = "Tensor | bool | int | float | np.generic | np.ndarray[Any, Any]"

_current: contextvars.ContextVar[Builder | None] = contextvars.ContextVar("sokr_native_builder", default=None)


def _list(names: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b or c", as the Go side words it."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _dtype(dt: Any, where: str = "dtype") -> str:
    """The IR's name for a dtype given as "f32", np.float32, np.dtype, float, ..."""
    if isinstance(dt, str) and dt in DTYPES:
        return dt
    if dt is None or isinstance(dt, Tensor):
        raise TypeError(f"{where}: {dt!r} is not a dtype; use one of {', '.join(DTYPES)}")
    if isinstance(dt, str) and re.fullmatch(r"(bf|[fiuc])[0-9]+", dt):  # numpy reads "f16" as float128
        supported = ", ".join(DTYPES)
        raise ValueError(f"{where}: dtype {dt!r} is not supported by {FORMAT} (supported: {supported})")
    try:
        nd = np.dtype(dt)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {dt!r} is not a dtype; use one of {', '.join(DTYPES)}") from None
    name = _NP_TO_SOKR.get(nd)
    if name is None:
        raise ValueError(f"{where}: dtype {nd} is not supported by {FORMAT} (supported: {', '.join(DTYPES)})")
    return name


def _shape(shape: Any, where: str) -> tuple[int, ...]:
    """Check and normalise a shape: positive dimensions, within the IR's limits."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise TypeError(f"{where}: a shape is a tuple of ints, not {type(shape).__name__}")
    dims: list[int] = []
    for d in shape:
        if isinstance(d, (bool, np.bool_)):
            raise TypeError(f"{where}: shape {tuple(shape)!r} holds a bool")
        try:
            dims.append(operator.index(d))
        except TypeError:
            raise TypeError(f"{where}: shape {tuple(shape)!r} holds a {type(d).__name__}") from None
    t = tuple(dims)
    if len(t) > MAX_RANK:
        raise ValueError(f"{where}: shape has rank {len(t)}; the limit is {MAX_RANK}")
    for d in t:
        if d < 1:
            raise ValueError(f"{where}: shape {t} has dimension {d}; dimensions must be positive")
    if math.prod(t) > MAX_ELEMENTS:
        raise ValueError(f"{where}: shape {t} has more than 2^40 elements")
    return t


def _a(dtype: str) -> str:
    """The dtype with its article: "an f32", "a bool"."""
    return ("a " if dtype == "bool" else "an ") + dtype


def _type(dtype: str, shape: tuple[int, ...]) -> str:
    return f"{dtype}[{','.join(map(str, shape))}]"


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{where}: a name is a str, not {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(f"{where}: invalid name {name!r}: names match [A-Za-z_][A-Za-z0-9_.]*")
    return name


# -- literals -----------------------------------------------------------------------------------


def _go_float(s: str) -> str:
    """Rewrite the shortest round-trip decimal ``s`` (Python's or numpy's spelling) the way Go
    prints it (``strconv.FormatFloat(v, 'g', -1, bits)``), so that the text is canonical."""
    if "e" not in s and "n" not in s:  # the common case, positional already: trim ".0"
        ip, _, fp = s.partition(".")
        fp = fp.rstrip("0")
        whole = ip.lstrip("-")
        if (len(whole) <= 6) if whole != "0" else (len(fp) - len(fp.lstrip("0")) <= 3):
            return f"{ip}.{fp}" if fp else ip
    low = s.lower()
    if low in ("nan", "+nan", "-nan"):
        return "NaN"
    if low in ("inf", "+inf"):
        return "+Inf"
    if low == "-inf":
        return "-Inf"
    neg = s.startswith("-")
    mant, _, e = low.lstrip("+-").partition("e")
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    dp = len(ip) + (int(e) if e else 0)  # the decimal point's place after digits[0:dp]
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    sign = "-" if neg else ""
    if not digits:
        return sign + "0"
    nd, exp = len(digits), dp - 1
    if exp < -4 or exp >= 6:  # Go's %g choice for the shortest form
        frac = "." + digits[1:] if nd > 1 else ""
        return f"{sign}{digits[0]}{frac}e{'-' if exp < 0 else '+'}{builtins.abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return sign + digits + "0" * (dp - nd)
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _float_literal(v: float, dtype: str, where: str) -> str:
    if dtype == "f32":
        with np.errstate(over="ignore"):
            f = np.float32(v)
        if math.isinf(f) and math.isfinite(v):
            raise ValueError(f"{where}: {v!r} is out of range for f32")
        return _go_float(str(f))
    return _go_float(repr(float(v)))


def _scalar_literal(v: Any, dtype: str, where: str) -> str:
    """The literal of the Python (or numpy) number ``v`` as a value of ``dtype``."""
    if isinstance(v, (bool, np.bool_)):
        if dtype != "bool":
            raise TypeError(
                f"{where}: the bool {bool(v)} does not combine with {_a(dtype)} tensor; "
                f"use {int(bool(v))} or a bool tensor"
            )
        return "true" if v else "false"
    if dtype == "bool":
        raise TypeError(f"{where}: the number {v!r} does not combine with a bool tensor; use True or False")
    if isinstance(v, (int, np.integer)):
        iv = int(v)
        if dtype in _INT_RANGE:
            lo, hi = _INT_RANGE[dtype]
            if not lo <= iv <= hi:
                raise ValueError(f"{where}: {iv} is out of range for {dtype}")
            return str(iv)
        try:
            fv = float(iv)
        except OverflowError:
            raise ValueError(f"{where}: {iv} is out of range for {dtype}") from None
        return _float_literal(fv, dtype, where)
    if isinstance(v, (float, np.floating)):
        if dtype not in _FLOATS:
            raise TypeError(
                f"{where}: the float {float(v)!r} does not combine with {_a(dtype)} tensor; "
                f"convert the tensor with .astype('f64'), or use an int"
            )
        return _float_literal(float(v), dtype, where)
    raise TypeError(f"{where}: expected a number, got {type(v).__name__}")


def _array_literal(a: np.ndarray[Any, Any], dtype: str) -> str:
    """A constant's literal: one value for rank 0, else nested lists matching the shape."""
    flat = a.ravel()
    items: list[str]
    if dtype == "bool":
        items = ["true" if e else "false" for e in flat.tolist()]
    elif dtype in _INT_RANGE:
        items = [str(e) for e in flat.tolist()]
    elif dtype == "f64":
        items = [_go_float(repr(e)) for e in flat.tolist()]
    else:
        items = [_go_float(str(e)) for e in flat]
    for d in reversed(a.shape):
        items = ["[" + ",".join(items[i : i + d]) + "]" for i in range(0, len(items), d)]
    return items[0]


# -- tensors ------------------------------------------------------------------------------------


class Tensor:
    """A symbolic value of a program being built: its ``dtype`` (``"f32"``, ...) and ``shape``
    are known, its contents are not. Operators and the functions of :mod:`sokr.native` make
    new tensors from it; a :class:`Builder` turns them into a program.

    A tensor has no truth value and is not hashable (``==`` builds a comparison)."""

    __slots__ = ("__weakref__", "_args", "_attr", "_builder", "_literal", "_name", "_op", "dtype", "shape")
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float32(2) * x is ours
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        op: str,
        dtype: str,
        shape: tuple[int, ...],
        args: tuple[Tensor, ...] = (),
        *,
        attr: tuple[int, ...] | None = None,
        literal: str | None = None,
        builder: Builder | None = None,
        name: str | None = None,
    ) -> None:
        self._op = op
        self.dtype = dtype
        self.shape = shape
        self._args = args
        self._attr = attr
        self._literal = literal
        self._name = name
        if builder is None:
            builder = _builder_of(op, args)
        self._builder = builder

    # -- description ---------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The op that makes this value ("param", "const", "add", ...)."""
        return self._op

    @property
    def name(self) -> str | None:
        """The name given to this value (params, :meth:`named`), else None until built."""
        return self._name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def type(self) -> str:
        """The IR type, e.g. ``"f32[2,3]"``."""
        return _type(self.dtype, self.shape)

    def __repr__(self) -> str:
        head = f"{self._name}: " if self._name else ""
        return f"<sokr.native.Tensor {head}{self.type} = {self._op}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "a symbolic tensor has no truth value (its contents are known only when the program "
            "runs); use sn.where(cond, a, b) to choose per element"
        )

    def named(self, name: str) -> Tensor:
        """Give this value a name in the program text (returned: the same tensor)."""
        _check_name(name, "named")
        if self._name is not None and self._name != name:
            raise ValueError(f"named: this value is already named {self._name!r}")
        self._name = name
        return self

    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other: Operand) -> Tensor:
        return _binary("add", self, other)

    def __radd__(self, other: Operand) -> Tensor:
        return _binary("add", other, self)

    def __sub__(self, other: Operand) -> Tensor:
        return _binary("sub", self, other)

    def __rsub__(self, other: Operand) -> Tensor:
        return _binary("sub", other, self)

    def __mul__(self, other: Operand) -> Tensor:
        return _binary("mul", self, other)

    def __rmul__(self, other: Operand) -> Tensor:
        return _binary("mul", other, self)

    def __truediv__(self, other: Operand) -> Tensor:
        return _binary("div", self, other, true_div=True)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _binary("div", other, self, true_div=True)

    def __pow__(self, other: Operand) -> Tensor:
        return _binary("pow", self, other)

    def __rpow__(self, other: Operand) -> Tensor:
        return _binary("pow", other, self)

    def __matmul__(self, other: Operand) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return matmul(other, self)

    def __neg__(self) -> Tensor:
        return _unary("neg", self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _unary("abs", self)

    # -- comparisons (giving bool) ---------------------------------------------------------------

    def __lt__(self, other: Operand) -> Tensor:
        return _binary("lt", self, other)

    def __le__(self, other: Operand) -> Tensor:
        return _binary("le", self, other)

    def __gt__(self, other: Operand) -> Tensor:
        return _binary("gt", self, other)

    def __ge__(self, other: Operand) -> Tensor:
        return _binary("ge", self, other)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return _binary("eq", self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return _binary("ne", self, other)

    # -- logic on bool tensors ------------------------------------------------------------------

    def __and__(self, other: Operand) -> Tensor:
        _need_bool("&", self, other)
        return where(self, other, False)

    def __rand__(self, other: Operand) -> Tensor:
        _need_bool("&", other, self)
        return where(other, self, False)

    def __or__(self, other: Operand) -> Tensor:
        _need_bool("|", self, other)
        return where(self, True, other)

    def __ror__(self, other: Operand) -> Tensor:
        _need_bool("|", other, self)
        return where(other, True, self)

    def __xor__(self, other: Operand) -> Tensor:
        _need_bool("^", self, other)
        return _binary("ne", self, other)

    def __rxor__(self, other: Operand) -> Tensor:
        _need_bool("^", other, self)
        return _binary("ne", other, self)

    def __invert__(self) -> Tensor:
        _need_bool("~", self)
        return _binary("eq", self, False)

    # -- shape and dtype -----------------------------------------------------------------------

    def astype(self, dtype: DTypeLike) -> Tensor:
        """Convert to ``dtype`` (the ``cast`` op); the same tensor when it already has it."""
        dt = _dtype(dtype, "astype")
        if dt == self.dtype:
            return self
        return Tensor("cast", dt, self.shape, (self,))

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in another shape: ``x.reshape(2, 3)`` or ``x.reshape((2, -1))``
        (one ``-1`` is inferred)."""
        return reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute dimensions: result dimension i is dimension ``axes[i]``; no axes reverses
        them. ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            return transpose(self, axes[0])
        return transpose(self, axes or None)

    @property
    def T(self) -> Tensor:  # numpy's name
        """The dimensions reversed (the tensor itself for rank 0 and 1)."""
        return transpose(self)

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all by default); ``keepdims`` keeps them with length 1."""
        return _reduce("reduce_sum", self, axis, keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis`` (all by default)."""
        return _reduce("reduce_max", self, axis, keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis`` (all by default)."""
        return _reduce("reduce_min", self, axis, keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all by default); f32 and f64 only."""
        return _reduce("reduce_mean", self, axis, keepdims)


def _builder_of(op: str, args: Sequence[Tensor]) -> Builder | None:
    """The one builder the operands belong to (None for constants only)."""
    found: Builder | None = None
    for a in args:
        if a._builder is not None:
            if found is not None and a._builder is not found:
                raise ValueError(f"{op}: the operands come from different Builders")
            found = a._builder
    return found


def _describe(t: Tensor, pos: str) -> str:
    return t._name if t._name else f"the {pos} operand"


def _tensor(v: Any, where: str) -> Tensor | None:
    """A tensor for ``v``: itself, or a constant for a numpy array or scalar; None for a
    Python number (whose dtype depends on the other operands)."""
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (bool, int, float)):
        return None
    if isinstance(v, (np.ndarray, np.generic)):
        return constant(v)
    if isinstance(v, (list, tuple)):
        raise TypeError(
            f"{where}: a {type(v).__name__} is not an operand; wrap it: sn.constant(np.array(...))"
        )
    raise TypeError(f"{where}: cannot use a {type(v).__name__} as an operand")


def _scalar(v: Any, dtype: str, where: str) -> Tensor:
    return Tensor("const", dtype, (), literal=_scalar_literal(v, dtype, where))


def _need_bool(op: str, *vals: Any) -> None:
    for v in vals:
        if isinstance(v, Tensor) and v.dtype != "bool":
            raise TypeError(f"{op} takes bool tensors, got {v.dtype}; compare first (x > 0)")


def _same_shape(op: str, ts: Sequence[Tensor]) -> tuple[int, ...]:
    """The elementwise shape rule: equal shapes, or rank-0 operands."""
    shape: tuple[int, ...] = ()
    for t in ts:
        if t.shape == () or t.shape == shape:
            continue
        if shape == ():
            shape = t.shape
            continue
        ranked = [t for t in ts if t.shape != ()]
        what = " and ".join(str(t.shape) for t in ranked)
        hint = ""
        try:
            target = tuple(np.broadcast_shapes(*(t.shape for t in ranked)))
        except ValueError:
            hint = " (they do not broadcast either)"
        else:
            order = ("first", "second", "third")
            fix = [
                f"sn.broadcast_to({_describe(t, order[i])}, {target})"
                for i, t in enumerate(ts)
                if t.shape not in ((), target)
            ]
            hint = ": use " + " and ".join(fix)
        raise ValueError(
            f"{op}: operand shapes {what} differ; only a rank-0 operand broadcasts implicitly{hint}"
        )
    return shape


def _binary(op: str, a: Any, b: Any, *, true_div: bool = False) -> Tensor:
    ta, tb = _tensor(a, op), _tensor(b, op)
    if ta is None and tb is None:
        raise TypeError(f"{op}: needs at least one tensor, got {type(a).__name__} and {type(b).__name__}")
    dtype = ta.dtype if ta is not None else tb.dtype  # type: ignore[union-attr]
    if ta is not None and tb is not None and ta.dtype != tb.dtype:
        wide = _wider(ta.dtype, tb.dtype)
        narrow = _describe(ta, "first") if ta.dtype != wide else _describe(tb, "second")
        raise ValueError(
            f"{op}: operand dtypes differ: {ta.dtype} and {tb.dtype}; "
            f"convert one, e.g. {narrow}.astype({wide!r})"
        )
    if ta is None:
        ta = _scalar(a, dtype, op)
    if tb is None:
        tb = _scalar(b, dtype, op)
    accepts = (*_NUMERIC, "bool") if op in ("eq", "ne") else _NUMERIC
    if dtype not in accepts:
        raise TypeError(f"{op} takes {_list(accepts)}, got {dtype}")
    if true_div and dtype not in _FLOATS:
        raise TypeError(
            f"/ divides floats, got {dtype}; use sn.div(a, b) for integer division (truncating toward "
            f"zero) or convert with .astype('f64')"
        )
    shape = _same_shape(op, (ta, tb))
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        dtype = "bool"
    return Tensor(op, dtype, shape, (ta, tb))


def _wider(a: str, b: str) -> str:
    order = ("bool", "i32", "i64", "f32", "f64")
    return a if order.index(a) > order.index(b) else b


def _unary(op: str, x: Any) -> Tensor:
    t = _tensor(x, op)
    if t is None:
        raise TypeError(f"{op} takes a tensor, got {type(x).__name__}; wrap numbers with sn.constant(...)")
    accepts = _NUMERIC if op in ("neg", "abs", "relu") else _FLOATS
    if t.dtype not in accepts:
        hint = "; convert with .astype('f32')" if t.dtype in _NUMERIC else ""
        raise TypeError(f"{op} takes {_list(accepts)}, got {t.dtype}{hint}")
    return Tensor(op, t.dtype, t.shape, (t,))


def _axes(axis: Any, ndim: int, where: str) -> tuple[int, ...]:
    """Normalise an axis argument (None: all) to non-negative, distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else axis
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError(f"{where}: axis must be an int, a tuple of ints or None, not {type(axis).__name__}")
    out: list[int] = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{where}: axis must be an int, a tuple of ints or None, not {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{where}: axis {a} is out of range for rank {ndim}")
        n = int(a) % ndim
        if n in out:
            raise ValueError(f"{where}: axis {n} is listed twice")
        out.append(n)
    return tuple(out)


def _reduce(op: str, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    accepts = _FLOATS if op == "reduce_mean" else _NUMERIC
    if x.dtype not in accepts:
        hint = ".astype('f32')" if op == "reduce_mean" or x.dtype != "bool" else ".astype('i32')"
        raise TypeError(f"{op} takes {_list(accepts)}, got {x.dtype}; convert first with {hint}")
    axes = _axes(axis, x.ndim, op)
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    r = Tensor(op, x.dtype, shape, (x,), attr=axes)
    if keepdims:
        r = reshape(r, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return r


# -- functions ----------------------------------------------------------------------------------


def exp(x: Operand) -> Tensor:
    """e to the power x, elementwise (f32, f64)."""
    return _unary("exp", x)


def log(x: Operand) -> Tensor:
    """Natural logarithm, elementwise (f32, f64)."""
    return _unary("log", x)


def sqrt(x: Operand) -> Tensor:
    """Square root, elementwise (f32, f64)."""
    return _unary("sqrt", x)


def tanh(x: Operand) -> Tensor:
    """Hyperbolic tangent, elementwise (f32, f64)."""
    return _unary("tanh", x)


def sigmoid(x: Operand) -> Tensor:
    """1 / (1 + exp(-x)), elementwise (f32, f64)."""
    return _unary("sigmoid", x)


def sin(x: Operand) -> Tensor:
    """Sine, elementwise (f32, f64)."""
    return _unary("sin", x)


def cos(x: Operand) -> Tensor:
    """Cosine, elementwise (f32, f64)."""
    return _unary("cos", x)


def relu(x: Operand) -> Tensor:
    """max(x, 0), elementwise (numeric dtypes)."""
    return _unary("relu", x)


def abs(x: Operand) -> Tensor:  # numpy's name; builtins.abs inside this module
    """Absolute value, elementwise (numeric dtypes); also ``abs(x)``."""
    return _unary("abs", x)


def maximum(a: Operand, b: Operand) -> Tensor:
    """The larger of a and b, elementwise."""
    return _binary("max", a, b)


def minimum(a: Operand, b: Operand) -> Tensor:
    """The smaller of a and b, elementwise."""
    return _binary("min", a, b)


def div(a: Operand, b: Operand) -> Tensor:
    """a / b, elementwise, for any numeric dtype: integers truncate toward zero (and
    division by zero gives 0 on the cpu substrate)."""
    return _binary("div", a, b)


def matmul(a: Operand, b: Operand) -> Tensor:
    """Matrix product (also ``a @ b``): ``[..., m, k] @ [..., k, n]`` gives ``[..., m, n]``,
    with identical batch dimensions ``...``."""
    ta, tb = _tensor(a, "matmul"), _tensor(b, "matmul")
    if ta is None or tb is None:
        raise TypeError("matmul takes tensors, not Python numbers")
    if ta.dtype != tb.dtype:
        raise ValueError(
            f"matmul: operand dtypes differ: {ta.dtype} and {tb.dtype}; convert one with .astype(...)"
        )
    if ta.dtype not in _NUMERIC:
        raise TypeError(f"matmul takes {_list(_NUMERIC)}, got {ta.dtype}")
    if ta.ndim < 2 or tb.ndim < 2:
        raise ValueError(
            f"matmul needs operands of rank 2 or more, got {ta.shape} and {tb.shape}; "
            f"make a vector a matrix with v.reshape(1, -1) or v.reshape(-1, 1)"
        )
    if ta.shape[:-2] != tb.shape[:-2]:
        raise ValueError(
            f"matmul: batch dimensions differ: {ta.shape[:-2]} and {tb.shape[:-2]} "
            f"(shapes {ta.shape} and {tb.shape}); use sn.broadcast_to to match them"
        )
    if ta.shape[-1] != tb.shape[-2]:
        raise ValueError(
            f"matmul: inner dimensions differ: {ta.shape} @ {tb.shape} ({ta.shape[-1]} vs {tb.shape[-2]})"
        )
    return Tensor("matmul", ta.dtype, (*ta.shape[:-1], tb.shape[-1]), (ta, tb))


def where(cond: Operand, a: Operand, b: Operand, *, dtype: DTypeLike | None = None) -> Tensor:
    """Per element, ``a`` where ``cond`` is true, else ``b`` (the ``select`` op). ``cond`` is
    bool; ``a`` and ``b`` share a dtype (Python numbers take the other's, or ``dtype`` when
    both are numbers); shapes are equal or rank 0."""
    tc = _tensor(cond, "where")
    if tc is None:
        if not isinstance(cond, bool):
            raise TypeError(f"where: the condition must be a bool tensor, got {type(cond).__name__}")
        tc = _scalar(cond, "bool", "where")
    if tc.dtype != "bool":
        raise TypeError(f"where: the condition must be bool, got {tc.dtype}; compare first, e.g. x > 0")
    ta, tb = _tensor(a, "where"), _tensor(b, "where")
    want = _dtype(dtype, "where") if dtype is not None else None
    known = ta.dtype if ta is not None else tb.dtype if tb is not None else want
    if known is None:
        raise TypeError("where: both branches are Python numbers; pass dtype=..., e.g. dtype='f32'")
    if ta is not None and tb is not None and ta.dtype != tb.dtype:
        raise ValueError(
            f"where: branch dtypes differ: {ta.dtype} and {tb.dtype}; convert one with .astype(...)"
        )
    if want is not None and known != want:
        raise ValueError(f"where: dtype={want} but the branches are {known}; convert them with .astype(...)")
    ta = ta if ta is not None else _scalar(a, known, "where")
    tb = tb if tb is not None else _scalar(b, known, "where")
    shape = _same_shape("where", (tc, ta, tb))
    return Tensor("select", known, shape, (tc, ta, tb))


def broadcast_to(x: Operand, shape: ShapeLike) -> Tensor:
    """Expand ``x`` to ``shape`` by NumPy's rules: its dimensions align with the trailing ones
    of ``shape``, each equal or 1."""
    t = _tensor(x, "broadcast_to")
    if t is None:
        raise TypeError("broadcast_to takes a tensor; for a number use sn.full(shape, value, dtype)")
    to = _shape(shape, "broadcast_to")
    if len(to) < t.ndim:
        raise ValueError(f"broadcast_to: cannot broadcast {t.shape} to {to}: the result has lower rank")
    off = len(to) - t.ndim
    for i, d in enumerate(t.shape):
        if d != 1 and d != to[off + i]:
            raise ValueError(
                f"broadcast_to: cannot broadcast {t.shape} to {to}: dimension {i} is {d}, "
                f"want {to[off + i]} or 1"
            )
    if to == t.shape:
        return t
    return Tensor("broadcast", t.dtype, to, (t,))


def reshape(x: Operand, shape: ShapeLike) -> Tensor:
    """The same elements (row-major) in ``shape``; one ``-1`` is inferred."""
    t = _tensor(x, "reshape")
    if t is None:
        raise TypeError("reshape takes a tensor, not a Python number")
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (int, np.integer, Sequence)):
        raise TypeError(f"reshape: a shape is a tuple of ints, not {type(shape).__name__}")
    dims = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"reshape: shape {tuple(dims)!r} holds a {type(d).__name__}, not an int")
    if dims.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {tuple(dims)}")
    if -1 in dims:
        rest = math.prod(d for d in dims if d != -1)
        if rest <= 0 or t.size % rest:
            raise ValueError(f"reshape: cannot reshape {t.shape} ({t.size} elements) to {tuple(dims)}")
        dims[dims.index(-1)] = t.size // rest
    to = _shape(dims, "reshape")
    if math.prod(to) != t.size:
        raise ValueError(
            f"reshape: cannot reshape {t.shape} ({t.size} elements) to {to} ({math.prod(to)} elements)"
        )
    if to == t.shape:
        return t
    return Tensor("reshape", t.dtype, to, (t,))


def transpose(x: Operand, axes: Sequence[int] | None = None) -> Tensor:
    """Permute dimensions: result dimension i is ``x``'s dimension ``axes[i]``; by default
    they are reversed."""
    t = _tensor(x, "transpose")
    if t is None:
        raise TypeError("transpose takes a tensor, not a Python number")
    if axes is None:
        perm = tuple(reversed(range(t.ndim)))
    else:
        if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence):
            raise TypeError(f"transpose: axes must be a sequence of ints, not {type(axes).__name__}")
        if len(axes) != t.ndim:
            raise ValueError(
                f"transpose: axes {tuple(axes)} have {len(axes)} entries; the operand has rank {t.ndim}"
            )
        perm = _axes(tuple(axes), t.ndim, "transpose")
    if perm == tuple(range(t.ndim)):
        return t
    return Tensor("transpose", t.dtype, tuple(t.shape[p] for p in perm), (t,), attr=perm)


def constant(value: Any, dtype: DTypeLike | None = None) -> Tensor:
    """A constant: a numpy array or scalar (its dtype unless ``dtype`` is given), or Python
    numbers and nested lists (``dtype``, else numpy's choice: i64 for ints, f64 for floats).
    The data is copied into the program text when the constant is made."""
    if isinstance(value, Tensor):
        raise TypeError("constant: the value is already a tensor")
    want = _dtype(dtype, "constant") if dtype is not None else None
    if isinstance(value, (bool, int, float)) and want is not None:
        return _scalar(value, want, "constant")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"constant: cannot make an array of the value: {e}") from None
    if arr.dtype == np.dtype(object) or arr.dtype.kind in "USVO":
        raise TypeError(f"constant: expected numbers, got {type(value).__name__} (dtype {arr.dtype})")
    if want is not None and arr.dtype != _SOKR_TO_NP[want]:
        target = _SOKR_TO_NP[want]
        if not np.can_cast(arr.dtype, target, "same_kind"):
            raise TypeError(f"constant: cannot convert {arr.dtype} to {want} safely; convert it first")
        with np.errstate(over="ignore"):
            conv = arr.astype(target)
        if want in _INT_RANGE and not np.array_equal(conv, arr):
            raise ValueError(f"constant: the values are out of range for {want}")
        if want in _FLOATS and (np.isinf(conv) & ~np.isinf(arr)).any():
            raise ValueError(f"constant: the values are out of range for {want}")
        arr = conv
    dt = _NP_TO_SOKR.get(arr.dtype)
    if dt is None:
        raise ValueError(
            f"constant: dtype {arr.dtype} is not supported by {FORMAT} (supported: {', '.join(DTYPES)}); "
            f"pass dtype=... or convert with .astype(...)"
        )
    shape = _shape(arr.shape, "constant")
    return Tensor("const", dt, shape, literal=_array_literal(arr, dt))


def full(shape: ShapeLike, value: bool | int | float, dtype: DTypeLike) -> Tensor:
    """A constant of ``shape`` whose every element is ``value`` (stored once: a splat)."""
    dt = _dtype(dtype, "full")
    return Tensor("const", dt, _shape(shape, "full"), literal=_scalar_literal(value, dt, "full"))


def param(name: str, dtype: DTypeLike, shape: ShapeLike = ()) -> Tensor:
    """Declare an input of the builder of the enclosing ``with sn.Builder():`` block."""
    b = _current.get()
    if b is None:
        raise RuntimeError("sn.param needs an enclosing `with sn.Builder() as b:` block; or call b.param")
    return b.param(name, dtype, shape)


# -- building -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A built program's text. :func:`sokr.program` and :func:`sokr.dispatch` take it as is
    (through ``__sokr_program__``)."""

    text: str

    def __sokr_program__(self) -> tuple[str, str]:
        return FORMAT, self.text

    def __str__(self) -> str:
        return self.text


class Builder:
    """Collects the inputs of a program and writes the program for chosen outputs.

    ``b.build(out=..., ...)`` gives a :class:`sokr.Program`, ``b.text(...)`` the text and
    ``b.program(...)`` a :class:`Source`. After ``b.returns(...)`` the builder itself can be
    passed to :func:`sokr.program` or :func:`sokr.dispatch`. Used as a context manager, it is
    the builder :func:`sokr.native.param` declares inputs on.
    """

    def __init__(self) -> None:
        self._params: list[Tensor] = []
        self._outputs: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._tokens: list[contextvars.Token[Builder | None]] = []

    def __enter__(self) -> Builder:
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._tokens.pop())

    def __repr__(self) -> str:
        return f"<sokr.native.Builder params=[{', '.join(f'{p._name}: {p.type}' for p in self._params)}]>"

    @property
    def params(self) -> list[Tensor]:
        """The inputs, in declaration order."""
        return list(self._params)

    def param(self, name: str, dtype: DTypeLike, shape: ShapeLike = ()) -> Tensor:
        """Declare the next input: ``name``, ``dtype`` ("f32", np.float32, ...) and ``shape``
        (a tuple, or an int for a vector; ``()`` for a scalar)."""
        _check_name(name, "param")
        if any(p._name == name for p in self._params):
            raise ValueError(f"param: there is already a param named {name!r}")
        t = Tensor("param", _dtype(dtype, "param"), _shape(shape, "param"), builder=self, name=name)
        self._params.append(t)
        return t

    def constant(self, value: Any, dtype: DTypeLike | None = None) -> Tensor:
        """A constant; see :func:`sokr.native.constant`."""
        return constant(value, dtype)

    def returns(self, /, *outputs: Tensor, **named: Tensor) -> Builder:
        """Set the outputs that ``text()``, ``program()``, ``build()`` with no arguments, and
        ``sokr.program(b)``, use. Returns the builder."""
        self._emit(outputs, named)  # check now
        self._outputs = (outputs, named)
        return self

    def text(self, /, *outputs: Tensor, **named: Tensor) -> str:
        """The program's text, returning ``outputs`` (see the module documentation for their
        names)."""
        if not outputs and not named:
            if self._outputs is None:
                raise ValueError("no outputs: pass them (b.build(out=y)) or set them with b.returns(...)")
            outputs, named = self._outputs
        return self._emit(outputs, named)

    def program(self, /, *outputs: Tensor, **named: Tensor) -> Source:
        """The program's :class:`Source`, for :func:`sokr.program` or a :class:`sokr.Runtime`."""
        return Source(self.text(*outputs, **named))

    def build(self, /, *outputs: Tensor, **named: Tensor) -> Program:
        """The verified :class:`sokr.Program` (on the default runtime)."""
        from ._runtime import default_runtime

        return default_runtime().program(self.text(*outputs, **named), FORMAT)

    def __sokr_program__(self) -> tuple[str, str]:
        return FORMAT, self.text()

    # -- writing ---------------------------------------------------------------------------------

    def _emit(self, outputs: Sequence[Any], named: dict[str, Any]) -> str:
        outs: list[tuple[str, Tensor]] = []
        for i, t in enumerate(outputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"output {i} is a {type(t).__name__}, not a Tensor")
            default = "out" if len(outputs) + len(named) == 1 else f"out{i}"
            outs.append((t._name or default, t))
        for k, t in named.items():
            if not isinstance(t, Tensor):
                raise TypeError(f"output {k} is a {type(t).__name__}, not a Tensor")
            outs.append((_check_name(k, "output"), t))
        if not outs:
            raise ValueError("a program needs at least one output")
        for name, t in outs:
            if t._builder is not None and t._builder is not self:
                raise ValueError(f"output {name} comes from another Builder")

        order = self._order([t for _, t in outs])

        # Names: given ones (params, .named()) first, then outputs, then generated ones.
        names: dict[int, str] = {}
        owner: dict[str, Tensor] = {}
        for t in order:
            if t._name is not None:
                if t._name in owner:
                    raise ValueError(f"two values are named {t._name!r}")
                owner[t._name] = t
                names[id(t)] = t._name
        aliases: list[tuple[str, Tensor]] = []
        for name, t in outs:
            if names.get(id(t)) == name:
                continue
            if name in owner:
                what = "a param" if owner[name]._op == "param" else "another value"
                raise ValueError(f"output name {name!r} is already the name of {what}")
            owner[name] = t
            if id(t) in names:
                aliases.append((name, t))  # a second name for one value: an identity node
            else:
                names[id(t)] = name

        lines = [FORMAT]
        lines += [f"param {p._name}: {p.type}" for p in self._params]
        counter = 0
        consts: dict[tuple[str, tuple[int, ...], str], str] = {}
        for t in order:
            if t._op == "param":
                continue
            given = names.get(id(t))
            key = (t.dtype, t.shape, t._literal or "")
            if given is None and t._op == "const" and key in consts:
                names[id(t)] = consts[key]  # one node per distinct unnamed constant
                continue
            if given is None:
                while f"t{counter}" in owner:
                    counter += 1
                given = f"t{counter}"
                counter += 1
                names[id(t)] = given
            if t._op == "const":
                consts.setdefault(key, given)
            lines.append(_line(given, t, names))
        for name, t in aliases:
            lines.append(f"{name}: {t.type} = reshape {names[id(t)]}")
        lines.append("return " + ", ".join(name for name, _ in outs))
        return "\n".join(lines) + "\n"

    def _order(self, roots: list[Tensor]) -> list[Tensor]:
        """Every value the roots need, operands before users (params first, all of them)."""
        order: list[Tensor] = list(self._params)
        done = {id(p) for p in self._params}
        for root in roots:
            if id(root) in done:
                continue
            stack = [(root, iter(root._args))]
            while stack:
                t, it = stack[-1]
                for a in it:
                    if id(a) not in done:
                        stack.append((a, iter(a._args)))
                        break
                else:
                    stack.pop()
                    if id(t) not in done:
                        done.add(id(t))
                        order.append(t)
        for t in order:
            if t._op == "param" and t._builder is not self:
                raise ValueError(f"param {t._name} belongs to another Builder")
        return order


def _line(name: str, t: Tensor, names: dict[int, str]) -> str:
    head = f"{name}: {t.type} = {t._op}"
    if t._op == "const":
        return f"{head} {t._literal}"
    parts = [names[id(a)] for a in t._args]
    if t._attr is not None:
        key = "perm" if t._op == "transpose" else "axes"
        parts.append(f"{key}=[{','.join(map(str, t._attr))}]")
    return f"{head} {', '.join(parts)}"
