#pragma once
// Test vectors are written as hex strings (as scapy or a capture prints them).
#include <string>
#include <string_view>

#include "packet/bytes.hpp"

namespace reach::test {

inline packet::Buffer hex(std::string_view s) {
  packet::Buffer b;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return b;
}

}  // namespace reach::test
