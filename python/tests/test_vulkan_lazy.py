"""Vulkan is loaded only when a program may need it, and CPU drivers only when asked for:
loading Mesa's lavapipe (or RADV) maps a libLLVM, which aborts a process that already holds
CUDA-Q's ("LLVM ERROR: Option 'default' already exists!").

Each test runs a fresh Python process: in this one, other tests have loaded Vulkan (with
SOKR_VULKAN_CPU=1, as `make test-py` sets it)."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from conftest import in_ci

SPV = pathlib.Path(__file__).resolve().parents[2] / "pkg" / "ir" / "spirv" / "testdata" / "saxpy.spv"
LAVAPIPE = pathlib.Path("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")

PRELUDE = """
import json, sys
import numpy as np
BELL = ('OPENQASM 3;\\ninclude "stdgates.inc";\\nqubit[2] q;\\nbit[2] c;\\n'
        "h q[0];\\ncx q[0], q[1];\\nc = measure q;\\n")
NEG = "sokr.native/1\\nparam x: f32[3]\\ny: f32[3] = neg x\\nreturn y\\n"

def vulkan_mapped():
    with open("/proc/self/maps") as fh:
        maps = fh.read()
    return {"loader": "/libvulkan.so" in maps, "lavapipe": "libvulkan_lvp.so" in maps,
            "llvm": "libLLVM" in maps}
"""


def child(code: str, cpu: bool = False) -> dict[str, Any]:
    """Run code after PRELUDE in a fresh interpreter (the loader's own driver discovery, CPU
    drivers asked for only when ``cpu``); return the JSON it prints last."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SOKR_VULKAN_CPU", "VK_ICD_FILENAMES", "VK_DRIVER_FILES")
    }
    if cpu:
        env["SOKR_VULKAN_CPU"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, f"the child died ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_quantum_only_session_never_loads_vulkan() -> None:
    got = child(
        f"""
        import sokr
        from sokr import quantum
        stages = {{"import": vulkan_mapped()}}
        r = quantum.sample(BELL, shots_count=50, seed=1)
        assert set(r) <= {{"00", "11"}}
        quantum.observe(BELL, quantum.spin.z(0)).expectation()
        stages["circuits"] = vulkan_mapped()
        y = sokr.run(NEG, np.array([1, 2, 3], np.float32))
        assert y.substrate == "cpu" and y.value.tolist() == [-1, -2, -3]
        stages["native on cpu"] = vulkan_mapped()
        repr(sokr.default_runtime()); sokr.irs()
        stages["repr and irs"] = vulkan_mapped()
        sokr.capability(sokr.program({str(SPV)!r}))
        stages["spirv capability"] = vulkan_mapped()
        stages["failure"] = sokr.default_runtime().info()["failures"].get("vulkan", "")
        print(json.dumps(stages))
        """
    )
    for stage in ("import", "circuits", "native on cpu", "repr and irs"):
        assert not got[stage]["loader"], f"libvulkan was loaded by: {stage}"
    if "no Vulkan loader" not in got["failure"]:
        # The control: where there is a loader, a SPIR-V module's question loads it.
        assert got["spirv capability"]["loader"]
    assert not got["spirv capability"]["lavapipe"], "lavapipe was loaded though not asked for"


def test_lavapipe_left_out_unless_asked_for() -> None:
    code = """
        import sokr
        subs = [s for s in sokr.substrates() if s.name.startswith("vulkan")]
        print(json.dumps({"types": [s.properties.get("device_type") for s in subs],
                          "names": [s.name for s in subs],
                          "failure": sokr.default_runtime().info()["failures"].get("vulkan", ""),
                          "maps": vulkan_mapped()}))
        """
    without = child(code)
    assert "cpu" not in without["types"]
    assert "vulkan" not in without["names"], "the listing enumerated the devices"
    assert not without["maps"]["lavapipe"]
    if not without["names"] and "no Vulkan loader" not in without["failure"]:
        assert "SOKR_VULKAN_CPU=1" in without["failure"], "the failure says how to get CPU drivers"
    if not LAVAPIPE.exists():
        if in_ci():
            pytest.fail(f"CI needs lavapipe ({LAVAPIPE})")
        pytest.skip("lavapipe is not installed")
    asked = child(code, cpu=True)
    assert "cpu" in asked["types"], asked
    assert asked["maps"]["lavapipe"]


def test_cudaq_then_sokr_in_one_process() -> None:
    """`import cudaq`, then sokr: sample a circuit and run a native program (and cudaq keeps
    working). With lavapipe loaded at sokr's start, this aborted in LLVM."""
    if importlib.util.find_spec("cudaq") is None:
        if in_ci():
            pytest.fail("CI needs cudaq (a test dependency)")
        pytest.skip("cudaq is not installed")
    got = child(
        """
        import cudaq
        import sokr
        from sokr import quantum
        k = cudaq.make_kernel()
        q = k.qalloc(2)
        k.h(q[0])
        k.cx(q[0], q[1])
        k.mz(q)
        before = dict(cudaq.sample(k, shots_count=100).items())
        r = quantum.sample(BELL, shots_count=100, seed=1)
        y = sokr.run(NEG, np.array([1, 2, 3], np.float32))
        after = dict(cudaq.sample(k, shots_count=100).items())
        print(json.dumps({"cudaq": [before, after], "sokr": dict(r), "neg": y.value.tolist(),
                          "maps": vulkan_mapped()}))
        """
    )
    for counts in got["cudaq"]:
        assert set(counts) <= {"00", "11"} and sum(counts.values()) == 100
    assert set(got["sokr"]) <= {"00", "11"} and sum(got["sokr"].values()) == 100
    assert got["neg"] == [-1, -2, -3]
    assert not got["maps"]["lavapipe"]
