// Conditions of a dynamic circuit's if/else branches, read from the
// classical bits the device wrote (aux words; see circuit_dynamic.go). A
// pass inside a branch runs only when all of its conditions hold. A
// condition at aux word c:
//
//   c+0 negate (an else branch)   c+1 comparison (0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=)
//   c+2 value   c+3 nbits   c+4.. the aux words of the bits, least significant first
//
// Conditions of nesting branches follow one another.
bool condHolds(uint c) {
  uint nb = w[c + 3u];
  uint v = 0u;
  for (uint i = 0u; i < nb; i++) v |= (w[w[c + 4u + i]] & 1u) << i;
  uint x = w[c + 2u];
  bool h;
  switch (w[c + 1u]) {
  case 0u: h = v == x; break;
  case 1u: h = v != x; break;
  case 2u: h = v < x; break;
  case 3u: h = v <= x; break;
  case 4u: h = v > x; break;
  default: h = v >= x; break;
  }
  return w[c] != 0u ? !h : h;
}

bool condsHold(uint n, uint c) {
  for (uint i = 0u; i < n; i++) {
    if (!condHolds(c)) return false;
    c += 4u + w[c + 3u];
  }
  return true;
}
