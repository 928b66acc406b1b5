#version 450
// Event-driven matrix product, for a NIR layer's synaptic propagation:
// C[b] = A[b] (m x k) * B[b] (k x n), row-major, as matmul.comp computes it,
// but an input that is zero in all the rows of a 16-row group adds nothing
// and its row of B is not read: the weight traffic follows the inputs'
// activity (spikes are mostly zero). eventmask.comp has written each group's
// live inputs as a bitmask (the same push constants); each of 64
// invocations owns one column and the sums of the group's 16 rows, and
// walks the mask's set bits, which are the same for the whole workgroup.
// Each sum runs over k in ascending order, as matmul.comp's do, so the
// products are matmul.comp's, element for element (NIR's weights are
// finite, so a skipped input's 0·w would have added exactly 0).
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer Arena { float v[]; };
layout(std430, set = 0, binding = 1) readonly buffer Masks { uint u[]; };  // the arena again
layout(push_constant) uniform Push {
  uint m, n, k;
  uint a, b, c;        // element offsets of batch 0
  uint sa, sb, sc;     // batch strides
  uint mask;           // element offset of the masks
} p;

const uint ROWS = 16u;

void main() {
  uint words = (p.k + 31u) / 32u, groups = (p.m + ROWS - 1u) / ROWS;
  uint col = gl_GlobalInvocationID.x, group = gl_WorkGroupID.y, batch = gl_WorkGroupID.z;
  uint row0 = group * ROWS, rows = min(ROWS, p.m - row0);
  uint a = p.a + batch * p.sa + row0 * p.k, b = p.b + batch * p.sb + min(col, p.n - 1u);
  uint mask = p.mask + (batch * groups + group) * words;
  float acc[ROWS];
  for (uint r = 0u; r < ROWS; r++) acc[r] = 0.0;
  for (uint j = 0u; j < words; j++) {
    uint bits = u[mask + j];
    while (bits != 0u) {
      uint kk = 32u * j + uint(findLSB(bits));
      bits &= bits - 1u;
      float w = v[b + kk * p.n];
      for (uint r = 0u; r < ROWS; r++)
        if (r < rows) acc[r] += v[a + r * p.k + kk] * w;
    }
  }
  if (col >= p.n) return;
  uint c = p.c + batch * p.sc + row0 * p.n + col;
  for (uint r = 0u; r < rows; r++) v[c + r * p.n] = acc[r];
}
