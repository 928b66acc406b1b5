"""Noisy observe is exact: the statevec substrate simulates the density matrix of noisy circuits
of up to 14 qubits, compared here with Qiskit Aer's density_matrix method."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from sokr import quantum
from sokr.quantum import noise, spin

KERNEL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
h q[0];
ry(0.7) q[1];
cx q[0], q[1];
rz(0.4) q[1];
x q[2];
cx q[1], q[2];
h q[2];
"""

P_CX, P_H, GAMMA = 0.12, 0.05, 0.2


def _sokr_model() -> noise.NoiseModel:
    m = noise.NoiseModel()
    m.add_all_qubit_channel("cx", noise.DepolarizationChannel(P_CX))
    m.add_all_qubit_channel("h", noise.DepolarizationChannel(P_H))
    m.add_all_qubit_channel("x", noise.AmplitudeDampingChannel(GAMMA))
    return m


def _aer_model(aer: Any) -> Any:
    """The same channels: CUDA-Q's depolarization applies each non-identity Pauli with
    probability p/3 (p/15 on two qubits), so it is written out as a Pauli error."""
    errors = aer.noise
    one = [("I", 1 - P_H)] + [(p, P_H / 3) for p in "XYZ"]
    two = [("".join(w), P_CX / 15) for w in itertools.product("IXYZ", repeat=2) if w != ("I", "I")]
    m = errors.NoiseModel()
    m.add_all_qubit_quantum_error(errors.pauli_error(one), ["h"])
    m.add_all_qubit_quantum_error(errors.pauli_error([("II", 1 - P_CX), *two]), ["cx"])
    m.add_all_qubit_quantum_error(errors.amplitude_damping_error(GAMMA), ["x"])
    return m


def test_noisy_observe_is_exact_and_matches_aer_density_matrix(optional):
    qiskit = optional("qiskit")
    aer = optional("qiskit_aer")
    h = (
        spin.z(0) * spin.z(1)
        + 0.5 * spin.x(0) * spin.x(1)
        - 0.3 * spin.y(1) * spin.z(2)
        + 0.7 * spin.x(2)
        + 0.2 * spin.y(0) * spin.y(1) * spin.x(2)
    )
    r = quantum.observe(KERNEL, h, noise_model=_sokr_model())
    assert r.meta["method"] == "density_matrix"

    circ = qiskit.qasm2.loads(KERNEL)
    circ.save_density_matrix()
    sim = aer.AerSimulator(method="density_matrix", noise_model=_aer_model(aer))
    rho = np.asarray(sim.run(circ).result().data()["density_matrix"])
    want = float(np.real(np.trace(rho @ h.to_matrix(3))))
    assert r.expectation() == pytest.approx(want, abs=1e-10)
    for term in h:  # each term as well
        tr = np.real(np.trace(rho @ term.to_matrix(3)))
        assert r.expectation(term) == pytest.approx(tr / term.get_coefficient().real, abs=1e-10)

    # Trajectories (asked for by name) estimate the same value; noise matters here.
    noiseless = quantum.observe(KERNEL, h).expectation()
    assert abs(noiseless - want) > 0.05
    est = quantum.observe(
        KERNEL, h, noise_model=_sokr_model(), method="trajectories", trajectories=4000, seed=3
    )
    assert est.meta["method"] == "trajectories"
    assert est.expectation() == pytest.approx(want, abs=0.1)


def test_density_matrix_sampling_matches_aer_probabilities(optional):
    qiskit = optional("qiskit")
    aer = optional("qiskit_aer")
    measured = KERNEL + "creg c[3];\nmeasure q -> c;\n"
    shots = 20000
    counts = quantum.sample(measured, shots_count=shots, noise_model=_sokr_model(), seed=5)
    circ = qiskit.qasm2.loads(KERNEL)
    circ.save_probabilities_dict()
    sim = aer.AerSimulator(method="density_matrix", noise_model=_aer_model(aer))
    probs = sim.run(circ).result().data()["probabilities"]
    for i in range(8):
        key = format(i, "03b")  # classical bit 0 rightmost in both
        p = float(probs.get(i, probs.get(hex(i), 0.0)))
        sigma = max(np.sqrt(p * (1 - p) / shots), 1 / shots)
        assert counts.probability(key) == pytest.approx(p, abs=6 * sigma), key


def test_density_matrix_refuses_what_it_cannot_run():
    import sokr

    branching = """OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[1] c;
    h q[0]; c[0] = measure q[0]; if (c[0] == 1) { x q[1]; }"""
    m = noise.NoiseModel()
    m.add_all_qubit_channel("h", noise.DepolarizationChannel(0.1))
    with pytest.raises(sokr.InvalidInputError, match="branches on measured bits"):
        quantum.sample(branching, shots_count=10, noise_model=m, method="density_matrix")
    # Left to choose, it takes trajectories for such a circuit.
    counts = quantum.sample(branching, shots_count=10, noise_model=m, seed=1)
    assert sum(counts.values()) == 10
