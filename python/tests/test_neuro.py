"""sokr.neuro end to end: NIR files and graphs in, spikes and voltages out, semantics shown."""

from __future__ import annotations

import asyncio
import csv
import pathlib
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

import sokr
from sokr import neuro

# The NIR paper's graphs and recordings, in the repository (testdata/nir/README.md).
NIR_DIR = pathlib.Path(__file__).resolve().parents[2] / "testdata" / "nir"


def lif_graph(n: int = 1, tau: float = 1e-3, threshold: float = 1.0) -> dict:
    return {
        "nodes": {
            "in": {"type": "Input", "shape": [n]},
            "lif": {
                "type": "LIF",
                "tau": [tau] * n,
                "r": [1.0] * n,
                "v_leak": [0.0] * n,
                "v_threshold": [threshold] * n,
            },
            "out": {"type": "Output", "shape": [n]},
        },
        "edges": [["in", "lif"], ["lif", "out"]],
    }


def read_csv(name: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    with open(NIR_DIR / name) as fh:
        rows = np.array([[float(v) for v in r] for r in csv.reader(fh)])
    return rows[:, 0], rows[:, 1], [int(i) for i in np.nonzero(rows[:, 2])[0]]


def test_lif_norse_reproduces_its_recording() -> None:
    x, v, spikes = read_csv("lif_norse.csv")
    assert spikes == [460, 510, 710, 760]
    g = neuro.load(NIR_DIR / "lif_norse.nir")
    r = neuro.run(g, x.reshape(-1, 1, 1), solver="euler", reset="zero", record=["1.v"])
    assert [int(i) for i in np.nonzero(r.value[:, 0, 0])[0]] == spikes
    np.testing.assert_allclose(r.probes["1.v"][:, 0, 0], v, atol=1e-6)
    assert r.semantics["solver"] == "euler" and r.semantics["reset"] == "zero"
    assert r.semantics["dt"] == pytest.approx(1e-4)
    assert r.spike_count == 4


def test_conventions_change_the_result() -> None:
    x, _, _ = read_csv("lif_rockpool.csv")
    x = (x != 0).astype(np.float32).reshape(-1, 1, 1)
    g = neuro.load(NIR_DIR / "lif_norse.nir")
    euler = neuro.run(g, x, reset="zero")
    rockpool = neuro.run(g, x, solver="impulse", reset="subtract")
    lava = neuro.run(g, x, synaptic_delay=1)
    steps = lambda r: [int(i) for i in np.nonzero(r.value[:, 0, 0])[0]]  # noqa: E731
    assert steps(euler) == [460, 510, 710, 760]
    assert steps(rockpool) == [450, 500, 710, 760]
    assert steps(lava) == [461, 511, 711, 761]
    assert rockpool.semantics["solver"] == "impulse"


def loads_or_is_rejected_with_its_reason(files: list[pathlib.Path]) -> None:
    for f in files:
        if f.name.endswith("_subgraph.nir"):
            with pytest.raises(sokr.InvalidProgramError, match='no node named "lif"') as e:
                neuro.load(f)
            assert e.value.node  # the node at fault is named
        else:
            g = neuro.load(f)
            assert g.inputs and g.outputs, f.name


def test_every_testdata_file_loads_or_is_rejected_with_its_reason() -> None:
    files = sorted(NIR_DIR.glob("*.nir"))
    assert len(files) == 5
    loads_or_is_rejected_with_its_reason(files)


def test_every_corpus_file_loads_or_is_rejected_with_its_reason(
    corpus: Callable[[str], pathlib.Path],
) -> None:
    files = sorted(corpus("nir").glob("*.nir"))
    assert len(files) >= 8
    loads_or_is_rejected_with_its_reason(files)


def test_braille_recurrent_network_runs() -> None:
    g = neuro.load(NIR_DIR / "braille_noDelay_bias_zero.nir")
    assert g.recurrent_edges > 0
    (port,) = g.inputs
    rng = np.random.default_rng(0)
    x = (rng.random((50, 2, *port.shape)) < 0.2).astype(np.float32)
    r = neuro.run(g, x)
    assert r.value.shape == (50, 2, *g.outputs[0].shape)
    assert r.semantics["recurrent_delay"] == 1


def test_load_forms_and_errors(tmp_path: pathlib.Path) -> None:
    d = lif_graph(3)
    g = neuro.load(d)
    assert [p.name for p in g.inputs] == ["in"] and g.inputs[0].shape == (3,)
    assert {n.name: n.type for n in g.nodes}["lif"] == "LIF"
    assert g.neurons == 3
    assert "3 neurons" in repr(g) and "<table>" in g._repr_html_()
    assert neuro.load(g) is g
    assert neuro.load(g.program).program is g.program

    bad = lif_graph()
    bad["edges"].append(["lif", "nowhere"])
    with pytest.raises(sokr.InvalidProgramError, match="nowhere"):
        neuro.load(bad)
    bad = lif_graph()
    bad["nodes"]["lif"]["tau_typo"] = [1.0]
    with pytest.raises(sokr.InvalidProgramError, match="tau_typo") as e:
        neuro.load(bad)
    assert e.value.node == "lif"
    with pytest.raises(FileNotFoundError):
        neuro.load(tmp_path / "missing.nir")
    with pytest.raises(sokr.UnknownFormatError, match="cannot load a int"):
        neuro.load(42)
    with pytest.raises(sokr.UnknownFormatError, match="expected a NIR graph"):
        neuro.load(sokr.program("sokr.native/1\nparam x: f32[1]\nreturn x\n"))
    (tmp_path / "junk.nir").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(sokr.InvalidProgramError):
        neuro.load(tmp_path / "junk.nir")


def test_run_checks_inputs_and_options() -> None:
    g = neuro.load(lif_graph(2))
    with pytest.raises(sokr.InvalidInputError, match=r"\[T, B, 2\]"):
        neuro.run(g, np.zeros((10, 2)))
    with pytest.raises(sokr.InvalidInputError, match="expected numbers"):
        neuro.run(g, np.array([["a"]]))
    with pytest.raises(TypeError, match="unknown option"):
        neuro.run(g, np.zeros((10, 1, 2)), sover="exact")
    with pytest.raises(sokr.InvalidInputError, match="solver"):
        neuro.run(g, np.zeros((10, 1, 2)), solver="rk4")
    with pytest.raises(sokr.InvalidInputError, match="nope"):
        neuro.run(g, np.zeros((10, 1, 2)), record=["nope.v"])
    with pytest.raises(sokr.InvalidInputError, match="missing"):
        neuro.run(g, {"other": np.zeros((10, 1, 2))})
    # By name, as a list, and integer input (converted to f32) all work.
    a = neuro.run(g, {"in": np.ones((10, 1, 2), np.int64) * 20})
    b = neuro.run(g, [np.full((10, 1, 2), 20.0, np.float32)])
    np.testing.assert_array_equal(a.value, b.value)


def test_probes_batches_and_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    g = neuro.load(lif_graph(4, tau=1e-2))
    x = np.zeros((200, 3, 4), np.float32)
    x[:, 0] = 15.0
    x[:, 1] = 30.0
    r = neuro.run(g, x, dt=1e-4, precision="f64", record=["lif.v", "lif.spikes"])
    assert r.value.shape == (200, 3, 4) and r.value.dtype == np.float64
    assert set(r.probes) == {"lif.v", "lif.spikes"}
    np.testing.assert_array_equal(r.probes["lif.spikes"], r.value)
    counts = r.value.sum(axis=(0, 2))
    assert counts[1] > counts[0] > 0 and counts[2] == 0
    assert r["lif.v"] is r.probes["lif.v"]
    assert "spikes" in r._repr_html_() and "reset=to_v_reset" in repr(r)
    ax = r.raster(batch=1)
    assert len(ax.collections[0].get_offsets()) == counts[1]
    ax = r.plot_voltage(batch=0, neurons=[0, 1])
    assert len(ax.lines) == 2
    with pytest.raises(KeyError):
        r["missing"]
    plain = neuro.run(g, x)
    with pytest.raises(ValueError, match="record"):
        plain.plot_voltage()


def test_session_equals_one_long_run() -> None:
    g = neuro.load(lif_graph(3, tau=5e-3))
    rng = np.random.default_rng(1)
    x = (rng.random((300, 2, 3)) * 25).astype(np.float32)
    whole = neuro.run(g, x, record=["lif.v"])
    with neuro.Session(g, record=["lif.v"]) as s:
        parts = [s.run(x[i : i + 70]) for i in range(0, 300, 70)]
        assert s.steps == 300
    np.testing.assert_array_equal(np.concatenate([p.value for p in parts]), whole.value)
    np.testing.assert_allclose(np.concatenate([p.probes["lif.v"] for p in parts]), whole.probes["lif.v"])
    with pytest.raises(sokr.ClosedError):
        s.run(x[:10])
    s.close()  # idempotent

    s = neuro.Session(g)
    first = s.run(x[:50])
    s.run(x[50:100])
    s.reset()
    again = s.run(x[:50])
    np.testing.assert_array_equal(first.value, again.value)
    s.close()


def test_session_refuses_overlapping_chunks() -> None:
    g = neuro.load(lif_graph(64))
    x = np.ones((5000, 8, 64), np.float32)
    with neuro.Session(g) as s:
        f = s.run_async(x)
        if not f.done():
            with pytest.raises(RuntimeError, match="still running"):
                s.run_async(x)
        f.result()
        s.run(x[:10])


def test_run_async_concurrently() -> None:
    g = neuro.load(lif_graph(2))

    async def main() -> list[neuro.RunResult]:
        return await asyncio.gather(
            *(neuro.run_async(g, np.full((100, 1, 2), 10.0 * k, np.float32)) for k in range(1, 5))
        )

    rs = asyncio.run(main())
    counts = [int(r.value.sum()) for r in rs]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_nir_round_trip(tmp_path: pathlib.Path, optional: Callable[[str], ModuleType]) -> None:
    nir = optional("nir")
    rng = np.random.default_rng(3)
    n = 4
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([n])),
            "affine": nir.Affine(weight=rng.normal(size=(n, n)), bias=rng.normal(size=n)),
            "lif": nir.LIF(
                tau=np.full(n, 2e-3),
                r=np.ones(n),
                v_leak=np.zeros(n),
                v_threshold=np.ones(n),
                v_reset=np.zeros(n),
            ),
            "lin": nir.Linear(weight=rng.normal(size=(n, n))),
            "cuba": nir.CubaLIF(
                tau_syn=np.full(n, 1e-3),
                tau_mem=np.full(n, 2e-3),
                r=np.ones(n),
                v_leak=np.zeros(n),
                v_threshold=np.ones(n),
                v_reset=np.zeros(n),
                w_in=np.ones(n),
            ),
            "scale": nir.Scale(scale=rng.normal(size=n)),
            "li": nir.LI(tau=np.full(n, 3e-3), r=np.ones(n), v_leak=np.zeros(n)),
            "output": nir.Output(output_type=np.array([n])),
        },
        edges=[
            ("input", "affine"),
            ("affine", "lif"),
            ("lif", "lin"),
            ("lin", "cuba"),
            ("cuba", "scale"),
            ("scale", "li"),
            ("li", "output"),
            ("cuba", "lin"),  # recurrent
        ],
    )
    path = tmp_path / "g.nir"
    nir.write(path, graph)
    g = neuro.load(path)
    assert g.recurrent_edges == 1
    back = neuro.to_nir(g)
    want = nir.read(path)
    assert set(back.nodes) == set(want.nodes)
    assert sorted(back.edges) == sorted(tuple(e) for e in want.edges)
    for name, node in want.nodes.items():
        got = back.nodes[name]
        assert type(got) is type(node), name
        for k, v in node.to_dict().items():
            if k in ("metadata", "type"):
                continue
            np.testing.assert_allclose(
                np.asarray(got.to_dict()[k], float), np.asarray(v, float), err_msg=f"{name}.{k}"
            )
    # A NIRGraph loads directly, and what SOKR writes back loads again to the same graph.
    x = rng.normal(size=(40, 2, n)).astype(np.float32) * 5
    a = neuro.run(neuro.from_nir(graph), x, precision="f64")
    b = neuro.run(neuro.from_nir(back), x, precision="f64")
    c = neuro.run(path, x, precision="f64")
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.value, c.value)
    with pytest.raises(TypeError):
        neuro.from_nir({"nodes": {}})


def test_neuro_is_reachable_from_sokr() -> None:
    assert sokr.neuro is neuro
    assert "snn" in {s.name for s in sokr.substrates()}
    assert "nir/1" in sokr.irs()


def test_html_reprs_are_capped() -> None:
    # A chain of 200 nodes, and a result with 200 probes: a few kB of HTML each, not one row
    # per node.
    nodes: dict[str, dict[str, object]] = {"in": {"type": "Input", "shape": [1]}}
    edges = []
    prev = "in"
    for i in range(200):
        nodes[f"n{i}"] = {"type": "Affine", "weight": [[1.0]], "bias": [0.0]}
        edges.append([prev, f"n{i}"])
        prev = f"n{i}"
    nodes["out"] = {"type": "Output", "shape": [1]}
    edges.append([prev, "out"])
    g = neuro.load({"nodes": nodes, "edges": edges})
    page = g._repr_html_()
    assert len(page) < 16_000 and f"and {len(g.nodes) - 64} more nodes" in page

    from sokr.neuro._results import RunResult

    probes = {f"n{i}.v": np.zeros((5, 1, 1), np.float32) for i in range(200)}
    page = RunResult({"out": np.zeros((5, 1, 1), np.float32)}, probes, {}, "snn")._repr_html_()
    assert len(page) < 16_000 and "and 137 more outputs and probes" in page
