#include "engine/scan_banner.hpp"

#include <algorithm>

namespace reach::engine {

std::string clean_banner(std::span<const std::uint8_t> data) {
  std::string out;
  std::size_t n = std::min(data.size(), kBannerMax);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = data[i];
    if (c == '\r' || c == '\n') break;
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!out.empty() && blank(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && blank(out[start])) ++start;
  return out.substr(start);
}

}  // namespace reach::engine
