#version 450
// Descriptors that are not buffers: a storage image and a combined image
// sampler (reflected so that a buffers-only substrate can refuse them).
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D src;
layout(set = 0, binding = 1) uniform sampler2D tex;
layout(set = 0, binding = 2) buffer Out { float o[]; };
void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    o[p.y * 64 + p.x] = imageLoad(src, p).x + texture(tex, vec2(p) / 64.0).x;
}
