#!/usr/bin/env bash
# Compiles the benchmark's shaders to SPIR-V 1.0 (Vulkan 1.0). The .spv
# files are committed, so the GPU machine needs no compiler; main_test.go
# checks they match these sources when glslangValidator is installed.
set -euo pipefail
cd "$(dirname "$0")/shaders"
for src in *.comp; do
  glslangValidator -V --target-env vulkan1.0 -o "${src%.comp}.spv" "$src" >/dev/null
done
