"""sokr.quantum end to end: OpenQASM through the runtime to statevec and back."""

from __future__ import annotations

import asyncio
import math
import pathlib
from collections.abc import Callable

import numpy as np
import pytest

import sokr
from sokr import quantum
from sokr.quantum import noise, spin

BELL2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""

GHZ3 = """OPENQASM 3;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""

# One parameter: |ψ(θ)⟩ = ry(θ) on qubit 0, then a CNOT.
ANSATZ = """OPENQASM 3;
include "stdgates.inc";
input float theta;
qubit[2] q;
ry(theta) q[0];
cx q[0], q[1];
"""


def test_bell_and_ghz():
    r = quantum.sample(BELL2, shots_count=2000, seed=1)
    assert set(r) == {"00", "11"}
    assert r.shots == 2000
    assert abs(r.probability("00") - 0.5) < 0.05
    assert r.expectation() == 1.0  # Z⊗Z parity is +1 for both outcomes
    assert r.substrate == "statevec"
    g = quantum.sample(GHZ3, shots_count=1000, seed=2)
    assert set(g) == {"000", "111"}
    assert g.register_names == ["c"]


def test_seed_gives_the_same_counts():
    a = quantum.sample(BELL2, shots_count=500, seed=42)
    b = quantum.sample(BELL2, shots_count=500, seed=42)
    assert dict(a) == dict(b)


def test_bit_order_is_qasm_order():
    prog = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; creg c[3]; x q[1]; measure q -> c;'
    r = quantum.sample(prog, shots_count=10)
    assert dict(r) == {"010": 10}  # classical bit 1 set: second character from the right
    assert dict(r.in_order("cudaq")) == {"010": 10}
    prog = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; creg c[3]; x q[0]; measure q -> c;'
    r = quantum.sample(prog, shots_count=10)
    assert dict(r) == {"001": 10}
    assert dict(r.in_order("cudaq")) == {"100": 10}


def test_unmeasured_kernels_are_measured_whole():
    r = quantum.sample('OPENQASM 3; include "stdgates.inc"; qubit[2] q; x q[1];', shots_count=5)
    assert dict(r) == {"10": 5}
    assert r.registers[0].size == 2


def test_registers():
    prog = """OPENQASM 2.0; include "qelib1.inc";
    qreg q[3]; creg a[1]; creg b[2];
    x q[0]; x q[2];
    measure q[0] -> a[0]; measure q[1] -> b[0]; measure q[2] -> b[1];"""
    r = quantum.sample(prog, shots_count=8)
    assert dict(r) == {"101": 8}
    assert r.register_names == ["a", "b"]
    assert dict(r.get_register_counts("a")) == {"1": 8}
    assert dict(r.get_register_counts("b")) == {"10": 8}
    assert r.most_probable("b") == "10"


def test_parameters_observe_and_state_agree_with_numpy():
    h = 0.5 * spin.z(0) * spin.z(1) - 0.3 * spin.x(0) * spin.x(1) + 0.2 * spin.y(0) + 1.5
    for theta in (0.0, 0.7, -2.1):
        state = quantum.get_state(ANSATZ, theta)
        c, s = math.cos(theta / 2), math.sin(theta / 2)
        want = np.array([c, 0, 0, s])  # |00> and |11>: qubit 0 least significant
        np.testing.assert_allclose(np.asarray(state), want, atol=1e-12)
        exact = np.vdot(want, h.to_matrix(2) @ want).real
        res = quantum.observe(ANSATZ, h, theta)
        assert res.expectation() == pytest.approx(exact, abs=1e-12)
        assert res.expectation(spin.z(0) * spin.z(1)) == pytest.approx(1.0)
        assert len(res.terms()) == 4
    est = quantum.observe(ANSATZ, h, 0.7, shots_count=20000, seed=3).expectation()
    assert est == pytest.approx(quantum.observe(ANSATZ, h, 0.7).expectation(), abs=0.05)


def test_state_precision():
    s = quantum.get_state(ANSATZ, 0.4, precision="complex64")
    assert np.asarray(s).dtype == np.complex64
    assert abs(s.amplitude("00") - math.cos(0.2)) < 1e-6


def test_async_sweep_matches_sync():
    h = spin.z(0) + spin.z(1)
    thetas = np.linspace(0, math.pi, 16)

    async def sweep():
        futs = [quantum.observe_async(ANSATZ, h, t) for t in thetas]
        return await asyncio.gather(*futs)

    results = asyncio.run(sweep())
    for t, r in zip(thetas, results, strict=True):
        assert r.expectation() == pytest.approx(2 * math.cos(t), abs=1e-12)
    fut = quantum.sample_async(BELL2, shots_count=100, seed=5)
    assert dict(fut.result(timeout=30)) == dict(quantum.sample(BELL2, shots_count=100, seed=5))
    assert fut.substrate == "statevec"


def test_mid_circuit_measurement_and_conditions():
    # Teleport |1>: Alice's qubit 0 in |1>, Bell pair on 1 and 2, corrections by measurement.
    prog = """OPENQASM 3;
    include "stdgates.inc";
    qubit[3] q;
    bit[2] m;
    bit[1] out;
    x q[0];
    h q[1]; cx q[1], q[2];
    cx q[0], q[1]; h q[0];
    m[0] = measure q[0];
    m[1] = measure q[1];
    if (m[1] == 1) x q[2];
    if (m[0] == 1) z q[2];
    out[0] = measure q[2];
    """
    r = quantum.sample(prog, shots_count=400, seed=9)
    assert dict(r.get_register_counts("out")) == {"1": 400}
    assert len(r.get_register_counts("m")) == 4  # all four corrections happen
    assert r.meta["method"] == "trajectories"


def test_noise():
    m = noise.NoiseModel()
    m.add_channel("x", [0], noise.BitFlipChannel(1.0))
    prog = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; creg c[1]; x q[0]; measure q -> c;'
    assert dict(quantum.sample(prog, shots_count=50, noise_model=m)) == {"0": 50}
    assert dict(quantum.sample(prog, shots_count=50)) == {"1": 50}

    d = noise.NoiseModel()
    d.add_all_qubit_channel("cx", noise.DepolarizationChannel(0.3))
    r = quantum.sample(BELL2, shots_count=4000, noise_model=d, seed=11)
    bad = r.probability("01") + r.probability("10")
    assert 0.1 < bad < 0.3  # 8 of the 15 two-qubit Paulis flip parity: 0.3 * 8/15 = 0.16

    a = noise.NoiseModel()
    a.add_all_qubit_channel("x", noise.AmplitudeDampingChannel(1.0))
    assert dict(quantum.sample(prog, shots_count=20, noise_model=a)) == {"0": 20}

    k = noise.NoiseModel()
    k.add_all_qubit_channel("x", noise.KrausChannel([np.array([[0, 1], [0, 0]]), np.array([[1, 0], [0, 0]])]))
    assert dict(quantum.sample(prog, shots_count=20, noise_model=k)) == {"0": 20}

    two = noise.NoiseModel()
    two.add_all_qubit_channel("x", noise.KrausChannel([np.eye(4)]))
    with pytest.raises(
        sokr.InvalidProgramError, match="2-qubit channel, which cannot follow the 1-qubit gate x"
    ):
        quantum.sample(prog, noise_model=two)

    # Noisy expectation values are exact: the density matrix of this small circuit.
    r = quantum.observe(prog, spin.z(0), noise_model=m, seed=1)
    assert r.expectation() == pytest.approx(1.0)
    assert r.meta["method"] == "density_matrix"


def test_kernel_from_a_file_and_a_program(tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(BELL2)
    assert set(quantum.sample(str(path), shots_count=100)) <= {"00", "11"}
    assert set(quantum.sample(sokr.program(BELL2), shots_count=100)) <= {"00", "11"}


def test_errors():
    with pytest.raises(sokr.InvalidInputError, match="takes 1 parameter\\(s\\) \\(theta\\), got 0"):
        quantum.get_state(ANSATZ)
    with pytest.raises(sokr.InvalidInputError, match="must be a real number"):
        quantum.get_state(ANSATZ, "x")
    with pytest.raises(sokr.InvalidProgramError) as e:
        quantum.sample('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nhh q[0];\n')
    assert e.value.line == 4 and e.value.col >= 1
    with pytest.raises(sokr.UnknownFormatError, match="expected a quantum circuit"):
        quantum.sample("sokr.native/1\nparam x: f32[1]\ny: f32[1] = neg x\nreturn y\n")
    with pytest.raises(sokr.NoCapableSubstrateError, match="qubits"):
        quantum.sample('OPENQASM 2.0; include "qelib1.inc"; qreg q[60]; h q[0];')
    with pytest.raises(sokr.InvalidInputError, match="shots_count"):
        quantum.sample(BELL2, shots_count=0)
    with pytest.raises(sokr.InvalidInputError, match="acts on 3 qubits; the kernel has 2"):
        quantum.observe(ANSATZ, spin.z(2), 0.1)
    with pytest.raises(TypeError, match="spin_operator"):
        quantum.observe(ANSATZ, "Z0", 0.1)  # type: ignore[arg-type]
    with pytest.raises(sokr.InvalidInputError, match="get_state"):
        quantum.get_state(GHZ3.replace("c = measure q;", "c[0] = measure q[0]; x q[0];"))


def test_pulse_level_programs_are_refused_with_the_feature():
    prog = """OPENQASM 3;
    defcalgrammar "openpulse";
    qubit[1] q;
    defcal x $0 { }
    x $0;
    """
    with pytest.raises(sokr.NoCapableSubstrateError, match="defcal"):
        quantum.sample(prog)


def test_qasmbench_adder_gives_its_sum(corpus: Callable[[str], pathlib.Path]):
    path = str(corpus("qasm/qasmbench") / "small" / "adder_n4" / "adder_n4.qasm")
    r = quantum.sample(path, shots_count=100, seed=1)
    assert len(r) == 1  # deterministic


def test_fixes_from_issue_17():
    # A noise model on get_state is refused with a typed error, not a TypeError from JSON.
    flip = noise.NoiseModel()
    flip.add_all_qubit_channel("cx", noise.BitFlipChannel(0.5))
    with pytest.raises(sokr.InvalidInputError, match="bit_flip noise channel"):
        quantum.get_state(ANSATZ, 0.3, noise_model=flip)
    # A rule that applies to nothing says so.
    m = noise.NoiseModel()
    m.add_all_qubit_channel("measure", noise.BitFlipChannel(0.1))
    with pytest.warns(UserWarning, match="'measure'.*applies to nothing"):
        quantum.sample(BELL2, shots_count=10, noise_model=m)
    m = noise.NoiseModel()
    m.add_all_qubit_channel("ccx", noise.BitFlipChannel(0.1))
    with pytest.warns(UserWarning, match="no ccx gate"):
        quantum.sample(BELL2, shots_count=10, noise_model=m)
    # Kernel parameters by keyword.
    np.testing.assert_allclose(
        np.asarray(quantum.get_state(ANSATZ, theta=0.5)), np.asarray(quantum.get_state(ANSATZ, 0.5))
    )
    assert quantum.observe(ANSATZ, spin.z(0), theta=0.5).expectation() == pytest.approx(math.cos(0.5))
    with pytest.raises(TypeError, match="both by position and by keyword"):
        quantum.get_state(ANSATZ, 0.5, theta=0.5)
    # shots= is refused, naming shots_count.
    with pytest.raises(TypeError, match="shots_count"):
        quantum.sample(BELL2, shots=10)
    with pytest.raises(TypeError, match="shots_count"):
        quantum.observe(ANSATZ, spin.z(0), 0.1, shots=10)
    # A missing file, an empty kernel and a malformed header say what is wrong.
    with pytest.raises(FileNotFoundError, match="no program file"):
        quantum.sample("/nonexistent/bell.qasm")
    with pytest.raises(sokr.InvalidInputError, match="the kernel is empty"):
        quantum.sample("  \n")
    with pytest.raises(sokr.InvalidProgramError) as e:
        quantum.sample("OPENQASM 3 3;\nqubit q;")
    assert (e.value.line, e.value.col) == (1, 12)
    # observe's documentation says when noise makes it an estimate (test_quantum_density.py
    # checks the exact case).
    doc = " ".join((quantum.observe_async.__doc__ or "").split())
    assert "With ``noise_model`` it is exact too on circuits of up to 14 qubits" in doc
    assert "it is an estimate: the mean over noise trajectories" in doc


def test_broadcasting_gives_one_result_per_argument_set():
    thetas = [0.0, 0.4, 1.3, -2.0]
    h = spin.z(0) + 0.5 * spin.x(0) * spin.x(1)
    results = quantum.observe(ANSATZ, h, thetas)
    assert isinstance(results, list) and len(results) == len(thetas)
    for t, r in zip(thetas, results, strict=True):
        assert r.expectation() == pytest.approx(quantum.observe(ANSATZ, h, t).expectation(), abs=1e-12)
    counts = quantum.sample(ANSATZ, np.array([0.0, math.pi]), shots_count=50, seed=1)
    assert [dict(c) for c in counts] == [{"00": 50}, {"11": 50}]
    two = """OPENQASM 3; include "stdgates.inc";
    input float a; input float b; qubit[1] q; rx(a) q[0]; rx(b) q[0];"""
    with pytest.raises(sokr.InvalidInputError, match="all of one length"):
        quantum.sample(two, [0.1, 0.2], 0.3)
    assert len(quantum.sample(two, [0.1, 0.2], [0.3, 0.4], shots_count=5)) == 2


def test_sample_keys_and_state_amplitudes_read_bits_alike():
    prog = 'OPENQASM 3; include "stdgates.inc"; qubit[3] q; x q[0]; h q[2];'
    counts = quantum.sample(prog, shots_count=400, seed=2)
    state = quantum.get_state(prog)
    assert set(counts) == {"001", "101"}
    for key in counts:
        assert abs(state.amplitude(key)) ** 2 == pytest.approx(0.5)
        assert state.amplitude(key[::-1], order="cudaq") == state.amplitude(key)
    assert state.amplitude("100") == 0


def test_bits_as_booleans_in_conditions():
    prog = """OPENQASM 3;
    include "stdgates.inc";
    qubit[4] q;
    bit[2] c;
    bit parity;
    bit both;
    h q[0]; h q[1];
    c[0] = measure q[0];
    c[1] = measure q[1];
    if (c[0] ^ c[1]) x q[2];
    if (c[0] && c[1]) x q[3];
    parity = measure q[2];
    both = measure q[3];
    """
    r = quantum.sample(prog, shots_count=400, seed=4)
    c, parity, both = (
        r.get_register_counts("c"),
        r.get_register_counts("parity"),
        r.get_register_counts("both"),
    )
    assert len(c) == 4  # all four outcomes occur
    for key, n in r.items():
        both_bit, parity_bit, c1, c0 = (int(ch) for ch in key)  # bit 0 (c[0]) rightmost
        assert parity_bit == c0 ^ c1 and both_bit == (c0 & c1), (key, n)
    assert parity.shots == both.shots == 400


def test_broadcast_runs_are_all_dispatched_before_any_is_awaited(monkeypatch: pytest.MonkeyPatch):
    from sokr._runtime import Runtime

    events: list[str] = []
    dispatch = Runtime.dispatch

    def logged_dispatch(self, *a, **kw):
        events.append("dispatch")
        return dispatch(self, *a, **kw)

    monkeypatch.setattr(Runtime, "dispatch", logged_dispatch)
    p = sokr.program(ANSATZ)  # parsed: the _async call dispatches on this thread
    fut = quantum.observe_async(p, spin.z(0), [0.1, 0.2, 0.3])
    assert events == ["dispatch"] * 3  # before anything waited on them
    results = fut.get()
    assert [r.expectation() for r in results] == pytest.approx([math.cos(t) for t in (0.1, 0.2, 0.3)])
