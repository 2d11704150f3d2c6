#pragma once
// IPv4 and IPv6 header readers. Parsers return nullopt on anything short or inconsistent.
#include <cstdint>
#include <optional>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmpV6 = 58;

struct IpHeader {
  Family family = Family::v4;
  std::uint16_t header_len = 0;   // bytes, including IPv6 extension headers skipped (may pass 255)
  std::uint32_t total_len = 0;    // v4: total length field; v6: 40 + payload length (may pass 65535)
  std::uint16_t id = 0;           // v4 only
  std::uint8_t ttl = 0;           // TTL or hop limit
  std::uint8_t protocol = 0;      // v4 protocol; v6 upper-layer next header after extensions
  std::uint8_t tos = 0;
  bool dont_fragment = false;     // v4 DF bit
  bool more_fragments = false;
  std::uint16_t frag_offset = 0;  // in bytes
  IpAddr src, dst;
  Bytes payload;                  // upper-layer bytes actually present (may be shorter than claimed)
};

// Reads an IPv4 header (checks version, IHL >= 5, length). Payload is clipped to the buffer
// and to total_len.
std::optional<IpHeader> parse_ipv4(Bytes data);
// Reads an IPv6 header and skips hop-by-hop, routing, fragment and destination options headers.
std::optional<IpHeader> parse_ipv6(Bytes data);
// Dispatches on the version nibble.
std::optional<IpHeader> parse_ip(Bytes data);

}  // namespace reach::packet
