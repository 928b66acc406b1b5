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
# The release wheel is compiled by zig's clang (scripts/wheel.sh): its C kernels must still
# run the best variant this CPU has, as a GCC build does.
flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= flags:
    want = {"snn": "x86-64-v4", "statevec": "c/avx512"}
elif {"avx2", "fma"} <= flags:
    want = {"snn": "avx2", "statevec": "c/avx2"}
else:
    want = {"snn": "baseline", "statevec": "c/baseline"}
got = {s.name: s.properties.get("kernels") for s in sokr.substrates() if s.name in want}
assert got == want, f"the wheel's C kernels are {got}; this CPU runs {want}"
print("wheel ok:", sokr.__version__, sokr.__file__, "ran on", r.substrate, "; kernels:", got)
PY
"$tmp/venv/bin/sokr" info >/dev/null
