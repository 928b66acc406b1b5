#!/usr/bin/env bash
# Prepares the GPU benchmark on THIS (development) machine, for run.sh on the
# GPU machine, which has the NVIDIA driver but no Go, no compiler, no Vulkan
# loader and no network:
#
#   bench/gpu/build/gpubench  the benchmark (cgo; needs only glibc at run
#                             time, and libvulkan.so.1 through dlopen)
#   bench/gpu/build/debs/     Debian's libvulkan1 and the GL/X libraries the
#                             NVIDIA ICD (libGLX_nvidia.so.0) links against;
#                             run.sh unpacks those the machine lacks
#
# Usage (from anywhere): bash bench/gpu/prepare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$here/build

mkdir -p "$build/debs"
echo "prepare: building $build/gpubench"
(cd "$root" && CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -o "$build/gpubench" ./bench/gpu)

# The loader, and what libGLX_nvidia.so.0 may need (gpu-notes.md): glvnd's
# dispatch libraries and the X client libraries. run.sh skips any whose
# libraries the GPU machine already has.
debs=(libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2
  libx11-6 libx11-data libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)
echo "prepare: fetching ${debs[*]}"
rm -f "$build/debs"/*.deb
download() { (cd "$build/debs" && apt-get download "${debs[@]}" 2>&1 >/dev/null | grep -v 'unsandboxed' >&2; exit "${PIPESTATUS[0]}"); }
if ! download; then
  echo "prepare: apt-get download failed; updating the package lists and retrying"
  apt-get update >/dev/null
  download
fi

# Check what was built: an x86-64 binary that links nothing but glibc.
if ! command -v objdump >/dev/null; then
  echo "prepare: no objdump (binutils) to check the binary with; done"
  exit 0
fi
[[ $(objdump -f "$build/gpubench") == *x86-64* ]] || { echo "prepare: $build/gpubench is not an x86-64 binary"; exit 1; }
needed=$(objdump -p "$build/gpubench" | awk '/NEEDED/ {print $2}' | sort -u | tr '\n' ' ')
echo "prepare: gpubench needs: ${needed:-?} (libvulkan.so.1 is loaded at run time)"
for lib in $needed; do
  case $lib in
  libc.so.6 | libdl.so.2 | libpthread.so.0 | libm.so.6 | ld-linux-x86-64.so.2) ;;
  *) echo "prepare: unexpected run-time dependency $lib"; exit 1 ;;
  esac
done
echo "prepare: glibc symbols up to $(objdump -T "$build/gpubench" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
ls -l "$build/gpubench" "$build/debs"
du -sh "$build" | awk '{print "prepare: " $1 " to carry (the device tool takes 64 MiB)"}'
