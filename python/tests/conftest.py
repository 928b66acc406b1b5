from __future__ import annotations

import importlib
import os
import pathlib
from collections.abc import Callable, Iterator
from types import ModuleType

import numpy as np
import pytest

import sokr

# The repository root: its testdata/ (the NIR graphs and recordings, with their README) is in
# every clone, so the tests that read it never skip.
REPO = pathlib.Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    """CI is set to a true value (as Go's strconv.ParseBool reads it; GitHub sets CI=true)."""
    return os.environ.get("CI", "").strip() in {"1", "t", "T", "TRUE", "true", "True"}


def corpus_dir(sub: str) -> pathlib.Path:
    """The folder ``sub`` of the optional external test corpus (QASMBench, the OpenQASM 3
    examples, the full NIR paper set): $SOKR_TESTDATA when set, else ../shared/testdata beside
    the repository. The same rules as pkg/internal/testcorpus in Go: absent, the test skips with
    one line, or fails under CI=true; a set $SOKR_TESTDATA or a corpus without ``sub`` fails."""
    __tracebackhide__ = True  # skips and failures point at the test that asked
    env = os.environ.get("SOKR_TESTDATA", "")
    if env:
        d = pathlib.Path(env) / sub
        if not d.is_dir():
            pytest.fail(f"SOKR_TESTDATA={env}, but {d} is not a folder", pytrace=False)
        return d
    shared = REPO.parent / "shared" / "testdata"
    if shared.is_dir():
        d = shared / sub
        if not d.is_dir():
            pytest.fail(f"the test corpus at {shared} has no {sub}", pytrace=False)
        return d
    if in_ci():
        pytest.fail(
            f"CI is set but the test corpus ({sub}) is absent: set SOKR_TESTDATA or check it out at {shared}",
            pytrace=False,
        )
    pytest.skip(f"the optional test corpus ({sub}) is absent; set SOKR_TESTDATA or put it at {shared}")


@pytest.fixture
def corpus() -> Callable[[str], pathlib.Path]:
    """``corpus("nir")``: a folder of the optional external test corpus (see corpus_dir)."""
    return corpus_dir


def optional_module(name: str) -> ModuleType:
    """Import an optional test dependency (nir, qiskit, cudaq): where it is not installed the
    test skips, except under CI, where the import error fails it."""
    __tracebackhide__ = True
    if in_ci():
        return importlib.import_module(name)
    return pytest.importorskip(name)


def lavapipe_requested() -> bool:
    """SOKR_VULKAN_CPU asks for CPU Vulkan devices (lavapipe), as make test-py does."""
    return os.environ.get("SOKR_VULKAN_CPU", "").strip() in {"1", "t", "T", "TRUE", "true", "True"}


# CUDA-Q and lavapipe each carry an LLVM; once cudaq is imported, lavapipe compiling a shader
# ends the process ("LLVM ERROR: Option 'default' already exists!", or a segfault), in either
# order of loading. So the tests that import cudaq are marked `cudaq`, and a session that asks
# for lavapipe leaves them out: make test-py runs them in a process of their own
# (`pytest -m cudaq`, SOKR_VULKAN_CPU unset).
CUDAQ_MARK = "cudaq"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{CUDAQ_MARK}: imports CUDA-Q; runs in a session without lavapipe (SOKR_VULKAN_CPU unset)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not lavapipe_requested():
        return
    cudaq = [i for i in items if i.get_closest_marker(CUDAQ_MARK)]
    if cudaq:
        config.hook.pytest_deselected(items=cudaq)
        items[:] = [i for i in items if not i.get_closest_marker(CUDAQ_MARK)]


@pytest.fixture
def optional(request: pytest.FixtureRequest) -> Callable[[str], ModuleType]:
    """``qiskit = optional("qiskit")`` in a test that needs the package (see optional_module).
    A test that imports cudaq must be marked ``@pytest.mark.cudaq`` (see CUDAQ_MARK)."""

    def load(name: str) -> ModuleType:
        __tracebackhide__ = True
        if name == "cudaq" and request.node.get_closest_marker(CUDAQ_MARK) is None:
            pytest.fail(f"{request.node.nodeid} imports cudaq: mark it @pytest.mark.{CUDAQ_MARK}")
        return optional_module(name)

    return load


AXPY = """sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
"""

# Long enough (three 1200^3 f64 matrix products) to be cancelled or timed out mid-run.
SLOW = """sokr.native/1
param x: f64[1200,1200]
y: f64[1200,1200] = matmul x, x
z: f64[1200,1200] = matmul y, y
w: f64[1200,1200] = matmul z, z
return w
"""


@pytest.fixture
def axpy() -> sokr.Program:
    return sokr.program(AXPY)


@pytest.fixture
def slow() -> sokr.Program:
    return sokr.program(SLOW)


@pytest.fixture
def ones4() -> np.ndarray:
    return np.ones(4, np.float32)


def _gpu() -> str:
    names = [s.name for s in sokr.substrates() if s.name.startswith("vulkan:")]
    if not names:
        why = sokr.default_runtime().info()["failures"].get("vulkan", "no vulkan substrate")
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"CI needs Vulkan (lavapipe): {why}")
        pytest.skip(f"no Vulkan here: {why}")
    return names[0]


@pytest.fixture
def gpu() -> Iterator[str]:
    name = _gpu()
    rt = sokr.default_runtime()
    rt.validation_messages()  # start clean
    yield name
    assert rt.validation_messages() == {}, "the Vulkan validation layer reported problems"
