#pragma once
// A network prefix (CIDR, RFC 4632 / RFC 4291 §2.3): the address with host bits cleared and its
// length in bits. Shared by sockets filters, relay per-prefix limits and guard allow-lists/bans.
#include <optional>
#include <string>
#include <string_view>

#include "base/ip_addr.hpp"

namespace reach {

struct IpPrefix {
  IpAddr net;   // host bits are zero
  int len = 0;  // 0..32 for IPv4, 0..128 for IPv6

  // True when a lies in this prefix. A v4 prefix also matches the IPv4-mapped IPv6 form
  // (::ffff:a.b.c.d) that dual-stack sockets report.
  bool contains(const IpAddr& a) const;
  std::string to_string() const;  // "198.18.0.0/24", "2001:db8::/64"
  friend bool operator==(const IpPrefix& a, const IpPrefix& b) { return a.len == b.len && a.net == b.net; }
  friend bool operator<(const IpPrefix& a, const IpPrefix& b) {
    return a.net == b.net ? a.len < b.len : a.net < b.net;
  }
};

// "198.18.0.0/15", "2001:db8::/32", or a bare address (a /32 or /128). nullopt when malformed,
// when the length is out of range, or when host bits are set beyond it (almost always a typo).
// An IPv4-mapped prefix of length 96 or more is returned as the IPv4 prefix it is
// (::ffff:198.18.5.7 -> 198.18.5.7/32, ::ffff:198.18.5.0/120 -> 198.18.5.0/24).
std::optional<IpPrefix> parse_prefix(std::string_view text);
// Why parse_prefix refused text, for messages: host bits set (naming the prefix meant), a length
// out of range, or not a prefix at all. Quotes the text.
std::string prefix_error(std::string_view text);

// The prefix of the given length that holds a (host bits cleared; len clamped to the family's
// width). An IPv4-mapped IPv6 address is unmapped first, so ::ffff:198.18.0.1 gives 198.18.0.0/24.
IpPrefix prefix_of(const IpAddr& a, int len);

// ::ffff:a.b.c.d as the IPv4 address a.b.c.d; any other address unchanged.
IpAddr unmap_v4(const IpAddr& a);

}  // namespace reach
