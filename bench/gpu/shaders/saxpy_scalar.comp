#version 450
// SAXPY, y = a*x + y, one element per invocation: the plain kernel the
// issue's 82 % of peak on an H100 was measured with. The workgroups may be
// laid out in two dimensions (x * y) where the device caps the x count
// (lavapipe: 65535); the host passes n and the grid covers it.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Push {
  float a;
  uint n;  // elements
} p;

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint i = group * 256u + gl_LocalInvocationID.x;
  if (i < p.n) y[i] = p.a * x[i] + y[i];
}
