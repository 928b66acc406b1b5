"""Noisy observe is exact: compared with CUDA-Q's density-matrix-cpu target in the same test."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sokr import quantum
from sokr.quantum import noise

# Every test here imports cudaq (see CUDAQ_MARK in conftest.py).
pytestmark = pytest.mark.cudaq


@pytest.fixture
def cudaq(optional: Callable[[str], ModuleType]) -> Any:
    cq = optional("cudaq")
    cq.set_target("density-matrix-cpu")
    yield cq
    cq.reset_target()


def test_noisy_observe_matches_cudaq_density_matrix(cudaq: Any) -> None:
    @cudaq.kernel
    def kernel() -> None:
        q = cudaq.qvector(3)
        x(q[0])  # noqa: F821 - CUDA-Q kernel builtins
        ry(0.9, q[1])  # noqa: F821
        h(q[2])  # noqa: F821
        x.ctrl(q[1], q[2])  # noqa: F821
        ry(0.5, q[0])  # noqa: F821
        x.ctrl(q[0], q[1])  # noqa: F821
        ry(1.1, q[2])  # noqa: F821

    spin = cudaq.spin
    hamiltonian = (
        spin.z(0) + 0.5 * spin.x(2) + spin.z(1) * spin.z(2) - 0.3 * spin.x(0) * spin.y(1) + 0.2 * spin.y(2)
    )
    # No noise on h, rx or s: CUDA-Q's observe rotates X and Y terms into the Z basis with
    # those gates, and its noise model applies to them as well (a depolarizing channel on h
    # gives <X> on |+> as (1 - 4p/3)^2 there), while sokr evaluates Tr(rho P) directly.
    theirs_model = cudaq.NoiseModel()
    theirs_model.add_all_qubit_channel("ry", cudaq.DepolarizationChannel(0.05))
    theirs_model.add_all_qubit_channel("x", cudaq.AmplitudeDampingChannel(0.2))
    ours_model = noise.NoiseModel()
    ours_model.add_all_qubit_channel("ry", noise.DepolarizationChannel(0.05))
    ours_model.add_all_qubit_channel("x", noise.AmplitudeDampingChannel(0.2))

    theirs = cudaq.observe(kernel, hamiltonian, noise_model=theirs_model).expectation()
    ours = quantum.observe(kernel, hamiltonian, noise_model=ours_model)
    assert ours.meta["method"] == "density_matrix"
    assert ours.expectation() == pytest.approx(theirs, abs=1e-9)
    # The noise matters: without it the value differs.
    assert abs(quantum.observe(kernel, hamiltonian).expectation() - theirs) > 0.05
