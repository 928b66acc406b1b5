#!/usr/bin/env bash
# make test-fresh-clone: the repository as a user's `git clone` has it. The committed tree
# (HEAD) is cloned into an empty temporary folder, so nothing sits beside it (no ../shared),
# and the Go tests and the Python tests run there with SOKR_TESTDATA and CI unset: a test that
# reads outside the repository fails here, not on a user's machine.
#
# To keep it cheap, Go runs without -race (make test-go has it), and Python reuses .venv's
# interpreter and packages with the clone's own extension, built in place; the test run
# first checks that it imports the clone's sokr, not the one .venv has installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "$root" && realpath "${VENV:-.venv}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clone=$tmp/sokr
git clone -q "$root" "$clone"
cd "$clone"
unset SOKR_TESTDATA CI
if [ -e ../shared ]; then echo "test-fresh-clone: $tmp/shared exists" >&2; exit 1; fi
echo "test-fresh-clone: $(git log -1 --format='%h %s' | cut -c1-80) in $clone"

# Both suites run even when the first fails, so that one run shows every failure.
failed=()
echo "== go test ./... (fresh clone)"
go test -count=1 ./... || failed+=("go test")

echo "== pytest (fresh clone)"
"$venv/bin/python" setup.py -q build_ext --inplace >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
# The check and pytest run in one process (`python -c`, not a script on stdin, whose
# __main__ Dask's spawned workers would try to re-import).
check='
import os, sys
import pytest
import sokr, sokr._native
clone = os.environ["CLONE"]
for mod in (sokr, sokr._native._f):  # the Python package and the extension it loaded
    assert mod.__file__.startswith(os.path.join(clone, "python", "sokr") + os.sep), (
        f"the tests in the fresh clone would import {mod.__file__}, not the sokr built there"
    )
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:], "python/tests"]))
'
SOKR_VULKAN_VALIDATION=1 SOKR_VULKAN_CPU=1 PYTHONPATH="$clone/python" CLONE="$clone" "$venv/bin/python" -c "$check" || failed+=(pytest)
# CUDA-Q's LLVM and lavapipe's cannot share a process: the cudaq tests run in one without it.
PYTHONPATH="$clone/python" CLONE="$clone" "$venv/bin/python" -c "$check" -m cudaq || failed+=("pytest -m cudaq")
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-fresh-clone: ${failed[*]} failed in a fresh clone of $(git rev-parse --short HEAD)" >&2
  exit 1
fi
