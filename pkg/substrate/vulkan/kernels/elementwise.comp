#version 450
// Elementwise unary, binary and select over the arena. One invocation per
// element, in a grid-stride loop (the group count is capped).
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Arena { float v[]; };
layout(push_constant) uniform Push {
  uint op;   // see ops.go
  uint n;    // elements
  uint dst;  // element offsets into the arena
  uint a, b, c;
  uint sa, sb, sc;  // 1: an operand with n elements, 0: a scalar
} p;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    float x = v[p.a + i * p.sa];
    float y = v[p.b + i * p.sb];
    float r;
    switch (p.op) {
    case 0u: r = x; break;
    case 1u: r = -x; break;
    case 2u: r = abs(x); break;
    case 3u: r = exp(x); break;
    case 4u: r = log(x); break;
    case 5u: r = sqrt(x); break;
    case 6u: r = tanh(x); break;
    case 7u: r = 1.0 / (1.0 + exp(-x)); break;
    case 8u: r = x > 0.0 ? x : 0.0; break;
    case 9u: r = sin(x); break;
    case 10u: r = cos(x); break;
    case 11u: r = x + y; break;
    case 12u: r = x - y; break;
    case 13u: r = x * y; break;
    case 14u: r = x / y; break;
    case 15u: r = pow(x, y); break;
    case 16u: r = max(x, y); break;
    case 17u: r = min(x, y); break;
    case 18u: r = x == y ? 1.0 : 0.0; break;
    case 19u: r = x != y ? 1.0 : 0.0; break;
    case 20u: r = x < y ? 1.0 : 0.0; break;
    case 21u: r = x <= y ? 1.0 : 0.0; break;
    case 22u: r = x > y ? 1.0 : 0.0; break;
    case 23u: r = x >= y ? 1.0 : 0.0; break;
    case 24u: r = x != 0.0 ? y : v[p.c + i * p.sc]; break;
    case 25u: r = x != 0.0 ? 1.0 : 0.0; break;
    default: r = 0.0; break;
    }
    v[p.dst + i] = r;
  }
}
