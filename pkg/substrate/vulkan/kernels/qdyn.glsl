// The device side of a dynamic circuit's trajectories (circuit_dynamic.go):
// measurements and general Kraus channels are decided on the device, from
// a uniform the host drew, so that the state never leaves it. p.a0 picks
// the operation; p.a5, where not 0, is the aux word of the conditions of
// the branch the operation is in (count, then qcond.glsl's list).
//
//   0 sum      one workgroup: o[a4 + t] = sum over g < a2 of o[a1 + g*a3 + t], t < a3
//   1 decide   one invocation: from o[a1] = sum |a|^2 and o[a1+1] = P(0) - P(1)
//              and the uniform u (aux real at word a2), the outcome
//              u * (P0 + P1) >= P0 (as statevec draws it) goes to aux word a3,
//              1/sqrt(P(outcome)) to o[a4] and the outcome to o[a4+1]; 2 when
//              the branch does not hold
//   2 collapse the p.n amplitudes of chunk a1: keep those whose qubit a2 is the
//              outcome o[a3+1], scaled by o[a3]; zero the others
//   3 kraus    one invocation per base (p.n) of the pass descriptor at aux
//              word a1 (qpass.comp's layout): the partial sums of ||K_t v||^2
//              for the a3 (at most 8) matrices listed at aux word a2 go to
//              o[a4 + g*a3 + t]
//   4 pick     one invocation: Kraus operator i chosen with probability
//              o[a1 + i] / sum (a2 operators; uniform at aux word a3): i to aux
//              word a4, 1/sqrt(o[a1 + i]) to o[a4's scale slot]: see below
//   5 apply    one invocation per base: the matrix at the aux word listed at
//              a2 + w[a3], times o[a4], applied to the pass at aux word a1
//   6 flag     one invocation: aux word a1 = 1 if the conditions hold, else 0
//              (a branch's condition, taken when the branch is entered)
//   7 clear    aux words a1 .. a1 + p.n = 0 (a trajectory's classical bits)
//   8 measure  one workgroup, a state of one chunk (p.n amplitudes): decide
//              and collapse qubit a1 in one dispatch (a small state's
//              measurement is dominated by the dispatches): P0 and P1 summed,
//              the outcome (uniform at aux word a2) to aux word a3
//
// pick's a4 is the aux word of the chosen index; its scale goes to o[a1 + a2].
// qkraus.comp (KRAUS) runs kraus and apply, which hold a row array per
// invocation: in memory, slowing every path of a kernel that declares one.
#include "qcommon.glsl"
#include "qcond.glsl"

shared T part[8][256];

bool holds() {
  uint c = p.a5;
  return c == 0u || condsHold(w[c], c + 1u);
}

uint baseIndex(uint d, uint b) {
  uint idx = b;
  uint nins = w[d + 2u];
  for (uint i = 0u; i < nins; i++) {
    uint q = w[d + 16u + i];
    uint low = idx & ((1u << q) - 1u);
    idx = ((idx - low) << 1) | low;
  }
  return idx | w[d + 3u];
}

// reduceParts sums acc[t] (t < nm) over the workgroup into part[t][0]:
// invocation l stores its own, then a tree of halvings. Every invocation
// of the workgroup calls it: it has barriers.
void reduceParts(T acc[8], uint l, uint nm) {
  for (uint t = 0u; t < nm; t++) part[t][l] = acc[t];
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (l < s)
      for (uint t = 0u; t < nm; t++) part[t][l] += part[t][l + s];
    barrier();
  }
}

void sumPartials() {
  uint l = gl_LocalInvocationID.x, nm = p.a3;
  T acc[8];
  for (uint t = 0u; t < 8u; t++) acc[t] = T(0);
  for (uint g = l; g < p.a2; g += 256u)
    for (uint t = 0u; t < nm; t++) acc[t] += o[p.a1 + g * nm + t];
  reduceParts(acc, l, nm);
  if (l < nm) o[p.a4 + l] = part[l][0];
}

void decide() {
  if (gl_GlobalInvocationID.x != 0u) return;
  if (!holds()) {
    o[p.a4 + 1u] = T(2);
    return;
  }
  T total = o[p.a1], z = o[p.a1 + 1u];
  T p0 = max((total + z) / T(2), T(0)), p1 = max((total - z) / T(2), T(0));
  T u = auxReal(p.a2);
  uint outcome = u * (p0 + p1) >= p0 ? 1u : 0u;
  T keep = outcome == 1u ? p1 : p0;
  w[p.a3] = outcome;
  o[p.a4] = keep > T(0) ? T(1) / sqrt(keep) : T(0);
  o[p.a4 + 1u] = T(outcome);
}

void collapse() {
  T outcome = o[p.a3 + 1u];
  if (outcome > T(1.5)) return;  // the branch did not hold
  T scale = o[p.a3];
  uint want = uint(outcome), c = p.a1, q = p.a2;
  uint base = c << p.chunkBits;
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint j = gl_GlobalInvocationID.x; j < p.n; j += stride) {
    uint i = base | j;
    st[c].a[j] = ((i >> q) & 1u) == want ? st[c].a[j] * scale : T2(0);
  }
}

#ifdef KRAUS
void kraus() {
  uint d = p.a1, nm = p.a3, l = gl_LocalInvocationID.x;
  uint D = 1u << w[d + 1u];
  T acc[8];
  for (uint t = 0u; t < 8u; t++) acc[t] = T(0);
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint b = gl_GlobalInvocationID.x; b < p.n; b += stride) {
    uint idx = baseIndex(d, b);
    T2 v[32];
    for (uint r = 0u; r < D; r++) v[r] = load(idx + w[d + 48u + r]);
    for (uint t = 0u; t < nm; t++) {
      uint m = w[p.a2 + t];
      for (uint r = 0u; r < D; r++) {
        T2 y = T2(0);
        for (uint c = 0u; c < D; c++) y += cmul(auxComplex(m + (r * D + c) * 2u * RW), v[c]);
        acc[t] += dot(y, y);
      }
    }
  }
  reduceParts(acc, l, nm);
  if (l < nm) o[p.a4 + gl_WorkGroupID.x * nm + l] = part[l][0];
}

#endif

void pick() {
  if (gl_GlobalInvocationID.x != 0u || !holds()) return;
  uint n = p.a2;
  T total = T(0);
  for (uint i = 0u; i < n; i++) total += o[p.a1 + i];
  T u = auxReal(p.a3) * total;
  uint last = 0u, chosen = n;
  for (uint i = 0u; i < n && chosen == n; i++) {
    T v = o[p.a1 + i];
    if (v <= T(0)) continue;
    if (u < v) chosen = i;
    u -= v;
    last = i;
  }
  if (chosen == n) chosen = last;  // rounding left u just above the total
  w[p.a4] = chosen;
  T pi = o[p.a1 + chosen];
  o[p.a1 + n] = pi > T(0) ? T(1) / sqrt(pi) : T(0);
}

#ifdef KRAUS
void apply() {
  if (!holds()) return;
  uint d = p.a1;
  uint D = 1u << w[d + 1u];
  uint m = w[p.a2 + w[p.a3]];
  T scale = o[p.a4];
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint b = gl_GlobalInvocationID.x; b < p.n; b += stride) {
    uint idx = baseIndex(d, b);
    T2 v[32];
    for (uint r = 0u; r < D; r++) v[r] = load(idx + w[d + 48u + r]);
    for (uint r = 0u; r < D; r++) {
      T2 acc = T2(0);
      for (uint c = 0u; c < D; c++) acc += cmul(auxComplex(m + (r * D + c) * 2u * RW), v[c]);
      store(idx + w[d + 48u + r], acc * scale);
    }
  }
}

#endif

void flag() {
  if (gl_GlobalInvocationID.x == 0u) w[p.a1] = holds() ? 1u : 0u;
}

void clearWords() {
  uint stride = gl_NumWorkGroups.x * 256u;
  for (uint j = gl_GlobalInvocationID.x; j < p.n; j += stride) w[p.a1 + j] = 0u;
}

shared uint sOutcome;
shared T sScale;

void measureSmall() {
  if (!holds()) return;  // uniform: the conditions are the same for all
  uint q = p.a1, l = gl_LocalInvocationID.x;
  T a0 = T(0), a1 = T(0);
  for (uint j = l; j < p.n; j += 256u) {
    T2 v = st[0].a[j];
    T pr = dot(v, v);
    if (((j >> q) & 1u) == 0u)
      a0 += pr;
    else
      a1 += pr;
  }
  part[0][l] = a0;
  part[1][l] = a1;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (l < s) {
      part[0][l] += part[0][l + s];
      part[1][l] += part[1][l + s];
    }
    barrier();
  }
  if (l == 0u) {
    T p0 = part[0][0], p1 = part[1][0];
    uint outcome = auxReal(p.a2) * (p0 + p1) >= p0 ? 1u : 0u;
    T keep = outcome == 1u ? p1 : p0;
    w[p.a3] = outcome;
    sOutcome = outcome;
    sScale = keep > T(0) ? T(1) / sqrt(keep) : T(0);
  }
  barrier();
  uint want = sOutcome;
  T scale = sScale;
  for (uint j = l; j < p.n; j += 256u)
    st[0].a[j] = ((j >> q) & 1u) == want ? st[0].a[j] * scale : T2(0);
}

void main() {
#ifdef KRAUS
  if (p.a0 == 3u)
    kraus();
  else
    apply();
#else
  switch (p.a0) {
  case 0u: sumPartials(); break;
  case 1u: decide(); break;
  case 2u: collapse(); break;
  case 4u: pick(); break;
  case 6u: flag(); break;
  case 7u: clearWords(); break;
  default: measureSmall(); break;
  }
#endif
}
