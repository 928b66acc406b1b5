#version 450
#extension GL_GOOGLE_include_directive : require
// Sets chunk p.a0 (p.n amplitudes) of the state to |0...0>'s: 1 at index 0
// of chunk 0, zero elsewhere.
#include "qcommon.glsl"

void main() {
  uint c = p.a0;
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint j = gl_GlobalInvocationID.x; j < p.n; j += stride)
    st[c].a[j] = T2(c == 0u && j == 0u ? T(1) : T(0), T(0));
}
