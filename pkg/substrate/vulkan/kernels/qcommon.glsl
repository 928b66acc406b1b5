// Shared by the circuit kernels (q*.comp): the state vector split over up
// to QCHUNKS device buffers ("chunks") of 2^p.chunkBits amplitudes each,
// bound as one descriptor array; a small uint buffer (aux) with the passes'
// descriptors, matrices and masks; and a buffer of real results (out:
// probabilities, partial sums, classical bits). Every circuit kernel has
// this same layout and push-constant block, so that one descriptor set,
// bound once, serves a command buffer's dispatches.
//
// The chunk of an amplitude is indexed with a value that is uniform across
// the workgroup (the core shaderStorageBufferArrayDynamicIndexing feature,
// no descriptor indexing needed): chunks hold at least 2^13 amplitudes, a
// workgroup's 256 invocations differ only in the low 8 bits of their base
// index, and a pass inserts zeros below bit 13 only at its (at most 5)
// targets, so those bits land below bit 13. Controls below bit 13 are
// tested per invocation instead (lowMask, lowVal).
#ifdef DOUBLE
#extension GL_ARB_gpu_shader_fp64 : enable
#define T double
#define T2 dvec2
#else
#define T float
#define T2 vec2
#endif
#define QCHUNKS 16

layout(local_size_x = 256) in;
// restrict: no two of these views share memory (a descriptor slot past the
// state's chunks repeats chunk 0, but is never read), so the compiler may
// keep aux reads out of the loops over amplitudes.
layout(std430, set = 0, binding = 0) restrict buffer State { T2 a[]; } st[QCHUNKS];
layout(std430, set = 0, binding = 1) restrict buffer Aux { uint w[]; };
layout(std430, set = 0, binding = 2) restrict buffer Out { T o[]; };
layout(push_constant) uniform Push {
  uint chunkBits;  // log2 of the amplitudes per chunk
  uint n;          // items: bases of a pass, amplitudes of a chunk, ...
  uint a0, a1, a2, a3, a4, a5;
} p;

// A real read from aux: a float's bits, or a double's two words.
T auxReal(uint i) {
#ifdef DOUBLE
  return packDouble2x32(uvec2(w[i], w[i + 1u]));
#else
  return uintBitsToFloat(w[i]);
#endif
}

// Words per real in aux.
#ifdef DOUBLE
#define RW 2u
#else
#define RW 1u
#endif

T2 auxComplex(uint i) { return T2(auxReal(i), auxReal(i + RW)); }

T2 cmul(T2 x, T2 y) { return T2(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x); }

T2 load(uint idx) {
  uint mask = (1u << p.chunkBits) - 1u;
  return st[idx >> p.chunkBits].a[idx & mask];
}

void store(uint idx, T2 v) {
  uint mask = (1u << p.chunkBits) - 1u;
  st[idx >> p.chunkBits].a[idx & mask] = v;
}
