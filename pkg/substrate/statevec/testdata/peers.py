#!/usr/bin/env python3
"""Random benchmark circuits for the statevec substrate, and peer timings.

    peers.py gen  [--out DIR]             write random_n{20,24,26}_d20.qasm
    peers.py time [--dir DIR] [--n 20 24] [--repeat 3]
                                           time Qiskit Aer and qsimcirq on them

The circuits are OpenQASM 2: `depth` layers, each a u3 with random angles on
every qubit followed by a brickwork of cx gates (pairs (0,1), (2,3), ... on
even layers, (1,2), (3,4), ... on odd ones). bench_test.go runs the same
files (BenchmarkRandomCircuit). Timings are of the state-vector simulation
alone (no measurement; Aer's save_statevector, qsimcirq's simulate), with
--threads threads (default: all CPUs), best of --repeat runs after one
warm-up. qsimcirq simulates in single precision only; it is timed with its
default max_fused_gate_size=2 and with 4.

Peers: `python3 -m venv /tmp/qvenv && /tmp/qvenv/bin/pip install qiskit
qiskit-aer qsimcirq cirq-core ply` (ply: cirq's QASM reader).
"""

import argparse
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(HERE, "bench")


def random_qasm(n, depth, seed):
    rng = random.Random(seed)
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{n}];"]
    for layer in range(depth):
        for q in range(n):
            a = [rng.uniform(-math.pi, math.pi) for _ in range(3)]
            lines.append(f"u3({a[0]!r},{a[1]!r},{a[2]!r}) q[{q}];")
        for q in range(layer % 2, n - 1, 2):
            lines.append(f"cx q[{q}],q[{q + 1}];")
    return "\n".join(lines) + "\n"


def gen(args):
    os.makedirs(args.out, exist_ok=True)
    for n in (20, 24, 26):
        path = os.path.join(args.out, f"random_n{n}_d20.qasm")
        with open(path, "w") as f:
            f.write(random_qasm(n, 20, seed=n))
        print(path)


def best_of(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def time_aer(text, precision, repeat, threads):
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    qc = QuantumCircuit.from_qasm_str(text)
    qc.save_statevector()
    sim = AerSimulator(method="statevector", precision=precision, max_parallel_threads=threads)

    def run():
        r = sim.run(qc, shots=1).result()
        assert r.success, r.status

    return best_of(run, repeat)


def time_qsim(text, repeat, threads, fused):
    import cirq
    import qsimcirq
    from cirq.contrib.qasm_import import circuit_from_qasm

    c = circuit_from_qasm(text)
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads, max_fused_gate_size=fused))

    def run():
        sim.simulate(c)

    return best_of(run, repeat)


def time_peers(args):
    threads = args.threads
    print(f"# threads={threads}; seconds per circuit, best of {args.repeat}")
    print("circuit,aer_double,aer_single,qsimcirq_single_f2,qsimcirq_single_f4")
    for n in args.n:
        path = os.path.join(args.dir, f"random_n{n}_d20.qasm")
        with open(path) as f:
            text = f.read()
        ad = time_aer(text, "double", args.repeat, threads)
        asg = time_aer(text, "single", args.repeat, threads)
        q2 = time_qsim(text, args.repeat, threads, 2)  # qsimcirq's default
        q4 = time_qsim(text, args.repeat, threads, 4)
        print(f"{os.path.basename(path)},{ad:.4f},{asg:.4f},{q2:.4f},{q4:.4f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", default=DEFAULT_DIR)
    t = sub.add_parser("time")
    t.add_argument("--dir", default=DEFAULT_DIR)
    t.add_argument("--n", type=int, nargs="+", default=[20, 24, 26])
    t.add_argument("--repeat", type=int, default=3)
    t.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    {"gen": gen, "time": time_peers}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
