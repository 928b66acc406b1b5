"""Python-side costs of SOKR (issue 16's performance gate), measured in one run.

  * sokr.dispatch(tiny).result(): median (target <= 15 us)
  * await sokr.dispatch(tiny):      median (target <= 20 us)
  * dispatch_many throughput from one thread (target >= 80,000 dispatches/s)
  * a Python-IR dispatch (an IR plugin and a substrate written in Python), batched by
    dispatch_many: the time of a batch over its size, median of 5 batches (target <= 100 us)
  * import sokr beyond import numpy, in one fresh interpreter (target <= 15 ms; median of 15),
    and sokr's first use there (its first program: the extension and runtime load)

Usage: python bench/python_dispatch.py [--n 20000] [--no-import]
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


class Poly:
    """An IR plugin in Python: "poly:" text, held by Go as bytes."""

    format = "poly/1"

    def accepts(self, obj: object) -> bool:
        return isinstance(obj, str) and obj.startswith("poly:")

    def lower(self, obj: str) -> bytes:
        return obj.encode()


class Doubler:
    """A substrate in Python that runs poly/1 programs (it doubles its input)."""

    name = "poly-eval"

    def capability(self, program: sokr.Program) -> bool:
        return program.format == "poly/1"

    def dispatch(self, program: sokr.Program, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        return {"y": inputs[0] * 2}


def python_ir(batch: int = 2000, rounds: int = 5) -> float:
    """Seconds per Python-IR dispatch, batched by dispatch_many (median of rounds batches)."""
    rt = sokr.Runtime()
    sokr.register_ir(Poly, runtime=rt)
    sokr.register_substrate(Doubler, runtime=rt)
    p = rt.program("poly:1,2")
    x = np.ones(4)
    sets = [(x,)] * batch
    for f in rt.dispatch_many(p, sets[:200]):
        f.result()
    per = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for f in rt.dispatch_many(p, sets):
            f.result()
        per.append((time.perf_counter() - t0) / batch)
    rt.close()
    return statistics.median(per)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--no-import", action="store_true", help="skip the import measures (fresh interpreters)")
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

    pyir = python_ir()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"python {platform.python_version()}, sokr {sokr.__version__}"
    )
    print(f"{'measure':42} {'value':>14} {'target':>12}")
    print(f"{'dispatch(tiny).result() median':42} {sync * 1e6:11.1f} us {'<= 15 us':>12}")
    print(f"{'await dispatch(tiny) median':42} {aw * 1e6:11.1f} us {'<= 20 us':>12}")
    print(f"{'dispatch_many, one thread':42} {rate:10,.0f} /s {'>= 80,000/s':>12}")
    print(f"{'Python-IR dispatch, by dispatch_many':42} {pyir * 1e6:11.1f} us {'<= 100 us':>12}")
    if args.no_import:
        return 0

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
    print(f"{'import numpy (for reference)':42} {numpy_ms:11.1f} ms")
    print(f"{'import sokr, after import numpy':42} {import_ms:11.1f} ms {'<= 15 ms':>12}")
    print(f"{'first sokr.program after that':42} {first_ms:11.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
