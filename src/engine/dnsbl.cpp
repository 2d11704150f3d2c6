#include "engine/dnsbl.hpp"

#include <fmt/format.h>

#include <optional>

namespace reach::engine {

DnsblTarget dnsbl_target(const IpAddr& a) {
  if (a.is_v4()) return {a, false};
  const std::uint8_t* b = a.data();
  for (int i = 0; i < 10; ++i)
    if (b[i] != 0) return {a, false};
  if (b[10] != 0xff || b[11] != 0xff) return {a, false};
  return {IpAddr::from_bytes(Family::v4, b + 12), true};
}

std::string dnsbl_query_name(const IpAddr& a, std::string_view zone) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::uint8_t* b = a.data();
  if (a.is_v4()) {
    out = fmt::format("{}.{}.{}.{}.", b[3], b[2], b[1], b[0]);
  } else {
    out.reserve(64 + zone.size() + 1);
    for (int i = 15; i >= 0; --i) {
      out += kHex[b[i] & 0x0f];
      out += '.';
      out += kHex[b[i] >> 4];
      out += '.';
    }
  }
  out += zone;
  out += '.';
  return out;
}

DnsblVerdict classify_dnsbl(const DnsblAnswer& a) {
  using S = model::DnsblStatus;
  DnsblVerdict v;
  if (!a.answered) {
    v.reason = a.timed_out ? "no answer (the zone's servers or the resolver did not answer)"
                           : "no answer: " + (a.error.empty() ? std::string("query failed") : a.error);
    return v;
  }
  if (a.rcode == 3) {
    v.status = S::not_listed;
    v.reason = "NXDOMAIN";
    return v;
  }
  if (a.rcode != 0) {
    v.reason = (a.rcode_name.empty() ? fmt::format("RCODE{}", a.rcode) : a.rcode_name) + " from the resolver";
    return v;
  }
  if (a.a.empty()) {
    v.status = S::not_listed;
    v.reason = "no A record (NOERROR, empty answer)";
    return v;
  }
  v.codes = a.a;
  std::optional<std::string> outside, refusal;  // the first of each
  for (const auto& text : a.a) {
    auto ip = IpAddr::parse(text);
    if (!ip || !ip->is_v4() || (ip->v4_host_order() >> 24) != 127) {
      if (!outside) outside = text;
      continue;
    }
    std::uint32_t h = ip->v4_host_order();
    if ((h >> 8) == 0x7fffff || h == 0x7f000001) {
      if (!refusal) refusal = text;
    }
  }
  if (outside) {
    v.reason = fmt::format("answer '{}' is outside 127.0.0.0/8: not a DNSBL code (a resolver rewriting NXDOMAIN?)", *outside);
    return v;
  }
  if (refusal) {
    const std::string& r = *refusal;
    std::string why = r == "127.255.255.252"   ? " (Spamhaus: typo in the zone name)"
                      : r == "127.255.255.254" ? " (Spamhaus: query through a public or open resolver)"
                      : r == "127.255.255.255" ? " (Spamhaus: too many queries)"
                      : r == "127.0.0.1"       ? " (a refusal code of URIBL and others, not a listing)"
                                               : "";
    v.reason = fmt::format("the list refused the query: {}{}", r, why);
    return v;
  }
  v.status = S::listed;
  v.reason = "listed";
  return v;
}

std::string dnsbl_txt_text(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) {
    std::string text;
    bool ok = true;
    std::size_t i = 0;
    while (ok && i < r.size()) {
      if (r[i] == ' ') {
        ++i;
        continue;
      }
      if (r[i] != '"') {
        ok = false;
        break;
      }
      ++i;
      bool closed = false;
      while (i < r.size()) {
        char c = r[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == r.size()) break;
          c = r[i++];
        }
        text += c;
      }
      ok = closed;
    }
    if (!out.empty()) out += "; ";
    out += ok ? text : r;
  }
  return out;
}

}  // namespace reach::engine
