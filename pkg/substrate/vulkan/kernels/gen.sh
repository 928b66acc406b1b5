#!/usr/bin/env bash
# Compiles the built-in kernels to SPIR-V 1.0 (Vulkan 1.0). The .spv files
# are committed; TestKernelsUpToDate checks they match these sources.
set -euo pipefail
cd "$(dirname "$0")"
for src in *.comp; do
  glslangValidator -V --target-env vulkan1.0 -o "${src%.comp}.spv" "$src" >/dev/null
done
