"""ObserveResult.counts: the counts behind a sampled expectation, as CUDA-Q's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sokr import quantum
from sokr.quantum import noise, spin

BELL = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; c = measure q;'
# ry(0.8) on qubit 0, then a CNOT: <Z0 Z1> = 1, <X0 X1> = sin(0.8), <Z0> = cos(0.8).
TILTED = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; ry(0.8) q[0]; cx q[0], q[1];'
H = spin.z(0) * spin.z(1) + 0.5 * spin.x(0) * spin.x(1) - 0.25 * spin.z(0) + 0.25 * spin.y(1) + 2.0
SHOTS = 4000
SIGMA = 1 / SHOTS**0.5  # the standard deviation of a ±1 mean, at most


def test_counts_of_each_term_give_its_sampled_expectation() -> None:
    r = quantum.observe(TILTED, H, shots_count=SHOTS, seed=4)
    zz, xx, z0, y1 = spin.z(0) * spin.z(1), spin.x(0) * spin.x(1), spin.z(0), spin.y(1)
    for term in (zz, xx, z0, y1):
        c = r.counts(term)
        assert c.shots == SHOTS
        assert c.expectation() == r.expectation(term)
    assert set(r.counts(zz)) == {"00", "11"}, "ZZ of a state with equal qubits"
    assert set(r.counts(z0)) <= {"0", "1"}, "one bit for a one-qubit term"
    exact = quantum.observe(TILTED, H)
    for term in (zz, xx, z0, y1):
        assert abs(r.expectation(term) - exact.expectation(term)) < 6 * SIGMA
    assert abs(r.expectation() - exact.expectation()) < 6 * (1 + 0.5 + 0.25 + 0.25) * SIGMA
    assert r.expectation() == pytest.approx(sum((c * v).real for c, _, v in r.terms()))
    # The same seed, the same shots.
    again = quantum.observe(TILTED, H, shots_count=SHOTS, seed=4)
    assert dict(again.counts(xx)) == dict(r.counts(xx))


def test_counts_of_one_term_and_the_errors() -> None:
    r = quantum.observe(BELL, spin.x(0) * spin.x(1), shots_count=500, seed=1)
    assert set(r.counts()) == {"00", "11"} and r.counts().shots == 500
    assert r.expectation() == 1.0
    many = quantum.observe(BELL, H, shots_count=100)
    with pytest.raises(ValueError, match="takes the term"):
        many.counts()
    with pytest.raises(KeyError, match="not a term"):
        many.counts(spin.x(1))
    with pytest.raises(ValueError, match="no counts"):
        quantum.observe(BELL, H).counts(spin.z(0))


def test_counts_with_noise_and_through_observe_async() -> None:
    nm = noise.NoiseModel()
    nm.add_all_qubit_channel("cx", noise.DepolarizationChannel(0.2))
    r = quantum.observe(BELL, spin.z(0) * spin.z(1), shots_count=2000, seed=2, noise_model=nm)
    # Two-qubit depolarizing at 0.2 takes <ZZ> from 1 to 1 - 0.2 * 16/15 * ... below 1: odd
    # parities appear.
    assert {"01", "10"} & set(r.counts()) and r.expectation() < 0.95

    async def main() -> Any:
        return await quantum.observe_async(TILTED, spin.x(0) * spin.x(1), shots_count=1000, seed=3)

    a = asyncio.run(main())
    assert a.counts().shots == 1000 and a.counts().expectation() == a.expectation()


def test_a_kernel_that_measures_mid_circuit_is_sampled_without_counts() -> None:
    k = (
        'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[1] c; h q[0]; c[0] = measure q[0]; '
        "if (c[0] == 1) x q[1];"
    )
    r = quantum.observe(k, spin.z(0) * spin.z(1), shots_count=200, seed=5)
    assert r.expectation() == 1.0
    with pytest.raises(ValueError, match="no counts"):
        r.counts()


@pytest.mark.cudaq
def test_counts_match_cudaq(optional: Callable[[str], ModuleType]) -> None:
    cudaq: Any = optional("cudaq")
    cudaq.set_target("qpp-cpu")
    cudaq.set_random_seed(11)

    @cudaq.kernel
    def kernel(theta: float) -> None:
        q = cudaq.qvector(2)
        ry(theta, q[0])  # noqa: F821 - CUDA-Q kernel builtins
        x.ctrl(q[0], q[1])  # noqa: F821

    h = cudaq.spin.z(0) * cudaq.spin.z(1) + 0.5 * cudaq.spin.x(0) * cudaq.spin.x(1)
    ours = quantum.observe(kernel, h, 0.8, shots_count=SHOTS, seed=6)
    theirs = cudaq.observe(kernel, h, 0.8, shots_count=SHOTS)
    for term in (cudaq.spin.z(0) * cudaq.spin.z(1), cudaq.spin.x(0) * cudaq.spin.x(1)):
        a, b = ours.counts(term), theirs.counts(term)
        assert set(a.in_order("cudaq")) == set(dict(b.items()))
        assert abs(a.expectation() - b.expectation()) < 8 * SIGMA
