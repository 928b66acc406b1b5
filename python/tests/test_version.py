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
# sokr reads the METADATA of the first sokr-*.dist-info on sys.path, as importlib.metadata
# would: the folders that hold the real one are replaced by links to all they hold but it,
# and a fake one goes first.
IMPORT_WITH_METADATA = """
import os, pathlib, sys, tempfile
VERSION = sys.argv[1] if len(sys.argv) > 1 else None
tmp = pathlib.Path(tempfile.mkdtemp())
def ours(name):
    return name.lower().startswith("sokr-") and name.endswith(".dist-info")
for i, entry in enumerate(list(sys.path)):
    p = pathlib.Path(entry or ".")
    if p.is_dir() and any(ours(n) for n in os.listdir(p)):
        shadow = tmp / f"path{i}"
        shadow.mkdir()
        for n in os.listdir(p):
            if not ours(n):
                os.symlink(p / n, shadow / n)
        sys.path[i] = str(shadow)
if VERSION is not None:
    d = tmp / "meta" / f"sokr-{VERSION}.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\\nName: sokr\\nVersion: {VERSION}\\n\\nbody\\n")
    sys.path.insert(0, str(tmp / "meta"))
import sokr
print(sokr.__file__)
print(sokr.__version__)
print("importlib.metadata" in sys.modules)
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
    from sokr import _native

    assert importlib.metadata.version("sokr") == sokr.__version__
    # Read as importlib.metadata reads it, without importing it (see test_no_metadata...).
    assert _native.installed_version() == importlib.metadata.version("sokr")


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
    file, version, metadata_loaded = r.stdout.split()
    assert file == sokr.__file__  # the same sokr as this process, not another install
    assert version == sokr.__version__
    assert metadata_loaded == "False", "the version check does not import importlib.metadata"
