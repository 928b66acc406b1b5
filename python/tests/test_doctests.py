"""The examples in the package's docstrings run, against the installed package."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import pkgutil

import pytest

import sokr

# Every module of the package, subpackages and private modules included (the
# examples of quantum/_results.py, say, are documentation too).
MODULES = ["sokr", *sorted(m.name for m in pkgutil.walk_packages(sokr.__path__, "sokr."))]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    mod = importlib.import_module(name)
    failures, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_every_module_is_collected() -> None:
    root = pathlib.Path(sokr.__file__).parent
    on_disk = {
        ".".join(("sokr", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for p in root.rglob("*.py")
    }
    assert on_disk <= set(MODULES), sorted(on_disk - set(MODULES))
    assert {"sokr.quantum._results", "sokr.quantum.noise", "sokr.quantum.spin"} <= set(MODULES)
