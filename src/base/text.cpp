#include "base/text.hpp"

namespace reach {

void append_printable(std::string& out, unsigned char c) {
  if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) append_printable(out, static_cast<unsigned char>(c));
  return out;
}

}  // namespace reach
