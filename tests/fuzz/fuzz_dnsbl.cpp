// The DNSBL answer classification and TXT text: arbitrary A record texts, rcodes and TXT strings
// never crash, a listing is only ever made of 127/8 codes, and the TXT text is never longer than
// its input plus the separators.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/dnsbl.hpp"

using namespace reach;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  engine::DnsblAnswer a;
  a.answered = data[0] & 1;
  a.timed_out = data[0] & 2;
  a.rcode = data[1] % 24;
  std::string rest(reinterpret_cast<const char*>(data + 2), size - 2);
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= rest.size(); ++i)
    if (i == rest.size() || rest[i] == '\n') {
      parts.push_back(rest.substr(start, i - start));
      start = i + 1;
    }
  a.a = parts;
  auto v = engine::classify_dnsbl(a);
  if (v.status == model::DnsblStatus::listed) {
    if (!a.answered || a.rcode != 0 || v.codes.empty()) std::abort();
    for (const auto& c : v.codes) {
      auto ip = IpAddr::parse(c);
      if (!ip || !ip->is_v4() || (ip->v4_host_order() >> 24) != 127) std::abort();
    }
  }
  std::size_t total = 0;
  for (const auto& p : parts) total += p.size() + 2;
  if (engine::dnsbl_txt_text(parts).size() > total) std::abort();
  // Zones and query names: an accepted zone always gives a query name of at most 254 bytes.
  if (auto z = engine::dnsbl_zone(rest)) {
    if (engine::dnsbl_query_name(*IpAddr::parse("2001:db8::1"), *z).size() > 254) std::abort();
  }
  return 0;
}
