"""OpenQASM circuits on the vulkan substrate (issue 18), from sokr.quantum: the same circuit
samples, observes and gives the same state on `statevec` and on a Vulkan device (lavapipe in
CI, where these tests never skip), and what the device cannot do is refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest

import sokr
from sokr import quantum
from sokr.quantum import noise, spin


def _qasm(n: int, *body: str, header: str = "") -> str:
    return "\n".join(["OPENQASM 3.0;", 'include "stdgates.inc";', header, f"qubit[{n}] q;", *body])


GHZ = _qasm(10, "h q[0];", *(f"cx q[{i}], q[{i + 1}];" for i in range(9)))
# Uneven probabilities, a parameter, controls and a fused block.
ANSATZ = _qasm(
    6,
    *(f"ry(theta * {i + 1}) q[{i}];" for i in range(6)),
    *(f"cx q[{i}], q[{i + 1}];" for i in range(5)),
    "crz(0.4) q[5], q[0];",
    "ccx q[0], q[1], q[2];",
    "u3(0.3, 0.2, 0.1) q[4];",
    header="input float theta;",
)


def test_the_same_seed_samples_the_same_counts(gpu: str) -> None:
    cpu = quantum.sample(GHZ, shots_count=3000, seed=11, substrate="statevec", precision="complex64")
    dev = quantum.sample(GHZ, shots_count=3000, seed=11, substrate=gpu)
    assert dev.substrate == gpu and cpu.substrate == "statevec"
    assert dict(dev.items()) == dict(cpu.items())
    assert set(dev) == {"0" * 10, "1" * 10}
    assert dev.meta["precision"] == "complex64" and dev.meta["method"] == "sampled"


def test_sampling_follows_the_probabilities(gpu: str) -> None:
    probs = np.abs(np.asarray(quantum.get_state(ANSATZ, 0.7, substrate="statevec"))) ** 2
    shots = 20_000
    counts = quantum.sample(ANSATZ, 0.7, shots_count=shots, seed=3, substrate=gpu)
    got = np.zeros(64)
    for bits, k in counts.items():
        got[int(bits, 2)] = k
    keep = probs * shots >= 5
    expected = probs[keep] * shots
    chi2 = float((((got[keep] - expected) ** 2) / expected).sum())
    # 99.9th percentile of chi-square with keep.sum() - 1 degrees of freedom (Wilson-Hilferty).
    k = int(keep.sum()) - 1
    bound = k * (1 - 2 / (9 * k) + 3.09 * np.sqrt(2 / (9 * k))) ** 3
    assert chi2 < bound, (chi2, bound)
    assert got[~keep].sum() <= 5 * max(1.0, probs[~keep].sum() * shots)


@pytest.mark.parametrize("precision,tol", [("complex64", 1e-5), ("complex128", 1e-12)])
def test_state_and_expectations_agree_with_statevec(gpu: str, precision: str, tol: float) -> None:
    props = next(s.properties for s in sokr.substrates() if s.name == gpu)
    if precision == "complex128" and props["float64"] != "true":
        with pytest.raises(sokr.InvalidInputError, match="precision"):
            quantum.get_state(ANSATZ, 0.5, substrate=gpu, precision=precision)
        return
    cpu = np.asarray(quantum.get_state(ANSATZ, 0.5, substrate="statevec", precision="complex128"))
    dev_state = quantum.get_state(ANSATZ, 0.5, substrate=gpu, precision=precision)
    assert dev_state.substrate == gpu
    np.testing.assert_allclose(np.asarray(dev_state), cpu, atol=tol)
    h = 0.5 * spin.z(0) * spin.z(3) + spin.x(1) * spin.y(2) - 0.25 * spin.x(5) + spin.i(0)
    want = quantum.observe(ANSATZ, h, 0.5, substrate="statevec").expectation()
    got = quantum.observe(ANSATZ, h, 0.5, substrate=gpu, precision=precision).expectation()
    assert got == pytest.approx(want, abs=10 * tol)


async def test_await_on_the_device(gpu: str) -> None:
    r = await quantum.sample_async(GHZ, shots_count=100, seed=1, substrate=gpu)
    assert r.substrate == gpu and sum(r.values()) == 100


def test_mid_circuit_measurement_and_branches_run_on_the_device(gpu: str) -> None:
    # Teleport |1>: the corrections depend on mid-circuit measurements.
    teleport = "\n".join(
        [
            "OPENQASM 3.0;",
            'include "stdgates.inc";',
            "qubit[3] q;",
            "bit[3] c;",
            "x q[0];",
            "h q[1];",
            "cx q[1], q[2];",
            "cx q[0], q[1];",
            "h q[0];",
            "c[0] = measure q[0];",
            "c[1] = measure q[1];",
            "if (c[1]) x q[2];",
            "if (c[0]) z q[2];",
            "c[2] = measure q[2];",
        ]
    )
    r = quantum.sample(teleport, shots_count=400, seed=5, substrate=gpu)
    assert r.meta["method"] == "trajectories"
    assert all(bits[0] == "1" for bits in r), dict(r.items())  # c[2], the leftmost, always 1
    assert len(r) == 4  # c[0] and c[1] take all four values


def test_noise_by_trajectories_agrees_with_statevec(gpu: str) -> None:
    nm = noise.NoiseModel()
    nm.add_all_qubit_channel("x", noise.AmplitudeDampingChannel(0.3))
    circ = _qasm(2, "bit[2] c;", "x q[0];", "x q[1];", "c = measure q;")
    shots = 4000
    dev = quantum.sample(circ, shots_count=shots, noise_model=nm, seed=2, substrate=gpu)
    cpu = quantum.sample(
        circ, shots_count=shots, noise_model=nm, seed=2, substrate="statevec", method="trajectories"
    )
    assert dev.meta["method"] == "trajectories"
    for bits, p in {"11": 0.49, "01": 0.21, "10": 0.21, "00": 0.09}.items():
        sigma = np.sqrt(p * (1 - p) / shots)
        assert abs(dev.count(bits) / shots - p) < 5 * sigma, (bits, dict(dev.items()))
        assert abs(cpu.count(bits) / shots - p) < 5 * sigma, (bits, dict(cpu.items()))


def test_what_the_device_cannot_do_is_refused(gpu: str) -> None:
    props = next(s.properties for s in sokr.substrates() if s.name == gpu)
    too_many = _qasm(40, "h q[0];")
    with pytest.raises(sokr.NoCapableSubstrateError) as e:
        quantum.sample(too_many, substrate=gpu)
    assert "needs 40 qubits" in str(e.value) and gpu in str(e.value)
    noisy = _qasm(2, "h q[0];")
    with pytest.raises(sokr.InvalidInputError, match="density_matrix"):
        quantum.sample(noisy, substrate=gpu, method="density_matrix")
    with pytest.raises(sokr.InvalidInputError, match="precision"):
        quantum.sample(noisy, substrate=gpu, precision="complex256")
    assert int(props["max_storage_buffer_bytes"]) > 0


def test_the_default_policy_keeps_small_circuits_on_the_cpu(gpu: str) -> None:
    # Under 20 ms on statevec, the first capable substrate is kept; a CPU driver such as
    # lavapipe gives no estimate anyway (it runs on the cores statevec uses).
    assert quantum.sample(GHZ, shots_count=10).substrate == "statevec"
    offers = {o.substrate: o for o in sokr.capability(sokr.program(GHZ))}
    assert offers["statevec"].ok and offers[gpu].ok
    assert offers["statevec"].estimate_seconds > 0
    if next(s for s in sokr.substrates() if s.name == gpu).properties["device_type"] == "cpu":
        assert offers[gpu].estimate_seconds == 0
