"""Per-shot results of sokr.quantum: SampleResult.get_sequential_data and run, as CUDA-Q's."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sokr import quantum
from sokr.quantum import Register, SampleResult

BELL = (
    'OPENQASM 3; include "stdgates.inc"; qubit[3] q; bit[2] a; bit[1] b; '
    "h q[0]; cx q[0], q[1]; x q[2]; a = measure q[0:1]; b[0] = measure q[2];"
)


def test_sequential_data_holds_every_shot_of_the_counts_in_a_random_order() -> None:
    r = quantum.sample(BELL, shots_count=2000, seed=5)
    seq = r.get_sequential_data()
    assert len(seq) == r.get_total_shots() == 2000
    assert Counter(seq) == dict(r)
    # Independent shots of a Bell pair: a shot equals the one before half of the time
    # (mean 999.5, standard deviation about 22; six of those is far beyond chance). Counts
    # laid out in key order would give 1998.
    same = sum(x == y for x, y in itertools.pairwise(seq))
    assert abs(same - 999.5) < 6 * 22.4
    assert seq == r.get_sequential_data(), "one result, one sequence"
    assert seq == quantum.sample(BELL, shots_count=2000, seed=5).get_sequential_data(), "same seed"


def test_sequential_data_per_register_and_in_cudaq_order() -> None:
    r = quantum.sample(BELL, shots_count=300, seed=1)
    seq = r.get_sequential_data()
    assert r.get_sequential_data("a") == [k[1:] for k in seq]  # bits 0-1: the rightmost two
    assert r.get_sequential_data("b") == ["1"] * 300
    assert Counter(r.get_sequential_data("a")) == dict(r.get_register_counts("a"))
    assert r.in_order("cudaq").get_sequential_data() == [k[::-1] for k in seq], "the same shots"
    assert r.in_order("cudaq").get_sequential_data("a") == [k[::-1] for k in r.get_sequential_data("a")]
    with pytest.raises(KeyError, match="no register 'z'"):
        r.get_sequential_data("z")
    # A result made by hand has a sequence too.
    made = SampleResult({"01": 2, "10": 1}, [Register("c", 0, 2)])
    assert sorted(made.get_sequential_data()) == ["01", "01", "10"]


def test_run_gives_one_bitstring_per_shot() -> None:
    shots = quantum.run(BELL, shots_count=50, seed=9)
    assert len(shots) == 50 and set(shots) <= {"100", "111"}
    assert shots == quantum.sample(BELL, shots_count=50, seed=9).get_sequential_data()
    assert len(quantum.run(BELL)) == 100, "cudaq.run's default shots_count"
    # Broadcast: one list of shots per argument value.
    k = (
        'OPENQASM 3; include "stdgates.inc"; input float theta; qubit[1] q; bit[1] c; '
        "rx(theta) q[0]; c = measure q;"
    )
    zeros, ones = quantum.run(k, [0.0, 3.141592653589793], shots_count=20)
    assert zeros == ["0"] * 20 and ones == ["1"] * 20


@pytest.mark.cudaq
def test_sequential_data_matches_cudaq(optional: Callable[[str], ModuleType]) -> None:
    cudaq: Any = optional("cudaq")
    cudaq.set_target("qpp-cpu")

    @cudaq.kernel
    def ghz(n: int) -> None:
        q = cudaq.qvector(n)
        h(q[0])  # noqa: F821 - CUDA-Q kernel builtins
        for i in range(n - 1):
            x.ctrl(q[i], q[i + 1])  # noqa: F821
        mz(q)  # noqa: F821

    ours = quantum.sample(ghz, 3, shots_count=1000, seed=2).in_order("cudaq").get_sequential_data()
    theirs = cudaq.sample(ghz, 3, shots_count=1000).get_sequential_data()
    assert len(ours) == len(theirs) == 1000
    assert set(ours) == set(theirs) == {"000", "111"}
    # Both halves near 500 (standard deviation about 16).
    assert abs(ours.count("000") - 500) < 6 * 16 and abs(theirs.count("000") - 500) < 6 * 16
