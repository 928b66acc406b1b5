"""The examples in the package's docstrings run, against the installed package."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sokr

MODULES = ["sokr"] + [
    f"sokr.{m.name}" for m in pkgutil.iter_modules(sokr.__path__) if not m.name.startswith("_")
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    mod = importlib.import_module(name)
    failures, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
