"""The vulkan substrate from Python: devices listed, SPIR-V modules and native programs
dispatched with numpy in and out, and every kind of bad input refused with a clear error.

These tests run on whatever Vulkan device the loader finds (Mesa's lavapipe in CI, where they
never skip). `make test` sets SOKR_VULKAN_VALIDATION=1, so the Khronos validation layer
watches every call, and any message it reports fails the test."""

from __future__ import annotations

import asyncio
import os
import pathlib
import struct

import numpy as np
import pytest

import sokr

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "pkg" / "ir" / "spirv" / "testdata"
SAXPY = TESTDATA / "saxpy.spv"  # X (read-only), Y; push constants {float a; uint n}


def test_substrates_show_the_devices(gpu: str) -> None:
    s = next(s for s in sokr.substrates() if s.name == gpu)
    assert s.kind == "gpu"
    assert s.properties["device_name"]
    assert int(s.properties["max_storage_buffer_bytes"]) > 0
    assert s.properties["validation"] == (
        "true" if os.environ.get("SOKR_VULKAN_VALIDATION") == "1" else "false"
    )


@pytest.mark.parametrize("form", ["bytes", "numpy"])
def test_saxpy_module(gpu: str, form: str) -> None:
    n = 10_000
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)
    push: object = struct.pack("<fI", 2.5, n)
    if form == "numpy":
        push = np.array([(2.5, n)], dtype=[("a", "<f4"), ("n", "<u4")])
    res = sokr.run(sokr.program(SAXPY), x, y, substrate=gpu, push_constants=push)
    assert list(res) == ["Y"]
    np.testing.assert_allclose(res["Y"], 2.5 * x + y, rtol=1e-6)
    assert res.substrate == gpu
    assert int(res.meta["gpu_time_ns"]) >= 0
    assert res.meta["groups"] == f"{(n + 255) // 256},1,1"


def test_spirv_bytes_and_await(gpu: str) -> None:
    p = sokr.program(SAXPY.read_bytes())
    n = 256

    async def main() -> list[np.ndarray]:
        futs = [
            sokr.dispatch(
                p,
                np.full(n, i, np.float32),
                np.ones(n, np.float32),
                substrate=gpu,
                push_constants=struct.pack("<fI", 1.0, n),
            )
            for i in range(8)
        ]
        return [(await f)["Y"] for f in futs]

    for i, y in enumerate(asyncio.run(main())):
        np.testing.assert_array_equal(y, np.full(n, i + 1, np.float32))


NATIVE = """sokr.native/1
param x: f32[64,48]
param w: f32[48,32]
h: f32[64,32] = matmul x, w
r: f32[64,32] = relu h
t: f32[32,64] = transpose r, perm=[1,0]
s: f32[32] = reduce_sum t, axes=[1]
m: f32[] = reduce_max h, axes=[0,1]
pos: bool[64,32] = gt h, m
return t, s, m, pos
"""


def test_native_program_same_on_cpu_and_gpu(gpu: str) -> None:
    p = sokr.program(NATIVE)
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((64, 48), dtype=np.float32), rng.standard_normal((48, 32), dtype=np.float32)
    on_cpu = sokr.run(p, x, w, substrate="cpu")
    on_gpu = sokr.run(p, x, w, substrate=gpu)
    assert on_gpu.substrate == gpu
    for name in on_cpu:
        assert on_gpu[name].dtype == on_cpu[name].dtype and on_gpu[name].shape == on_cpu[name].shape
        np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-4, atol=1e-4)


def test_refusals_name_the_reason(gpu: str) -> None:
    f64 = sokr.program("sokr.native/1\nparam x: f64[4]\ny: f64[4] = exp x\nreturn y\n")
    offer = next(o for o in sokr.capability(f64) if o.substrate == gpu)
    assert not offer.ok and "node y (exp)" in offer.reason and "f32 only" in offer.reason
    with pytest.raises(sokr.NoCapableSubstrateError, match="f32 only"):
        sokr.run(f64, np.ones(4), substrate=gpu)
    i32 = sokr.program("sokr.native/1\nparam x: i32[4]\ny: i32[4] = neg x\nreturn y\n")
    offer = next(o for o in sokr.capability(i32) if o.substrate == gpu)
    assert not offer.ok and "node x" in offer.reason and "i32" in offer.reason


def test_f64_program_on_gpu(gpu: str) -> None:
    p = sokr.program(
        "sokr.native/1\nparam a: f64[40,30]\nparam b: f64[30,20]\nc: f64[40,20] = matmul a, b\n"
        "s: f64[20] = reduce_sum c, axes=[0]\nreturn c, s\n"
    )
    props = next(s for s in sokr.substrates() if s.name == gpu).properties
    if props["float64"] != "true":
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail("lavapipe, CI's device, has Float64")
        pytest.skip("the device has no Float64")
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    res = sokr.run(p, a, b, substrate=gpu)
    np.testing.assert_allclose(res["c"], a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res["s"], (a @ b).sum(axis=0), rtol=1e-12, atol=1e-12)


def test_bad_input_is_a_clear_error(gpu: str) -> None:
    p = sokr.program(SAXPY)
    x = np.ones(16, np.float32)
    push = struct.pack("<fI", 1.0, 16)
    with pytest.raises(sokr.InvalidInputError, match="2 buffer bindings"):
        sokr.run(p, x, substrate=gpu, push_constants=push)
    with pytest.raises(sokr.InvalidInputError, match="push-constant block is 8 bytes; 4 were given"):
        sokr.run(p, x, x, substrate=gpu, push_constants=struct.pack("<f", 1.0))
    with pytest.raises(sokr.InvalidInputError, match="do not fit"):
        sokr.run(p, x, np.ones(3, np.bool_), substrate=gpu, push_constants=push)
    with pytest.raises(sokr.InvalidInputError, match="holds float32 elements; the array is f64"):
        sokr.run(p, x, np.ones(16), substrate=gpu, push_constants=push)  # numpy's default dtype
    with pytest.raises(sokr.InvalidInputError, match="groups"):
        sokr.run(p, x, x, substrate=gpu, push_constants=push, groups=(0,))
    limit = int(next(s for s in sokr.substrates() if s.name == gpu).properties["max_storage_buffer_bytes"])
    if limit < 1 << 30:  # lavapipe: 128 MiB; a real GPU's 4 GiB is not worth allocating here
        big = np.zeros(limit // 4 + 64, np.float32)
        with pytest.raises(sokr.InvalidInputError, match="largest storage buffer"):
            sokr.run(p, x, big, substrate=gpu, push_constants=push)


def test_malformed_and_truncated_modules() -> None:
    data = SAXPY.read_bytes()
    with pytest.raises(sokr.InvalidProgramError, match="word"):
        sokr.program(data[: len(data) // 2])
    bad = bytearray(data)
    bad[20:24] = (0xFFFF0011).to_bytes(4, "little")  # first instruction: word count 65535
    with pytest.raises(sokr.InvalidProgramError, match="at word 5"):
        sokr.program(bytes(bad))


def test_meta_survives_every_path(gpu: str) -> None:
    # A native program has a signature, so its small results may take the fast path; the
    # result's meta (device, GPU time) must come back whichever path is taken.
    p = sokr.program("sokr.native/1\nparam x: f32[4]\ny: f32[4] = exp x\nreturn y\n")
    for _ in range(30):
        res = sokr.dispatch(p, np.zeros(4, np.float32), substrate=gpu).result(10)
        assert res.meta.get("device") and "gpu_time_ns" in res.meta
        np.testing.assert_array_equal(res["y"], np.ones(4, np.float32))


def test_spirv_reflection_from_python() -> None:
    info = sokr.program(SAXPY).spirv
    assert info is not None and info["version"] == "1.3"
    assert [(b["set"], b["binding"], b["name"], b["read_only"]) for b in info["bindings"]] == [
        (0, 0, "X", True),
        (0, 1, "Y", False),
    ]
    assert info["bindings"][0]["runtime_stride"] == 4
    assert info["push_constant_bytes"] == 8
    assert info["entry_points"][0]["workgroup_size"] == [256, 1, 1]
    assert sokr.program("sokr.native/1\nparam x: f32[2]\nreturn x\n").spirv is None


def test_spec_constants(gpu: str) -> None:
    m = sokr.program(TESTDATA / "dscale.spv")  # double s; double v[4]; double rest[]; local size from WG
    if not any(o.ok for o in sokr.capability(m) if o.substrate == gpu):
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail("lavapipe, CI's device, has Float64")
        pytest.skip("the device has no Float64")
    buf = np.zeros(5 + 256)
    buf[0], buf[2], buf[5:] = 2.0, 3.0, np.arange(256)
    res = sokr.run(m, buf, substrate=gpu, spec_constants={"WG": 128})
    assert res.meta["groups"] == "2,1,1"
    np.testing.assert_array_equal(res["D"][5:], 6 * np.arange(256))
    with pytest.raises(sokr.InvalidInputError, match="no specialization constant"):
        sokr.run(m, buf, substrate=gpu, spec_constants={"nope": 1})
