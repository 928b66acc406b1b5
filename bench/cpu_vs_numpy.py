"""Side-by-side: SOKR's cpu substrate against numpy on the same machine, in one run.

Workloads (the [core] issue's targets):
  * the Capability + Dispatch + Completion round trip of a tiny program (median <= 2 us);
  * fused a*x + y over 10M float32 (target: SOKR >= 1.5x numpy's speed);
  * 1024x1024 float32 matmul (target: SOKR's BLAS path >= 0.7x numpy's speed; the Go
    kernel's figure is reported too).

Usage: python bench/cpu_vs_numpy.py [--reps 20]
Prints a table and the ratios (numpy time / SOKR time; above 1 means SOKR is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np


def median_time(fn, reps: int) -> float:
    fn()  # warm up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--m", type=int, default=1024)
    args = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(
        ["go", "run", "./bench/cpu", "-reps", str(args.reps), "-n", str(args.n), "-m", str(args.m)],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    sokr = json.loads(proc.stdout)

    x = (np.arange(args.n) % 1000).astype(np.float32)
    y = (np.arange(args.n) % 7).astype(np.float32)
    a = np.float32(2)
    np_axpy = median_time(lambda: a * x + y, args.reps)

    ma = ((np.arange(args.m * args.m) % 13) / 13).astype(np.float32).reshape(args.m, args.m)
    mb = ((np.arange(args.m * args.m) % 11) / 11).astype(np.float32).reshape(args.m, args.m)
    np_mm = median_time(lambda: ma @ mb, args.reps)

    try:
        from threadpoolctl import threadpool_info

        np_blas = ", ".join(
            f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)" for i in threadpool_info()
        )
    except ImportError:
        np_blas = "unknown (pip install threadpoolctl)"

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"numpy BLAS: {np_blas}; SOKR BLAS: {sokr['blas']}, workers {sokr['workers']}")
    print(f"{'workload':34} {'numpy':>10} {'sokr':>10} {'numpy/sokr':>11}")
    rows = [
        (f"a*x+y f32 n={args.n}", np_axpy, sokr["axpy_f32_s"], ">= 1.5"),
        (f"matmul f32 {args.m}^3 (BLAS)", np_mm, sokr.get("matmul_f32_blas_s"), ">= 0.7"),
        (f"matmul f32 {args.m}^3 (Go kernel)", np_mm, sokr["matmul_f32_go_s"], "report"),
    ]
    for name, t_np, t_sokr, target in rows:
        if t_sokr is None:
            print(f"{name:34} {t_np * 1e3:8.2f}ms {'n/a':>10} {'(no BLAS)':>11}")
            continue
        print(f"{name:34} {t_np * 1e3:8.2f}ms {t_sokr * 1e3:8.2f}ms {t_np / t_sokr:10.2f}x  target {target}")
    print(
        f"{'round trip, tiny program (Go, median)':34} {'':>10} {sokr['roundtrip_median_s'] * 1e6:8.2f}us"
        f" {'':>11}  target <= 2 us"
    )
    flops = 2 * args.m**3
    print(
        f"matmul GFLOP/s: numpy {flops / np_mm / 1e9:.1f}, sokr BLAS "
        + (f"{flops / sokr['matmul_f32_blas_s'] / 1e9:.1f}" if sokr.get("matmul_f32_blas_s") else "n/a")
        + f", sokr Go kernel {flops / sokr['matmul_f32_go_s'] / 1e9:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
