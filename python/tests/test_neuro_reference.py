"""Every NIR primitive against a small numpy reference, with random parameters.

Each primitive runs alone (Input -> primitive -> Output) on random input [T, B, *shape] in
f64 with forward Euler and NIR's reset (to v_reset); the reference is NIR's definition written
out in numpy, one step at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from sokr import neuro

T, B, DT = 40, 3, 1e-3
rng = np.random.default_rng(2026)


def single(node: dict[str, Any], in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "nodes": {
            "in": {"type": "Input", "shape": list(in_shape)},
            "p": node,
            "out": {"type": "Output", "shape": list(out_shape)},
        },
        "edges": [["in", "p"], ["p", "out"]],
    }


def scan(x: np.ndarray, step: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return np.stack([step(x[t]) for t in range(x.shape[0])])


def pos(n: int, lo: float, hi: float) -> np.ndarray:
    return rng.uniform(lo, hi, n)


def neuron_case(kind: str, n: int = 5) -> tuple[dict[str, Any], Callable[[np.ndarray], np.ndarray]]:
    tau, tau_syn, tau_mem = pos(n, 4e-3, 2e-2), pos(n, 2e-3, 1e-2), pos(n, 4e-3, 2e-2)
    r, v_leak, th, v_reset, w_in = (
        pos(n, 0.5, 2),
        pos(n, -0.2, 0.2),
        pos(n, 0.3, 1),
        pos(n, -0.3, 0),
        pos(n, 0.5, 1.5),
    )
    params: dict[str, Any] = {
        "I": {"r": r},
        "IF": {"r": r, "v_threshold": th, "v_reset": v_reset},
        "LI": {"tau": tau, "r": r, "v_leak": v_leak},
        "LIF": {"tau": tau, "r": r, "v_leak": v_leak, "v_threshold": th, "v_reset": v_reset},
        "CubaLI": {"tau_syn": tau_syn, "tau_mem": tau_mem, "r": r, "v_leak": v_leak, "w_in": w_in},
        "CubaLIF": {
            "tau_syn": tau_syn,
            "tau_mem": tau_mem,
            "r": r,
            "v_leak": v_leak,
            "v_threshold": th,
            "v_reset": v_reset,
            "w_in": w_in,
        },
    }[kind]

    def ref(x: np.ndarray) -> np.ndarray:
        v = np.zeros(x.shape[1:])
        i = np.zeros(x.shape[1:])

        def step(xt: np.ndarray) -> np.ndarray:
            nonlocal v, i
            if kind in ("I", "IF"):
                v = v + DT * r * xt
            elif kind in ("LI", "LIF"):
                v = v + DT / tau * ((v_leak - v) + r * xt)
            else:
                i = i + DT / tau_syn * (-i + w_in * xt)
                v = v + DT / tau_mem * ((v_leak - v) + r * i)
            if kind in ("I", "LI", "CubaLI"):
                return v.copy()
            z = v > th
            v = np.where(z, v_reset, v)
            return z.astype(float)

        return scan(x, step)

    return single({"type": kind, **params}, (n,), (n,)), ref


def conv_ref(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: tuple, pad: tuple, dil: tuple, groups: int
) -> np.ndarray:
    """PyTorch's convolution over [N, C, *spatial] for 1 or 2 spatial dimensions."""
    nd = w.ndim - 2
    if nd == 1:
        x, w = x[..., None], w[..., None]
        stride, pad, dil = (*stride, 1), (*pad, 0), (*dil, 1)
    n, _, h, wd = x.shape
    c_out, cpg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c_out, oh, ow))
    opg = c_out // groups
    for o in range(c_out):
        g = o // opg
        for i in range(oh):
            for j in range(ow):
                rows = slice(i * stride[0], i * stride[0] + dil[0] * (kh - 1) + 1, dil[0])
                cols = slice(j * stride[1], j * stride[1] + dil[1] * (kw - 1) + 1, dil[1])
                patch = xp[:, g * cpg : (g + 1) * cpg, rows, cols]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3)) + b[o]
    return out[..., 0] if nd == 1 else out


def pool_ref(x: np.ndarray, k: tuple, s: tuple, p: tuple, avg: bool) -> np.ndarray:
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]].sum(
                axis=(2, 3)
            )
    return out / (k[0] * k[1]) if avg else out


def per_sample(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Apply f, which takes [N, *shape], to every step and batch entry of [T, B, *shape]."""

    def g(x: np.ndarray) -> np.ndarray:
        y = f(x.reshape(T * B, *x.shape[2:]))
        return y.reshape(T, B, *y.shape[1:])

    return g


def cases() -> dict[str, tuple[dict[str, Any], Callable[[np.ndarray], np.ndarray], tuple[int, ...]]]:
    out: dict[str, Any] = {}
    w, b = rng.normal(size=(4, 6)), rng.normal(size=4)
    out["Linear"] = (single({"type": "Linear", "weight": w}, (6,), (4,)), lambda x: x @ w.T, (6,))
    out["Affine"] = (
        single({"type": "Affine", "weight": w, "bias": b}, (6,), (4,)),
        lambda x: x @ w.T + b,
        (6,),
    )
    s = rng.normal(size=6)
    out["Scale"] = (single({"type": "Scale", "scale": s}, (6,), (6,)), lambda x: s * x, (6,))
    th = rng.uniform(0, 1, 6)
    out["Threshold"] = (
        single({"type": "Threshold", "threshold": th}, (6,), (6,)),
        lambda x: (x > th) * 1.0,
        (6,),
    )
    steps = rng.integers(0, 5, 6)

    def delay(x: np.ndarray) -> np.ndarray:
        y = np.zeros_like(x)
        for k, d in enumerate(steps):
            y[d:, :, k] = x[: T - d, :, k]
        return y

    out["Delay"] = (single({"type": "Delay", "delay": steps * DT}, (6,), (6,)), delay, (6,))
    out["Flatten"] = (
        single({"type": "Flatten", "input_type": [2, 3, 4], "start_dim": 0, "end_dim": -1}, (2, 3, 4), (24,)),
        lambda x: x.reshape(T, B, 24),
        (2, 3, 4),
    )
    for kind in ("I", "IF", "LI", "LIF", "CubaLI", "CubaLIF"):
        g, ref = neuron_case(kind)
        out[kind] = (g, ref, (5,))

    w1, b1 = rng.normal(size=(4, 1, 3)), rng.normal(size=4)  # groups 2: 2 in-channels, 4 out
    c1 = {
        "type": "Conv1d",
        "input_shape": 9,
        "weight": w1,
        "stride": 2,
        "padding": 1,
        "dilation": 1,
        "groups": 2,
        "bias": b1,
    }
    out["Conv1d"] = (
        single(c1, (2, 9), (4, 5)),
        per_sample(lambda x: conv_ref(x, w1, b1, (2,), (1,), (1,), 2)),
        (2, 9),
    )
    w2, b2 = rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    c2 = {
        "type": "Conv2d",
        "input_shape": [6, 5],
        "weight": w2,
        "stride": [1, 2],
        "padding": [1, 0],
        "dilation": [2, 1],
        "groups": 1,
        "bias": b2,
    }
    out["Conv2d"] = (
        single(c2, (2, 6, 5), (3, 4, 2)),
        per_sample(lambda x: conv_ref(x, w2, b2, (1, 2), (1, 0), (2, 1), 1)),
        (2, 6, 5),
    )
    pool = {"kernel_size": [2, 2], "stride": [2, 1], "padding": [1, 0]}
    out["SumPool2d"] = (
        single({"type": "SumPool2d", **pool}, (2, 5, 4), (2, 3, 3)),
        per_sample(lambda x: pool_ref(x, (2, 2), (2, 1), (1, 0), avg=False)),
        (2, 5, 4),
    )
    out["AvgPool2d"] = (
        single({"type": "AvgPool2d", **pool}, (2, 5, 4), (2, 3, 3)),
        per_sample(lambda x: pool_ref(x, (2, 2), (2, 1), (1, 0), avg=True)),
        (2, 5, 4),
    )
    return out


CASES = cases()


def test_every_primitive_has_a_case() -> None:
    # Input, Output and NIRGraph are exercised by every case and by nested graphs elsewhere.
    assert len(CASES) == 19 - 3


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_matches_numpy(name: str) -> None:
    graph, ref, in_shape = CASES[name]
    x = rng.uniform(-0.5, 1.5, (T, B, *in_shape))
    if name in ("IF", "LIF", "CubaLIF", "I", "LI", "CubaLI"):
        x *= 40  # drive the neurons over threshold
    got = neuro.run(graph, x, dt=DT, precision="f64").value
    want = ref(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)
    if name in ("IF", "LIF", "CubaLIF"):
        assert 0 < want.sum() < want.size, "the reference spikes, but not every step"


def test_nested_graph_equals_flat() -> None:
    w = rng.normal(size=(3, 3))
    lif = {"type": "LIF", "tau": [5e-3] * 3, "r": [1.0] * 3, "v_leak": [0.0] * 3, "v_threshold": [0.5] * 3}
    inner = {
        "type": "NIRGraph",
        "nodes": {
            "i": {"type": "Input", "shape": [3]},
            "lin": {"type": "Linear", "weight": w},
            "lif": lif,
            "o": {"type": "Output", "shape": [3]},
        },
        "edges": [["i", "lin"], ["lin", "lif"], ["lif", "o"]],
    }
    nested = {
        "nodes": {"in": {"type": "Input", "shape": [3]}, "G": inner, "out": {"type": "Output", "shape": [3]}},
        "edges": [["in", "G.i"], ["G.o", "out"]],
    }
    flat = {
        "nodes": {
            "in": {"type": "Input", "shape": [3]},
            "lin": {"type": "Linear", "weight": w},
            "lif": lif,
            "out": {"type": "Output", "shape": [3]},
        },
        "edges": [["in", "lin"], ["lin", "lif"], ["lif", "out"]],
    }
    x = rng.uniform(0, 20, (T, B, 3))
    a = neuro.run(nested, x, precision="f64", record=["G.lif.v"])
    b = neuro.run(flat, x, precision="f64", record=["lif.v"])
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.probes["G.lif.v"], b.probes["lif.v"])
