// Shape checks shared by the YAML parsers (config_words.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "config/config_words.hpp"

namespace reach::config::words {

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
  });
}

bool printable(std::string_view s, bool spaces) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x21 ? u != 0x7f : (spaces && c == ' ');
  });
}

bool is_host(std::string_view s) { return !s.empty() && s.size() <= 255 && printable(s, false) && s.find('/') == s.npos; }

// "scheme://host[:port][/...]" with one of `schemes`; returns the scheme or empty.
std::string url_scheme(std::string_view s, std::initializer_list<std::string_view> schemes) {
  if (s.size() > 4096 || !printable(s, false)) return {};
  for (auto sc : schemes) {
    std::string prefix = std::string(sc) + "://";
    if (s.substr(0, prefix.size()) == prefix) {
      auto rest = s.substr(prefix.size());
      auto host = rest.substr(0, rest.find_first_of("/?#"));
      if (host.empty() || host.front() == ':') return {};
      return std::string(sc);
    }
  }
  return {};
}

std::string at(const std::string& base, std::string_view key) { return base + "." + std::string(key); }
std::string idx(std::string_view base, std::size_t i) { return fmt::format("{}[{}]", base, i); }

bool is_tz(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '/' || s.find("..") != s.npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/' ||
           c == '+' || c == '-';
  });
}
}  // namespace reach::config::words
