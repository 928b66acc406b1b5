#version 450
// SAXPY with 16-byte loads and stores: one vec4 per invocation, a quarter
// of the instructions and memory requests of the scalar kernel. n counts
// vec4s (the host keeps the element count a multiple of 4).
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { vec4 x[]; };
layout(std430, set = 0, binding = 1) buffer Y { vec4 y[]; };
layout(push_constant) uniform Push {
  float a;
  uint n;  // vec4s
} p;

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint i = group * 256u + gl_LocalInvocationID.x;
  if (i < p.n) y[i] = p.a * x[i] + y[i];
}
