#version 450
// The first pass of event-driven propagation (eventmm.comp): for each group
// of 16 rows of A[b] (m x k, row-major), a bitmask over k of the inputs
// that are nonzero in any of its rows, word j holding inputs 32j to 32j+31
// (bit i for input 32j+i), at mask + (b·groups + group)·words. A is read as
// bits: -0 counts as zero; NaN and infinities are nonzero.
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer Arena { uint u[]; };
layout(push_constant) uniform Push {
  uint m, n, k;
  uint a, b, c;        // element offsets of batch 0
  uint sa, sb, sc;     // batch strides
  uint mask;           // element offset of the masks
} p;

const uint ROWS = 16u;

void main() {
  uint words = (p.k + 31u) / 32u, groups = (p.m + ROWS - 1u) / ROWS;
  uint j = gl_GlobalInvocationID.x, group = gl_WorkGroupID.y, batch = gl_WorkGroupID.z;
  if (j >= words) return;
  uint row0 = group * ROWS, rows = min(ROWS, p.m - row0);
  uint k0 = 32u * j, width = min(32u, p.k - k0);
  uint a = p.a + batch * p.sa + row0 * p.k + k0;
  uint bits = 0u;
  for (uint r = 0u; r < rows; r++)
    for (uint i = 0u; i < width; i++)
      if ((u[a + r * p.k + i] & 0x7fffffffu) != 0u) bits |= 1u << i;
  u[p.mask + (batch * groups + group) * words + j] = bits;
}
