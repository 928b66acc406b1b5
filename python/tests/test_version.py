"""The version is written once (bindings/python/version.go), and a mismatch is refused when the
extension loads (on sokr's first use: `import sokr` alone loads nothing, see test_imports.py)."""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import subprocess
import sys

import sokr

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Imports sokr in a fresh interpreter whose package metadata says VERSION (None: no metadata,
# as when sokr runs from a source tree without being installed) and prints sokr.__version__.
IMPORT_WITH_METADATA = """
import importlib.metadata, sys
VERSION = sys.argv[1] if len(sys.argv) > 1 else None
real = importlib.metadata.version
def fake(name):
    if name != "sokr":
        return real(name)
    if VERSION is None:
        raise importlib.metadata.PackageNotFoundError(name)
    return VERSION
importlib.metadata.version = fake
import sokr
print(sokr.__file__)
print(sokr.__version__)
"""


def import_with_metadata(*version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_WITH_METADATA, *version],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version_is_the_one_in_version_go() -> None:
    m = re.search(r'^const version = "([^"]+)"$', (ROOT / "bindings/python/version.go").read_text(), re.M)
    assert m, "bindings/python/version.go has no version constant"
    assert sokr.__version__ == m.group(1)
    # pyproject.toml does not write it a second time.
    assert not re.search(r"^version\s*=", (ROOT / "pyproject.toml").read_text(), re.M)


def test_metadata_and_extension_agree() -> None:
    assert importlib.metadata.version("sokr") == sokr.__version__


def test_mismatch_is_refused_when_the_extension_loads() -> None:
    r = import_with_metadata("0.0.1.dev7")
    assert r.returncode != 0
    assert (
        f"ImportError: sokr's extension module is version {sokr.__version__} but the installed sokr "
        "package is 0.0.1.dev7" in r.stderr
    ), r.stderr


def test_no_metadata_takes_the_extension_version() -> None:
    r = import_with_metadata()
    assert r.returncode == 0, r.stderr
    file, version = r.stdout.split()
    assert file == sokr.__file__  # the same sokr as this process, not another install
    assert version == sokr.__version__
