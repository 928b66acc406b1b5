"""sokr.quantum's pure-Python parts: spin algebra, noise models and result objects."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sokr.quantum import ObserveResult, Register, SampleResult, State, noise, spin
from sokr.quantum.spin import SpinOperator

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1, -1]).astype(complex)
I2 = np.eye(2, dtype=complex)


def test_spin_products_follow_the_pauli_algebra():
    assert spin.x(0) * spin.y(0) == 1j * spin.z(0)
    assert spin.y(0) * spin.x(0) == -1j * spin.z(0)
    assert spin.z(0) * spin.z(0) == 1
    assert spin.x(1) * spin.x(0) == spin.x(0) * spin.x(1)
    assert (spin.x(0) + spin.z(1)) - spin.z(1) == spin.x(0)
    assert 2 * spin.x(0) / 4 == 0.5 * spin.x(0)
    assert (spin.x(0) - spin.x(0)).term_count == 0
    assert str(spin.x(0) * spin.y(0)) == "1j*Z0"


def test_spin_matrices_match_kronecker_products():
    rng = np.random.default_rng(7)
    letters = {"X": spin.x, "Y": spin.y, "Z": spin.z}
    mats = {"X": X, "Y": Y, "Z": Z}
    for _ in range(20):
        a, b = rng.choice(list(letters), 2)
        qa, qb = rng.choice(3, 2, replace=False)
        op = 0.7 * letters[a](int(qa)) * letters[b](int(qb)) + 0.2 * spin.z(2)
        want = np.zeros((8, 8), complex)
        facs = [I2, I2, I2]
        facs[qa], facs[qb] = mats[a], mats[b]
        want += 0.7 * np.kron(facs[2], np.kron(facs[1], facs[0]))  # qubit 0 least significant
        want += 0.2 * np.kron(Z, np.kron(I2, I2))
        np.testing.assert_allclose(op.to_matrix(3), want, atol=1e-12)
    # Products of operators are products of matrices.
    h1 = spin.x(0) + 0.5 * spin.y(1) * spin.z(0)
    h2 = spin.z(0) - 2 * spin.x(1)
    np.testing.assert_allclose((h1 * h2).to_matrix(2), h1.to_matrix(2) @ h2.to_matrix(2), atol=1e-12)


def test_spin_terms_and_errors():
    h = 5.907 - 2.1433 * spin.x(0) * spin.x(1) + 0.21829 * spin.z(0) - 6.125 * spin.z(1)
    assert h.term_count == h.get_term_count() == 4
    assert h.qubit_count == 2
    assert sorted(w for _, w in h.terms()) == ["II", "IZ", "XX", "ZI"]
    assert [w for _, w in h.terms(3)][1] == "XXI"
    assert next(iter(spin.y(2))).get_coefficient() == 1
    assert SpinOperator.from_word("XIZ") == spin.x(0) * spin.z(2)
    with pytest.raises(ValueError, match="only the letters"):
        SpinOperator.from_word("XQ")
    with pytest.raises(ValueError, match="acts on 2 qubits, more than 1"):
        h.terms(1)
    with pytest.raises(TypeError, match="non-negative qubit index"):
        spin.x(-1)
    with pytest.raises(TypeError):
        spin.x(0) + "Z0"  # type: ignore[operator]
    with pytest.raises(ValueError, match="single term"):
        h.get_coefficient()


def test_noise_model_json_and_validation():
    m = noise.NoiseModel()
    m.add_channel("x", [0], noise.BitFlipChannel(0.1))
    m.add_all_qubit_channel("cx", noise.DepolarizationChannel(0.2))
    k = noise.KrausChannel([np.sqrt(0.9) * np.eye(2), np.sqrt(0.1) * X])
    m.add_all_qubit_channel("h", k)
    assert len(m) == 3
    rules = __import__("json").loads(m._json())
    assert rules[0] == {"gate": "x", "qubits": [0], "channel": "bit_flip", "p": 0.1}
    assert rules[1]["qubits"] is None and rules[1]["channel"] == "depolarizing"
    assert rules[2]["channel"] == "kraus" and rules[2]["ops"][1]["re"] == pytest.approx(
        [0, 0.316227766, 0.316227766, 0]
    )
    with pytest.raises(ValueError, match="not in \\[0, 1\\]"):
        noise.BitFlipChannel(1.5)
    with pytest.raises(ValueError, match="not trace preserving"):
        noise.KrausChannel([np.eye(2), X])
    with pytest.raises(ValueError, match="2\\^k x 2\\^k"):
        noise.KrausChannel([np.eye(3)])
    with pytest.raises(TypeError, match="channel must be"):
        m.add_channel("x", [0], 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="qubits are non-negative"):
        m.add_channel("x", [-1], noise.BitFlipChannel(0.1))


def test_sample_result_bit_order_and_views():
    # Bits: c = (bit0, bit1), d = (bit2). Key "101" means bit0 = 1, bit1 = 0, bit2 = 1.
    r = SampleResult({"101": 30, "000": 50, "011": 20}, [Register("c", 0, 2), Register("d", 2, 1)])
    assert r.shots == 100
    assert list(r) == ["000", "011", "101"]  # by value, bit 0 least significant
    assert r.most_probable() == "000"
    assert r.probability("101") == 0.3
    assert r.count("111") == 0
    assert r.expectation() == pytest.approx((50 + 20 + 30) / 100)  # even parity everywhere
    assert dict(r.get_register_counts("c")) == {"00": 50, "11": 20, "01": 30}
    assert dict(r.get_register_counts("d")) == {"0": 70, "1": 30}
    assert r.most_probable("d") == "0"
    assert r.expectation("d") == pytest.approx(0.4)
    assert dict(r.get_marginal([2, 0])) == {"00": 50, "10": 20, "11": 30}  # new bit j = bit idx[j]
    c = r.in_order("cudaq")
    assert dict(c) == {"101": 30, "000": 50, "110": 20}
    assert dict(c.get_register_counts("c")) == {"00": 50, "11": 20, "10": 30}
    assert dict(c.get_marginal([2, 0])) == {"00": 50, "01": 20, "11": 30}
    assert c.in_order("qasm") == r
    with pytest.raises(KeyError, match="no register 'e'"):
        r.get_register_counts("e")
    with pytest.raises(IndexError):
        r.get_marginal([3])
    assert "<table>" in r._repr_html_()
    assert str(r) == "{ 000:50 011:20 101:30 }"


def test_sample_result_plot():
    import matplotlib

    matplotlib.use("Agg")
    r = SampleResult({format(i, "05b"): i + 1 for i in range(32)})
    ax = r.plot(top=8)
    assert len(ax.patches) == 8


def test_observe_result_and_state():
    h = 2 * spin.z(0) + 0.5 * spin.x(0) * spin.x(1) - 1
    res = ObserveResult(h, [0.5, -1.0, 1.0])
    assert res.expectation() == pytest.approx(2 * 0.5 + 0.5 * -1 - 1)
    assert res.expectation(spin.z(0)) == 0.5
    assert res.expectation(spin.x(0) * spin.x(1)) == -1
    with pytest.raises(KeyError):
        res.expectation(spin.y(0))
    assert "⟨H⟩" in res._repr_html_()

    amps = np.zeros(4, complex)
    amps[0b10] = 1  # qubit 1 = 1
    s = State(amps)
    assert s.num_qubits == 2
    assert s.amplitude("10") == 1  # as sample keys: qubit 0 rightmost
    assert s.amplitude([1, 0]) == 1
    assert s.amplitude("01", order="cudaq") == 1  # qubit 0 first
    assert s.amplitude([0, 1], order="cudaq") == 1
    with pytest.raises(ValueError, match="order is"):
        s.amplitude("10", order="msb")  # type: ignore[arg-type]
    np.testing.assert_array_equal(np.asarray(s), amps)
    assert s.overlap(amps) == 1
    with pytest.raises(ValueError, match="takes 2 bits"):
        s.amplitude("1")
    assert list(itertools.islice(s.probabilities(), 4)) == [0, 0, 1, 0]


def test_html_reprs_are_capped():
    # 20 qubits x 100k shots: nearly every shot a distinct outcome (7.2 MB of HTML uncapped).
    rng = np.random.default_rng(7)
    values = rng.integers(0, 1 << 20, 100_000)
    values[:500] = 12345  # one outcome far more frequent than the rest
    keys, counts = np.unique(values, return_counts=True)
    r = SampleResult({format(int(k), "020b"): int(c) for k, c in zip(keys, counts, strict=True)})
    page = r._repr_html_()
    assert len(page) < 16_000
    assert page.count("<tr>") == 1 + 64  # the header and the 64 most frequent outcomes
    assert format(12345, "020b") in page
    assert f"and {len(r) - 64} more outcomes" in page
    small = SampleResult({"00": 3, "11": 5})._repr_html_()
    assert small.count("<tr>") == 3 and "more" not in small

    def word(i):  # Z on the qubits of i's set bits: 1000 distinct terms on 10 qubits
        op = spin.i(0)
        for q in range(10):
            if i >> q & 1:
                op = op * spin.z(q)
        return op

    h = sum((float(i) * word(i) for i in range(1, 1001)), spin.i(9))
    assert h.term_count == 1001
    page = ObserveResult(h, [1.0] * h.term_count)._repr_html_()
    assert len(page) < 16_000 and f"and {h.term_count - 64} more terms" in page
    page = h._repr_html_()
    assert len(page) < 16_000 and f"({h.term_count - 64} more terms)" in page
    page = State(np.ones(1 << 20, complex) / 1024)._repr_html_()
    assert len(page) < 16_000 and "first 64 of 1048576 amplitudes" in page
