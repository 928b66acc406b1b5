"""Writes notebooks/07-photonic.ipynb.

Run it after changing a cell:

    .venv/bin/python notebooks/gen/07-photonic.py

Cell ids are hashes of the cells' text, so an unchanged cell keeps its id.
"""

from __future__ import annotations

import hashlib
import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "notebooks" / "07-photonic.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """\
# Linear optics: the photonic substrate

`sokr.photonic` runs linear-optics programs: photons in a Fock state pass beam splitters, phase
shifters, arbitrary unitaries and loss channels, and are counted by photon-number-resolving or
threshold detectors. Two questions can be asked of a program, each with an `_async` twin:

- `photonic.sample(program, shots=..., seed=...)`: output states drawn by Clifford & Clifford's
  exact algorithm, as `Counts`;
- `photonic.probabilities(program)`: the exact output distribution (SLOS), or with
  `outputs=[...]` the probabilities of chosen outcomes (one permanent each), as `Probabilities`.

Results are mappings from output Fock states (tuples of photon numbers, mode 0 first) to counts
or probabilities. The components follow Perceval's conventions: `bs` is Perceval's
`BS(theta, ...)` (balanced by default), `ps` is `PS(phi)`.""",
    ),
    (
        "code",
        """\
import asyncio, math
import numpy as np
import matplotlib.pyplot as plt
import sokr
from sokr import photonic, quantum

[s for s in sokr.substrates() if s.kind == "photonic"]""",
    ),
    (
        "md",
        """\
## The Hong-Ou-Mandel dip

Two indistinguishable photons meet on a balanced beam splitter: they always leave together.
`|1,1>` in, never `|1,1>` out.""",
    ),
    (
        "code",
        """\
hom = photonic.Builder(2, input_state=(1, 1)).bs(0, 1)
print(hom)
photonic.probabilities(hom)""",
    ),
    ("code", "photonic.sample(hom, shots=2000, seed=1)"),
    (
        "md",
        """\
The dip as the beam splitter's reflectivity cos²(θ/2) varies, against what photons that
cannot interfere (distinguishable ones) would do: each takes its own path, with coincidences
R² + T². The quantum curve is cos²θ, zero at the balanced splitter. The 122 runs go out at
once with `probabilities_async` and are awaited together.""",
    ),
    (
        "code",
        """\
thetas = np.linspace(0, math.pi, 61)
both = [photonic.Builder(2, (1, 1)).bs(0, 1, float(t)) for t in thetas]
one = [photonic.Builder(2, (1, 0)).bs(0, 1, float(t)) for t in thetas]
quantum_runs = await asyncio.gather(*(photonic.probabilities_async(b, outputs=[(1, 1)]) for b in both))
single_runs = await asyncio.gather(*(photonic.probabilities_async(b, outputs=[(1, 0)]) for b in one))
coincidences = np.array([p[(1, 1)] for p in quantum_runs])
reflectivity = np.array([p[(1, 0)] for p in single_runs])
distinguishable = reflectivity**2 + (1 - reflectivity) ** 2
assert coincidences[30] < 1e-12 and np.allclose(coincidences, np.cos(thetas) ** 2)

plt.plot(thetas, coincidences, label="indistinguishable photons")
plt.plot(thetas, distinguishable, "--", label="distinguishable photons")
plt.xlabel("θ (reflectivity cos²(θ/2))"); plt.ylabel("P(|1,1>)"); plt.legend();""",
    ),
    (
        "md",
        """\
## A boson-sampling experiment

Four photons in a Haar-random 12-mode interferometer. The samples are exact (Clifford &
Clifford), so their frequencies approach the exact probabilities; the total variation
distance between the two shrinks as 1/√shots.""",
    ),
    (
        "code",
        """\
def haar_unitary(m, seed):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))

m, n = 12, 4
interferometer = photonic.Builder(m, (1,) * n + (0,) * (m - n)).unitary(range(m), haar_unitary(m, 7))
counts = await photonic.sample_async(interferometer, shots=20000, seed=7)
exact = photonic.probabilities(interferometer)
tvd = 0.5 * sum(abs(counts.probability(s) - p) for s, p in exact.items())
print(f"{len(exact)} possible outcomes, {len(counts)} seen; total variation distance {tvd:.3f}")
counts""",
    ),
    (
        "code",
        """\
top = counts.most_probable(12)
x = np.arange(len(top))
plt.figure(figsize=(9, 3))
plt.bar(x - 0.2, [counts.probability(s) for s in top], 0.4, label="sampled (20000 shots)")
plt.bar(x + 0.2, [exact[s] for s in top], 0.4, label="exact (SLOS)")
plt.xticks(x, [photonic.fock_string(s) for s in top], rotation=90); plt.legend();""",
    ),
    (
        "md",
        """\
Bosons bunch: outcomes with two or more photons in one mode are more likely than for
distinguishable particles. With loss (each photon kept with probability 0.8) some outcomes
have fewer photons; `photon_numbers()` sums the distribution by total photon number.""",
    ),
    (
        "code",
        """\
bunched = sum(p for s, p in exact.items() if max(s) > 1)
print(f"probability of a bunched outcome: {bunched:.3f}")
lossy = photonic.probabilities(interferometer.copy().loss(0.8))
{k: round(v, 4) for k, v in lossy.photon_numbers().items()}""",
    ),
    (
        "md",
        """\
## Programs from Perceval and from `cudaq.orca` arguments

A Perceval `Processor` (or a `Circuit` with `input_state=`) is converted by reading its
components; what a photonic program cannot express (polarization, heralds, post-selection, ...)
is refused with `photonic.UnsupportedComponentError`. The result equals Perceval's own.""",
    ),
    (
        "code",
        """\
try:
    import perceval as pcvl
except ImportError:
    print("Perceval is not installed: pip install perceval-quandela")
else:
    proc = pcvl.Processor("SLOS", 3)
    proc.add(0, pcvl.BS(theta=0.8))
    proc.add(1, pcvl.PS(0.3))
    proc.add(1, pcvl.BS.H())
    proc.add(2, pcvl.Detector.threshold())
    proc.with_input(pcvl.BasicState([1, 1, 0]))
    print(photonic.from_perceval(proc))
    ours = photonic.probabilities(proc)
    theirs = {tuple(k): v for k, v in proc.probs()["results"].items()}
    worst = max(abs(ours.get(k, 0) - theirs.get(k, 0)) for k in {*ours, *theirs})
    print("largest difference from Perceval:", worst)""",
    ),
    (
        "md",
        """\
`photonic.orca.sample` takes the arguments of `cudaq.orca.sample` (ORCA's time-bin
interferometer: an input state, loop lengths, beam-splitter and optional phase-shifter angles,
a number of samples) and reproduces the interferometer of CUDA-Q's photonic simulator;
`strings("cudaq")` gives CUDA-Q's keys.""",
    ),
    (
        "code",
        """\
from sokr.photonic import orca

input_state = [1, 0, 1, 0, 1, 0, 1, 0]
loop_lengths = [1, 1]
bs_angles = np.linspace(np.pi / 8, np.pi / 3, orca.beam_splitters(len(input_state), loop_lengths))
tbi = orca.sample(input_state, loop_lengths, bs_angles, n_samples=10000, seed=3)
{photonic.fock_string(s, "cudaq"): tbi[s] for s in tbi.most_probable(8)}""",
    ),
    (
        "md",
        """\
## Cross-check on the state-vector substrate

The same programs, run as qubit circuits on `statevec`, should give the same distributions.
An occupation-number ("Fock-space") encoding, a few qubits per mode, is not simple: a beam
splitter becomes a multi-qubit unitary on those registers with no short decomposition into
standard gates, so it is not done here. A **first-quantised** encoding is simple for two
photons: each photon gets a register of log₂(modes) qubits holding its mode, and the two-photon
input is symmetrised, (|a⟩|b⟩ + |b⟩|a⟩)/√2, as bosons require. A component then acts on each
register alone: a beam splitter between modes that differ in one bit is an `rx(-θ)` on that
bit (controlled by the other bits), a phase shifter a phase on one register value. Counting
the registers in each mode turns the qubit distribution into the Fock distribution.""",
    ),
    (
        "code",
        """\
def first_quantised(modes, a, b, ops):
    \"\"\"OpenQASM 3 for two photons entering modes a != b of an interferometer of 2 or 4 modes
    made of ("bs", m1, m2, theta) on modes that differ in one bit and ("ps", mode, phi).\"\"\"
    k = modes.bit_length() - 1  # qubits per photon
    assert modes == 1 << k and k in (1, 2) and a != b
    q = lambda r, i: f"q[{r * k + i}]"
    anc = f"q[{2 * k}]"
    out = ["OPENQASM 3;", 'include "stdgates.inc";', f"qubit[{2 * k + 1}] q;"]
    out += [f"x {q(r, i)};" for r, mode in ((0, a), (1, b)) for i in range(k) if mode >> i & 1]
    # (|0>|a,b> + |1>|b,a>)/√2, then the ancilla is uncomputed from a bit where a and b differ.
    out += [f"h {anc};"] + [f"cswap {anc}, {q(0, i)}, {q(1, i)};" for i in range(k)]
    out.append(f"cx {q(0, ((a ^ b) & -(a ^ b)).bit_length() - 1)}, {anc};")
    for kind, mode, *rest in ops:
        for r in (0, 1):
            if kind == "bs":
                other, theta = rest
                bit = (mode ^ other).bit_length() - 1
                assert mode ^ other == 1 << bit, "bs on modes that differ in one bit"
                ctrl = [i for i in range(k) if i != bit]
                flips = [q(r, i) for i in ctrl if not mode >> i & 1]
                target = q(r, bit)
                gate = f"crx({-theta}) {q(r, ctrl[0])}, {target};" if ctrl else f"rx({-theta}) {target};"
            else:
                (phi,) = rest
                flips = [q(r, i) for i in range(k) if not mode >> i & 1]
                gate = f"cp({phi}) {q(r, 1)}, {q(r, 0)};" if k == 2 else f"p({phi}) {q(r, 0)};"
            out += [f"x {f};" for f in flips] + [gate] + [f"x {f};" for f in flips]
    return "\\n".join(out) + "\\n"


def fock_distribution(state, modes):
    \"\"\"The Fock distribution of a first-quantised two-photon state (the ancilla summed out).\"\"\"
    k = modes.bit_length() - 1
    out = {}
    for i, p in enumerate(state.probabilities()):
        if p > 1e-15:
            occ = [0] * modes
            for r in (0, 1):
                occ[(i >> (r * k)) & (modes - 1)] += 1
            out[tuple(occ)] = out.get(tuple(occ), 0.0) + p
    return out


def photonic_program(modes, a, b, ops):
    prog = photonic.Builder(modes, tuple(int(i in (a, b)) for i in range(modes)))
    for kind, mode, *rest in ops:
        prog.bs(mode, *rest) if kind == "bs" else prog.ps(mode, *rest)
    return prog


mesh = [("bs", 0, 1, 0.7), ("bs", 2, 3, 1.3), ("ps", 1, 0.4), ("bs", 0, 2, 2.1),
        ("bs", 1, 3, 0.5), ("ps", 3, 1.1), ("bs", 0, 1, 1.9)]
for name, modes, a, b, ops in [
    ("Hong-Ou-Mandel", 2, 0, 1, [("bs", 0, 1, math.pi / 2)]),
    ("4-mode interferometer", 4, 0, 3, mesh),
]:
    via_qubits = fock_distribution(quantum.get_state(first_quantised(modes, a, b, ops)), modes)
    direct = photonic.probabilities(photonic_program(modes, a, b, ops))
    worst = max(abs(via_qubits.get(s, 0.0) - direct.get(s, 0.0)) for s in {*via_qubits, *direct})
    print(f"{name}: statevec and photonic differ by at most {worst:.1e}")
    assert worst < 1e-12""",
    ),
    (
        "md",
        """\
More photons need the symmetrised superposition of every ordering of the registers, n! terms,
which this notebook does not build; the photonic substrate's own tests compare it with
thewalrus's permanents and Perceval's SLOS up to 6 photons in 12 modes instead.""",
    ),
]


def main() -> None:
    nb = new_notebook(
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    )
    for kind, text in CELLS:
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell.id = hashlib.sha1(text.encode()).hexdigest()[:8]
        nb.cells.append(cell)
    nbformat.validate(nb)
    nbformat.write(nb, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
