"""`import sokr` loads only the package's __init__: the extension (and the Go runtime it starts),
the runtime, futures and their imports load on first use (issue 16's performance gate)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sokr

# Modules `import sokr` must leave unloaded: every module of the package but its __init__, the
# extension, and the standard library's heavier imports (asyncio alone, with ssl, socket and
# subprocess, is most of what `import sokr` cost when plugins.py imported it). typing too: numpy
# loads it anyway, but a script that imports sokr alone need not.
HEAVY = (
    "numpy",
    "asyncio",
    "ssl",
    "socket",
    "subprocess",
    "importlib.metadata",
    "email",
    "zipfile",
    "json",
    "concurrent.futures",
    "dataclasses",
    "logging",
    "html",
    "inspect",
    "ctypes",
    "typing",
)

LOADED_BY_IMPORT = """
import json, sys
before = set(sys.modules)
import sokr
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def new_modules(code: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_import_sokr_loads_no_submodule_and_nothing_heavy() -> None:
    loaded = new_modules(LOADED_BY_IMPORT)
    assert "sokr" in loaded
    assert [m for m in loaded if m.startswith("sokr.")] == []
    assert [m for m in loaded if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY))] == []


def test_first_use_loads_the_runtime_and_not_asyncio() -> None:
    code = """
import json, sys
import sokr
sokr.run(sokr.program("sokr.native/1\\nparam x: f32[2]\\ny: f32[2] = neg x\\nreturn y\\n"), [1, 2])
print(json.dumps(sorted(sys.modules)))
"""
    loaded = set(new_modules(code))
    assert {"sokr._native", "sokr._runtime", "sokr._future", "sokr.errors"} <= loaded
    assert not {"asyncio", "ssl"} & loaded


@pytest.mark.parametrize("name", sokr.__all__)
def test_every_public_name_resolves_to_its_definition(name: str) -> None:
    value = getattr(sokr, name)
    assert name in dir(sokr)
    if name == "__version__":
        assert value == sokr._native.version()
    elif name in sokr._LAZY:
        module = getattr(sokr, sokr._LAZY[name])
        assert value is getattr(module, name)
    else:  # defined in sokr/__init__.py
        assert value.__module__ == "sokr"


def test_star_import_binds_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from sokr import *", namespace)
    assert set(sokr.__all__) <= set(namespace)
    assert namespace["Runtime"] is sokr._runtime.Runtime


def test_default_runtime_is_the_runtimes_after_first_call() -> None:
    rt = sokr.default_runtime()
    assert rt is sokr._runtime.default_runtime()
    assert sokr.default_runtime is sokr._runtime.default_runtime


def test_lazy_names_are_public() -> None:
    assert set(sokr._LAZY) <= set(sokr.__all__)


def test_submodules_are_attributes_and_unknown_names_are_not() -> None:
    for name in sokr._SUBMODULES:
        assert getattr(sokr, name).__name__ == f"sokr.{name}"
    assert sokr.errors.SokrError is sokr.SokrError
    assert sokr.plugins.register_ir is sokr.register_ir
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        sokr.no_such_name  # noqa: B018
