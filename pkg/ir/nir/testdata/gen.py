"""Writes the NIR fixtures of pkg/ir/nir's tests with the real `nir` package.

    python -m venv /tmp/nirvenv && /tmp/nirvenv/bin/pip install nir h5py
    cd pkg/ir/nir/testdata && /tmp/nirvenv/bin/python gen.py

every_*.nir hold one graph that uses all 19 primitives (a nested graph with a
recurrent edge included), written by nir.write in three HDF5 flavours; every.json
is the same graph's nir to_dict() form, the reference the Go test compares each
file with, value for value. ports.nir/ports.json use "G.name" port edges into
and out of a subgraph with two inputs.
"""

import json

import h5py
import numpy as np

import nir
import nir.serialization

rng = np.random.default_rng(20240607)


def arr(*shape, dtype=np.float64):
    return rng.normal(size=shape).astype(dtype)


def pos(*shape):
    return rng.uniform(1e-3, 2e-2, size=shape)


def every():
    sub = nir.NIRGraph(
        nodes={
            "in": nir.Input(np.array([5])),
            "lif": nir.LIF(tau=pos(5), r=arr(5), v_leak=arr(5), v_threshold=arr(5), v_reset=arr(5)),
            "lin": nir.Linear(weight=arr(5, 5)),
            "out": nir.Output(np.array([5])),
        },
        edges=[("in", "lif"), ("lif", "lin"), ("lin", "lif"), ("lif", "out")],
        metadata={"role": "recurrent block"},
    )
    nodes = {
        "input": nir.Input(np.array([2, 6, 6])),
        "conv2": nir.Conv2d(
            input_shape=(6, 6), weight=arr(4, 2, 3, 3, dtype=np.float32), stride=1, padding=1,
            dilation=1, groups=1, bias=arr(4, dtype=np.float32)),
        "sumpool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "avgpool": nir.AvgPool2d(kernel_size=np.array([1, 1]), stride=np.array([1, 1]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type=np.array([4, 3, 3]), start_dim=1, end_dim=-1),
        "conv1": nir.Conv1d(input_shape=9, weight=arr(3, 4, 3), stride=2, padding="valid", dilation=1, groups=1, bias=arr(3)),
        "flat2": nir.Flatten(input_type=np.array([3, 4]), start_dim=0, end_dim=-1),
        "affine": nir.Affine(weight=arr(5, 12), bias=arr(5)),
        "sub": sub,
        "scale": nir.Scale(scale=arr(5)),
        "delay": nir.Delay(delay=pos(5)),
        "thr": nir.Threshold(threshold=arr(5)),
        "i": nir.I(r=arr(5)),
        "if": nir.IF(r=arr(5), v_threshold=arr(5), v_reset=arr(5)),
        "li": nir.LI(tau=pos(5), r=arr(5), v_leak=arr(5)),
        "cubali": nir.CubaLI(tau_syn=pos(5), tau_mem=pos(5), r=arr(5), v_leak=arr(5), w_in=arr(5)),
        "cubalif": nir.CubaLIF(
            tau_syn=pos(5), tau_mem=pos(5), r=arr(5), v_leak=arr(5), v_threshold=arr(5),
            v_reset=arr(5), w_in=arr(5), metadata={"note": "last", "k": 3, "x": 0.25, "v": np.arange(3)}),
        "output": nir.Output(np.array([5])),
    }
    order = list(nodes)
    edges = [(a, b) for a, b in zip(order, order[1:])]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"source": "sokr gen.py", "seed": 20240607})


def ports():
    inner = nir.NIRGraph(
        nodes={
            "a": nir.Input(np.array([3])),
            "b": nir.Input(np.array([3])),
            "li": nir.LI(tau=pos(3), r=arr(3), v_leak=arr(3)),
            "fwd": nir.Linear(weight=arr(3, 3)),
            "v": nir.Output(np.array([3])),
            "z": nir.Output(np.array([3])),
        },
        edges=[("a", "li"), ("b", "li"), ("li", "v"), ("li", "fwd"), ("fwd", "z")],
        type_check=False,
    )
    return nir.NIRGraph(
        nodes={
            "x": nir.Input(np.array([3])),
            "g": inner,
            "back": nir.Scale(scale=arr(3)),
            "y": nir.Output(np.array([3])),
        },
        edges=[("x", "g.a"), ("g.z", "back"), ("back", "g.b"), ("g.v", "y")],
        type_check=False,
    )


def to_json(graph, path):
    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.generic):
            return v.item()
        return v

    with open(path, "w") as f:
        json.dump(plain(graph.to_dict()), f, indent=None, separators=(",", ":"))
        f.write("\n")


def write(path, graph, libver=None, **kw):
    orig = h5py.File
    if libver is not None:
        nir.serialization.h5py.File = lambda *a, **k: orig(*a, libver=libver, **k)
    try:
        nir.write(path, graph, **kw)
    finally:
        nir.serialization.h5py.File = orig


g = every()
write("every_v0_gzip.nir", g)  # nir's default: superblock 0, symbol tables, gzip chunks
write("every_v0_plain.nir", g, compression=None)  # contiguous and compact datasets
write("every_v3_gzip.nir", g, libver=("v110", "v110"))  # superblock 3, dense groups, chunk indexes
to_json(g, "every.json")
nir.read("every_v0_gzip.nir")  # nir itself reads it back, types checked

p = ports()
write("ports.nir", p, libver=("v108", "v108"))  # superblock 2, link messages
to_json(p, "ports.json")
