"""sokr.load_plugin: a substrate written in C, loaded from Python (docs/ABI.md)."""

from __future__ import annotations

import pathlib
import subprocess

import numpy as np
import pytest

import sokr

ROOT = pathlib.Path(__file__).resolve().parents[2]
AXPY = """sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
"""


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("plugin") / "libsokr_elementwise.so"
    subprocess.run(
        ["gcc", "-std=c11", "-O2", "-fPIC", "-shared", "-pthread", "-I", str(ROOT / "bindings" / "c"),
         "-o", str(out), str(ROOT / "bindings" / "c" / "examples" / "elementwise_plugin.c"), "-lm"],
        check=True,
    )  # fmt: skip
    return out


def test_load_plugin_and_dispatch_to_it(plugin: pathlib.Path) -> None:
    with sokr.Runtime() as rt:
        s = sokr.load_plugin(plugin, runtime=rt)
        assert s.name == "c-elementwise" and s.name in {x.name for x in rt.substrates()}
        x = np.arange(1, 5, dtype=np.float32)
        r = rt.run(AXPY, x, x, substrate="c-elementwise")
        assert r.substrate == "c-elementwise"
        np.testing.assert_array_equal(r["out"], 3 * x)
        offers = {o.substrate: o.ok for o in rt.capability(AXPY)}
        assert offers["c-elementwise"] and offers["cpu"]

        with pytest.raises(sokr.RegistrationError, match="already registered"):
            sokr.load_plugin(plugin, runtime=rt)
        # The runtime carries on after a refusal.
        np.testing.assert_array_equal(rt.run(AXPY, x, x)["out"], 3 * x)


def test_refused_plugins(tmp_path: pathlib.Path) -> None:
    with sokr.Runtime() as rt:
        empty = tmp_path / "empty.so"
        empty.write_bytes(b"")
        with pytest.raises(sokr.RegistrationError, match=str(empty)):
            sokr.load_plugin(empty, runtime=rt)
        with pytest.raises(FileNotFoundError):
            sokr.load_plugin(tmp_path / "missing.so", runtime=rt)
        assert any(str(empty) in k or str(empty) in v for k, v in rt.info()["failures"].items())
