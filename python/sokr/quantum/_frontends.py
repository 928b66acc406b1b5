"""The built-in front-ends of quantum circuits: Qiskit circuits and CUDA-Q kernels, found by
:mod:`sokr._frontends` when such an object is made a program."""

from __future__ import annotations

from typing import Any

from . import _cudaq


class QiskitFrontend:
    """Qiskit ``QuantumCircuit`` objects, through Qiskit's OpenQASM 2 exporter."""

    name = "qiskit"

    def accepts(self, obj: Any) -> bool:
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
        return callable(obj)

    def lower(self, obj: Any) -> tuple[str, str]:
        if not _cudaq.is_kernel(obj):  # a cudaq.make_kernel builder, say
            import cudaq

            return ("openqasm/2", cudaq.translate(obj, format="openqasm2"))
        return ("openqasm/2", _cudaq.to_openqasm(obj, ()))
