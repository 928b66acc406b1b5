"""Side-by-side: SOKR's statevec substrate against Qiskit Aer and qsim, in one run.

Workload (the [quantum] issue's): random depth-20 circuits at 20, 24 and 26 qubits. Every
simulator runs the same OpenQASM 2 text (each layer: rz, ry, rz on every qubit, then a
brickwork of cz) from |0...0> to the final state vector in complex128 on the same cores.
Goals at 24 qubits and up: SOKR at least 1.0x Aer's speed; SOKR complex64 at least 1.2x qsimcirq's
(single precision) and SOKR complex128 at least 0.5x it (issue 17).

Peers are optional (pip install '.[bench-quantum]'); missing ones are reported as such.

Usage: python bench/quantum_vs_peers.py [--qubits 20 24 26] [--depth 20] [--reps 3]
Prints seconds per circuit (median wall time, and the median CPU time of the process, which moves
less when other work shares the machine) and ratios (peer time / SOKR time at the peer's precision:
Aer double against SOKR complex128, qsim's single precision against SOKR complex64, and qsim
against SOKR complex128 too; above 1: SOKR faster), and the per-call overhead of a 2-qubit sample.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable

import numpy as np


def random_qasm(n: int, depth: int, seed: int) -> str:
    rng = random.Random(seed)
    out = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{n}];"]
    for layer in range(depth):
        for q in range(n):
            a, b, c = (rng.uniform(-np.pi, np.pi) for _ in range(3))
            out.append(f"rz({a!r}) q[{q}]; ry({b!r}) q[{q}]; rz({c!r}) q[{q}];")
        out.extend(f"cz q[{q}], q[{q + 1}];" for q in range(layer % 2, n - 1, 2))
    return "\n".join(out) + "\n"


def median_time(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    """Median wall and CPU seconds of fn (the CPU time of this process, every thread)."""
    fn()  # warm up: parsing, pipeline set-up, page faults on the first state
    ts, cs = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return statistics.median(ts), statistics.median(cs)


def sokr_runner(text: str, threads: int, precision: str = "complex128") -> Callable[[], object]:
    import sokr

    prog = sokr.program(text)
    return lambda: sokr.dispatch(prog, substrate="statevec", mode="state", precision=precision).result()[
        "state"
    ]


def aer_runner(text: str, threads: int) -> Callable[[], object]:
    import qiskit.qasm2
    from qiskit_aer import AerSimulator

    circ = qiskit.qasm2.loads(text)
    circ.save_statevector()
    sim = AerSimulator(method="statevector", precision="double", max_parallel_threads=threads)
    return lambda: sim.run(circ, shots=1).result().get_statevector()


def qsim_runner(text: str, threads: int) -> Callable[[], object]:
    import qsimcirq
    from cirq.contrib.qasm_import import circuit_from_qasm

    circ = circuit_from_qasm(text)
    # qsim's recommended fusion size for CPUs with AVX is 4 (qsimcirq docs, "max_fused_gate_size").
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads, max_fused_gate_size=4))
    return lambda: sim.simulate(circ).final_state_vector


PEERS = {"qiskit-aer": aer_runner, "qsimcirq": qsim_runner}
# Each peer is compared with SOKR at its own precision: Aer in double, qsim in single.
PRECISION = {"qiskit-aer": "complex128", "qsimcirq": "complex64"}

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;\n'
)


def call_overhead(calls: int = 2000) -> dict[str, float]:
    """Median microseconds per call of a 2-qubit, 100-shot sample, as a user calls it (the
    goal: sokr.quantum.sample at most 50 us; CUDA-Q's is about 200 us), with the peers'
    equivalents where installed."""

    def per_call(fn: Callable[[], object]) -> float:
        for _ in range(50):
            fn()
        ts = []
        for _ in range(calls):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts) * 1e6

    from sokr import quantum

    out = {"sokr.quantum.sample": per_call(lambda: quantum.sample(BELL, shots_count=100))}
    try:
        import qiskit.qasm2
        from qiskit_aer import AerSimulator

        circ, sim = qiskit.qasm2.loads(BELL), AerSimulator()
        out["qiskit-aer run"] = per_call(lambda: sim.run(circ, shots=100).result().get_counts())
    except ImportError:
        pass
    try:
        import cudaq  # type: ignore[import-not-found]

        @cudaq.kernel  # type: ignore[misc]
        def bell() -> None:
            q = cudaq.qvector(2)
            h(q[0])  # noqa: F821 - cudaq kernel builtins
            x.ctrl(q[0], q[1])  # noqa: F821
            mz(q)  # noqa: F821

        out["cudaq.sample"] = per_call(lambda: cudaq.sample(bell, shots_count=100))
    except ImportError:
        pass
    return out


def check_same_state(text: str, threads: int) -> None:
    """The peers and SOKR agree on a small circuit (a wrong simulator is never fast)."""
    ref = np.asarray(sokr_runner(text, threads)())
    for name, make in PEERS.items():
        try:
            got = np.asarray(make(text, threads)())
        except ImportError:
            continue
        if name == "qsimcirq":  # cirq orders qubit 0 as the most significant bit
            n = int(np.log2(ref.size))
            got = got.reshape([2] * n).transpose(list(reversed(range(n)))).reshape(-1)
        fid = abs(np.vdot(ref, got)) ** 2
        assert fid > 1 - 1e-6, f"{name} disagrees with SOKR: fidelity {fid}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qubits", type=int, nargs="+", default=[20, 24, 26])
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cpus; threads={args.threads}")
    check_same_state(random_qasm(10, 8, 1), args.threads)
    for name, us in call_overhead().items():
        print(f"per-call overhead, 2 qubits, 100 shots: {name:24s} {us:8.1f} us")
    print(f"{'qubits':>6} {'simulator':>16} {'s/circuit':>10} {'cpu-s':>8}  peer time / SOKR time (wall cpu)")
    for n in args.qubits:
        text = random_qasm(n, args.depth, seed=n)
        t_sokr = {}
        for prec in ("complex128", "complex64"):
            t_sokr[prec] = median_time(sokr_runner(text, args.threads, prec), args.reps)
            print(f"{n:>6} {'sokr ' + prec:>16} {t_sokr[prec][0]:>10.3f} {t_sokr[prec][1]:>8.3f}", flush=True)
        for name, make in PEERS.items():
            try:
                run = make(text, args.threads)
            except ImportError:
                print(f"{n:>6} {name:>16} {'not installed':>19}")
                continue
            t, c = median_time(run, args.reps)
            vs = [PRECISION[name]] + (["complex128"] if name == "qsimcirq" else [])
            ratios = ", ".join(f"{t / t_sokr[p][0]:.2f} {c / t_sokr[p][1]:.2f} vs sokr {p}" for p in vs)
            print(f"{n:>6} {name:>16} {t:>10.3f} {c:>8.3f}  {ratios}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
