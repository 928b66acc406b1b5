"""sokr.photonic: linear optics through the photonic substrate, checked against physics
(Hong-Ou-Mandel, beam splitters, a Mach-Zehnder), thewalrus's permanents, Perceval's SLOS and
CUDA-Q's orca-photonics simulator; sampling by a chi-square test against the exact
distribution; the async paths; and the errors bad input gets."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from scipy import stats

import sokr
from sokr import photonic
from sokr.photonic import orca

Optional = Callable[[str], ModuleType]

# The chi-square tests' significance: a fixed seed makes each test deterministic, and a correct
# sampler fails one at this level with probability 1e-3 only, for a given seed.
ALPHA = 1e-3


def hom() -> photonic.Builder:
    return photonic.Builder(2, input_state=(1, 1)).bs(0, 1)


def random_unitary(m: int, seed: int) -> np.ndarray:
    """A Haar-random m x m unitary (QR of a complex Gaussian matrix, phases fixed)."""
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def fock_states(n: int, m: int) -> list[tuple[int, ...]]:
    """Every state of n photons in m modes."""
    out = []
    for modes in itertools.combinations_with_replacement(range(m), n):
        s = [0] * m
        for k in modes:
            s[k] += 1
        out.append(tuple(s))
    return out


def spread(n: int, m: int) -> tuple[int, ...]:
    """n photons on every other mode from mode 0 (m >= 2n)."""
    return tuple(1 if i % 2 == 0 and i < 2 * n else 0 for i in range(m))


def perm_probability(
    perm: Callable[[np.ndarray], complex], u: np.ndarray, s: Sequence[int], t: Sequence[int]
) -> float:
    """|perm(U[t, s])|^2 / (prod s! prod t!): the probability of output t for input s, U[out][in]."""
    rows = [i for i, k in enumerate(t) for _ in range(k)]
    cols = [j for j, k in enumerate(s) for _ in range(k)]
    sub = u[np.ix_(rows, cols)]
    norm = math.prod(math.factorial(k) for k in s) * math.prod(math.factorial(k) for k in t)
    return float(abs(perm(sub)) ** 2 / norm)


def slos(pcvl: ModuleType, circuit: Any, s: Sequence[int]) -> dict[tuple[int, ...], float]:
    """Perceval's SLOS distribution of circuit for input s."""
    backend = pcvl.SLOSBackend()
    backend.set_circuit(circuit)
    backend.set_input_state(pcvl.BasicState(list(s)))
    return {tuple(k): float(v) for k, v in backend.prob_distribution().items()}


def assert_distributions_equal(
    got: Mapping[tuple[int, ...], float], want: Mapping[tuple[int, ...], float], tol: float = 1e-12
) -> None:
    keys = set(got) | set(want)
    worst = max((abs(got.get(k, 0.0) - want.get(k, 0.0)), k) for k in keys)
    assert worst[0] <= tol, f"largest difference {worst[0]:.3g} at {worst[1]}"


def chi_square_p(counts: Mapping[tuple[int, ...], int], probs: Mapping[tuple[int, ...], float]) -> float:
    """The p-value of Pearson's chi-square test of counts against probs, outcomes expected
    fewer than 5 times pooled into one bin (as the test's approximation needs)."""
    shots = sum(counts.values())
    assert set(counts) <= {k for k, p in probs.items() if p > 0}, "an outcome of probability 0 was sampled"
    obs, exp = [], []
    rest_o, rest_e = 0.0, 0.0
    for k, p in probs.items():
        if shots * p >= 5:
            obs.append(counts.get(k, 0))
            exp.append(shots * p)
        else:
            rest_o += counts.get(k, 0)
            rest_e += shots * p
    if rest_e > 0:
        obs.append(rest_o)
        exp.append(rest_e)
    exp_a = np.array(exp) * (shots / sum(exp))  # the probabilities sum to 1 within rounding
    return float(stats.chisquare(obs, exp_a).pvalue)


# -- physics ---------------------------------------------------------------------------------------


def test_hong_ou_mandel_dip() -> None:
    p = photonic.probabilities(hom())
    assert p[(2, 0)] == pytest.approx(0.5, abs=1e-15)
    assert p[(0, 2)] == pytest.approx(0.5, abs=1e-15)
    assert p.get((1, 1), 0.0) < 1e-15
    chosen = photonic.probabilities(hom(), outputs=[(1, 1), "|2,0>"])
    assert set(chosen) == {(1, 1), (2, 0)}
    assert chosen[(1, 1)] < 1e-15 and chosen[(2, 0)] == pytest.approx(0.5, abs=1e-15)
    c = photonic.sample(hom(), shots=2000, seed=3)
    assert c.shots == 2000 and c.count((1, 1)) == 0
    assert set(c) == {(2, 0), (0, 2)}
    # Distinguishable timing is not modelled: without interference (one photon) nothing bunches.
    one = photonic.probabilities(hom(), input_state=(1, 0))
    assert one[(1, 0)] == pytest.approx(0.5) and one[(0, 1)] == pytest.approx(0.5)


@pytest.mark.parametrize("theta", [0.0, 0.4, math.pi / 2, 2.5, math.pi])
def test_beam_splitter_reflectivity(theta: float) -> None:
    """Perceval's BS(theta): a photon stays in its mode with probability cos^2(theta/2)."""
    p = photonic.probabilities(photonic.Builder(2, (1, 0)).bs(0, 1, theta), outputs=[(1, 0), (0, 1)])
    assert p[(1, 0)] == pytest.approx(math.cos(theta / 2) ** 2, abs=1e-14)
    assert p[(0, 1)] == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-14)


@pytest.mark.parametrize("phi", [0.0, 0.7, math.pi / 2, math.pi])
def test_mach_zehnder(phi: float) -> None:
    """Two balanced beam splitters around a phase: the photon leaves in mode 1 with probability
    cos^2(phi/2) (i^2 = -1 from the two reflections turns the usual sin into cos)."""
    b = photonic.Builder(2, (1, 0)).bs(0, 1).ps(0, phi).bs(0, 1)
    p = photonic.probabilities(b, outputs=[(1, 0), (0, 1)])
    assert p[(0, 1)] == pytest.approx(math.cos(phi / 2) ** 2, abs=1e-14)
    assert p[(1, 0)] == pytest.approx(math.sin(phi / 2) ** 2, abs=1e-14)


def test_uniform_loss_and_threshold_detectors() -> None:
    """Loss keeps each photon with probability eta; a threshold detector reads 1 for any."""
    eta = 0.7
    p = photonic.probabilities(photonic.Builder(2, (2, 0)).loss(eta).detect("threshold"))
    assert p[(0, 0)] == pytest.approx((1 - eta) ** 2, abs=1e-14)
    assert p[(1, 0)] == pytest.approx(1 - (1 - eta) ** 2, abs=1e-14)
    assert p.photon_numbers() == pytest.approx({0: (1 - eta) ** 2, 1: 1 - (1 - eta) ** 2})


# -- against thewalrus and Perceval ---------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        spread(2, 4),
        (2, 1, 0, 0, 0, 0),
        spread(3, 6),
        spread(4, 8),
        spread(5, 10),
        spread(6, 12),
        (1,) * 6 + (0,) * 6,
    ],
    ids=lambda s: "".join(map(str, s)),
)
def test_random_unitary_matches_thewalrus_and_perceval(optional: Optional, state: tuple[int, ...]) -> None:
    """The full distribution (SLOS) and chosen outcomes (permanents) of a random interferometer
    equal thewalrus's permanents and Perceval's SLOS, to 1e-12, up to 6 photons in 12 modes."""
    thewalrus = optional("thewalrus")
    pcvl = optional("perceval")
    m, n = len(state), sum(state)
    u = random_unitary(m, seed=100 + 7 * m + n)
    b = photonic.Builder(m, state).unitary(range(m), u)

    got = photonic.probabilities(b)
    assert got.meta["method"] == "slos"
    want_perm = {t: perm_probability(thewalrus.perm, u, state, t) for t in fock_states(n, m)}
    want_slos = slos(pcvl, pcvl.Unitary(pcvl.Matrix(u)), state)
    assert_distributions_equal(got, want_perm)
    assert_distributions_equal(got, want_slos)
    assert got.total() == pytest.approx(1.0, abs=1e-12)

    rng = np.random.default_rng(n)
    every = fock_states(n, m)
    outs = [every[i] for i in rng.choice(len(every), size=min(12, len(every)), replace=False)]
    chosen = photonic.probabilities(b, outputs=outs)
    assert chosen.meta["method"] != "slos"
    assert_distributions_equal(chosen, {t: want_perm[t] for t in outs})


def random_perceval_circuit(pcvl: ModuleType, m: int, seed: int) -> Any:
    """Every kind of component the front-end converts: BS in the three conventions with phases,
    PS, PERM, Unitary and a nested circuit."""
    rng = np.random.default_rng(seed)
    c = pcvl.Circuit(m)
    for layer in range(3):
        for i in range(layer % 2, m - 1, 2):
            theta, *phis = rng.uniform(0, 2 * math.pi, 5)
            conv = [pcvl.BS, pcvl.BS.Ry, pcvl.BS.H][(i + layer) % 3]
            c.add(i, conv(theta=theta, phi_tl=phis[0], phi_bl=phis[1], phi_tr=phis[2], phi_br=phis[3]))
            c.add(i, pcvl.PS(float(rng.uniform(0, 2 * math.pi))))
    c.add(0, pcvl.PERM([2, 0, 1]))
    c.add(1, pcvl.Unitary(pcvl.Matrix(random_unitary(3, seed))))
    c.add(m - 2, pcvl.Circuit(2).add(0, pcvl.BS.H(theta=0.3)).add(1, pcvl.PS(0.2)))
    return c


def test_perceval_circuit_matches_perceval(optional: Optional) -> None:
    pcvl = optional("perceval")
    c = random_perceval_circuit(pcvl, 6, seed=4)
    state = (1, 1, 0, 1, 0, 0)
    got = photonic.probabilities(c, input_state=state)
    assert_distributions_equal(got, slos(pcvl, c, state))
    # The same through sokr.dispatch: a Processor carries its input state.
    proc = pcvl.Processor("SLOS", c)
    proc.with_input(pcvl.BasicState(list(state)))
    res = sokr.dispatch(proc, mode="probabilities").result()
    assert_distributions_equal(photonic.Probabilities(res.domain_values["probabilities"]), got, tol=0.0)


def perceval_probs(proc: Any) -> dict[tuple[int, ...], float]:
    return {tuple(k): float(v) for k, v in proc.probs()["results"].items()}


def test_perceval_processor_loss_noise_and_threshold(optional: Optional) -> None:
    """LC loss channels, a noise model's transmittance and brightness, and threshold detectors
    give Perceval's own distribution over what is detected."""
    pcvl = optional("perceval")
    p = pcvl.Processor("SLOS", 4, noise=pcvl.NoiseModel(transmittance=0.8, brightness=0.9))
    p.add(0, pcvl.BS(theta=0.7))
    p.add(2, pcvl.BS.Ry(theta=1.1, phi_tr=0.3))
    p.add(1, pcvl.BS())
    p.add(1, pcvl.LC(0.25))
    p.add(0, pcvl.PS(0.4))
    p.add(2, pcvl.Detector.threshold())
    p.add(3, pcvl.Detector.threshold())
    p.with_input(pcvl.BasicState([1, 1, 1, 0]))
    b = photonic.from_perceval(p)
    assert "loss eta=0.72" in b.text() and "detect threshold 2, 3" in b.text()
    assert_distributions_equal(photonic.probabilities(p), perceval_probs(p))


def test_perceval_unsupported_components_are_refused_by_name(optional: Optional) -> None:
    pcvl = optional("perceval")
    cases: list[tuple[Any, str]] = [
        (pcvl.Circuit(2).add(0, pcvl.PBS()), "PBS"),
        (pcvl.Circuit(2).add(0, pcvl.BS(theta=pcvl.P("theta"))), "theta"),
        (pcvl.Circuit(2).add(0, pcvl.PS(0.1, max_error=0.05)), "max_error"),
    ]
    wp = pcvl.Circuit(1).add(0, pcvl.WP(0.1, 0.2))
    cases.append((wp, "WP"))
    td = pcvl.Processor("SLOS", 2)
    td.add(0, pcvl.TD(1))
    cases.append((td, "TD"))
    heralded = pcvl.Processor("SLOS", 3)
    heralded.add(0, pcvl.BS())
    heralded.add_herald(2, 0)
    cases.append((heralded, "heralded modes"))
    post = pcvl.Processor("SLOS", 2)
    post.add(0, pcvl.BS())
    post.set_postselection(pcvl.PostSelect("[0]==1"))
    cases.append((post, "post-selection"))
    noisy = pcvl.Processor("SLOS", 2, noise=pcvl.NoiseModel(indistinguishability=0.9))
    noisy.add(0, pcvl.BS())
    cases.append((noisy, "indistinguishability"))
    ppnr = pcvl.Processor("SLOS", 2)
    ppnr.add(0, pcvl.BS())
    ppnr.add(0, pcvl.Detector.ppnr(4))
    cases.append((ppnr, "PPNR"))
    for obj, name in cases:
        with pytest.raises(photonic.UnsupportedComponentError) as e:
            photonic.sample(obj, input_state=(1,) + (0,) * (obj.m - 1), shots=10)
        assert name in str(e.value) and e.value.component, (name, str(e.value))
        assert isinstance(e.value, sokr.InvalidProgramError)
    annotated = pcvl.BasicState("|{_:0},{_:1}>")
    with pytest.raises(photonic.UnsupportedComponentError, match="annotated"):
        photonic.from_perceval(pcvl.Circuit(2).add(0, pcvl.BS()), annotated)
    with pytest.raises(sokr.InvalidInputError, match="input_state"):
        photonic.sample(pcvl.Circuit(2).add(0, pcvl.BS()))  # a circuit has no input state
    with pytest.raises(TypeError, match="Perceval"):
        photonic.from_perceval(pcvl.BasicState([1, 0]))


# -- sampling --------------------------------------------------------------------------------------


def lossy_threshold_program() -> photonic.Builder:
    u = random_unitary(5, seed=8)
    return (
        photonic.Builder(5, (1, 1, 1, 0, 0))
        .unitary(range(5), u)
        .loss(0.8, [0, 3])
        .detect("threshold", [1, 2])
    )


@pytest.mark.parametrize(
    "program",
    [
        photonic.Builder(5, (1, 1, 1, 0, 0)).unitary(range(5), random_unitary(5, seed=5)),
        photonic.Builder(4, (2, 0, 1, 0)).unitary(range(4), random_unitary(4, seed=6)).loss(0.6),
        lossy_threshold_program(),
    ],
    ids=["lossless", "bunched-uniform-loss", "mode-loss-threshold"],
)
def test_samples_pass_chi_square(program: photonic.Builder) -> None:
    exact = photonic.probabilities(program)
    counts = photonic.sample(program, shots=20000, seed=11)
    assert counts.shots == 20000 and counts.meta["method"] == "clifford-clifford"
    assert chi_square_p(counts, exact) > ALPHA
    # Same seed, same counts.
    assert dict(photonic.sample(program, shots=20000, seed=11)) == dict(counts)


def test_chi_square_rejects_the_wrong_distribution() -> None:
    """The test above can fail: samples of one interferometer against another's distribution."""
    a = photonic.Builder(5, (1, 1, 1, 0, 0)).unitary(range(5), random_unitary(5, seed=5))
    b = photonic.Builder(5, (1, 1, 1, 0, 0)).unitary(range(5), random_unitary(5, seed=9))
    assert chi_square_p(photonic.sample(a, shots=20000, seed=11), photonic.probabilities(b)) < ALPHA


# -- the cudaq.orca front-end ---------------------------------------------------------------------


def test_orca_program_layout() -> None:
    b = orca.program([1, 0, 1, 0], [1, 2], [0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 1.0])
    assert orca.beam_splitters(4, [1, 2]) == 5
    ops = [line.split(",")[:2] for line in b.text().splitlines() if line.startswith("bs")]
    assert ops == [["bs 0", " 1"], ["bs 1", " 2"], ["bs 2", " 3"], ["bs 0", " 2"], ["bs 1", " 3"]]
    assert "theta=0.2," in b.text() and "ps 0, phi=0.6" in b.text()


def tbi_probabilities_cudaq(
    cudaq: ModuleType, state: list[int], loops: list[int], bs: list[float], ps: list[float]
) -> dict[tuple[int, ...], float]:
    """The time-bin interferometer of CUDA-Q's photonic example (TBI), on the orca-photonics
    simulator: its state vector, read as Fock states (qudit 0 the most significant digit)."""
    n_modes, level = len(state), sum(state) + 1

    @cudaq.kernel
    def tbi(
        bs_angles: list[float], ps_angles: list[float], input_state: list[int], loop_lengths: list[int]
    ) -> None:
        qumodes = [qudit(level) for _ in range(n_modes)]  # noqa: F821  (cudaq's kernel builtins)
        for i in range(n_modes):
            for _ in range(input_state[i]):
                create(qumodes[i])  # noqa: F821
        counter = 0
        for j in loop_lengths:
            for i in range(n_modes - j):
                beam_splitter(qumodes[i], qumodes[i + j], bs_angles[counter])  # noqa: F821
                phase_shift(qumodes[i], ps_angles[counter])  # noqa: F821
                counter += 1

    amps = np.asarray(cudaq.get_state(tbi, bs, ps, state, loops))
    out: dict[tuple[int, ...], float] = {}
    for idx in np.flatnonzero(np.abs(amps) > 1e-14):
        digits = np.unravel_index(idx, (level,) * n_modes)
        out[tuple(int(d) for d in digits)] = float(abs(amps[idx]) ** 2)
    return out


@pytest.fixture
def orca_photonics(optional: Optional) -> Any:
    """cudaq with its orca-photonics target set (the CPU simulator); the target is reset after."""
    cudaq = optional("cudaq")
    cudaq.set_target("orca-photonics")
    try:
        yield cudaq
    finally:
        cudaq.reset_target()


@pytest.mark.cudaq
@pytest.mark.parametrize(
    ("state", "loops"),
    [([1, 0, 1, 0], [1]), ([1, 1, 0, 1, 0], [1, 2]), ([2, 1, 0, 1], [1, 2])],
    ids=["1010-loop1", "11010-loops12", "2101-loops12"],
)
def test_orca_matches_cudaq_orca_photonics(orca_photonics: Any, state: list[int], loops: list[int]) -> None:
    """The same time-bin interferometer, run by CUDA-Q's orca-photonics simulator and by SOKR,
    gives the same output distribution (cudaq.orca.sample itself needs ORCA's service)."""
    k = orca.beam_splitters(len(state), loops)
    rng = np.random.default_rng(sum(state) * 10 + len(loops))
    bs = rng.uniform(0, math.pi, k).tolist()
    ps = rng.uniform(0, 2 * math.pi, k).tolist()
    want = tbi_probabilities_cudaq(orca_photonics, state, loops, bs, ps)
    got = photonic.probabilities(orca.program(state, loops, bs, ps))
    assert_distributions_equal(got, want, tol=1e-10)
    counts = orca.sample(state, loops, bs, ps, 20000, seed=2)
    assert counts.shots == 20000
    assert chi_square_p(counts, got) > ALPHA
    assert all(len(key) == len(state) for key in counts.strings("cudaq"))


def test_orca_sample_forms() -> None:
    """cudaq.orca.sample's two forms: with and without ps_angles."""
    state, loops, bs = [1, 0, 1, 0], [1], [0.3, 0.6, 0.9]
    a = orca.sample(state, loops, bs, 500, seed=4)
    b = orca.sample(state, loops, bs, [0.0, 0.0, 0.0], 500, seed=4)
    assert a.shots == 500 and dict(a) == dict(b)
    assert orca.sample(state, loops, bs, seed=4).shots == orca.DEFAULT_SAMPLES


def test_orca_bad_arguments() -> None:
    with pytest.raises(sokr.InvalidInputError, match="bs_angles has 2 angles; the interferometer has 3"):
        orca.program([1, 0, 1, 0], [1], [0.1, 0.2])
    with pytest.raises(sokr.InvalidInputError, match="ps_angles"):
        orca.program([1, 0, 1, 0], [1], [0.1, 0.2, 0.3], [0.1])
    with pytest.raises(sokr.InvalidInputError, match="loop_lengths"):
        orca.program([1, 0], [2], [])
    with pytest.raises(sokr.InvalidInputError, match=r"input_state\[1\]"):
        orca.program([1, -1], [1], [0.1])
    with pytest.raises(sokr.InvalidInputError, match=r"bs_angles\[0\]"):
        orca.program([1, 0], [1], [float("nan")])


# -- async and dispatch ---------------------------------------------------------------------------


async def test_async_paths() -> None:
    counts, probs, chosen, tbi = await asyncio.gather(
        photonic.sample_async(hom(), shots=300, seed=1),
        photonic.probabilities_async(hom().text()),
        photonic.probabilities_async(hom().build(), outputs=[(1, 1)]),
        orca.sample_async([1, 1], [1], [math.pi / 4], 100, seed=1),
    )
    assert counts.shots == 300 and counts.count((1, 1)) == 0
    assert probs[(2, 0)] == pytest.approx(0.5)
    assert chosen[(1, 1)] < 1e-15
    assert tbi.count((1, 1)) == 0  # CUDA-Q's beam_splitter(pi/4) is balanced: HOM again
    # A Program needs no parse: its future is the dispatch's, derived.
    fut = photonic.sample_async(hom().build(), shots=10, seed=1)
    assert isinstance(fut, sokr._future.Derived)
    assert (await fut).shots == 10


async def test_async_errors_come_through_the_future() -> None:
    fut = photonic.sample_async("sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 2\n")
    with pytest.raises(sokr.InvalidProgramError) as e:
        await fut
    assert (e.value.line, e.value.col) == (4, 7)
    with pytest.raises(sokr.InvalidInputError, match="shots"):
        await photonic.sample_async(hom().build(), shots=0)
    with pytest.raises(sokr.InvalidInputError, match="unknown option"):
        await photonic.probabilities_async(hom().build(), colour="blue")


def test_dispatch_a_builder() -> None:
    res = sokr.dispatch(hom(), mode="sample", shots=100, seed=5).result()
    counts = res.domain_values["counts"]
    assert isinstance(counts, photonic.Counts)  # from bindings/python/photonic.go's table
    assert counts.shots == 100 and set(counts) == {(2, 0), (0, 2)}
    assert counts["|2,0>"] + counts["|0,2>"] == 100
    assert res.substrate == "photonic"


# -- results -----------------------------------------------------------------------------------------


def test_results_mapping_and_views() -> None:
    c = photonic.sample(lossy_threshold_program(), shots=5000, seed=1)
    assert all(isinstance(k, tuple) and len(k) == 5 for k in c)
    assert list(c) == sorted(c, reverse=True)  # Perceval's order, as the IR's
    assert c.seed == 1 and c.substrate == "photonic"
    top = c.most_probable(3)
    assert c[top[0]] >= c[top[1]] >= c[top[2]] and c.most_probable() == top[0]
    key = photonic.fock_string(top[0])
    assert c[key] == c[top[0]] and c.strings()[key] == c[top[0]]
    assert sum(c.photon_numbers().values()) == pytest.approx(1.0)
    assert all(k[1] <= 1 and k[2] <= 1 for k in c)  # threshold detectors on modes 1 and 2
    with pytest.raises(KeyError):
        c[(9, 9, 9, 9, 9)]
    assert c.count((9, 9, 9, 9, 9)) == 0


def test_html_view_is_capped() -> None:
    p = photonic.probabilities(photonic.Builder(8, spread(3, 8)).unitary(range(8), random_unitary(8, 1)))
    assert len(p) == math.comb(10, 3)
    page = p._repr_html_()
    assert page.count("<tr>") == photonic._results.HTML_ROWS + 1
    assert f"and {len(p) - photonic._results.HTML_ROWS} more outcomes" in page
    assert "&gt;" in page  # the states are escaped
    small = photonic.sample(hom(), shots=10, seed=1)._repr_html_()
    assert "more" not in small and "10 samples" in small


def test_plot(optional: Optional) -> None:
    optional("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = photonic.probabilities(hom()).plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["|2,0>", "|1,1>", "|0,2>"]
    ax = photonic.sample(
        photonic.Builder(8, spread(3, 8)).unitary(range(8), random_unitary(8, 1)), shots=500, seed=1
    ).plot(top=10)
    assert len(ax.patches) == 10


# -- bad input ------------------------------------------------------------------------------------


def test_builder_errors_name_the_component() -> None:
    with pytest.raises(sokr.InvalidProgramError, match="at least one mode"):
        photonic.Builder(0)
    with pytest.raises(TypeError, match="modes must be an integer"):
        photonic.Builder(2.5)  # type: ignore[arg-type]
    with pytest.raises(sokr.InvalidProgramError, match=r"bs 0, 0: a mode is listed twice"):
        photonic.Builder(2).bs(0, 0)
    with pytest.raises(TypeError, match="bs 0, 1: theta must be a real number"):
        photonic.Builder(2).bs(0, 1, "pi")  # type: ignore[arg-type]
    with pytest.raises(sokr.InvalidProgramError, match="ps 0: phi must be finite"):
        photonic.Builder(2).ps(0, float("inf"))
    with pytest.raises(sokr.InvalidProgramError, match="unitary 0, 1: the matrix is 3x3"):
        photonic.Builder(2).unitary([0, 1], np.eye(3))
    with pytest.raises(sokr.InvalidProgramError, match=r"loss: eta is a transmissivity in \[0, 1\]"):
        photonic.Builder(2).loss(1.5)
    with pytest.raises(sokr.InvalidProgramError, match="detect: kind"):
        photonic.Builder(2).detect("bucket")
    with pytest.raises(sokr.InvalidProgramError, match="the state has 3 modes; the program has 2"):
        photonic.Builder(2, (1, 0, 0))
    with pytest.raises(TypeError, match="not bool"):
        photonic.Builder(2, (True, 0))
    # What only the verifier knows comes back with the line of the statement.
    with pytest.raises(sokr.InvalidProgramError, match="not unitary") as e:
        photonic.Builder(2, (1, 1)).unitary([0, 1], [[1, 1], [1, 1]]).build()
    assert e.value.line == 4


def test_run_errors_are_typed() -> None:
    with pytest.raises(sokr.InvalidInputError, match="shots must be a positive integer"):
        photonic.sample(hom(), shots=0)
    with pytest.raises(sokr.InvalidInputError, match="seed"):
        photonic.sample(hom(), seed=-1)
    with pytest.raises(sokr.InvalidInputError, match=r"input_state .* has 3 modes; the program has 2"):
        photonic.sample(hom().build(), input_state=(1, 1, 0))
    with pytest.raises(sokr.InvalidInputError, match=r"input_state .* has 3 modes; the program has 2"):
        photonic.sample(hom(), input_state=(1, 1, 0))
    with pytest.raises(sokr.InvalidInputError, match=r"outputs\[0\]"):
        photonic.probabilities(hom(), outputs=["1,1"])
    with pytest.raises(sokr.InvalidInputError, match="outputs is empty"):
        photonic.probabilities(hom(), outputs=[])
    with pytest.raises(sokr.InvalidInputError, match="has 1 modes; the program has 2"):
        photonic.probabilities(hom(), outputs=[(1,)])
    with pytest.raises(sokr.InvalidInputError, match="unknown option"):
        photonic.sample(hom(), colour="blue")
    with pytest.raises(sokr.UnknownFormatError, match="expected a photonic program"):
        photonic.sample('OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; h q[0];')
    with pytest.raises(sokr.InvalidProgramError) as e:
        photonic.probabilities("sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 3\n")
    assert (e.value.line, e.value.col) == (4, 7)


def test_runs_beyond_the_limits_are_refused_with_the_cost() -> None:
    with pytest.raises(sokr.InvalidInputError, match=r"20 photons in 40 modes.*over this substrate's limit"):
        photonic.probabilities(photonic.Builder(40, (1,) * 20 + (0,) * 20))
    with pytest.raises(sokr.NoCapableSubstrateError, match="one permanent evaluation of size 45") as e:
        photonic.sample(photonic.Builder(45, (1,) * 45), shots=1)
    assert any(o.substrate == "photonic" and not o.ok for o in e.value.offers)


def test_fock_notation() -> None:
    assert photonic.fock("|0, 12,3>") == (0, 12, 3)
    for bad in ("0,1", "|0,x>", "|-1,0>"):
        with pytest.raises(ValueError):
            photonic.fock(bad)
    with pytest.raises(TypeError):
        photonic.fock(3)
    with pytest.raises(ValueError, match="style"):
        photonic.fock_string((1,), "qiskit")  # type: ignore[arg-type]


def test_a_python_substrate_can_return_photonic_results() -> None:
    """A Python substrate that returns a photonic Result (as sokr.distributed's does) sends its
    Counts on; the caller gets the same counts as from the photonic substrate itself."""

    class Relay:
        name = "relay"

        def capability(self, program: sokr.Program) -> bool:
            return program.format == photonic.FORMAT

        def dispatch(self, program: sokr.Program, inputs: list[Any], options: dict[str, Any]) -> Any:
            return sokr.dispatch(program.text, substrate="photonic", **options).result()

    with sokr.Runtime(substrates=[]) as rt:
        sokr.register_substrate(Relay(), kind="photonic", runtime=rt)
        try:
            got = photonic.sample(hom(), shots=200, seed=9, runtime=rt)
        finally:
            sokr.unregister_substrate("relay", runtime=rt)
    assert got.substrate == "relay"
    assert dict(got) == dict(photonic.sample(hom(), shots=200, seed=9))


def test_repr_is_capped() -> None:
    p = photonic.probabilities(photonic.Builder(8, spread(3, 8)).unitary(range(8), random_unitary(8, 1)))
    text = repr(p)
    assert text.startswith("Probabilities({|3,0,0,0,0,0,0,0>: ")
    assert text.count(": ") == photonic._results.REPR_ITEMS
    assert text.endswith(f"... ({len(p) - photonic._results.REPR_ITEMS} more)}})")
    assert repr(photonic.Counts({"|1,0>": 3})) == "Counts({|1,0>: 3})"
