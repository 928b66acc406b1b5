"""CUDA-Q kernels with arguments through sokr.quantum, compared with cudaq's own qpp-cpu
results in the same test (kernels from CUDA-Q's documentation examples)."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from sokr import quantum

# Every test here imports cudaq (see CUDAQ_MARK in conftest.py).
pytestmark = pytest.mark.cudaq

SHOTS = 4000


def total_variation(a: dict[str, int], b: dict[str, int]) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def tv_bound(outcomes: int, shots: int) -> float:
    """A bound on the total variation between two independent samples of one distribution:
    E[TV] <= 0.5 * sum_k sqrt(2 p_k / n) <= 0.5 * sqrt(2 K / n) by Cauchy-Schwarz over K
    outcomes; three times that is far beyond chance (Markov alone gives 1/3, the TV of
    multinomials concentrates much faster)."""
    return 3 * 0.5 * math.sqrt(2 * outcomes / shots)


@pytest.fixture
def cudaq(optional: Callable[[str], ModuleType]) -> Any:
    cq = optional("cudaq")
    cq.set_target("qpp-cpu")
    cq.set_random_seed(13)
    return cq


def test_ghz_with_an_int_argument_matches_cudaq(cudaq: Any) -> None:
    @cudaq.kernel
    def ghz(qubit_count: int) -> None:
        qvector = cudaq.qvector(qubit_count)
        h(qvector[0])  # noqa: F821 - CUDA-Q kernel builtins
        for qubit in range(qubit_count - 1):
            x.ctrl(qvector[qubit], qvector[qubit + 1])  # noqa: F821
        mz(qvector)  # noqa: F821

    for n in (2, 5):
        ours = quantum.sample(ghz, n, shots_count=SHOTS, seed=3).in_order("cudaq")
        theirs = dict(cudaq.sample(ghz, n, shots_count=SHOTS).items())
        assert set(ours) == set(theirs) == {"0" * n, "1" * n}
        assert total_variation(dict(ours), theirs) < tv_bound(2, SHOTS)
    # By keyword too.
    assert set(quantum.sample(ghz, qubit_count=3, shots_count=100)) == {"000", "111"}


def test_vqe_ansatz_with_a_list_argument_matches_cudaq_observe(cudaq: Any) -> None:
    @cudaq.kernel
    def ansatz(angles: list[float]) -> None:
        qvector = cudaq.qvector(2)
        x(qvector[0])  # noqa: F821
        ry(angles[0], qvector[1])  # noqa: F821
        x.ctrl(qvector[1], qvector[0])  # noqa: F821
        rz(angles[1] * 2.0 + angles[0], qvector[0])  # noqa: F821

    spin = cudaq.spin
    ham = (
        5.907
        - 2.1433 * spin.x(0) * spin.x(1)
        - 2.1433 * spin.y(0) * spin.y(1)
        + 0.21829 * spin.z(0)
        - 6.125 * spin.z(1)
    )
    for angles in ([0.59, 0.1], [-1.234567891, 0.987654321]):
        want = cudaq.observe(ansatz, ham, angles).expectation()
        got = quantum.observe(ansatz, ham, angles).expectation()
        # Both exact state-vector expectations: equal to rounding, since the angles go
        # across at full precision.
        assert got == pytest.approx(want, abs=1e-9)
    # cudaq.SpinOperator and its terms are accepted where a sokr one is.
    assert quantum.observe(ansatz, spin.z(1), [0.3, 0.0]).expectation() == pytest.approx(
        cudaq.observe(ansatz, spin.z(1), [0.3, 0.0]).expectation(), abs=1e-9
    )


def test_qft_and_grover_match_cudaq(cudaq: Any) -> None:
    # CUDA-Q's documentation examples: a QFT kernel called by one that prepares a basis state
    # from a list[int], and Grover's search with its diffusion as a kernel of its own.
    @cudaq.kernel
    def quantum_fourier_transform(qubits: cudaq.qview) -> None:
        qubit_count = len(qubits)
        for i in range(qubit_count):
            h(qubits[i])  # noqa: F821
            for j in range(i + 1, qubit_count):
                angle = (2 * np.pi) / (2 ** (j - i + 1))
                r1.ctrl(angle, qubits[j], qubits[i])  # noqa: F821

    @cudaq.kernel
    def verification_example(input_state: list[int], phase: float) -> None:
        qubit_count = len(input_state)
        qubits = cudaq.qvector(qubit_count)
        for i in range(qubit_count):
            if input_state[i] == 1:
                x(qubits[i])  # noqa: F821
        ry(phase, qubits[0])  # noqa: F821
        quantum_fourier_transform(qubits)

    @cudaq.kernel
    def reflect_about_uniform(qs: cudaq.qview) -> None:
        h(qs)  # noqa: F821
        x(qs)  # noqa: F821
        z.ctrl(qs[0:-1], qs[-1])  # noqa: F821
        x(qs)  # noqa: F821
        h(qs)  # noqa: F821

    @cudaq.kernel
    def grover(n: int, rounds: int) -> None:
        qs = cudaq.qvector(n)
        h(qs)  # noqa: F821
        for _ in range(rounds):
            x(qs[1])  # the oracle marks |101> (qubit 0 first)  # noqa: F821
            z.ctrl(qs[0:-1], qs[-1])  # noqa: F821
            x(qs[1])  # noqa: F821
            reflect_about_uniform(qs)
        mz(qs)  # noqa: F821

    cases: list[tuple[Any, tuple[Any, ...]]] = [
        (verification_example, ([1, 0, 1], 0.7)),
        (verification_example, ([0, 1, 1], -1.3)),
        (grover, (3, 1)),
        (grover, (4, 2)),
    ]
    for kernel, args in cases:
        ours = dict(quantum.sample(kernel, *args, shots_count=SHOTS, seed=5).in_order("cudaq"))
        theirs = dict(cudaq.sample(kernel, *args, shots_count=SHOTS).items())
        outcomes = len(set(ours) | set(theirs))
        assert total_variation(ours, theirs) < tv_bound(outcomes, SHOTS), (kernel, args, ours, theirs)
    assert max(ours, key=ours.__getitem__) == "1011"  # 2 rounds find |1011> with p = 0.96
    # Expectations agree closely: the QFT's angles (π/2^k, and the halves CUDA-Q's translator
    # writes) go across at full precision.
    ham = cudaq.spin.z(0) * cudaq.spin.x(2) + 0.5 * cudaq.spin.y(1) - cudaq.spin.x(0)
    for args in (([1, 0, 1], 0.7), ([0, 1, 1], -1.3)):
        want = cudaq.observe(verification_example, ham, *args).expectation()
        assert quantum.observe(verification_example, ham, *args).expectation() == pytest.approx(
            want, abs=1e-9
        )


def test_kernel_argument_errors(cudaq: Any) -> None:
    @cudaq.kernel
    def rot(theta: float) -> None:
        q = cudaq.qvector(1)
        ry(theta, q[0])  # noqa: F821

    import sokr

    with pytest.raises(sokr.InvalidInputError, match="theta is missing"):
        quantum.sample(rot)
    with pytest.raises(sokr.InvalidInputError, match='option "phi"'):
        quantum.sample(rot, 0.1, phi=2.0)
    assert quantum.get_state(rot, theta=math.pi).amplitude("1") == pytest.approx(1.0)


def test_broadcasting_matches_cudaq(cudaq: Any) -> None:
    @cudaq.kernel
    def ansatz(angles: list[float]) -> None:
        q = cudaq.qvector(2)
        x(q[0])  # noqa: F821
        ry(angles[0], q[1])  # noqa: F821
        x.ctrl(q[1], q[0])  # noqa: F821

    @cudaq.kernel
    def ghz(n: int) -> None:
        q = cudaq.qvector(n)
        h(q[0])  # noqa: F821
        for i in range(n - 1):
            x.ctrl(q[i], q[i + 1])  # noqa: F821

    ham = cudaq.spin.z(0) - 2.1433 * cudaq.spin.x(0) * cudaq.spin.x(1)
    sets = np.array([[0.1], [0.59], [-1.1]])
    ours = quantum.observe(ansatz, ham, sets)
    theirs = cudaq.observe(ansatz, ham, sets)
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs, strict=True):
        assert a.expectation() == pytest.approx(b.expectation(), abs=1e-9)
    counts = quantum.sample(ghz, [2, 3, 4], shots_count=100)
    assert [set(c) for c in counts] == [{"00", "11"}, {"000", "111"}, {"0000", "1111"}]


def test_async_calls_on_fresh_worker_threads(cudaq: Any) -> None:
    # Each *_async call that must translate its kernel does so off the caller's thread; a
    # second one after the first's thread had exited used to crash the process in CUDA-Q.
    @cudaq.kernel
    def ansatz(theta: float) -> None:
        q = cudaq.qvector(2)
        ry(theta, q[0])  # noqa: F821
        x.ctrl(q[0], q[1])  # noqa: F821

    ham = cudaq.spin.z(0) + cudaq.spin.x(1)
    thetas = (0.1, 0.7, -1.2)
    one_by_one = [quantum.observe_async(ansatz, ham, t).result().expectation() for t in thetas]
    together = [f.result().expectation() for f in [quantum.observe_async(ansatz, ham, t) for t in thetas]]
    want = [cudaq.observe(ansatz, ham, t).expectation() for t in thetas]
    assert one_by_one == pytest.approx(want, abs=1e-9)
    assert together == pytest.approx(want, abs=1e-9)
