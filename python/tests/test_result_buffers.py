"""Result records: a large one (faulted in by one madvise in the facade's Read, see
bindings/python/populate_linux.go) reads intact."""

from __future__ import annotations

from typing import Any

import numpy as np

from sokr import neuro

POPULATE_BYTES = 8 << 20  # bindings/python/populate_linux.go


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
    assert long.nbytes >= POPULATE_BYTES > short.nbytes
    period = short.argmax(axis=0) + 1  # [b, n]: the first spike's step, plus one
    assert short.max(axis=0).all(), "every neuron fires within 16 steps"
    steps = np.arange(t)[:, None, None] % period  # [t, b, n]
    want = np.take_along_axis(short, steps, axis=0)
    np.testing.assert_array_equal(long, want)
