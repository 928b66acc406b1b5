// One pass of a circuit (a qsim.Pass): a dense, diagonal or permutation
// matrix on k <= 5 target qubits, applied where the controls hold. One
// invocation per base index (p.n of them), looping over the D = 2^k rows:
// a pass reads and writes each amplitude it changes once. qpass.comp runs
// the passes that need no array of rows (dense and permutation passes on
// one target, diagonal passes), qpassn.comp (GENERAL) the others: a
// per-invocation array of rows lives in memory, not registers, and slows
// every path of a kernel that declares one (fifteenfold on lavapipe).
//
// The pass's descriptor is at aux word d = p.a0 (QDESC words; see
// passDesc in circuit_kernels.go):
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

// insertZero inserts a zero bit at position q of idx.
uint insertZero(uint idx, uint q) {
  uint low = idx & ((1u << q) - 1u);
  return ((idx - low) << 1) | low;
}

void main() {
  uint d = p.a0;
  if (w[d + 8u] != 0u && !condsHold(w[d + 8u], w[d + 9u])) return;  // uniform
  uint kind = w[d], k = w[d + 1u], nins = w[d + 2u], setm = w[d + 3u];
  uint lowm = w[d + 4u], lowv = w[d + 5u], nrows = w[d + 6u], m = w[d + 7u];
  uint D = 1u << k;
  uint off1 = w[d + 49u];
  uint s = 2u * RW;
#ifndef GENERAL
  // One target: the matrix (dense) or the two row factors and sources
  // (permutation) in registers.
  T2 m00 = auxComplex(m), m01 = auxComplex(m + s), m10 = T2(0), m11 = T2(0);
  uint src0 = 0u, src1 = 1u;
  if (kind == 1u) {
    m10 = auxComplex(m + 2u * s);
    m11 = auxComplex(m + 3u * s);
  } else if (kind == 3u) {
    src0 = w[d + 112u];
    src1 = w[d + 113u];
  }
#endif
  // The first four inserted positions in registers (a gate's targets and
  // controls are rarely more).
  uint q0 = w[d + 16u], q1 = w[d + 17u], q2 = w[d + 18u], q3 = w[d + 19u];
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint b = gl_GlobalInvocationID.x; b < p.n; b += stride) {
    uint idx = b;
    if (nins > 0u) idx = insertZero(idx, q0);
    if (nins > 1u) idx = insertZero(idx, q1);
    if (nins > 2u) idx = insertZero(idx, q2);
    if (nins > 3u) idx = insertZero(idx, q3);
    for (uint i = 4u; i < nins; i++) idx = insertZero(idx, w[d + 16u + i]);
    idx |= setm;
    if ((idx & lowm) != lowv) continue;
#ifndef GENERAL
    if (kind == 2u) {
      for (uint t = 0u; t < nrows; t++) {
        uint r = w[d + 80u + t];
        uint i = idx + w[d + 48u + r];
        store(i, cmul(auxComplex(m + r * s), load(i)));
      }
      continue;
    }
    uint i1 = idx + off1;
    T2 v0 = load(idx), v1 = load(i1);
    if (kind == 1u) {
      store(idx, cmul(m00, v0) + cmul(m01, v1));
      store(i1, cmul(m10, v0) + cmul(m11, v1));
    } else {
      store(idx, cmul(m00, src0 == 0u ? v0 : v1));
      store(i1, cmul(m01, src1 == 0u ? v0 : v1));
    }
#else
    if (kind == 1u) {
      T2 v[32];
      for (uint r = 0u; r < D; r++) v[r] = load(idx + w[d + 48u + r]);
      for (uint r = 0u; r < D; r++) {
        T2 acc = T2(0);
        for (uint c = 0u; c < D; c++) acc += cmul(auxComplex(m + (r * D + c) * s), v[c]);
        store(idx + w[d + 48u + r], acc);
      }
    } else {
      T2 y[32];
      for (uint t = 0u; t < nrows; t++) {
        uint r = w[d + 80u + t];
        y[t] = cmul(auxComplex(m + r * s), load(idx + w[d + 48u + w[d + 112u + r]]));
      }
      for (uint t = 0u; t < nrows; t++) store(idx + w[d + 48u + w[d + 80u + t]], y[t]);
    }
#endif
  }
}
