#!/usr/bin/env bash
# Installs the Debian packages SOKR uses when they are missing: a C compiler
# for cgo, OpenBLAS, which the cpu substrate loads at run time for matrix
# products (without it, SOKR falls back to its Go kernel), hdf5-tools, whose
# h5dump the HDF5 reader's tests compare against, abigail-tools, whose
# abidiff checks the C ABI of libsokr.so (make check-abi), and spirv-tools and
# spirv-cross, whose spirv-val and --reflect the SPIR-V reader's tests compare
# against.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
ldconfig -p | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0-pthread)
command -v h5dump >/dev/null || need+=(hdf5-tools)
command -v abidiff >/dev/null || need+=(abigail-tools)
command -v spirv-val >/dev/null || need+=(spirv-tools)
command -v spirv-cross >/dev/null || need+=(spirv-cross)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
