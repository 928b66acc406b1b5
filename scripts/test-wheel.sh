#!/usr/bin/env bash
# The wheel installs into a fresh virtualenv and works with no Go on PATH, imported from
# outside the source tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q "$root"/dist/sokr-*.whl
cd "$tmp"
env -i HOME="$tmp" PATH="/usr/bin:/bin" "$tmp/venv/bin/python" - <<'PY'
import shutil, numpy as np, sokr
assert shutil.which("go") is None, "go is on PATH"
p = sokr.program("sokr.native/1\nparam x: f64[3]\ny: f64[] = reduce_sum x, axes=[0]\nreturn y\n")
r = sokr.run(p, np.array([1.0, 2.0, 3.0]))
assert r.value == 6.0, r
print("wheel ok:", sokr.__version__, sokr.__file__, "ran on", r.substrate)
PY
"$tmp/venv/bin/sokr" info >/dev/null
