"""Result records: a large one is faulted in by one madvise call before Go writes it
(sokr._arrays.empty), and results read through it are intact."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from sokr import _arrays, neuro


def recorder(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Replaces libc's madvise with one that records its calls."""
    calls: list[tuple[int, int, int]] = []

    def madvise(start: int, length: int, advice: int) -> int:
        calls.append((start, length, advice))
        return 0

    monkeypatch.setattr(_arrays, "_madvise", madvise)
    return calls


def test_small_buffers_are_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = recorder(monkeypatch)
    b = _arrays.empty(_arrays.POPULATE_BYTES - 1)
    assert (b.dtype, b.shape, b.flags.writeable) == (np.uint8, (_arrays.POPULATE_BYTES - 1,), True)
    assert calls == []


@pytest.mark.skipif(sys.platform != "linux", reason="madvise is asked for on Linux only")
def test_large_buffers_are_populated_without_huge_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = recorder(monkeypatch)
    n = _arrays.POPULATE_BYTES + 12345
    b = _arrays.empty(n)
    assert b.nbytes == n
    addr = b.ctypes.data
    assert [c[2] for c in calls] == [15, 23], "MADV_NOHUGEPAGE, then MADV_POPULATE_WRITE"
    for start, length, _ in calls:
        assert start % 4096 == 0 and length % 4096 == 0
        assert start <= addr and addr + n <= start + length, "the whole buffer, in whole pages"


def test_the_real_call_leaves_the_buffer_usable() -> None:
    b = _arrays.empty(_arrays.POPULATE_BYTES * 2)
    b[:] = 7
    assert int(b.sum()) == 7 * b.nbytes


def test_without_madvise_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_arrays, "_madvise", False)  # no libc, or no madvise
    assert _arrays.empty(_arrays.POPULATE_BYTES).nbytes == _arrays.POPULATE_BYTES


def test_a_large_neuro_result_reads_intact() -> None:
    """A 64 MiB spike output goes through a populated record and equals, step for step, what a
    short run's small one (a plain record) predicts."""
    n, b, t = 1024, 8, 2048
    g = {
        "nodes": {
            "in": {"type": "Input", "shape": [n]},
            "lif": {
                "type": "LIF",
                "tau": [1e-3] * n,
                "r": [1.0] * n,
                "v_leak": [0.0] * n,
                "v_threshold": [1.0] * n,
            },
            "out": {"type": "Output", "shape": [n]},
        },
        "edges": [["in", "lif"], ["lif", "out"]],
    }
    # A constant drive above threshold: each neuron, reset to its start (0), fires with a
    # period of at most 11 steps, the same from the first step to the last.
    drive = np.random.default_rng(3).uniform(1.5, 3.0, (b, n)).astype(np.float32)
    x = np.broadcast_to(drive, (t, b, n)).copy()
    long: Any = neuro.run(g, x, dt=1e-4)["out"]
    short: Any = neuro.run(g, x[:16], dt=1e-4)["out"]
    assert long.nbytes >= _arrays.POPULATE_BYTES > short.nbytes
    period = short.argmax(axis=0) + 1  # [b, n]: the first spike's step, plus one
    assert short.max(axis=0).all(), "every neuron fires within 16 steps"
    steps = np.arange(t)[:, None, None] % period  # [t, b, n]
    want = np.take_along_axis(short, steps, axis=0)
    np.testing.assert_array_equal(long, want)
