"""SOKR's demo: the three operations from Python.

Capability (who can run this?), Dispatch (run it; a future comes back at once) and
Completion (wait, or await), on a few native tensor programs, showing which substrate ran
each and how bad input is reported.

    make demo        # builds the wheel, installs it in a fresh virtualenv, runs this
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

import sokr

LAYER = """sokr.native/1
# y = relu(x @ w + b), and the row sums of y
param x: f32[4,3]
param w: f32[3,2]
b: f32[2] = const [0.5,-1]
bb: f32[4,2] = broadcast b
xw: f32[4,2] = matmul x, w
z: f32[4,2] = add xw, bb
y: f32[4,2] = relu z
s: f32[4] = reduce_sum y, axes=[1]
return y, s
"""

SAXPY = """sokr.native/1
param x: f32[1000000]
param y: f32[1000000]
a: f32[] = const 2
ax: f32[1000000] = mul a, x
out: f32[1000000] = add ax, y
return out
"""


def main() -> None:
    print(f"sokr {sokr.__version__}")
    print(
        "substrates:",
        ", ".join(f"{s.name} ({s.kind}, blas={s.properties.get('blas')})" for s in sokr.substrates()),
    )
    print("IRs:", ", ".join(sokr.irs()))

    layer = sokr.program(LAYER)  # the IR is detected
    print(f"\n{layer!r}")
    for offer in sokr.capability(layer):
        verdict = f"no: {offer.reason}"
        if offer.ok:
            verdict = (
                f"yes, ~{offer.estimate_seconds * 1e6:.1f} µs"
                if offer.estimate_seconds
                else "yes (no time estimate)"
            )
        print(f"  capability on {offer.substrate}: {verdict}")

    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [-1, -2, -3]], np.float32)
    w = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], np.float32)
    fut = sokr.dispatch(layer, x, w)  # returns at once
    res = fut.result()
    print(f"  ran on {res.substrate} in {res.timings.elapsed * 1e6:.0f} µs")
    print("  y =", np.round(res["y"], 4).tolist())
    print("  s =", np.round(res["s"], 4).tolist())

    saxpy = sokr.program(SAXPY)
    xs, ys = np.random.default_rng(0).random((2, 1_000_000), dtype=np.float32)
    sokr.run(saxpy, xs, ys)  # the first run compiles the plan
    t = time.perf_counter()
    out = sokr.run(saxpy, xs, ys)
    print(
        f"\nfused 2*x + y over 1M floats on {out.substrate}: {(time.perf_counter() - t) * 1e3:.2f} ms,",
        "matches numpy:",
        bool(np.allclose(out.value, 2 * xs + ys)),
    )

    async def sweep() -> list[sokr.Result]:
        return await asyncio.gather(*(sokr.dispatch(layer, x * k, w) for k in range(100)))

    results = asyncio.run(sweep())
    print(f"awaited 100 dispatches concurrently; substrates used: {sorted({r.substrate for r in results})}")

    gpus = [s for s in sokr.substrates() if s.kind == "gpu"]
    if gpus:  # a Vulkan device (lavapipe counts: Vulkan on the CPU)
        g = gpus[0]
        on_gpu = sokr.run(layer, x, w, substrate=g.name)
        print(
            f"the same layer on {g.name} ({g.properties['device_name']}): "
            f"matches the cpu: {bool(np.allclose(on_gpu['y'], res['y'], atol=1e-5))}, "
            f"kernels {int(on_gpu.meta['gpu_time_ns']) / 1e3:.0f} µs by the device's clock"
        )
    else:
        print("no Vulkan device:", sokr.default_runtime().info()["failures"].get("vulkan", "?"))

    from sokr import neuro, quantum

    bell = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; cx q[0], q[1]; measure q -> c;'
    counts = quantum.sample(bell, shots_count=1000, seed=1)
    print(f"\na Bell pair on {counts.substrate}: {dict(counts)}")

    lif = {
        "nodes": {
            "in": {"type": "Input", "shape": [1]},
            "lif": {"type": "LIF", "tau": [2e-3], "r": [1.0], "v_leak": [0.0], "v_threshold": [1.0]},
            "out": {"type": "Output", "shape": [1]},
        },
        "edges": [["in", "lif"], ["lif", "out"]],
    }
    drive = np.full((200, 1, 1), 5.0, np.float32)
    for opts in ({}, {"solver": "exact", "reset": "subtract"}):
        r = neuro.run(lif, drive, **opts)
        print(
            f"a LIF neuron on {r.substrate} ({r.semantics['solver']}, reset {r.semantics['reset']}): "
            f"{int(r.value.sum())} spikes in {r.steps} steps"
        )

    print("\nbad input is a clear, typed error:")
    for attempt in (
        lambda: sokr.run(layer, w, x),
        lambda: sokr.program("sokr.native/1\nparam x: f32[2]\ny: f32[3] = exp x\nreturn y\n"),
        lambda: sokr.run(layer, x, w, substrate="qpu"),
    ):
        try:
            attempt()
        except sokr.SokrError as e:
            print(f"  {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
