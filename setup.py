"""Builds SOKR's extension module with gopy during ``pip install .`` / ``make wheel``.

Needs Go (the version in go.mod) and a C compiler at build time; the wheel needs neither.
gopy and goimports come from the ``tool`` lines of go.mod, pybindgen from the build
requirements in pyproject.toml.

The extension (``_sokr``) and gopy's Python wrappers (``facade.py``, ``go.py``) are placed in
the package ``sokr._gopy``; ``sokr._native`` is their only importer.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
GO_PACKAGE = "./bindings/python"  # the gopy facade
NAME = "sokr"  # gopy -name: the extension module is _sokr
# gopy runs `go build` in its output folder, which must be inside the Go module; the leading
# underscore keeps `go build ./...` and `go test ./...` away from the generated cgo code.
OUT = os.path.join(ROOT, "_gopy_build", NAME)


class GopyBuildExt(build_ext):
    """Runs ``gopy build`` and installs its products into ``sokr._gopy``."""

    def build_extension(self, ext: Extension) -> None:
        go = shutil.which("go")
        if not go:
            raise RuntimeError(
                "building sokr from source needs Go (see go.mod for the version) and a C "
                "compiler; install Go from https://go.dev/dl or use a prebuilt wheel"
            )
        tools = tempfile.mkdtemp(prefix="sokr-gopy-")
        env = dict(os.environ, CGO_ENABLED="1")
        # gopy runs `goimports` and `go` from PATH.
        env["PATH"] = os.pathsep.join([tools, os.path.dirname(go), env.get("PATH", "")])
        # gopy builds with -mod=mod, which may rewrite go.mod/go.sum: put them back afterwards.
        saved = {f: open(os.path.join(ROOT, f), "rb").read() for f in ("go.mod", "go.sum")}
        try:
            for exe, pkg in (
                ("gopy", "github.com/go-python/gopy"),
                ("goimports", "golang.org/x/tools/cmd/goimports"),
            ):
                subprocess.check_call([go, "build", "-o", os.path.join(tools, exe), pkg], cwd=ROOT, env=env)
            shutil.rmtree(OUT, ignore_errors=True)
            subprocess.check_call(
                [
                    os.path.join(tools, "gopy"),
                    "build",
                    "-output=" + OUT,
                    "-vm=" + sys.executable,
                    "-dynamic-link=true",  # no libpython dependency: portable like any extension
                    "-symbols=false",
                    "-no-make=true",
                    "-name=" + NAME,
                    GO_PACKAGE,
                ],
                cwd=ROOT,
                env=env,
            )
        finally:
            for f, data in saved.items():
                with open(os.path.join(ROOT, f), "wb") as fh:
                    fh.write(data)
            shutil.rmtree(tools, ignore_errors=True)

        built = glob.glob(os.path.join(OUT, "_" + NAME + ".*so"))
        if len(built) != 1:
            raise RuntimeError(f"gopy produced {built!r}, expected one _{NAME} extension")
        dest = self.get_ext_fullpath(ext.name)
        targets = {os.path.dirname(dest)}
        if self.inplace or getattr(self, "editable_mode", False):
            targets.add(os.path.join(ROOT, "python", "sokr", "_gopy"))
        for d in targets:
            os.makedirs(d, exist_ok=True)
            shutil.copyfile(built[0], os.path.join(d, os.path.basename(dest)))
            for py in ("facade.py", "go.py"):
                shutil.copyfile(os.path.join(OUT, py), os.path.join(d, py))


setup(
    ext_modules=[Extension("sokr._gopy._" + NAME, sources=[])],
    cmdclass={"build_ext": GopyBuildExt},
)
