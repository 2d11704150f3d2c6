#include "engine/scan_spec.hpp"

#include "base/address.hpp"
#include "base/ip_prefix.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace reach::engine {
namespace {

tl::unexpected<Error> bad(std::string_view what, std::string_view text, std::string detail) {
  return fail(std::string(what), std::string(text), 0, std::move(detail));
}

std::optional<int> to_int(std::string_view s, int max) {
  int v = 0;
  if (s.empty() || s.size() > 6) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

std::uint32_t low32(const IpAddr& a) {
  if (a.is_v4()) return a.v4_host_order();
  const std::uint8_t* d = a.data() + 12;
  return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) | d[3];
}

bool same_block(const AddrRange& a, const AddrRange& b) { return a.family == b.family && a.high == b.high; }
bool block_less(const AddrRange& a, const AddrRange& b) {
  if (a.family != b.family) return a.family < b.family;
  if (a.high != b.high) return a.high < b.high;
  return a.first < b.first;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

}  // namespace

IpAddr AddrRange::at(std::uint32_t low) const {
  if (family == Family::v4) return IpAddr::v4(low);
  std::uint8_t b[16];
  std::memcpy(b, high.data(), 12);
  b[12] = static_cast<std::uint8_t>(low >> 24);
  b[13] = static_cast<std::uint8_t>(low >> 16);
  b[14] = static_cast<std::uint8_t>(low >> 8);
  b[15] = static_cast<std::uint8_t>(low);
  return IpAddr::from_bytes(Family::v6, b).with_scope(scope);
}

AddrRange AddrRange::single(const IpAddr& a) {
  AddrRange r;
  r.family = a.family();
  if (!a.is_v4()) std::memcpy(r.high.data(), a.data(), 12);
  r.first = r.last = low32(a);
  r.scope = a.scope();
  return r;
}

Result<TargetToken> parse_target(std::string_view text) {
  constexpr std::string_view kWhat = "target";
  if (text.empty()) return bad(kWhat, "\"\"", "empty target");
  if (text.size() > 253) return bad(kWhat, text.substr(0, 40), "too long for an address or a host name");
  TargetToken t;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto parsed = parse_address(text.substr(0, slash), AddressForm::host);
    auto addr = parsed ? parsed->literal : std::nullopt;
    if (!addr) return bad(kWhat, text, "a prefix needs a numeric address before the '/'");
    t.zone = parsed->zone;
    int bits = addr->is_v4() ? 32 : 128;
    auto len = to_int(text.substr(slash + 1), bits);
    if (!len) return bad(kWhat, text, "bad prefix length (0 to " + std::to_string(bits) + ")");
    if (const IpAddr v4 = unmap_v4(*addr); v4.is_v4() && !addr->is_v4()) {  // ::ffff:198.18.0.0/120
      if (*len < 96) return bad(kWhat, text, "an IPv4-mapped prefix needs a length of 96 or more");
      addr = v4;
      bits = 32;
      *len -= 96;
    }
    if (!addr->is_v4() && *len < 96)
      return bad(kWhat, text, "IPv6 prefixes wider than /96 cannot be scanned");
    AddrRange r = AddrRange::single(*addr);
    int host_bits = bits - *len;
    std::uint32_t mask = host_bits >= 32 ? 0xffffffffu : ((1u << host_bits) - 1);
    r.first &= ~mask;
    r.last = r.first | mask;
    t.range = r;
    t.prefix = *len;
    return t;
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto a = IpAddr::parse(text.substr(0, dash));
    auto b = IpAddr::parse(text.substr(dash + 1));
    if (a && b) {
      AddrRange ra = AddrRange::single(unmap_v4(*a)), rb = AddrRange::single(unmap_v4(*b));
      if (!same_block(ra, rb)) return bad(kWhat, text, "an IPv6 range may only vary in its last 32 bits");
      if (rb.first < ra.first) return bad(kWhat, text, "range ends before it starts");
      ra.last = rb.first;
      t.range = ra;
      return t;
    }
  }
  auto parsed = parse_address(text, AddressForm::host);
  if (parsed && parsed->literal) {
    t.range = AddrRange::single(unmap_v4(*parsed->literal));  // ::ffff:a.b.c.d is IPv4 on the wire
    t.zone = parsed->zone;
    return t;
  }
  if (!parsed && (text.find('%') != std::string_view::npos || text.front() == '['))
    return bad(kWhat, text, parsed.error().detail);
  if (text.find(':') != std::string_view::npos) return bad(kWhat, text, "not a valid IPv6 address");
  bool numeric = std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) return bad(kWhat, text, "not a valid IPv4 address");
  if (!std::all_of(text.begin(), text.end(), name_char) || text.front() == '-' || text.front() == '.')
    return bad(kWhat, text, "neither an address, a prefix nor a host name");
  t.name = std::string(text);
  return t;
}

std::vector<std::string> split_target_list(std::string_view contents) {
  std::vector<std::string> out;
  std::string cur;
  bool comment = false;
  for (char c : contents) {
    if (c == '\n') comment = false;
    if (c == '#') comment = true;
    bool sep = comment || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
    if (sep) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

void TargetSet::finalize() {
  auto merge = [](std::vector<AddrRange>& v) {
    std::sort(v.begin(), v.end(), block_less);
    std::vector<AddrRange> out;
    for (const auto& r : v) {
      if (!out.empty() && same_block(out.back(), r) && std::uint64_t{r.first} <= std::uint64_t{out.back().last} + 1) {
        out.back().last = std::max(out.back().last, r.last);
      } else {
        out.push_back(r);
      }
    }
    v = std::move(out);
  };
  merge(ranges_);
  merge(excluded_);
  std::vector<AddrRange> kept;
  for (auto r : ranges_) {
    // Exclusions are sorted and disjoint: cut them out from left to right.
    bool empty = false;
    for (const auto& x : excluded_) {
      if (!same_block(r, x) || x.last < r.first || x.first > r.last) continue;
      if (x.first > r.first) {
        AddrRange left = r;
        left.last = x.first - 1;
        kept.push_back(left);
      }
      if (x.last >= r.last) {
        empty = true;
        break;
      }
      r.first = x.last + 1;
    }
    if (!empty) kept.push_back(r);
  }
  ranges_ = std::move(kept);
  starts_.clear();
  total_ = 0;
  for (const auto& r : ranges_) {
    starts_.push_back(total_);
    total_ += r.size();
  }
}

IpAddr TargetSet::at(std::uint64_t index) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), index);
  std::size_t i = static_cast<std::size_t>(it - starts_.begin()) - 1;
  return ranges_[i].at(static_cast<std::uint32_t>(ranges_[i].first + (index - starts_[i])));
}

std::optional<std::uint64_t> TargetSet::index_of(const IpAddr& a) const {
  AddrRange key = AddrRange::single(a);
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), key, block_less);
  if (it == ranges_.begin()) return std::nullopt;
  --it;
  if (!same_block(*it, key) || key.first < it->first || key.first > it->last) return std::nullopt;
  return starts_[static_cast<std::size_t>(it - ranges_.begin())] + (key.first - it->first);
}

Result<std::vector<std::uint16_t>> parse_ports(std::string_view text) {
  constexpr std::string_view kWhat = "port list";
  if (text.empty()) return bad(kWhat, "\"\"", "empty port list");
  std::vector<bool> on(65536, false);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) return bad(kWhat, text, "empty item");
    int lo = 0, hi = 0;
    if (auto dash = item.find('-'); dash != std::string_view::npos) {
      std::string_view a = item.substr(0, dash), b = item.substr(dash + 1);
      auto pa = a.empty() ? std::optional<int>(1) : to_int(a, 65535);
      auto pb = b.empty() ? std::optional<int>(65535) : to_int(b, 65535);
      if (!pa || !pb) return bad(kWhat, text, "bad range '" + std::string(item) + "' (ports are 1 to 65535)");
      lo = *pa;
      hi = *pb;
      if (hi < lo) return bad(kWhat, text, "range '" + std::string(item) + "' ends before it starts");
    } else {
      auto p = to_int(item, 65535);
      if (!p) return bad(kWhat, text, "bad port '" + std::string(item) + "' (ports are 1 to 65535)");
      lo = hi = *p;
    }
    if (lo == 0) return bad(kWhat, text, "port 0 cannot be scanned");
    for (int p = lo; p <= hi; ++p) on[static_cast<std::size_t>(p)] = true;
  }
  std::vector<std::uint16_t> out;
  for (int p = 1; p <= 65535; ++p)
    if (on[static_cast<std::size_t>(p)]) out.push_back(static_cast<std::uint16_t>(p));
  return out;
}

const std::vector<std::uint16_t>& top_ports() {
  // nmap 7.93 `nmap --top-ports 100 -oG -` (nmap-services open frequencies), in port order.
  static const std::vector<std::uint16_t> kTop = [] {
    auto p = parse_ports(
        "7,9,13,21-23,25-26,37,53,79-81,88,106,110-111,113,119,135,139,143-144,179,199,389,427,443-445,465,"
        "513-515,543-544,548,554,587,631,646,873,990,993,995,1025-1029,1110,1433,1720,1723,1755,1900,2000-2001,"
        "2049,2121,2717,3000,3128,3306,3389,3986,4899,5000,5009,5051,5060,5101,5190,5357,5432,5631,5666,5800,"
        "5900,6000-6001,6646,7070,8000,8008-8009,8080-8081,8443,8888,9100,9999-10000,32768,49152-49157");
    return p ? *p : std::vector<std::uint16_t>{};
  }();
  return kTop;
}

}  // namespace reach::engine
