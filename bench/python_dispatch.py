"""Python-side costs of SOKR (the [python] issue's targets), measured in one run.

  * sokr.dispatch(tiny).result(): median (target <= 20 us)
  * await sokr.dispatch(tiny):      median (target <= 30 us)
  * dispatch_many throughput from one thread (target >= 50,000 dispatches/s)
  * import sokr beyond import numpy, in one fresh interpreter (target <= 15 ms; median of 15),
    and sokr's first use there (its first program: the extension and runtime load)

Usage: python bench/python_dispatch.py [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import sokr

TINY = """sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
"""


def median_latency(fn, n: int) -> float:
    """The median over n calls of one call's latency (each call timed on its own, so that the
    shared machine's occasional stalls land in the tail, not in the median)."""
    for _ in range(200):
        fn()
    clock = time.perf_counter_ns
    ts = []
    for _ in range(n):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return statistics.median(ts) / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    n = args.n
    prog = sokr.program(TINY)
    x = np.ones(4, np.float32)

    sync = median_latency(lambda: sokr.dispatch(prog, x, x).result(), n)

    async def awaited() -> float:
        for _ in range(200):
            await sokr.dispatch(prog, x, x)
        clock = time.perf_counter_ns
        ts = []
        for _ in range(n):
            t0 = clock()
            await sokr.dispatch(prog, x, x)
            ts.append(clock() - t0)
        return statistics.median(ts) / 1e9

    aw = asyncio.run(awaited())

    batch = [(x, x)] * 1000
    sokr.gather(*sokr.dispatch_many(prog, batch)).result()
    t0 = time.perf_counter()
    done = 0
    while time.perf_counter() - t0 < 2.0:
        futs = sokr.dispatch_many(prog, batch)
        for f in futs:
            f.result()
        done += len(futs)
    rate = done / (time.perf_counter() - t0)

    # `import sokr` after `import numpy` in the same fresh interpreter, so numpy's own cost
    # (which varies more than sokr's on a shared machine) is not counted; then the first
    # sokr.program there, which loads what `import sokr` leaves for first use.
    code = (
        "import time; c = time.perf_counter; t0 = c(); import numpy; t1 = c(); import sokr; t2 = c(); "
        f"sokr.program({TINY!r}); t3 = c(); print(t1 - t0, t2 - t1, t3 - t2)"
    )
    runs = []
    for _ in range(15):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append([float(v) for v in r.stdout.split()])
    numpy_ms, import_ms, first_ms = (statistics.median(col) * 1e3 for col in zip(*runs, strict=True))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, sokr {sokr.__version__}"
    )
    print(f"{'measure':42} {'value':>14} {'target':>12}")
    print(f"{'dispatch(tiny).result() median':42} {sync * 1e6:11.1f} us {'<= 20 us':>12}")
    print(f"{'await dispatch(tiny) median':42} {aw * 1e6:11.1f} us {'<= 30 us':>12}")
    print(f"{'dispatch_many, one thread':42} {rate:10,.0f} /s {'>= 50,000/s':>12}")
    print(f"{'import numpy (for reference)':42} {numpy_ms:11.1f} ms")
    print(f"{'import sokr, after import numpy':42} {import_ms:11.1f} ms {'<= 15 ms':>12}")
    print(f"{'first sokr.program after that':42} {first_ms:11.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
