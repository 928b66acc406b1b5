#version 450
// A strided copy: dst[i] = src[offset(i)], where offset walks the output
// index's digits (dims, innermost last) with the source's strides (0 for a
// broadcast dimension). Serves transpose and broadcast. It copies 32-bit
// words, so any dtype's bits pass unchanged (an f64 element is two words:
// one more dimension of 2).
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Arena { uint v[]; };
layout(push_constant) uniform Push {
  uint n, dst, src, rank;
  uint dims[8];
  uint strides[8];
} p;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    uint rest = i, off = 0u;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
      off += (rest % p.dims[d]) * p.strides[d];
      rest /= p.dims[d];
    }
    v[p.dst + i] = v[p.src + off];
  }
}
