#version 450
#ifdef DOUBLE
#extension GL_ARB_gpu_shader_fp64 : enable
#define T double
#else
#define T float
#endif
// Fused elementwise: a chain of unary, binary, comparison and select ops
// over n elements in one pass. The chain is a small program in the arena
// (read through a second, uint view of the same buffer), at word p.code:
//
//   nin nops nout
//   nin  x (offset, reg|stride<<8)  load r[reg] = v[offset + i*stride] (stride 0: a scalar)
//   nops x (op|dst<<8|a<<16|b<<24, c)   r[dst] = op(r[a], r[b], r[c])
//   nout x (reg, offset)         store v[offset + i] = r[reg]
//
// Op codes: see apply below (ewCodes in native.go).
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Arena { T v[]; };  // DOUBLE: f64 values (offsets in doubles)
layout(std430, set = 0, binding = 1) readonly buffer Code { uint u[]; };
layout(push_constant) uniform Push { uint n, code; } p;

// The 16 registers are separate variables reached through switches on
// uniform indices, not an array: an array indexed at run time would live
// in memory, and these stay in registers.
T R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15;

T get(uint k) {
  switch (k) {
  case 0u: return R0;
  case 1u: return R1;
  case 2u: return R2;
  case 3u: return R3;
  case 4u: return R4;
  case 5u: return R5;
  case 6u: return R6;
  case 7u: return R7;
  case 8u: return R8;
  case 9u: return R9;
  case 10u: return R10;
  case 11u: return R11;
  case 12u: return R12;
  case 13u: return R13;
  case 14u: return R14;
  }
  return R15;
}

void set(uint k, T x) {
  switch (k) {
  case 0u: R0 = x; break;
  case 1u: R1 = x; break;
  case 2u: R2 = x; break;
  case 3u: R3 = x; break;
  case 4u: R4 = x; break;
  case 5u: R5 = x; break;
  case 6u: R6 = x; break;
  case 7u: R7 = x; break;
  case 8u: R8 = x; break;
  case 9u: R9 = x; break;
  case 10u: R10 = x; break;
  case 11u: R11 = x; break;
  case 12u: R12 = x; break;
  case 13u: R13 = x; break;
  case 14u: R14 = x; break;
  default: R15 = x; break;
  }
}

#define INF uintBitsToFloat(0x7f800000u)
#define NAN uintBitsToFloat(0x7fc00000u)

#ifndef DOUBLE
// gpow is Go's math.Pow (what the cpu substrate computes): GLSL's pow is
// undefined for x < 0, and for x = 0 with y <= 0.
float gpow(float x, float y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (isnan(x) || isnan(y)) return NAN;
  bool yint = !isinf(y) && floor(y) == y;
  bool yodd = yint && abs(y) < 16777216.0 && mod(abs(y), 2.0) == 1.0;
  bool xneg = (floatBitsToUint(x) >> 31) != 0u;
  if (x == 0.0) {
    if (y < 0.0) return yodd && xneg ? -INF : INF;
    return yodd ? x : 0.0;
  }
  if (isinf(y)) {
    if (x == -1.0) return 1.0;
    return (abs(x) > 1.0) == (y > 0.0) ? INF : 0.0;
  }
  if (isinf(x)) {
    if (!xneg) return y > 0.0 ? INF : 0.0;
    float r = y > 0.0 ? INF : 0.0;
    return yodd ? -r : r;
  }
  if (x < 0.0) {
    if (!yint) return NAN;
    float r = pow(-x, y);
    return yodd ? -r : r;
  }
  return pow(x, y);
}
#endif

// gmax and gmin propagate NaN, as Go's max and min do.
T gmax(T x, T y) { return isnan(x) || isnan(y) ? x + y : max(x, y); }
T gmin(T x, T y) { return isnan(x) || isnan(y) ? x + y : min(x, y); }

// The f64 variant (DOUBLE) has no exp, log, tanh, sigmoid, sin, cos or pow:
// GLSL defines them for float only, and the planner refuses them on f64.
T apply(uint op, T x, T y, T z) {
  switch (op) {
  case 0u: return x;
  case 1u: return -x;
  case 2u: return abs(x);
#ifndef DOUBLE
  case 3u: return exp(x);
  case 4u: return log(x);
#endif
  case 5u: return sqrt(x);
#ifndef DOUBLE
  case 6u: return tanh(x);
  case 7u: return 1.0 / (1.0 + exp(-x));
#endif
  case 8u: return x > 0.0 ? x : 0.0;
#ifndef DOUBLE
  case 9u: return sin(x);
  case 10u: return cos(x);
#endif
  case 11u: return x + y;
  case 12u: return x - y;
  case 13u: return x * y;
  case 14u: return x / y;
#ifndef DOUBLE
  case 15u: return gpow(x, y);
#endif
  case 16u: return gmax(x, y);
  case 17u: return gmin(x, y);
  case 18u: return x == y ? 1.0 : 0.0;
  case 19u: return x != y ? 1.0 : 0.0;
  case 20u: return x < y ? 1.0 : 0.0;
  case 21u: return x <= y ? 1.0 : 0.0;
  case 22u: return x > y ? 1.0 : 0.0;
  case 23u: return x >= y ? 1.0 : 0.0;
  case 24u: return x != 0.0 ? y : z;
  case 25u: return x != 0.0 ? 1.0 : 0.0;
  }
  return 0.0;
}

void main() {
  uint nin = u[p.code], nops = u[p.code + 1u], nout = u[p.code + 2u];
  uint ins = p.code + 3u, ops = ins + 2u * nin, outs = ops + 2u * nops;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    for (uint k = 0u; k < nin; k++) {
      uint rs = u[ins + 2u * k + 1u];
      set(rs & 255u, v[u[ins + 2u * k] + i * (rs >> 8)]);
    }
    for (uint k = 0u; k < nops; k++) {
      uint w = u[ops + 2u * k];
      uint c = u[ops + 2u * k + 1u];
      set((w >> 8) & 255u, apply(w & 255u, get((w >> 16) & 255u), get(w >> 24), get(c)));
    }
    for (uint k = 0u; k < nout; k++) v[u[outs + 2u * k + 1u] + i] = get(u[outs + 2u * k]);
  }
}
