#version 450
// Event-driven matrix product, for a NIR layer's synaptic propagation:
// C[b] = A[b] (m x k) * B[b] (k x n), row-major, as matmul.comp computes it,
// but an input k that is zero in all the rows of a 16-row group adds nothing
// and its row of B is not read: the weight traffic follows the inputs'
// activity (spikes are mostly zero). Each of 64 invocations owns one column
// and the sums of 16 rows; each sum runs over k in ascending order, as
// matmul.comp's do, so where B is finite the products are matmul.comp's,
// element for element (NIR's weights are finite, so a skipped input's 0·w
// would have added exactly 0).
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer Arena { float v[]; };
layout(push_constant) uniform Push {
  uint m, n, k;
  uint a, b, c;        // element offsets of batch 0
  uint sa, sb, sc;     // batch strides
} p;

const uint ROWS = 16u, DEPTH = 64u;
shared float As[DEPTH][ROWS + 1u];  // a DEPTH-wide slice of the group's rows, padded against bank conflicts
shared uint live[DEPTH];            // whether input k0 + kk is nonzero in any of the rows

void main() {
  uint lid = gl_LocalInvocationID.x;
  uint col = gl_WorkGroupID.x * 64u + lid, row0 = gl_WorkGroupID.y * ROWS;
  uint batch = gl_WorkGroupID.z;
  uint a = p.a + batch * p.sa, b = p.b + batch * p.sb, c = p.c + batch * p.sc;
  float acc[ROWS];
  for (uint r = 0u; r < ROWS; r++) acc[r] = 0.0;
  for (uint k0 = 0u; k0 < p.k; k0 += DEPTH) {
    for (uint e = lid; e < DEPTH * ROWS; e += 64u) {
      uint r = e / DEPTH, kk = e % DEPTH;
      uint gr = row0 + r, gk = k0 + kk;
      As[kk][r] = (gr < p.m && gk < p.k) ? v[a + gr * p.k + gk] : 0.0;
    }
    barrier();
    bool any = false;
    for (uint r = 0u; r < ROWS; r++) any = any || As[lid][r] != 0.0;
    live[lid] = any ? 1u : 0u;
    barrier();
    uint depth = min(DEPTH, p.k - k0);
    for (uint kk = 0u; kk < depth; kk++) {
      if (live[kk] == 0u) continue;  // the same for the whole workgroup
      float w = col < p.n ? v[b + (k0 + kk) * p.n + col] : 0.0;
      for (uint r = 0u; r < ROWS; r++) acc[r] += As[kk][r] * w;
    }
    barrier();
  }
  if (col >= p.n) return;
  for (uint r = 0u; r < ROWS; r++) {
    uint gr = row0 + r;
    if (gr < p.m) v[c + gr * p.n + col] = acc[r];
  }
}
