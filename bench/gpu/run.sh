#!/usr/bin/env bash
# Runs the prepared GPU benchmark (see prepare.sh and README.md). On the
# GPU machine, from the repository root, with bench/gpu/build carried:
#
#   bash bench/gpu/run.sh [gpubench flags...]
#
# It installs the Vulkan loader from the carried .deb files when the machine
# has none, points the loader at the NVIDIA driver when that is present,
# prints the GPUs and runs gpubench, which writes gpubench.json (and this
# script report.txt) to ${OUT:-bench/gpu/out}. The exit code is gpubench's
# (0 ok, 1 a failure or a wrong answer, 2 no Vulkan, 3 overran), or 124
# when the run overran timeout's limit.
#
# $GPUBENCH_LIBROOT unpacks the packages into that directory instead of /
# (used without root, and to test this script on a machine with a loader).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/build/gpubench
out=${OUT:-bench/gpu/out}
mkdir -p "$out"

if [ ! -x "$bin" ]; then
  echo "run.sh: $bin is missing: run bench/gpu/prepare.sh first and carry bench/gpu/build" >&2
  exit 2
fi

# The dynamic linker's cache, read once (grep -q on a pipe would end
# ldconfig early, and pipefail would call that a miss).
ldcache=$(ldconfig -p 2>/dev/null)
have_lib() { grep -q "^[[:space:]]$1 " <<<"$ldcache"; }

# The Vulkan loader: unpack the carried packages whose libraries are
# missing (never one the machine already has, which may be newer).
if ! have_lib libvulkan.so.1; then
  echo "run.sh: no libvulkan.so.1; unpacking the carried packages that provide missing libraries"
  # Into / as the notes say; into a private tree on LD_LIBRARY_PATH when
  # not root, or where $GPUBENCH_LIBROOT says.
  root=${GPUBENCH_LIBROOT:-/}
  if [ "$root" = / ] && [ ! -w /usr/lib ]; then
    root=$here/build/root
  fi
  mkdir -p "$root"
  for deb in "$here"/build/debs/*.deb; do
    [ -e "$deb" ] || { echo "run.sh: no .deb files in $here/build/debs" >&2; break; }
    libs=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -E '/lib[^/]*\.so\.[0-9]+$' | xargs -r -n1 basename)
    missing=""
    for lib in $libs; do have_lib "$lib" || missing="$missing $lib"; done
    if [ -n "$missing" ]; then
      echo "run.sh:   $(basename "$deb") for$missing"
      dpkg -x "$deb" "$root"
    fi
  done
  if [ "$root" = / ]; then
    ldconfig
  else
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export SOKR_VULKAN_LOADER=$root/usr/lib/x86_64-linux-gnu/libvulkan.so.1
  fi
fi

# The NVIDIA driver's ICD, unless the caller chose a driver.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ] && [ -e "$nvidia_icd" ]; then
  export VK_DRIVER_FILES=$nvidia_icd
fi
ldcache=$(ldconfig -p 2>/dev/null)
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -d "$d" ] && ! have_lib libGLX_nvidia.so.0; then
    export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
done

if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader 2>/dev/null
fi
echo "run.sh: VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"

# gpubench keeps to a 150 s budget and gives up 60 s past it; timeout is the
# last resort for a hung driver.
timeout -k 10 270 "$bin" -out "$out" "$@" 2>&1 | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
echo "run.sh: gpubench exited $rc; report in $out/report.txt and $out/gpubench.json"
exit "$rc"
