#!/usr/bin/env bash
# Installs the Debian packages SOKR uses when they are missing: a C compiler
# for cgo, OpenBLAS, which the cpu substrate loads at run time for matrix
# products (without it, SOKR falls back to its Go kernel), hdf5-tools, whose
# h5dump the HDF5 reader's tests compare against, abigail-tools, whose
# abidiff checks the C ABI of libsokr.so (make check-abi), and spirv-tools and
# spirv-cross, whose spirv-val and --reflect the SPIR-V reader's tests compare
# against, and for the vulkan substrate's tests: the Vulkan loader, Mesa's
# lavapipe (a CPU Vulkan driver), the Khronos validation layer, and
# glslangValidator, which checks the committed built-in kernels against their
# sources.
#
# `deps.sh build` installs only what building the wheel needs (the C compiler), and
# `deps.sh runtime` only what running it uses (OpenBLAS, the Vulkan loader and lavapipe):
# make demo asks for those two, make test for everything.
set -euo pipefail
what=${1:-all}
need=()
if [ "$what" = all ] || [ "$what" = build ]; then
  command -v gcc >/dev/null || need+=(gcc libc6-dev)
fi
if [ "$what" = all ] || [ "$what" = runtime ]; then
  ldconfig -p | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0-pthread)
  ldconfig -p | grep -q 'libvulkan\.so\.1' || need+=(libvulkan1)
  [ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || need+=(mesa-vulkan-drivers)
fi
if [ "$what" = all ]; then
  command -v h5dump >/dev/null || need+=(hdf5-tools)
  command -v abidiff >/dev/null || need+=(abigail-tools)
  command -v spirv-val >/dev/null || need+=(spirv-tools)
  command -v spirv-cross >/dev/null || need+=(spirv-cross)
  [ -e /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ] || need+=(vulkan-validationlayers)
  command -v glslangValidator >/dev/null || need+=(glslang-tools)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
