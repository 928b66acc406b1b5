"""CUDA-Q kernels with arguments and CUDA-Q spin operators, for sokr.quantum.

A ``@cudaq.kernel`` with arguments cannot go through ``cudaq.translate(..., "openqasm2")``
(CUDA-Q refuses: "Use synthesize before translate"). Here the kernel is specialised on its
arguments with CUDA-Q's own argument synthesis (``cudaq_runtime.synthesize``, what
``cudaq.synthesize`` calls), the classical code left over (loads from a ``list[float]``
argument, arithmetic on parameters) is folded by CUDA-Q's own MLIR passes, and the result
is translated to OpenQASM 2 by CUDA-Q's translator. CUDA-Q prints angles with 7
significant digits (``%e``); each printed angle that rounds from exactly one constant of the
specialised kernel is put back at full precision.

Kernels calling other kernels work: the callees are merged in and inlined. What CUDA-Q's
OpenQASM 2 translator cannot write (measurement results used in the kernel, loops whose trip
count is not known once the arguments are) is refused with an InvalidProgramError.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .. import errors
from .spin import SpinOperator

# Passes from CUDA-Q's own optimizer (cudaq-opt names): lift kernels passed as lambdas into
# functions and inline them (lambda-lifting, aggressive-inlining), fold the loads from a
# synthesised list argument (lift-array-alloc, globalize-array-values, cc-sroa, memtoreg on
# classical values only), and unroll loops (classical-optimization-pipeline). Loops whose trip
# count depends on an outer loop's index, or that read a list argument, unroll only once the
# outer loop has unrolled and the loads have folded: hence the rounds.
_ROUND = "func.func(classical-optimization-pipeline,cc-sroa,memtoreg{quantum=0}),canonicalize,cse"
_PIPELINE = (
    "builtin.module(lambda-lifting,canonicalize,aggressive-inlining,canonicalize,cse,"
    "func.func(lift-array-alloc),globalize-array-values,canonicalize,"
    f"{_ROUND},{_ROUND},{_ROUND},func.func(cc-loop-unroll),canonicalize,{_ROUND},"
    "func.func(expand-control-veqs),canonicalize,cse,symbol-dce)"
)

# CUDA-Q's work here runs on one long-lived thread: its MLIR context is not safe for
# concurrent use, and after a thread that used it has exited, using it from another thread
# crashes the process (seen with CUDA-Q 0.16: an observe_async on a fresh worker thread after
# one on an earlier, finished worker segfaults in translate_impl).
_worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sokr-cudaq")

_NUMBER = re.compile(r"-?\d\.\d{6}e[+-]\d\d")
_F64 = re.compile(r"arith\.constant (-?[0-9.eE+-]+|-?inf|nan) : f64")


def is_kernel(obj: Any) -> bool:
    """Whether ``obj`` is a CUDA-Q Python kernel (a ``PyKernelDecorator``)."""
    return type(obj).__module__.startswith("cudaq") and hasattr(obj, "prepare_call")


def arg_names(kernel: Any) -> list[str]:
    """The kernel's parameter names, in order."""
    fn = getattr(kernel, "kernelFunction", None)
    if fn is None:
        return []
    return list(inspect.signature(fn).parameters)


def bind(kernel: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Any]:
    """Positional and keyword arguments of a kernel call, as a positional list."""
    names = arg_names(kernel)
    out = list(args)
    if len(out) > len(names):
        raise errors.InvalidInputError(
            f"the kernel {kernel.name} takes {len(names)} argument(s) ({', '.join(names) or 'none'}), "
            f"got {len(out)}"
        )
    for name in names[len(out) :]:
        if name not in kwargs:
            raise errors.InvalidInputError(
                f"the kernel {kernel.name} takes {len(names)} argument(s) ({', '.join(names)}); "
                f"{name} is missing",
                name=name,
            )
        out.append(kwargs[name])
    return out


def to_openqasm(kernel: Any, args: Sequence[Any]) -> str:
    """OpenQASM 2 of ``kernel`` specialised on ``args``."""
    return _worker.submit(_to_openqasm, kernel, args).result()


def _to_openqasm(kernel: Any, args: Sequence[Any]) -> str:
    from cudaq.mlir._mlir_libs._quakeDialects import cudaq_runtime
    from cudaq.mlir.passmanager import PassManager

    try:
        processed, _ = kernel.prepare_call(*args)
        module = _with_callees(kernel, cudaq_runtime.synthesize(kernel, *processed))
        PassManager.parse(_PIPELINE, context=module.context).run(module.operation)
        text = cudaq_runtime.translate_impl(kernel.uniqName, module, "openqasm2")
    except Exception as e:  # CUDA-Q raises RuntimeError, ValueError and its own kinds
        raise errors.InvalidProgramError(
            f"CUDA-Q could not specialise the kernel {kernel.name} on its arguments: {e}"
        ) from e
    if "translation failed" in text or "OPENQASM" not in text:
        raise errors.InvalidProgramError(
            f"CUDA-Q cannot translate the kernel {kernel.name} to OpenQASM 2 once specialised on its "
            f"arguments (control flow on measurement results, or loops of unknown length)"
        )
    return _full_precision(text, str(module))


def _with_callees(kernel: Any, module: Any) -> Any:
    """``module`` with the definitions of the kernels ``kernel`` calls merged in, recursively.

    CUDA-Q 0.16's synthesis leaves a called kernel as a declaration reached through a lifted
    ``!cc.callable`` argument; CUDA-Q's runtime merges the callee's module and binds the
    callable (``mergeExternalMLIR``, ``synthPyCallable``) before running. The same here, so that
    the passes can inline the callee."""
    from cudaq.kernel.kernel_decorator import DecoratorCapture
    from cudaq.mlir._mlir_libs._quakeDialects import cudaq_runtime

    callees = [c.decorator for c in kernel.resolve_captured_arguments() if isinstance(c, DecoratorCapture)]
    if not callees:
        return module
    # The declarations synthesis left would clash with the merged definitions.
    for op in list(module.body.operations):
        if op.operation.name == "func.func" and not op.operation.regions[0].blocks:
            op.operation.erase()
    for callee in callees:
        module = cudaq_runtime.mergeExternalMLIR(
            module, _with_callees(callee, cudaq_runtime.cloneModule(callee.qkeModule))
        )
    cudaq_runtime.synthPyCallable(module, [c.uniqName for c in callees])
    return module


def _full_precision(text: str, quake: str) -> str:
    """Put back the angles CUDA-Q's translator rounded to 7 digits, where the specialised
    kernel has exactly one f64 constant that rounds to the printed value."""
    consts: dict[str, set[float]] = {}
    for m in _F64.finditer(quake):
        v = float(m.group(1))
        # Halves too: CUDA-Q's translator writes a controlled rotation with rz(θ/2).
        for x in (v, -v, v / 2, -v / 2):
            consts.setdefault(f"{x:.6e}", set()).add(x)

    def sub(m: re.Match[str]) -> str:
        vals = consts.get(m.group(0))
        return repr(next(iter(vals))) if vals is not None and len(vals) == 1 else m.group(0)

    return _NUMBER.sub(sub, text)


def is_spin_operator(obj: Any) -> bool:
    """Whether ``obj`` is a ``cudaq.SpinOperator`` (or one of its terms)."""
    return type(obj).__module__.startswith("cudaq") and type(obj).__name__ in (
        "SpinOperator",
        "SpinOperatorTerm",
    )


def spin_operator(op: Any) -> SpinOperator:
    """A ``cudaq.SpinOperator`` as a :class:`sokr.quantum.SpinOperator`."""
    terms = [op] if type(op).__name__ == "SpinOperatorTerm" else list(op)
    n = max((max(t.degrees) + 1 for t in terms if len(t.degrees)), default=1)
    out = SpinOperator()
    for t in terms:
        out = out + complex(t.evaluate_coefficient()) * SpinOperator.from_word(t.get_pauli_word(n))
    return out
