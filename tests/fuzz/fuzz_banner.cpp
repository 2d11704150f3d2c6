// Fuzzes scan's banner cleaning (bytes straight from a network service): no crash, and what
// comes out is printable ASCII only, one line, bounded.
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/text.hpp"
#include "engine/scan_banner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string line = reach::engine::clean_banner(std::span<const std::uint8_t>(data, size));
  if (line.size() > 4 * reach::engine::kBannerMax) __builtin_trap();
  for (char c : line)
    if (c < 0x20 || c >= 0x7f) __builtin_trap();
  std::string all = reach::printable(std::string_view(reinterpret_cast<const char*>(data), size));
  for (char c : all)
    if (c < 0x20 || c >= 0x7f) __builtin_trap();
  return 0;
}
