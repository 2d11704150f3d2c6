#pragma once
// What every fuzz driver needs: the fuzzer's bytes read as a stream of choices (zeros once they
// run out, so a short input is still a whole run), and a check that crashes loudly.
#include <cstddef>
#include <cstdint>

#include "packet/bytes.hpp"

namespace reach::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  std::uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>((u8() << 8) | u8()); }
  packet::Buffer bytes(std::size_t want) {
    std::size_t k = want < n ? want : n;
    packet::Buffer b(p, p + k);
    p += k;
    n -= k;
    return b;
  }
};

}  // namespace reach::fuzz
