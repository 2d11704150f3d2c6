#include "config/dnsbl_zones.hpp"

#include <fmt/format.h>

namespace reach::config {
namespace {

constexpr std::size_t kMaxZone = 253 - 64;  // room for the 32 nibbles of an IPv6 query

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

Result<std::string> dnsbl_zone(std::string_view zone) {
  std::string z(zone);
  if (!z.empty() && z.back() == '.') z.pop_back();
  auto bad = [&](const std::string& why) { return fail("--dnsbl-zone", "'" + std::string(zone) + "'", 0, why); };
  if (z.empty()) return bad("an empty zone");
  if (z.size() > kMaxZone) return bad(fmt::format("longer than {} characters", kMaxZone));
  for (auto& c : z) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  std::size_t start = 0;
  while (start <= z.size()) {
    std::size_t dot = z.find('.', start);
    if (dot == std::string::npos) dot = z.size();
    if (dot == start) return bad("an empty label (two dots, or a leading dot)");
    if (dot - start > 63) return bad("a label longer than 63 characters");
    for (std::size_t i = start; i < dot; ++i)
      if (!label_char(z[i])) return bad("a label may hold letters, digits, '-' and '_' only");
    start = dot + 1;
  }
  return z;
}

const std::vector<std::string>& default_dnsbl_zones() {
  static const std::vector<std::string> kZones = {"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org"};
  return kZones;
}

}  // namespace reach::config
