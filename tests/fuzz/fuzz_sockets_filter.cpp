// Fuzzes the filter parsers of `reach sockets` (--addr CIDR, --state names): no crash, and an
// accepted prefix contains its own network address and prints back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/sockets/filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto c = reach::parse_prefix(text)) {
    int max = c->net.is_v4() ? 32 : 128;
    if (c->len < 0 || c->len > max || !c->contains(c->net)) __builtin_trap();
    if (reach::parse_prefix(c->to_string()) != c) __builtin_trap();
  }
  if (auto s = reach::tools::sockets::parse_state(text))
    if (*s == 0) __builtin_trap();
  return 0;
}
