#version 450
#extension GL_GOOGLE_include_directive : require
// One pass of a circuit (a qsim.Pass): a dense, diagonal or permutation
// matrix on k <= 5 target qubits, applied where the controls hold. One
// invocation per base index (p.n of them), looping over the D = 2^k rows:
// a pass reads and writes each amplitude it changes once.
//
// The pass's descriptor is at aux word d = p.a0 (QDESC words; see
// qpassDesc in circuit_kernels.go):
//
//   d+0 kind (1 dense, 2 diagonal, 3 permutation)   d+1 k
//   d+2 nins: zeros inserted into the base index at pos[0..nins), ascending
//   d+3 bits set in every index (controls at inserted positions)
//   d+4, d+5 lowMask, lowVal: an index is changed only if idx & lowMask == lowVal
//   d+6 nrows (diagonal, permutation: the rows that change)
//   d+7 aux word of the matrix (dense: D x D row-major; else the D row factors)
//   d+8 conditions (0: none), d+9 their aux word (qcond.glsl)
//   d+16 pos[32], d+48 off[32] (offset of row r), d+80 rows[32], d+112 src[32]
#include "qcommon.glsl"
#include "qcond.glsl"

void main() {
  uint d = p.a0;
  if (w[d + 8u] != 0u && !condsHold(w[d + 8u], w[d + 9u])) return;  // uniform
  uint kind = w[d], k = w[d + 1u], nins = w[d + 2u], setm = w[d + 3u];
  uint lowm = w[d + 4u], lowv = w[d + 5u], nrows = w[d + 6u], m = w[d + 7u];
  uint D = 1u << k;
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint b = gl_GlobalInvocationID.x; b < p.n; b += stride) {
    uint idx = b;
    for (uint i = 0u; i < nins; i++) {
      uint q = w[d + 16u + i];
      uint low = idx & ((1u << q) - 1u);
      idx = ((idx - low) << 1) | low;
    }
    idx |= setm;
    if ((idx & lowm) != lowv) continue;
    if (kind == 1u && k == 1u) {
      uint i1 = idx + w[d + 49u];
      T2 v0 = load(idx), v1 = load(i1);
      uint s = 2u * RW;
      store(idx, cmul(auxComplex(m), v0) + cmul(auxComplex(m + s), v1));
      store(i1, cmul(auxComplex(m + 2u * s), v0) + cmul(auxComplex(m + 3u * s), v1));
    } else if (kind == 1u) {
      T2 v[32];
      for (uint r = 0u; r < D; r++) v[r] = load(idx + w[d + 48u + r]);
      for (uint r = 0u; r < D; r++) {
        T2 acc = T2(0);
        for (uint c = 0u; c < D; c++) acc += cmul(auxComplex(m + (r * D + c) * 2u * RW), v[c]);
        store(idx + w[d + 48u + r], acc);
      }
    } else if (kind == 2u) {
      for (uint t = 0u; t < nrows; t++) {
        uint r = w[d + 80u + t];
        uint i = idx + w[d + 48u + r];
        store(i, cmul(auxComplex(m + r * 2u * RW), load(i)));
      }
    } else {
      T2 y[32];
      for (uint t = 0u; t < nrows; t++) {
        uint r = w[d + 80u + t];
        y[t] = cmul(auxComplex(m + r * 2u * RW), load(idx + w[d + 48u + w[d + 112u + r]]));
      }
      for (uint t = 0u; t < nrows; t++) store(idx + w[d + 48u + w[d + 80u + t]], y[t]);
    }
  }
}
