#include "packet/udp.hpp"

#include <algorithm>

#include "packet/checksum.hpp"
#include "packet/ip.hpp"

namespace reach::packet {

std::optional<UdpHeader> parse_udp(Bytes data) {
  if (data.size() < 8) return std::nullopt;
  UdpHeader u;
  u.sport = be16(data, 0);
  u.dport = be16(data, 2);
  u.length = be16(data, 4);
  u.checksum = be16(data, 6);
  if (u.length < 8) return std::nullopt;
  // A length beyond the buffer means a truncated capture; shorter means trailing padding.
  u.payload = data.subspan(8, std::min<std::size_t>(u.length, data.size()) - 8);
  return u;
}

Buffer build_udp(const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint16_t dport,
                 Bytes payload) {
  Buffer b(8 + payload.size(), 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<std::uint16_t>(b.size()));
  std::copy(payload.begin(), payload.end(), b.begin() + 8);
  const auto len = static_cast<std::uint32_t>(b.size());
  std::uint16_t sum = checksum(b, pseudo_header_sum(src, dst, kProtoUdp, len));
  put16(b, 6, sum == 0 ? 0xffff : sum);  // zero on the wire means "no checksum" (RFC 768)
  return b;
}

}  // namespace reach::packet
