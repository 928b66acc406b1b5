#version 450
// The smallest useful dispatch: one workgroup adds 1 to 64 floats.
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer V { float v[]; };

void main() {
  uint i = gl_LocalInvocationID.x;
  if (i < v.length()) v[i] += 1.0;
}
