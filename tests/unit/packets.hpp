#pragma once
// Packets as the kernel hands them to a raw socket, built for tests and fuzzers: IP headers
// around a payload, ICMP checksums, ICMP errors that quote a datagram.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"
#include "packet/checksum.hpp"

namespace reach::test {

inline IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

struct V4Opts {
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool df = false;
};

inline packet::Buffer ipv4(const IpAddr& src, const IpAddr& dst, std::uint8_t proto, const packet::Buffer& payload,
                           V4Opts o = {}) {
  packet::Buffer b(20 + payload.size(), 0);
  b[0] = 0x45;
  packet::put16(b, 2, static_cast<std::uint16_t>(b.size()));
  packet::put16(b, 4, o.id);
  packet::put16(b, 6, o.df ? 0x4000 : 0);
  b[8] = o.ttl;
  b[9] = proto;
  std::copy(src.data(), src.data() + 4, b.begin() + 12);
  std::copy(dst.data(), dst.data() + 4, b.begin() + 16);
  packet::put16(b, 10, packet::checksum(packet::Bytes(b.data(), 20)));
  std::copy(payload.begin(), payload.end(), b.begin() + 20);
  return b;
}

inline packet::Buffer ipv6(const IpAddr& src, const IpAddr& dst, std::uint8_t next, const packet::Buffer& payload,
                           std::uint8_t hlim = 64) {
  packet::Buffer b(40 + payload.size(), 0);
  b[0] = 0x60;
  packet::put16(b, 4, static_cast<std::uint16_t>(payload.size()));
  b[6] = next;
  b[7] = hlim;
  std::copy(src.data(), src.data() + 16, b.begin() + 8);
  std::copy(dst.data(), dst.data() + 16, b.begin() + 24);
  std::copy(payload.begin(), payload.end(), b.begin() + 40);
  return b;
}

inline packet::Buffer ip_packet(Family f, const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                const packet::Buffer& payload) {
  return f == Family::v4 ? ipv4(src, dst, proto, payload) : ipv6(src, dst, proto, payload);
}

// ICMPv4 carries its own checksum (ICMPv6's covers a pseudo header the kernel checks).
inline packet::Buffer fix_icmp4(packet::Buffer icmp) {
  if (icmp.size() < 4) return icmp;
  packet::put16(icmp, 2, 0);
  packet::put16(icmp, 2, packet::checksum(icmp));
  return icmp;
}

// An ICMP error message quoting `quoted` (an IP datagram), cut to `quote_len` bytes.
inline packet::Buffer icmp_error(Family f, std::uint8_t type, std::uint8_t code, const packet::Buffer& quoted,
                                 std::size_t quote_len = SIZE_MAX) {
  std::size_t n = std::min(quote_len, quoted.size());
  packet::Buffer b(8 + n, 0);
  b[0] = type;
  b[1] = code;
  std::copy(quoted.begin(), quoted.begin() + static_cast<std::ptrdiff_t>(n), b.begin() + 8);
  if (f == Family::v4) packet::put16(b, 2, packet::checksum(b));
  return b;
}

}  // namespace reach::test
