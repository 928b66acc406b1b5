#version 450
// SAXPY with 16-byte accesses, four vec4s per invocation per pass, in a
// grid-stride loop: the eight loads of a pass are issued before any store,
// so each invocation keeps 128 bytes in flight (memory-level parallelism),
// and the four vec4s of a pass are one grid apart, so every load and store
// of a subgroup stays contiguous. n counts vec4s.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { vec4 x[]; };
layout(std430, set = 0, binding = 1) buffer Y { vec4 y[]; };
layout(push_constant) uniform Push {
  float a;
  uint n;  // vec4s
} p;

void main() {
  uint grid = gl_NumWorkGroups.x * 256u;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += 4u * grid) {
    if (i + 3u * grid < p.n) {
      vec4 x0 = x[i], x1 = x[i + grid], x2 = x[i + 2u * grid], x3 = x[i + 3u * grid];
      vec4 y0 = y[i], y1 = y[i + grid], y2 = y[i + 2u * grid], y3 = y[i + 3u * grid];
      y[i] = p.a * x0 + y0;
      y[i + grid] = p.a * x1 + y1;
      y[i + 2u * grid] = p.a * x2 + y2;
      y[i + 3u * grid] = p.a * x3 + y3;
    } else {
      for (uint j = i; j < p.n; j += grid) y[j] = p.a * x[j] + y[j];
    }
  }
}
