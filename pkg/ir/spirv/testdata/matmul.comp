#version 450
// C = A*B for 16x16 tiles in shared memory; M, N, K in a uniform block.
layout(local_size_x = 16, local_size_y = 16) in;
layout(set = 0, binding = 0) readonly buffer A { float a[]; };
layout(set = 0, binding = 1) readonly buffer B { float b[]; };
layout(set = 0, binding = 2) writeonly buffer C { float c[]; };
layout(set = 1, binding = 0) uniform Dims { uint m; uint n; uint k; vec4 pad; mat4 unused; } d;
shared float ta[16][16];
shared float tb[16][16];
void main() {
    uint row = gl_GlobalInvocationID.y, col = gl_GlobalInvocationID.x;
    float acc = 0.0;
    for (uint t = 0; t < d.k; t += 16) {
        ta[gl_LocalInvocationID.y][gl_LocalInvocationID.x] = a[row * d.k + t + gl_LocalInvocationID.x];
        tb[gl_LocalInvocationID.y][gl_LocalInvocationID.x] = b[(t + gl_LocalInvocationID.y) * d.n + col];
        barrier();
        for (uint i = 0; i < 16; i++) acc += ta[gl_LocalInvocationID.y][i] * tb[i][col % 16];
        barrier();
    }
    if (row < d.m && col < d.n) c[row * d.n + col] = acc;
}
