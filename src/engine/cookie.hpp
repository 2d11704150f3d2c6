#pragma once
// Keyed cookies carried in probe fields, so a reply can be checked without a table and a
// blind spoofer cannot forge one (SipHash-style mixing, keyed per run).
#include <cstdint>
#include <initializer_list>

namespace reach::engine {

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t cookie(std::uint64_t key, std::initializer_list<std::uint64_t> fields) {
  std::uint64_t h = mix64(key ^ 0x9e3779b97f4a7c15ULL);
  for (std::uint64_t f : fields) h = mix64(h ^ mix64(f + key));
  return h;
}

}  // namespace reach::engine
