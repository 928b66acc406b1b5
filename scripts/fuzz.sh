#!/usr/bin/env bash
# make fuzz-ci / make fuzz: runs every Go fuzz target (every `func FuzzXxx(f *testing.F)` in a
# _test.go file, the set `go test -list '^Fuzz' ./...` gives) for FUZZTIME each, one after the
# other, and fails when any of them fails.
#
#   FUZZTIME       how long each target fuzzes (a Go duration, or Nx for N inputs); default 10s
#   FUZZ_PARALLEL  fuzzing workers per target (go test -parallel); default 2
#   FUZZ_FILTER    an extended regexp: only the "package FuzzName" lines that match run
#
# A target that fails only with Go 1.26's fuzztime race (go.dev/issue/75804: "context deadline
# exceeded" at the end of -fuzztime, no failing input written) runs once more.
#
# Go's fuzzer has no time limit per input, and when an input hangs a worker it still passes
# the run once FUZZTIME is over. Every target therefore runs each input under
# pkg/internal/fuzzguard (a deadline, then a watchdog that kills the worker), which turns a
# hang into "fuzzing process hung or terminated unexpectedly" and a failure; this script also
# fails on that message whatever the exit status, and a whole run that outlives its
# -timeout fails too. A failing input is written to the package's testdata/fuzz/FuzzName/;
# the script prints it. Reproduce with: go test ./pkg/... -run 'FuzzName/<file>'.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
fuzztime=${FUZZTIME:-10s}
parallel=${FUZZ_PARALLEL:-2}
filter=${FUZZ_FILTER:-}
go=${GO:-go}

# The backstop for a whole target: its fuzz time, plus time to build, gather the baseline
# coverage of its corpus and stop.
case $fuzztime in
  *[0-9]s) timeout=$(( ${fuzztime%s} + 300 ))s ;;
  *[0-9]m) timeout=$(( ${fuzztime%m} * 60 + 300 ))s ;;
  *) timeout=30m ;;
esac

# "package FuzzName" for every fuzz target, found in the sources rather than by building
# every package's test binary (go test -list), which costs minutes on two cores.
targets=$(git ls-files '*_test.go' | xargs grep -oE '^func Fuzz[A-Za-z0-9_]*\([A-Za-z_]+ \*testing\.F\)' |
  sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*|./\1 \2|' | sort -u)
if [ -n "$filter" ]; then
  targets=$(grep -E -- "$filter" <<<"$targets")
fi
if [ -z "$targets" ]; then
  echo "fuzz: no fuzz targets${filter:+ match $filter}" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()
start=$SECONDS
n=0
while read -r pkg name; do
  n=$((n + 1))
  t0=$SECONDS
  echo "== $pkg $name (fuzztime $fuzztime, $parallel workers)"
  before=$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null)
  for attempt in 1 2; do
    "$go" test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -parallel "$parallel" -timeout "$timeout" \
      >"$tmp/out" 2>&1
    rc=$?
    tail -n 20 "$tmp/out"
    # Go 1.26's fuzz coordinator can fail a target at the end of a duration -fuzztime with a
    # bare "context deadline exceeded" and no failing input (go.dev/issue/75804, fixed in
    # Go 1.27). That, and only that, is run once more; a second failure counts.
    if [ $rc -ne 0 ] && [ "$attempt" = 1 ] && [ "$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null)" = "$before" ] &&
      grep -A1 -E "^--- FAIL: $name " "$tmp/out" | tail -n 1 | grep -qxE '[[:space:]]*context deadline exceeded'; then
      echo "-- $pkg $name: Go's fuzztime race (go.dev/issue/75804), no failing input written: once more"
      continue
    fi
    break
  done
  problem=""
  if [ $rc -ne 0 ]; then
    problem="exit status $rc"
  elif grep -q 'hung or terminated unexpectedly' "$tmp/out"; then
    problem="a fuzzing process hung"
  elif ! grep -q '^fuzz: elapsed: ' "$tmp/out"; then
    problem="it did not fuzz (no such target in the build?)"
  fi
  if [ -n "$problem" ]; then
    failed+=("$pkg $name: $problem")
    for f in $(ls "$pkg/testdata/fuzz/$name" 2>/dev/null); do
      if ! grep -qxF "$f" <<<"$before"; then
        echo "-- new failing input $pkg/testdata/fuzz/$name/$f:"
        head -c 2000 "$pkg/testdata/fuzz/$name/$f"
        echo
      fi
    done
  fi
  echo "-- $pkg $name: $((SECONDS - t0))s${problem:+, FAILED: $problem}"
done <<<"$targets"

echo "fuzz: $n targets in $((SECONDS - start))s (fuzztime $fuzztime each, $parallel workers)"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
