#version 450
#ifdef DOUBLE
#extension GL_ARB_gpu_shader_fp64 : enable
#define T double
#else
#define T float
#endif
// Batched matrix product C[b] = A[b] (m x k) * B[b] (k x n), row-major, in
// 64 x 64 tiles: 256 invocations each compute a 4 x 4 block, staging 16-wide
// slices of A and B through shared memory.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, set = 0, binding = 0) buffer Arena { T v[]; };  // DOUBLE: f64 values (offsets in doubles)
layout(push_constant) uniform Push {
  uint m, n, k;
  uint a, b, c;        // element offsets of batch 0
  uint sa, sb, sc;     // batch strides
} p;

const uint TILE = 64u, DEPTH = 16u;
shared T As[DEPTH][TILE];
shared T Bs[DEPTH][TILE];

void main() {
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint row0 = gl_WorkGroupID.y * TILE, col0 = gl_WorkGroupID.x * TILE;
  uint batch = gl_WorkGroupID.z;
  uint a = p.a + batch * p.sa, b = p.b + batch * p.sb, c = p.c + batch * p.sc;
  uint lid = ty * 16u + tx;
  T acc[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) acc[i][j] = T(0);
  for (uint k0 = 0u; k0 < p.k; k0 += DEPTH) {
    // 256 invocations load 64 x 16 of A and 16 x 64 of B, four each.
    for (uint e = lid; e < TILE * DEPTH; e += 256u) {
      uint r = e / DEPTH, kk = e % DEPTH;
      uint gr = row0 + r, gk = k0 + kk;
      As[kk][r] = (gr < p.m && gk < p.k) ? v[a + gr * p.k + gk] : T(0);
      uint kb = e / TILE, cc = e % TILE;
      uint gkb = k0 + kb, gc = col0 + cc;
      Bs[kb][cc] = (gkb < p.k && gc < p.n) ? v[b + gkb * p.n + gc] : T(0);
    }
    barrier();
    for (uint kk = 0u; kk < DEPTH; kk++) {
      T ar[4], br[4];
      for (uint i = 0u; i < 4u; i++) ar[i] = As[kk][ty + 16u * i];
      for (uint j = 0u; j < 4u; j++) br[j] = Bs[kk][tx + 16u * j];
      for (uint i = 0u; i < 4u; i++)
        for (uint j = 0u; j < 4u; j++) acc[i][j] += ar[i] * br[j];
    }
    barrier();
  }
  for (uint i = 0u; i < 4u; i++) {
    uint gr = row0 + ty + 16u * i;
    if (gr >= p.m) continue;
    for (uint j = 0u; j < 4u; j++) {
      uint gc = col0 + tx + 16u * j;
      if (gc < p.n) v[c + gr * p.n + gc] = acc[i][j];
    }
  }
}
