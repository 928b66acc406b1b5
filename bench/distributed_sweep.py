"""A sweep of small circuits on a 2-worker Dask LocalCluster against the same sweep run locally.

Workload (the [dask] issue's): 2,000 runs of a 2-qubit parameterised circuit (ry(theta), cx,
measure; 100 shots each), each theta a run of its own. Reported: throughput (runs per second)
locally through sokr.dispatch_many and on the cluster through DaskSubstrate.sweep, the
per-task overhead on the cluster, and Dask's own overhead per no-op task (client.map of a
function that returns its argument) on the same cluster, measured in the same run. The
results of the two sweeps are checked to be identical (same seeds).

Usage: python bench/distributed_sweep.py [--runs 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

KERNEL = """OPENQASM 3;
include "stdgates.inc";
input float theta;
qubit[2] q;
bit[2] c;
ry(theta) q[0];
cx q[0], q[1];
c = measure q;
"""


def _noop(x: int) -> int:
    return x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import distributed

    import sokr
    from sokr.distributed import DaskSubstrate

    thetas = np.linspace(0, np.pi, args.runs)
    sets = [(t,) for t in thetas]
    prog = sokr.program(KERNEL)

    t0 = time.perf_counter()
    local = [f.result() for f in sokr.dispatch_many(prog, sets, substrate="statevec", shots=100, seed=5)]
    t_local = time.perf_counter() - t0

    with (
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        ) as lc,
        distributed.Client(lc) as client,
        DaskSubstrate(client) as ds,
    ):
        ds.capability(prog)  # the workers import SOKR and parse once before the clock starts
        client.gather(client.map(_noop, range(10)))
        t0 = time.perf_counter()
        futs = ds.sweep(prog, sets, shots=100, seed=5)
        remote = [r.result() for r in sokr.as_completed(futs)]
        t_dask = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.gather(client.map(_noop, range(args.runs), pure=False))
        t_noop = time.perf_counter() - t0
        same = [f.result().domain_values["counts"] for f in futs] == [
            r.domain_values["counts"] for r in local
        ]

    print(f"{args.runs} runs of a 2-qubit circuit, 100 shots each; {args.workers} workers (processes)")
    print(f"local (sokr.dispatch_many on statevec): {t_local:7.3f} s  {args.runs / t_local:8.0f} runs/s")
    print(f"dask  (DaskSubstrate.sweep):           {t_dask:7.3f} s  {args.runs / t_dask:8.0f} runs/s")
    per, noop = t_dask / args.runs * 1e3, t_noop / args.runs * 1e3
    print(f"per task on the cluster: {per:.2f} ms; Dask's no-op task: {noop:.2f} ms")
    print(f"results identical: {same}; {len(remote)} results streamed back")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
