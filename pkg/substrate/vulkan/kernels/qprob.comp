#version 450
#extension GL_GOOGLE_include_directive : require
// Probabilities: o[p.a1 + j] = |a_j|^2 for the p.n amplitudes of chunk
// p.a0.
#include "qcommon.glsl"

void main() {
  uint c = p.a0;
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint j = gl_GlobalInvocationID.x; j < p.n; j += stride) {
    T2 v = st[c].a[j];
    o[p.a1 + j] = dot(v, v);
  }
}
