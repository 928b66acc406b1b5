"""Side-by-side: SOKR's photonic substrate against thewalrus and Perceval, in one run.

Three workloads (issue 20's), each on the same Haar-random interferometers for every tool:

1. Permanents: one n x n permanent, SOKR against ``thewalrus.perm`` (Balasubramanian-Bax-
   Franklin-Glynn, numba), n = 10..24. SOKR computes them as chosen outcomes of a
   ``probabilities(program, outputs=[...])`` run: n photons in 2n modes, K collision-free
   outcomes, each one permanent of a different n x n submatrix; its time per permanent is
   the run's time over K (so the per-call cost of the Python boundary is shared out).
2. Full output distributions: SOKR's SLOS against Perceval's ``SLOSBackend``
   (``prob_distribution``), both from Python, results as Python mappings.
3. Exact sampling: Clifford & Clifford in both, SOKR against Perceval's
   ``Clifford2017Backend`` (exqalibur, C++), n photons in 4n modes, n = 8..16; then SOKR alone
   up the photon number until it falls under 100 samples/s.

Peers are optional (pip install perceval-quandela thewalrus); a missing one is reported.

Usage: python bench/photonic_vs_peers.py [--max-perm 24] [--max-sample 22] [--seconds 1.0]
       [--only permanents|distributions|sampling] [--sample-sizes 8,10]
Prints seconds per operation (the best of --reps runs), the cores each kept busy (CPU time
over wall time: SOKR's substrate runs on every core, GOMAXPROCS=1 limits it to one), and
ratios (peer time / SOKR time: above 1, SOKR faster); for sampling also the ratio per core
(samples per CPU-second), which holds when other work takes part of the cores.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sokr import photonic


def random_unitary(m: int, seed: int) -> np.ndarray[Any, Any]:
    """A Haar-random m x m unitary (QR of a complex Gaussian matrix, phases fixed)."""
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    return np.asarray(q * (np.diag(r) / np.abs(np.diag(r))))


def best(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    """The best wall time of reps calls, after one warm-up call (JIT, caches, page faults), and
    the cores that call kept busy (the process's CPU time over the wall time)."""
    fn()
    ts = []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append((time.perf_counter() - t0, time.process_time() - c0))
    wall, cpu = min(ts)
    return wall, cpu / wall if wall > 0 else 0.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def peer(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def ratio(peer_t: float | None, sokr_t: float) -> str:
    return f"{peer_t / sokr_t:8.2f}x" if peer_t else "       -"


# -- 1. permanents --------------------------------------------------------------------------------


def bench_permanents(ns: list[int], seconds: float, reps: int) -> None:
    thewalrus = peer("thewalrus")
    print("\n1. One n x n permanent (seconds; ratio = thewalrus / SOKR)")
    print(
        f"{'n':>3} {'SOKR':>11} {'cores':>5} {'thewalrus':>11} {'cores':>5} {'ratio':>9}"
        "  (SOKR: K outcomes per run)"
    )
    rng = np.random.default_rng(1)
    for n in ns:
        m = 2 * n
        u = random_unitary(m, seed=n)
        prog = photonic.Builder(m, (1,) * n + (0,) * n).unitary(range(m), u).build()
        # Enough outcomes for about `seconds` of work (1.2 ns per Gray-code element, doc.go).
        k = max(1, min(2000, int(seconds / (1.2e-9 * n * 2**n))))
        outs = []
        for _ in range(k):
            s = [0] * m
            for j in rng.choice(m, size=n, replace=False):
                s[j] = 1
            outs.append(tuple(s))
        t_sokr, c_sokr = best(lambda outs=outs, prog=prog: photonic.probabilities(prog, outputs=outs), reps)
        t_sokr /= k
        t_tw, c_tw = None, 0.0
        if thewalrus is not None:
            sub = np.ascontiguousarray(u[:n, :n])
            t_tw, c_tw = best(lambda sub=sub: thewalrus.perm(sub), reps)
        tw = f"{t_tw:11.3e} {c_tw:5.2f}" if t_tw else f"{'absent':>11} {'':>5}"
        print(f"{n:>3} {t_sokr:11.3e} {c_sokr:5.2f} {tw} {ratio(t_tw, t_sokr)}  (K={k})", flush=True)


# -- 2. distributions -----------------------------------------------------------------------------


def bench_distributions(sizes: list[tuple[int, int]], reps: int) -> None:
    pcvl = peer("perceval")
    print("\n2. Full output distribution (seconds; ratio = Perceval SLOS / SOKR)")
    print(
        f"{'n':>3} {'m':>3} {'outcomes':>9} {'SOKR':>11} {'cores':>5} {'Perceval':>11} {'cores':>5}"
        f" {'ratio':>9}"
    )
    for n, m in sizes:
        u = random_unitary(m, seed=100 + n * m)
        state = tuple(1 if i % 2 == 0 and i < 2 * n else 0 for i in range(m))
        prog = photonic.Builder(m, state).unitary(range(m), u).build()
        got: list[Any] = []
        t_sokr, c_sokr = best(lambda prog=prog, got=got: got.append(photonic.probabilities(prog)), reps)
        t_p, c_p = None, 0.0
        if pcvl is not None:
            circuit = pcvl.Unitary(pcvl.Matrix(u))
            bs = pcvl.BasicState(list(state))

            def run(circuit: Any = circuit, bs: Any = bs) -> Any:
                backend = pcvl.SLOSBackend()
                backend.set_circuit(circuit)
                backend.set_input_state(bs)
                return backend.prob_distribution()

            t_p, c_p = best(run, reps)
        tp = f"{t_p:11.3e} {c_p:5.2f}" if t_p else f"{'absent':>11} {'':>5}"
        row = f"{n:>3} {m:>3} {len(got[-1]):>9} {t_sokr:11.3e} {c_sokr:5.2f} {tp} {ratio(t_p, t_sokr)}"
        print(row, flush=True)


# -- 3. sampling ------------------------------------------------------------------------------------


def sokr_sample_seconds(prog: Any, seconds: float, reps: int) -> tuple[float, float]:
    """Seconds per sample and cores used: a pilot run sizes a run of about `seconds`."""
    t0 = time.perf_counter()
    photonic.sample(prog, shots=20, seed=1)
    per = (time.perf_counter() - t0) / 20
    shots = max(20, min(200_000, int(seconds / per)))
    t, cores = best(lambda: photonic.sample(prog, shots=shots, seed=2), reps)
    return t / shots, cores


def bench_sampling(ns: list[int], more: list[int], seconds: float, reps: int) -> None:
    pcvl = peer("perceval")
    print(
        "\n3. Exact sampling, n photons in 4n modes (samples per second; ratio = SOKR rate / Perceval rate)"
    )
    print(
        f"{'n':>3} {'m':>3} {'SOKR':>11} {'cores':>5} {'Perceval':>11} {'cores':>5} {'ratio':>9}"
        f" {'per core':>9}"
    )
    largest = None
    for n in ns + more:
        m = 4 * n
        u = random_unitary(m, seed=200 + n)
        state = (1,) * n + (0,) * (m - n)
        prog = photonic.Builder(m, state).unitary(range(m), u).build()
        t_sokr, c_sokr = sokr_sample_seconds(prog, seconds, reps)
        t_p, c_p = None, 0.0
        if pcvl is not None and n in ns:
            backend = pcvl.Clifford2017Backend()
            backend.set_circuit(pcvl.Unitary(pcvl.Matrix(u)))
            backend.set_input_state(pcvl.BasicState(list(state)))
            t0 = time.perf_counter()
            backend.samples(20)
            per = (time.perf_counter() - t0) / 20
            count = max(20, min(200_000, int(seconds / per)))
            t_p, c_p = best(lambda backend=backend, count=count: backend.samples(count), reps)
            t_p /= count
        tp = f"{1 / t_p:11.1f} {c_p:5.2f}" if t_p else f"{'-':>11} {'':>5}"
        # Per core: the rates over the cores each kept busy (samples per CPU-second), the
        # ratio that holds up when other work takes a share of the 2 cores during one run.
        per_core = ratio(t_p * c_p, t_sokr * c_sokr) if t_p and c_p and c_sokr else "       -"
        row = f"{n:>3} {m:>3} {1 / t_sokr:11.1f} {c_sokr:5.2f} {tp} {ratio(t_p, t_sokr)} {per_core}"
        print(row, flush=True)
        if 1 / t_sokr >= 100:
            largest = n
        elif n in more:
            break
    print(f"\nLargest photon number SOKR samples at >= 100 samples/s (in 4n modes): {largest}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-perm", type=int, default=24, help="largest permanent (default 24)")
    ap.add_argument("--max-sample", type=int, default=22, help="largest photon number sampled by SOKR alone")
    ap.add_argument("--seconds", type=float, default=1.0, help="about how long one timed run takes")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per point (the best is kept)")
    ap.add_argument(
        "--only",
        choices=("permanents", "distributions", "sampling"),
        help="run this section alone (default: all three)",
    )
    ap.add_argument(
        "--sample-sizes", help="comma-separated photon numbers to compare sampling at (default 8,10,12,14,16)"
    )
    args = ap.parse_args()
    print(f"{cpu_name()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"start: {load()}")
    for name in ("thewalrus", "perceval"):
        mod = peer(name)
        print(f"  {name}: {getattr(mod, '__version__', 'absent') if mod else 'absent'}")
    if args.only in (None, "permanents"):
        bench_permanents(list(range(10, args.max_perm + 1, 2)), args.seconds, args.reps)
    if args.only in (None, "distributions"):
        bench_distributions([(4, 8), (6, 12), (8, 16), (6, 24)], args.reps)
    if args.only in (None, "sampling"):
        sizes = [int(x) for x in args.sample_sizes.split(",")] if args.sample_sizes else [8, 10, 12, 14, 16]
        bench_sampling(sizes, list(range(max(sizes) + 1, args.max_sample + 1)), args.seconds, args.reps)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
