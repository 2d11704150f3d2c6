#pragma once
// UDP datagrams: builder and reader.
#include <cstdint>
#include <optional>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

struct UdpHeader {
  std::uint16_t sport = 0, dport = 0, length = 0, checksum = 0;
  Bytes payload;
};

std::optional<UdpHeader> parse_udp(Bytes data);
// A datagram with checksum over the pseudo header (0 sent as 0xffff).
Buffer build_udp(const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint16_t dport,
                 Bytes payload);

}  // namespace reach::packet
