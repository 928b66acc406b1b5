"""NIR graphs on the Vulkan substrate (lavapipe in CI): the same spikes and voltages as snn,
with dense and event-driven synaptic propagation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sokr import neuro


def recurrent_graph(nin: int, nh: int, seed: int = 7) -> dict[str, Any]:
    """Input -> Affine -> LIF, with a recurrent Linear from the LIF to itself, -> Output."""
    rng = np.random.default_rng(seed)
    return {
        "nodes": {
            "in": {"type": "Input", "shape": [nin]},
            "fc": {
                "type": "Affine",
                "weight": rng.uniform(-0.2, 0.8, (nh, nin)).tolist(),
                "bias": [0.05] * nh,
            },
            "lif": {
                "type": "LIF",
                "tau": rng.uniform(2, 5, nh).tolist(),
                "r": [1.0] * nh,
                "v_leak": [0.0] * nh,
                "v_threshold": rng.uniform(0.5, 1.0, nh).tolist(),
            },
            "rec": {"type": "Linear", "weight": rng.uniform(-0.6, 0.4, (nh, nh)).tolist()},
            "out": {"type": "Output", "shape": [nh]},
        },
        "edges": [["in", "fc"], ["fc", "lif"], ["lif", "rec"], ["rec", "lif"], ["lif", "out"]],
    }


@pytest.mark.parametrize(("propagation", "ran"), [("auto", "mixed"), ("event", "event"), ("dense", "dense")])
def test_recurrent_network_on_gpu_matches_snn(gpu: str, propagation: str, ran: str) -> None:
    g = recurrent_graph(8, 16)
    x = np.random.default_rng(1).uniform(0, 2, (60, 8, 8)).astype(np.float32)
    want = neuro.run(g, x, substrate="snn", dt=1.0, record=["lif.v"], propagation=propagation)
    got = neuro.run(g, x, substrate=gpu, dt=1.0, record=["lif.v"], propagation=propagation)
    assert got.substrate == gpu
    # "auto": the input layer's products over all steps are one GEMM (dense), the recurrent
    # layer's, one per step of 8 rows, event-driven.
    assert got.meta["propagation"] == ran
    spikes = want["out"]
    assert 0.05 < np.count_nonzero(spikes) / spikes.size < 0.95, "too few or too many spikes to compare"
    np.testing.assert_array_equal(got["out"], spikes)
    np.testing.assert_allclose(got["lif.v"], want["lif.v"], rtol=1e-5, atol=1e-5)


def test_unknown_propagation_is_a_clear_error(gpu: str) -> None:
    with pytest.raises(Exception, match="propagation"):
        neuro.run(recurrent_graph(4, 4), np.zeros((3, 1, 4), np.float32), substrate=gpu, propagation="sparse")


def test_session_on_gpu_continues_as_one_run(gpu: str) -> None:
    """A neuro.Session on the GPU carries voltages and the recurrent history from chunk to
    chunk: the chunks equal one uninterrupted run, and snn's session."""
    g = recurrent_graph(8, 16)
    x = np.random.default_rng(3).uniform(0, 2, (60, 4, 8)).astype(np.float32)
    whole = neuro.run(g, x, substrate=gpu, dt=1.0, recurrent_delay=2)
    for sub in (gpu, "snn"):
        with neuro.Session(g, substrate=sub, dt=1.0, recurrent_delay=2) as s:
            parts = [s.run(x[a:b]) for a, b in ((0, 25), (25, 41), (41, 60))]
            assert s.substrate == sub
        assert [p.meta["session_step"] for p in parts] == ["0", "25", "41"]
        np.testing.assert_array_equal(np.concatenate([p.value for p in parts]), whole.value)
