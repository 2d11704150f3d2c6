#include "engine/scan_banner.hpp"

#include <algorithm>

#include "base/text.hpp"

namespace reach::engine {

std::string clean_banner(std::span<const std::uint8_t> data) {
  std::string out;
  std::size_t n = std::min(data.size(), kBannerMax);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = data[i];
    if (c == '\r' || c == '\n') break;
    append_printable(out, c);
  }
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!out.empty() && blank(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && blank(out[start])) ++start;
  return out.substr(start);
}

}  // namespace reach::engine
