#version 450
#ifdef DOUBLE
#extension GL_ARB_gpu_shader_fp64 : enable
#define T double
#else
#define T float
#endif
// Reduction. The first nk of dims/strides are the kept dimensions (they
// locate an output's first input element), the rest the reduced ones,
// walked by a workgroup's invocations. Each output's r reduced elements are
// split into nchunk chunks of chunk elements, one workgroup each, written
// to dst[o * nchunk + c]; a second dispatch reduces the chunks when there
// is more than one.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Arena { T v[]; };  // DOUBLE: f64 values (offsets in doubles)
layout(push_constant) uniform Push {
  uint op;  // 0 sum, 1 max, 2 min, 3 sum then divide by denom
  uint nout, r, dst, src, nk, rank;
  uint chunk, nchunk, denom;
  uint dims[8];
  uint strides[8];
} p;

shared T part[256];

T combine(T a, T b) {
  if (p.op != 1u && p.op != 2u) return a + b;
  if (isnan(a) || isnan(b)) return a + b;  // NaN, as Go's max and min give
  return p.op == 1u ? max(a, b) : min(a, b);
}

void main() {
  uint wg = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (wg >= p.nout * p.nchunk) return;  // uniform across the workgroup
  uint o = wg / p.nchunk, c = wg % p.nchunk;
  uint rest = o, base = p.src;
  for (int d = int(p.nk) - 1; d >= 0; d--) {
    base += (rest % p.dims[d]) * p.strides[d];
    rest /= p.dims[d];
  }
  T inf = T(uintBitsToFloat(0x7f800000u));
  T acc = p.op == 1u ? -inf : (p.op == 2u ? inf : T(0));
  uint end = min(p.r, (c + 1u) * p.chunk);
  for (uint j = c * p.chunk + gl_LocalInvocationID.x; j < end; j += 256u) {
    uint jr = j, off = 0u;
    for (int d = int(p.rank) - 1; d >= int(p.nk); d--) {
      off += (jr % p.dims[d]) * p.strides[d];
      jr /= p.dims[d];
    }
    acc = combine(acc, v[base + off]);
  }
  part[gl_LocalInvocationID.x] = acc;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (gl_LocalInvocationID.x < s)
      part[gl_LocalInvocationID.x] = combine(part[gl_LocalInvocationID.x], part[gl_LocalInvocationID.x + s]);
    barrier();
  }
  if (gl_LocalInvocationID.x == 0u) {
    T res = part[0];
    if (p.op == 3u) res /= T(p.denom);
    v[p.dst + wg] = res;
  }
}
