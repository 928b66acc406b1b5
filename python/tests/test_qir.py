"""QIR (LLVM text) programs through sokr: detected, lowered to circuits and sampled; CUDA-Q's
own QIR output compared with cudaq's sampling of the same kernel."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import sokr
from sokr import quantum

SHOTS = 4000

# A Bell pair in the base profile with typed pointers, written for these tests.
Q1 = "%Qubit* inttoptr (i64 1 to %Qubit*)"
R1 = "%Result* inttoptr (i64 1 to %Result*)"
ATTRS = '"entry_point" "qir_profiles"="base_profile" "required_num_qubits"="2" "required_num_results"="2"'
BELL = f"""%Qubit = type opaque
%Result = type opaque

define void @bell() #0 {{
entry:
  call void @__quantum__rt__initialize(i8* null)
  call void @__quantum__qis__h__body(%Qubit* null)
  call void @__quantum__qis__cnot__body(%Qubit* null, {Q1})
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  call void @__quantum__qis__mz__body({Q1}, {R1})
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  call void @__quantum__rt__result_record_output({R1}, i8* null)
  ret void
}}

attributes #0 = {{ {ATTRS} }}
"""


def total_variation(a: dict[str, int], b: dict[str, int]) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def tv_bound(outcomes: int, shots: int) -> float:
    """Three times 0.5 * sqrt(2 K / n), a bound on the expected total variation between two
    independent samples of one K-outcome distribution (as in test_quantum_cudaq.py)."""
    return 3 * 0.5 * math.sqrt(2 * outcomes / shots)


def test_qir_text_is_detected_and_sampled() -> None:
    p = sokr.program(BELL)
    assert p.source_format == "qir/1"
    assert p.format == "sokr.circuit/1"
    counts = dict(quantum.sample(BELL, shots_count=400, seed=2))
    assert set(counts) == {"00", "11"}
    assert min(counts.values()) > 150


def test_ll_file_is_a_program_path(tmp_path: Path) -> None:
    path = tmp_path / "bell.ll"
    path.write_text(BELL)
    p = sokr.program(str(path))
    assert p.source_format == "qir/1"
    assert set(quantum.sample(str(path), shots_count=100, seed=1)) == {"00", "11"}


def test_qir_unsupported_instruction_is_refused_naming_its_line() -> None:
    src = (
        "define void @main() #0 {\n"
        "  call void @__quantum__qis__h__body(ptr null)\n"
        "  %a = fadd double 1.0, 2.0\n"
        "  ret void\n"
        "}\n"
        'attributes #0 = { "entry_point" }\n'
    )
    with pytest.raises(sokr.NoCapableSubstrateError, match=r'QIR instruction "fadd" at 3:3'):
        quantum.sample(src, shots_count=10)


def test_malformed_qir_is_an_invalid_program_with_a_position() -> None:
    src = "define void @f() {\n  call void @__quantum__qis__h__body(ptr null)\n  br label %nowhere\n}\n"
    with pytest.raises(sokr.InvalidProgramError, match=r"qir/1.*3:3.*undefined label %nowhere"):
        sokr.program(src)


@pytest.fixture
def cudaq(optional: Callable[[str], ModuleType]) -> Any:
    cq = optional("cudaq")
    cq.set_target("qpp-cpu")
    cq.set_random_seed(17)
    return cq


@pytest.mark.cudaq
def test_cudaq_qir_base_matches_cudaq_sample(cudaq: Any) -> None:
    @cudaq.kernel
    def mixed() -> None:
        q = cudaq.qvector(3)
        ry(0.7, q[0])  # noqa: F821 - CUDA-Q kernel builtins
        x.ctrl(q[0], q[1])  # noqa: F821
        rx(1.1, q[2])  # noqa: F821
        s.adj(q[2])  # noqa: F821
        t(q[1])  # noqa: F821
        h(q[1])  # noqa: F821
        swap(q[1], q[2])  # noqa: F821
        z.ctrl(q[0], q[2])  # noqa: F821
        mz(q)  # noqa: F821

    qir = cudaq.translate(mixed, format="qir-base")
    assert "__quantum__qis__" in qir
    ours = dict(quantum.sample(qir, shots_count=SHOTS, seed=5).in_order("cudaq"))
    theirs = dict(cudaq.sample(mixed, shots_count=SHOTS).items())
    assert total_variation(ours, theirs) < tv_bound(8, SHOTS)


@pytest.mark.cudaq
def test_cudaq_qir_base_with_an_argument(cudaq: Any) -> None:
    @cudaq.kernel
    def ghz(n: int) -> None:
        q = cudaq.qvector(n)
        h(q[0])  # noqa: F821
        for i in range(n - 1):
            x.ctrl(q[i], q[i + 1])  # noqa: F821
        mz(q)  # noqa: F821

    qir = cudaq.translate(ghz, 4, format="qir-base")
    ours = dict(quantum.sample(qir, shots_count=SHOTS, seed=6).in_order("cudaq"))
    theirs = dict(cudaq.sample(ghz, 4, shots_count=SHOTS).items())
    assert set(ours) == set(theirs) == {"0000", "1111"}
    assert total_variation(ours, theirs) < tv_bound(2, SHOTS)


@pytest.mark.cudaq
def test_cudaq_qir_adaptive_branch_on_a_measurement(cudaq: Any) -> None:
    # cudaq.sample refuses kernels that branch on measurements, so the expected distribution is
    # the kernel's own: qubit 1 copies qubit 0's outcome, each half the time.
    @cudaq.kernel
    def feedback() -> None:
        q = cudaq.qvector(2)
        h(q[0])  # noqa: F821
        b = mz(q[0])  # noqa: F821
        if b:
            x(q[1])  # noqa: F821
        mz(q[1])  # noqa: F821

    qir = cudaq.translate(feedback, format="qir-adaptive")
    assert "read_result" in qir
    ours = dict(quantum.sample(qir, shots_count=SHOTS, seed=7).in_order("cudaq"))
    assert set(ours) == {"00", "11"}
    assert total_variation(ours, {"00": 1, "11": 1}) < tv_bound(2, SHOTS)


@pytest.mark.cudaq
def test_cudaq_qir_controlled_gates_u3_and_r1_match_cudaq_sample(cudaq: Any) -> None:
    # nvq++ lowers controlled gates to generalizedInvokeWithRotationsControlsTargets.
    @cudaq.kernel
    def controlled() -> None:
        q = cudaq.qvector(3)
        h(q[0])  # noqa: F821
        ry(1.2, q[1])  # noqa: F821
        x.ctrl([q[0], q[1]], q[2])  # noqa: F821
        y.ctrl(q[2], q[0])  # noqa: F821
        u3(0.4, 0.9, -0.3, q[1])  # noqa: F821
        r1(0.8, q[1])  # noqa: F821
        h(q[1])  # noqa: F821
        mz(q)  # noqa: F821

    qir = cudaq.translate(controlled, format="qir-adaptive")
    assert "generalizedInvokeWithRotationsControlsTargets" in qir
    ours = dict(quantum.sample(qir, shots_count=SHOTS, seed=8).in_order("cudaq"))
    theirs = dict(cudaq.sample(controlled, shots_count=SHOTS).items())
    assert total_variation(ours, theirs) < tv_bound(8, SHOTS)


@pytest.mark.cudaq
def test_cudaq_qir_adaptive_and_of_two_results(cudaq: Any) -> None:
    # `if a and b` becomes a phi that sokr threads into the branches: qubit 2 is the AND.
    @cudaq.kernel
    def both() -> None:
        q = cudaq.qvector(3)
        h(q[0])  # noqa: F821
        h(q[1])  # noqa: F821
        a = mz(q[0])  # noqa: F821
        b = mz(q[1])  # noqa: F821
        if a and b:
            x(q[2])  # noqa: F821
        mz(q[2])  # noqa: F821

    qir = cudaq.translate(both, format="qir-adaptive")
    assert "phi" in qir
    ours = dict(quantum.sample(qir, shots_count=SHOTS, seed=9).in_order("cudaq"))
    want = {"000": 1, "100": 1, "010": 1, "111": 1}
    assert set(ours) == set(want)
    assert total_variation(ours, want) < tv_bound(4, SHOTS)
