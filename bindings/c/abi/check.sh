#!/usr/bin/env bash
# Compares a freshly built libsokr.so with the committed ABI baseline
# (bindings/c/abi/libsokr.abi, written by abidw) using abidiff from Debian's
# abigail-tools. Run by `make check-abi`.
#
# It fails on a removed function or a changed one (a parameter, a return
# type, or a struct reached from them that changed layout) and passes
# when functions were only added. Appending a field to a struct that
# starts with struct_size is compatible by sokr.h's rules but still shows
# as a change: review it, then refresh the baseline with
# `make abi-baseline` in the same commit.
set -uo pipefail
lib=${1:?usage: check.sh LIBSOKR.so}
baseline=$(dirname "$0")/libsokr.abi
if ! command -v abidiff >/dev/null; then
  echo "check-abi: abidiff not found; install abigail-tools (make deps does, as root)" >&2
  exit 1
fi
report=$(abidiff "$baseline" "$lib")
rc=$?
# abidiff's exit status is a bit mask: 1 error, 2 usage error, 4 ABI
# change, 8 incompatible change (a removed symbol).
if (( rc == 0 )); then
  echo "check-abi: libsokr.so matches the ABI baseline"
  exit 0
fi
if (( rc & 3 )); then
  echo "check-abi: abidiff failed (status $rc):" >&2
  echo "$report" >&2
  exit 1
fi
if (( rc & 8 )) || ! grep -q '^Functions changes summary: 0 Removed, 0 Changed' <<<"$report" \
   || ! grep -q '^Variables changes summary: 0 Removed, 0 Changed' <<<"$report"; then
  echo "check-abi: libsokr.so breaks the C ABI baseline $baseline:" >&2
  echo "$report" >&2
  exit 1
fi
echo "check-abi: only additions to the ABI baseline (refresh it with make abi-baseline):"
echo "$report"
