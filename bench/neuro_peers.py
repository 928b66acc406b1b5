"""Time the Open Neuromorphic CPU benchmark with peer simulators.

Workload (issue 5): Linear(n, n) + LIF, batch 16, 500 steps, n = 4096, with
Bernoulli input spikes of a given activity, forward only, on the CPU. Each
peer runs its usual per-step loop (a dense Linear each step, then its LIF
cell) under torch.no_grad(). The LIF matches the SOKR benchmark
(pkg/substrate/snn/bench_test.go): tau = 10 ms at dt = 1 ms (beta = 0.9),
threshold 1, reset to zero.

Each ``*_seconds`` function returns the best wall time in seconds over
``repeats`` runs (input generation excluded), or raises ImportError when the
peer is not installed. Run standalone::

    python bench/neuro_peers.py [--n 4096] [--activity 0.1 1.0] [--threads 2]

Each line gives the best wall time and the least process CPU time (all threads). On a shared
machine compare single-threaded runs by CPU time::

    GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1 python bench/neuro_peers.py --threads 1

Peers are optional extras (pip install ".[bench-neuro]"): snntorch, norse (both pull in torch).
SOKR runs the same weights and inputs through sokr.neuro, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

N, BATCH, STEPS = 4096, 16, 500
DT, TAU, THRESHOLD = 1e-3, 1e-2, 1.0


def _inputs(n: int, activity: float, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    return (torch.rand(STEPS, BATCH, n, generator=g) < activity).float()


def _linear(n: int):
    import torch

    torch.manual_seed(0)
    lin = torch.nn.Linear(n, n, bias=False)
    with torch.no_grad():
        lin.weight.normal_(0.0, 8.0 / n**0.5)  # as bench_test.go: the LIF fires
    return lin


# The least process CPU time (all threads) of the last _best call's runs: on a machine that
# other work shares, wall times of multi-threaded loops swing with the load (spinning
# threads wait for descheduled ones), while the CPU time of a single-threaded run
# (--threads 1, with GOMAXPROCS=1 and OPENBLAS_NUM_THREADS=1 for SOKR) is the work done.
last_cpu = float("nan")


def _best(run: Callable[[], None], repeats: int) -> float:
    global last_cpu
    best, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    last_cpu = cpu
    return best


def snntorch_seconds(n: int = N, activity: float = 0.1, repeats: int = 3) -> float:
    """snnTorch: nn.Linear + snn.Leaky(beta = 1 - dt/tau, reset "zero")."""
    import snntorch
    import torch

    x, lin = _inputs(n, activity), _linear(n)
    lif = snntorch.Leaky(beta=1 - DT / TAU, threshold=THRESHOLD, reset_mechanism="zero")

    def run() -> None:
        with torch.no_grad():
            mem = lif.init_leaky()
            for t in range(STEPS):
                _spk, mem = lif(lin(x[t]), mem)

    return _best(run, repeats)


def norse_seconds(n: int = N, activity: float = 0.1, repeats: int = 3) -> float:
    """Norse: nn.Linear + LIFBoxCell (NIR's LIF: no synaptic current)."""
    import torch
    from norse.torch import LIFBoxCell, LIFBoxParameters

    x, lin = _inputs(n, activity), _linear(n)
    p = LIFBoxParameters(
        tau_mem_inv=torch.tensor(1 / TAU), v_th=torch.tensor(THRESHOLD), v_reset=torch.tensor(0.0)
    )
    cell = LIFBoxCell(p, dt=DT)

    def run() -> None:
        with torch.no_grad():
            state = None
            for t in range(STEPS):
                _z, state = cell(lin(x[t]), state)

    return _best(run, repeats)


def torch_batched_seconds(n: int = N, activity: float = 0.1, repeats: int = 3) -> float:
    """Plain PyTorch with the Linear over all steps in one matmul (what SOKR
    does for a feed-forward layer), then the LIF loop: a reference point,
    not a peer."""
    import torch

    x, lin = _inputs(n, activity), _linear(n)
    beta = 1 - DT / TAU

    def run() -> None:
        with torch.no_grad():
            cur = lin(x.reshape(STEPS * BATCH, n)).reshape(STEPS, BATCH, n) * (DT / TAU)
            v = torch.zeros(BATCH, n)
            for t in range(STEPS):
                v = beta * v + cur[t]
                z = v > THRESHOLD
                v = torch.where(z, torch.zeros_like(v), v)

    return _best(run, repeats)


def sokr_seconds(n: int = N, activity: float = 0.1, repeats: int = 3) -> float:
    """SOKR's snn substrate through sokr.neuro, on the same weights and inputs: a NIR graph
    Input -> Linear -> LIF(tau, r = tau/dt so that v <- beta v + W x as in snnTorch) ->
    Output, Euler, reset to zero, f32."""
    import numpy as np

    from sokr import neuro

    x, lin = _inputs(n, activity), _linear(n)
    graph = neuro.load(
        {
            "nodes": {
                "in": {"type": "Input", "shape": [n]},
                "lin": {"type": "Linear", "weight": lin.weight.detach().numpy().astype(np.float64)},
                "lif": {
                    "type": "LIF",
                    "tau": np.full(n, TAU),
                    "r": np.full(n, TAU / DT),
                    "v_leak": np.zeros(n),
                    "v_threshold": np.full(n, THRESHOLD),
                },
                "out": {"type": "Output", "shape": [n]},
            },
            "edges": [["in", "lin"], ["lin", "lif"], ["lif", "out"]],
        }
    )
    xs = np.ascontiguousarray(x.numpy())

    def run() -> None:
        neuro.run(graph, xs, dt=DT, reset="zero")

    return _best(run, repeats)


PEERS: dict[str, Callable[..., float]] = {
    "snntorch": snntorch_seconds,
    "norse": norse_seconds,
    "torch (batched Linear)": torch_batched_seconds,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=N)
    ap.add_argument("--activity", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads; n={args.n} batch={BATCH} steps={STEPS}")
    for activity in args.activity:
        times = {}
        for name, fn in {"sokr": sokr_seconds, **PEERS}.items():
            try:
                s = fn(args.n, activity, args.repeats)
            except ImportError as e:
                print(f"{name:24s} activity {activity:4.2f}: not installed ({e})")
                continue
            times[name] = s
            ups = args.n * BATCH * STEPS / s
            print(
                f"{name:24s} activity {activity:4.2f}: {s:8.3f} s  {ups:.3g} neuron-updates/s"
                f"  (CPU {last_cpu:.3f} s)"
            )
        peers = {k: v for k, v in times.items() if k in ("snntorch", "norse")}
        if "sokr" in times and peers:
            best = min(peers, key=peers.__getitem__)
            ratio = peers[best] / times["sokr"]
            print(f"  fastest peer ({best}) / sokr at activity {activity:.2f}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
