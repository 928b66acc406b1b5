#!/usr/bin/env bash
# Rebuilds the test modules from their GLSL (Debian: glslang-tools).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.comp; do
  glslangValidator -V --target-env vulkan1.1 -o "${f%.comp}.spv" "$f"
done
