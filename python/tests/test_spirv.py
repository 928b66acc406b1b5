"""SPIR-V modules are programs like any other: detected, reflected, and run by the vulkan
substrate (see test_gpu.py); without Vulkan every substrate refuses them with a reason."""

from __future__ import annotations

import pathlib

import pytest

import sokr

SPV = pathlib.Path(__file__).resolve().parents[2] / "pkg" / "ir" / "spirv" / "testdata" / "saxpy.spv"


def test_spirv_file_is_a_program() -> None:
    p = sokr.program(SPV)
    assert p.format == "spirv/1"
    assert "spirv:Shader" in p.features
    assert p.quantities["workgroup_invocations"] == 256
    assert p.source == SPV.read_bytes() and p.source_format == "spirv/1"
    offers = sokr.capability(p)
    assert offers
    for o in offers:
        if o.substrate.startswith("vulkan:"):
            assert o.ok, o.reason
        else:
            assert not o.ok and "spirv/1" in o.reason, o


def test_without_vulkan_spirv_is_refused() -> None:
    rt = sokr.Runtime(substrates=["cpu", "statevec", "snn"])
    try:
        with pytest.raises(sokr.NoCapableSubstrateError, match="spirv/1"):
            rt.run(rt.program(SPV))
    finally:
        rt.close()


def test_malformed_spirv_names_the_word() -> None:
    data = bytearray(SPV.read_bytes())
    data[4:8] = (0x00090000).to_bytes(4, "little")  # version 9.0
    with pytest.raises(sokr.InvalidProgramError, match="at word 1: version word"):
        sokr.program(bytes(data))
