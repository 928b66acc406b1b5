#version 450
#extension GL_GOOGLE_include_directive : require
// Z-string expectations, partial sums: for the p.n amplitudes of chunk
// p.a0 and each of the p.a1 (at most 8) masks at aux word p.a3, workgroup
// g writes sum_i |a_i|^2 (-1)^popcount(i & mask) over the amplitudes it
// visits to o[p.a2 + g * p.a1 + t]. The host (or qdyn's sum) adds the
// partial sums up: only they leave the device.
#include "qcommon.glsl"

shared T part[8][256];

void main() {
  uint c = p.a0, nm = p.a1;
  uint base = c << p.chunkBits;
  uint masks[8];
  T acc[8];
  for (uint t = 0u; t < 8u; t++) {
    masks[t] = t < nm ? w[p.a3 + t] : 0u;
    acc[t] = T(0);
  }
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint j = gl_GlobalInvocationID.x; j < p.n; j += stride) {
    T2 v = st[c].a[j];
    T q = dot(v, v);
    uint i = base | j;
    // All eight, unused masks too: a loop of constant length unrolls and
    // keeps masks and acc in registers.
    for (uint t = 0u; t < 8u; t++)
      acc[t] += (bitCount(i & masks[t]) & 1) != 0 ? -q : q;
  }
  uint l = gl_LocalInvocationID.x;
  for (uint t = 0u; t < 8u; t++) part[t][l] = acc[t];
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (l < s)
      for (uint t = 0u; t < 8u; t++) part[t][l] += part[t][l + s];
    barrier();
  }
  if (l < nm) o[p.a2 + gl_WorkGroupID.x * nm + l] = part[l][0];
}
