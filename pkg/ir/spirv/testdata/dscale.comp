#version 450
// Doubles: needs the Float64 capability. Workgroup size from specialization constants.
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint WG = 64;
layout(std430, set = 0, binding = 3) buffer D { double s; double v[4]; double rest[]; };
void main() { rest[gl_GlobalInvocationID.x] *= s * v[1]; }
