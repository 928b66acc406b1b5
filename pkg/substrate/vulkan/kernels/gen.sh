#!/usr/bin/env bash
# Compiles the built-in kernels to SPIR-V 1.0 (Vulkan 1.0). The .spv files
# are committed; TestKernelsUpToDate checks they match these sources.
set -euo pipefail
cd "$(dirname "$0")"
for src in *.comp; do
  glslangValidator -V --target-env vulkan1.0 -o "${src%.comp}.spv" "$src" >/dev/null
done
# f64 variants (devices with shaderFloat64): complex128 for the circuit
# kernels.
for k in fused reduce matmul qinit qpass qpassn qprob qexpz qdyn qkraus; do
  glslangValidator -V --target-env vulkan1.0 -DDOUBLE -o "${k}64.spv" "$k.comp" >/dev/null
done
